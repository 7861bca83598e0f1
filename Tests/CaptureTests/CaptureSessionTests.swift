import Capture
import Foundation
import Packets
import Traffic
import NetScouterTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class FileCaptureTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `count` UDP frames 10 ms apart plus every 10th frame a TCP one; returns the path.
    private func writeFixture(count: Int, spacing: Int64 = 10_000_000) throws -> String {
        let path = directory.appendingPathComponent("fixture.pcap").path
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        let client = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 1), 40000)
        for index in 0..<count {
            let isTCP = index % 10 == 0
            let server = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 2), isTCP ? 443 : 53)
            let frame = FrameBuilder.ethernetIP(from: client, to: server, transport: isTCP ? .tcp : .udp, payload: [UInt8](repeating: 7, count: 20))
            try writer.write(frame, timestamp: 1_700_000_000_000_000_000 + Int64(index) * spacing)
        }
        try writer.close()
        return path
    }

    private func drainAll(_ session: CaptureSession, into traffic: TrafficAggregator) {
        session.start()
        while !(session.isFinished && session.ring.count == 0) {
            if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(1000) }
        }
        session.stop()
        session.ring.drain { traffic.ingest($0) }
    }

    func testFileCaptureDeliversEveryPacketThroughTheRing() throws {
        let path = try writeFixture(count: 100_000)
        // A ring far smaller than the file: the file producer must wait, not drop.
        let session = try CaptureSession(source: .file(path: path), ringCapacity: 256)
        let traffic = TrafficAggregator()
        drainAll(session, into: traffic)
        XCTAssertNil(session.error)
        XCTAssertEqual(traffic.totals.packets, 100_000)
        XCTAssertEqual(traffic.totals.packets(.tcp), 10_000)
        XCTAssertEqual(traffic.totals.packets(.udp), 90_000)
        XCTAssertEqual(session.statistics.packetsCaptured, 100_000)
        XCTAssertEqual(session.statistics.ringOverflows, 0)
        XCTAssertEqual(traffic.flows.count, 2)
    }

    func testFilterAndPacketLimit() throws {
        let path = try writeFixture(count: 1000)
        let filtered = try CaptureSession(source: .file(path: path), filter: "tcp port 443")
        let tcpOnly = TrafficAggregator()
        drainAll(filtered, into: tcpOnly)
        XCTAssertEqual(tcpOnly.totals.packets, 100)
        XCTAssertEqual(filtered.filter, "tcp port 443")

        let limited = try CaptureSession(source: .file(path: path), packetLimit: 37)
        let first37 = TrafficAggregator()
        drainAll(limited, into: first37)
        XCTAssertEqual(first37.totals.packets, 37)
    }

    func testReplayAtRecordedSpeedTakesTheRecordedTime() throws {
        let path = try writeFixture(count: 31, spacing: 10_000_000)  // 300 ms of traffic
        let session = try CaptureSession(source: .file(path: path, replayAtRecordedSpeed: true))
        let traffic = TrafficAggregator()
        let start = monotonicNanoseconds()
        drainAll(session, into: traffic)
        let elapsed = monotonicNanoseconds() - start
        XCTAssertEqual(traffic.totals.packets, 31)
        XCTAssertGreaterThanOrEqual(elapsed, 280_000_000, "replay must pace packets by their timestamps")
    }

    func testStoppingAReplayIsPrompt() throws {
        let path = try writeFixture(count: 3, spacing: 60_000_000_000)  // a minute apart
        let session = try CaptureSession(source: .file(path: path, replayAtRecordedSpeed: true))
        session.start()
        usleep(100_000)
        session.stop()
        XCTAssertTrue(session.isFinished)
    }

    func testErrorsSayWhatToDo() {
        XCTAssertThrowsError(try CaptureSession(source: .file(path: "/nonexistent/trace.pcap"))) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("/nonexistent/trace.pcap"), text)
            XCTAssertTrue(text.contains("Check the path"), text)
        }
        XCTAssertThrowsError(try PcapHandle.validateFilter("tcp prot 80")) { error in
            guard case PcapError.badFilter = error else { return XCTFail("expected badFilter, got \(error)") }
            XCTAssertTrue(String(describing: error).contains("Examples"))
        }
        XCTAssertNoThrow(try PcapHandle.validateFilter("tcp port 80 and not host 10.0.0.1"))
        let permission = PcapError.permissionDenied(interface: "eth0", message: "socket: Operation not permitted")
        XCTAssertTrue(permission.description.contains("setcap cap_net_raw,cap_net_admin=eip"))
        XCTAssertTrue(permission.description.contains("sudo"))
        XCTAssertThrowsError(try CaptureSession(source: .live(LiveCaptureOptions(interface: "nosuchif0")))) { error in
            // As root the interface is missing; unprivileged, permission is checked first.
            switch error {
            case PcapError.noSuchInterface, PcapError.permissionDenied: break
            default: XCTFail("unexpected \(error)")
            }
        }
    }

    func testDeviceListIncludesLoopback() throws {
        let devices = try PcapHandle.devices()
        let loopback = try XCTUnwrap(devices.first { $0.name == "lo" }, "lo missing from \(devices.map(\.name))")
        XCTAssertTrue(loopback.isLoopback)
        XCTAssertTrue(loopback.addresses.contains("127.0.0.1"), "\(loopback.addresses)")
    }
}

/// Live capture on `lo`: traffic only to listeners this test opens on 127.0.0.1.
final class LiveLoopbackCaptureTests: XCTestCase {
    private func openLoopback(filter: String) throws -> CaptureSession {
        do {
            return try CaptureSession(source: .live(LiveCaptureOptions(interface: "lo")), filter: filter)
        } catch {
            if case .permissionDenied = error {
                throw XCTSkip("Live capture on lo is not permitted for this user (\(error)). Run the tests as root or grant CAP_NET_RAW.")
            }
            throw error
        }
    }

    func testCountsUDPDatagramsAndTCPConnectionsOnLoopback() throws {
        let (udpReceiver, udpPort) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(udpReceiver) }
        let (listener, tcpPort) = try LoopbackSockets.bind(type: Int32(SOCK_STREAM.rawValue))
        defer { close(listener) }
        XCTAssertEqual(listen(listener, 16), 0)

        let session = try openLoopback(filter: "(udp and port \(udpPort)) or (tcp and port \(tcpPort))")
        let traffic = TrafficAggregator()
        session.start()

        let datagrams = 25, connections = 5
        let payload = [UInt8](repeating: 0x42, count: 100)
        let sender = LoopbackSockets.UDPSender()
        for _ in 0..<datagrams { sender.send(payload, to: udpPort) }
        let server = LoopbackSockets.serve(listener: listener, count: connections)
        for _ in 0..<connections { try LoopbackSockets.tcpExchange(port: tcpPort, payload: Array("hello".utf8)) }
        _ = server

        // Drain until the expected traffic has arrived (or give up after 5 s).
        let deadline = monotonicNanoseconds() + 5_000_000_000
        var closedFlows = 0
        repeat {
            session.ring.drain { traffic.ingest($0) }
            closedFlows = traffic.flows.all.filter { $0.transport == .tcp && $0.tcpState == .closed }.count
            if traffic.totals.packets(.udp) >= UInt64(datagrams) && closedFlows >= connections { break }
            usleep(10_000)
        } while monotonicNanoseconds() < deadline
        usleep(100_000)  // anything extra that would be a bug arrives now
        session.stop()
        session.ring.drain { traffic.ingest($0) }

        XCTAssertNil(session.error)
        XCTAssertEqual(traffic.totals.packets(.udp), UInt64(datagrams), "each datagram is seen once on lo")
        let udpFlows = traffic.flows.all.filter { $0.transport == .udp }
        XCTAssertEqual(udpFlows.count, 1)
        XCTAssertEqual(udpFlows.first?.responderPort, udpPort)
        XCTAssertEqual(udpFlows.first?.packetsForward, UInt64(datagrams))
        XCTAssertEqual(udpFlows.first?.bytesForward, UInt64(datagrams * (14 + 20 + 8 + 100)))

        let tcpFlows = traffic.flows.all.filter { $0.transport == .tcp }
        XCTAssertEqual(tcpFlows.count, connections)
        XCTAssertTrue(tcpFlows.allSatisfy { $0.responderPort == tcpPort && $0.tcpState == .closed },
                      "\(tcpFlows.map { "\($0.initiatorPort)->\($0.responderPort) \($0.tcpState)" })")
        XCTAssertTrue(tcpFlows.allSatisfy { $0.packetsForward >= 4 && $0.packetsReverse >= 2 })
        XCTAssertEqual(traffic.hosts[IPAddress(127, 0, 0, 1)]?.ports.sorted(), [udpPort, tcpPort].sorted())
        XCTAssertEqual(session.statistics.ringOverflows, 0)
        // Not asserting kernelDrops == 0: with both cores saturated by other processes the kernel
        // reported 2 drops once while every one of the test's packets was still captured (the
        // exact counts above prove that), so the counter is not about this test's traffic alone.
    }

    /// libpcap 1.10.3 may never time out on an idle interface; stop() must still return.
    func testStopOnAnIdleInterfaceReturns() throws {
        let (probe, unusedPort) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        close(probe)
        let session = try openLoopback(filter: "udp and port \(unusedPort)")
        session.start()
        usleep(200_000)
        let before = monotonicNanoseconds()
        session.stop()
        XCTAssertTrue(session.isFinished)
        XCTAssertLessThan(monotonicNanoseconds() - before, 2_000_000_000, "stop must not hang on an idle interface")
        XCTAssertEqual(session.statistics.packetsCaptured, 0)
    }
}

final class FileProgressTests: XCTestCase {
    /// Reading a file reports progress from 0 to 1 through the file (for the dashboard's bar).
    func testFileProgressAdvancesToOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 1), to: .init(IPAddress(10, 0, 0, 2), 2), transport: .udp,
                                            payload: [UInt8](repeating: 0, count: 200))
        for index in 0..<20_000 { try writer.write(frame, timestamp: Int64(index) * 1000) }
        try writer.close()
        // A small ring makes the reader wait for us, so progress can be watched mid-file.
        let session = try CaptureSession(source: .file(path: path), ringCapacity: 1024)
        XCTAssertEqual(session.fileProgress, 0)
        XCTAssertGreaterThan(session.fileSize ?? 0, 20_000 * 200)
        session.start()
        var seen: [Double] = []
        var drained = 0
        while !(session.isFinished && session.ring.count == 0) {
            drained += session.ring.drain(limit: 512) { _ in }
            if let progress = session.fileProgress { seen.append(progress) }
        }
        session.stop()
        XCTAssertEqual(drained, 20_000)
        XCTAssertEqual(session.fileProgress, 1)
        XCTAssertTrue(seen.contains { $0 > 0.05 && $0 < 0.95 }, "progress should be seen mid-file")
        XCTAssertEqual(seen, seen.sorted(), "progress never goes backwards")
        let live = try? CaptureSession(source: .live(LiveCaptureOptions(interface: "lo")))
        XCTAssertNil(live?.fileProgress, "live captures have no file progress")
    }
}
