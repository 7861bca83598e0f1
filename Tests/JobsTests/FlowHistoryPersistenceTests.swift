import Foundation
import GRDB
import Jobs
import Packets
import Store
import Traffic
import XCTest

/// A live capture's finished flows reach the store, all of them, while memory stays bounded.
final class FlowHistoryPersistenceTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// One short UDP conversation (query and answer) from a distinct client, one per millisecond.
    private func conversation(_ index: Int) -> (PacketSummary, PacketSummary) {
        var query = PacketSummary()
        query.timestamp = 1_700_000_000_000_000_000 + Int64(index) * 1_000_000
        query.wireLength = 80
        query.capturedLength = 80
        query.network = .ipv4
        query.transport = .udp
        query.ipProtocol = 17
        query.source = IPAddress(ipv4: 0x0A00_0000 | UInt32(index & 0x00FF_FFFF))
        query.destination = IPAddress(ipv4: 0xC0A8_0001)
        query.sourcePort = UInt16(1024 + (index >> 24))
        query.destinationPort = 53
        var answer = query
        answer.source = query.destination
        answer.destination = query.source
        answer.sourcePort = 53
        answer.destinationPort = query.sourcePort
        answer.wireLength = 120
        answer.capturedLength = 120
        answer.timestamp += 300_000
        return (query, answer)
    }

    private func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    /// 2,000,000 short flows through a capture with the live table and the in-memory history
    /// capped: the process grows by less than the bound the README states for those caps, and
    /// every flow is in the database afterwards, with its counters.
    func testTwoMillionShortFlowsStayWithinTheBoundAndAllReachTheStore() throws {
        let flowCount = 2_000_000
        let database = try NetScouterDatabase(directory: directory)
        let writer = StoreWriter(database: database)
        var configuration = TrafficConfiguration()
        configuration.maximumFlows = 65_536
        configuration.maximumHosts = 16_384
        configuration.flowHistoryLimit = 50_000
        let traffic = TrafficAggregator(configuration: configuration)
        let sink = StoreFlowHistorySink(source: "test0", writer: writer, retentionDays: 30,
                                        at: Date(timeIntervalSince1970: 1_700_000_000))
        traffic.flows.history.sink = sink

        let baseline = residentBytes()
        var peak = baseline
        for index in 0..<flowCount {
            let (query, answer) = conversation(index)
            traffic.ingest(query)
            traffic.ingest(answer)
            if index % 100_000 == 0 { peak = max(peak, residentBytes()) }
        }
        traffic.finishCapture()
        sink.finish()
        writer.flush()
        peak = max(peak, residentBytes())

        XCTAssertNil(sink.failure)
        XCTAssertEqual(traffic.flowCounts.seen, flowCount)
        XCTAssertEqual(traffic.flows.history.count, 50_000, "memory keeps only the newest finished flows")
        let store = FlowHistoryStore(database: database)
        let captureID = try XCTUnwrap(sink.captureID)
        XCTAssertEqual(try store.flowCount(capture: captureID), flowCount, "every flow is in the store")
        XCTAssertEqual(sink.storedCount, flowCount)
        let totals = try database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT SUM(packets_forward), SUM(packets_reverse), SUM(bytes_forward), SUM(bytes_reverse),
                       COUNT(DISTINCT initiator || ':' || initiator_port)
                FROM flow_history WHERE capture_id = ?
                """, arguments: [captureID])!
        }
        XCTAssertEqual(totals[0] as Int, flowCount)
        XCTAssertEqual(totals[1] as Int, flowCount)
        XCTAssertEqual(totals[2] as Int, flowCount * 80)
        XCTAssertEqual(totals[3] as Int, flowCount * 120)
        XCTAssertEqual(totals[4] as Int, flowCount, "each flow stored once")
        XCTAssertNotNil(try store.captures().first { $0.id == captureID }?.finishedAt)

        // The bound (README, "Memory"): ~210 bytes a slot for the live table (load ≤ 3/4, so 2×
        // the cap in slots), ~170 bytes a finished flow in the in-memory history, ~10 MB of
        // batches waiting for SQLite, and the host table; 128 MB covers these caps with room for
        // SQLite's page cache (measured: about 50 MB).
        let growth = peak - baseline
        XCTAssertLessThan(growth, 128 << 20, "RSS grew by \(growth >> 20) MB for \(flowCount) flows")
        print("FlowHistoryPersistenceTests: \(flowCount) flows, RSS grew by \(growth >> 20) MB; \(try store.flowCount(capture: captureID)) in the store")
        writer.stop()
        try database.close()
    }

    func testRetentionPrunesOldFlowsWhenTheNextCaptureStarts() throws {
        let database = try NetScouterDatabase(directory: directory)
        let writer = StoreWriter(database: database)
        let old = Date(timeIntervalSince1970: 1_600_000_000)
        let first = StoreFlowHistorySink(source: "eth0", writer: writer, retentionDays: 30, at: old)
        let traffic = TrafficAggregator()
        traffic.flows.history.sink = first
        var (query, _) = conversation(1)
        query.timestamp = Int64(old.timeIntervalSince1970) * 1_000_000_000
        traffic.ingest(query)
        traffic.finishCapture()
        first.finish(at: old)
        writer.flush()
        XCTAssertEqual(try FlowHistoryStore(database: database).flowCount(), 1)
        // A capture 31 days later prunes it (and the empty capture row).
        _ = StoreFlowHistorySink(source: "eth0", writer: writer, retentionDays: 30, at: old.addingTimeInterval(31 * 86_400))
        writer.flush()
        XCTAssertEqual(try FlowHistoryStore(database: database).flowCount(), 0)
        XCTAssertEqual(try FlowHistoryStore(database: database).captures().count, 1)
        writer.stop()
        try database.close()
    }
}
