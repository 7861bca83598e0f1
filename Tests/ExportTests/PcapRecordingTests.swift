import Capture
import Foundation
import Packets
import Traffic
import NetScouterTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Saving captures as pcap files: every file opens in tcpdump and holds exactly the packets
/// captured, with rotation splitting them by size.
final class PcapRecordingTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("recording") }
    override func tearDown() { folder.remove() }

    private let firstTimestamp: Int64 = 1_700_000_000_000_000_000

    /// `count` frames, UDP with every 10th TCP, payload sizes varying, 1.000001 ms apart (so
    /// microsecond and nanosecond timestamps both matter).
    private func writeFixture(count: Int) throws -> String {
        let path = folder.file("input.pcap")
        let writer = try PcapFileWriter(path: path, linkType: .ethernet, nanosecond: true)
        let client = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 1), 40000)
        for index in 0..<count {
            let isTCP = index % 10 == 0
            let server = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 2), isTCP ? 443 : 53)
            let frame = FrameBuilder.ethernetIP(from: client, to: server, transport: isTCP ? .tcp : .udp,
                                                payload: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 10 + index % 50))
            try writer.write(frame, timestamp: firstTimestamp + Int64(index) * 1_000_001)
        }
        try writer.close()
        return path
    }

    /// Drains a file capture to the end, as the command line does.
    private func capture(_ session: CaptureSession) -> TrafficAggregator {
        let traffic = TrafficAggregator()
        session.start()
        while !(session.isFinished && session.ring.count == 0) {
            if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(1000) }
        }
        session.stop()
        session.ring.drain { traffic.ingest($0) }
        return traffic
    }

    /// (timestamp, bytes) of every packet in a file, read back through libpcap.
    private func readBack(_ path: String) throws -> (linkType: LinkType, packets: [(Int64, [UInt8])]) {
        let handle = try PcapHandle.openFile(path)
        var packets: [(Int64, [UInt8])] = []
        while case let .packet(bytes, timestamp, _) = try handle.next() { packets.append((timestamp, Array(bytes))) }
        return (handle.linkType, packets)
    }

    /// How many packets tcpdump prints for a file (one line each); fails if tcpdump cannot read it.
    private func tcpdumpCount(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let tcpdump = try ExternalTool.locate("tcpdump", package: "tcpdump")
        let result = try ExternalTool.run(tcpdump, ["-n", "-r", path])
        XCTAssertEqual(result.status, 0, "tcpdump cannot read \(path): \(result.errors)", file: file, line: line)
        return result.output.split(separator: "\n").count
    }

    func testRecordingAFileCaptureKeepsEveryPacketAndTimestamp() throws {
        let input = try writeFixture(count: 500)
        let output = folder.file("recorded.pcap")
        let session = try CaptureSession(source: .file(path: input), recording: PcapRecordingOptions(path: output))
        XCTAssertEqual(session.recordedFiles, [output])
        let traffic = capture(session)
        XCTAssertNil(session.error)
        XCTAssertEqual(traffic.totals.packets, 500)
        XCTAssertEqual(session.statistics.recordedPackets, 500)
        XCTAssertEqual(session.recordedFiles, [output])

        XCTAssertEqual(try tcpdumpCount(input), 500)
        XCTAssertEqual(try tcpdumpCount(output), 500)
        let original = try readBack(input), recorded = try readBack(output)
        XCTAssertEqual(recorded.linkType, .ethernet)
        XCTAssertEqual(recorded.packets.count, original.packets.count)
        XCTAssertTrue(zip(original.packets, recorded.packets).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
                      "same bytes and nanosecond timestamps, in the same order")
    }

    func testRecordingHonoursTheFilterAndPacketLimit() throws {
        let input = try writeFixture(count: 300)
        let filtered = folder.file("tcp.pcap"), limited = folder.file("first-42.pcap")
        let tcpOnly = try CaptureSession(source: .file(path: input), filter: "tcp", recording: PcapRecordingOptions(path: filtered))
        _ = capture(tcpOnly)
        XCTAssertEqual(try tcpdumpCount(filtered), 30)
        let first42 = try CaptureSession(source: .file(path: input), packetLimit: 42, recording: PcapRecordingOptions(path: limited))
        _ = capture(first42)
        XCTAssertEqual(try tcpdumpCount(limited), 42)
        XCTAssertEqual(first42.statistics.recordedPackets, 42)
    }

    func testRotationSplitsBySizeAndEveryFileIsComplete() throws {
        let total = 400
        let input = try writeFixture(count: total)
        let base = folder.file("ring.pcap")
        let limit: Int64 = 4096
        let session = try CaptureSession(source: .file(path: input), recording: PcapRecordingOptions(path: base, rotateBytes: limit))
        XCTAssertEqual(session.recordedFiles, [folder.file("ring-0000.pcap")], "the first file exists before capture starts")
        XCTAssertEqual(try tcpdumpCount(folder.file("ring-0000.pcap")), 0, "and is a valid pcap file from the start")
        _ = capture(session)
        XCTAssertNil(session.error)

        let files = session.recordedFiles
        XCTAssertGreaterThan(files.count, 5, "\(files)")
        XCTAssertEqual(files, (0..<files.count).map { folder.file(String(format: "ring-%04d.pcap", $0)) })
        XCTAssertEqual(try folder.listing().filter { $0.hasPrefix("ring") }, files.map { URL(fileURLWithPath: $0).lastPathComponent },
                       "no other files were written")
        var sum = 0
        var timestamps: [Int64] = []
        for file in files {
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            XCTAssertLessThanOrEqual(size, Int(limit), "\(file) is larger than the rotation size")
            let count = try tcpdumpCount(file)
            XCTAssertGreaterThan(count, 0, "\(file) is empty")
            XCTAssertEqual(try readBack(file).packets.count, count)
            timestamps += try readBack(file).packets.map(\.0)
            sum += count
        }
        XCTAssertEqual(sum, total)
        XCTAssertEqual(session.statistics.recordedPackets, total)
        XCTAssertEqual(timestamps, (0..<total).map { firstTimestamp + Int64($0) * 1_000_001 }, "files follow each other in capture order")
    }

    func testRotatedFileNames() {
        XCTAssertEqual(PcapRecordingOptions(path: "/srv/capture.pcap").fileName(at: 0), "/srv/capture.pcap")
        let rotating = PcapRecordingOptions(path: "/srv/capture.pcap", rotateBytes: 1 << 20)
        XCTAssertEqual(rotating.fileName(at: 0), "/srv/capture-0000.pcap")
        XCTAssertEqual(rotating.fileName(at: 12), "/srv/capture-0012.pcap")
        XCTAssertEqual(rotating.fileName(at: 12345), "/srv/capture-12345.pcap")
        XCTAssertEqual(PcapRecordingOptions(path: "/srv/v1.2/trace", rotateBytes: 10).fileName(at: 1), "/srv/v1.2/trace-0001")
        XCTAssertEqual(PcapRecordingOptions(path: ".hidden", rotateBytes: 10).fileName(at: 1), ".hidden-0001")
    }

    func testASessionStoppedBeforeStartingLeavesAnEmptyValidFile() throws {
        let input = try writeFixture(count: 10)
        let output = folder.file("empty.pcap")
        let session = try CaptureSession(source: .file(path: input), recording: PcapRecordingOptions(path: output))
        session.stop()
        XCTAssertNil(session.error)
        XCTAssertEqual(try tcpdumpCount(output), 0)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int, 24, "just the pcap file header")
    }

    func testRecordingErrorsSayWhatToDo() throws {
        let input = try writeFixture(count: 1)
        let unwritable = folder.file("missing/folder/out.pcap")
        XCTAssertThrowsError(try CaptureSession(source: .file(path: input), recording: PcapRecordingOptions(path: unwritable))) { error in
            guard case let PcapError.cannotCreateRecording(path, message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(path, unwritable)
            XCTAssertEqual(message, "No such file or directory")
            XCTAssertEqual(String(describing: error),
                           "Cannot create the capture file \(unwritable): No such file or directory. Choose a folder that exists and that you can write to.")
        }
        XCTAssertThrowsError(try CaptureSession(source: .file(path: input), recording: PcapRecordingOptions(path: folder.file("x.pcap"), rotateBytes: 0))) { error in
            XCTAssertEqual(error as? PcapError, .invalidRotationSize(bytes: 0))
            XCTAssertTrue(String(describing: error).contains("turn rotation off"), "\(error)")
        }
        XCTAssertTrue(PcapError.recordingFailed(path: "/srv/a.pcap", message: "No space left on device").description.contains("Free some disk space"))
    }

    /// Live capture on `lo` into a file: only datagrams this test sends to a port it bound.
    func testLiveLoopbackRecordingOpensInTcpdump() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        let output = folder.file("loopback.pcap")
        let session: CaptureSession
        do {
            session = try CaptureSession(source: .live(LiveCaptureOptions(interface: "lo")), filter: "udp and dst port \(port)",
                                         recording: PcapRecordingOptions(path: output))
        } catch {
            if case .permissionDenied = error {
                throw XCTSkip("Live capture on lo is not permitted for this user (\(error)). Run the tests as root or grant CAP_NET_RAW.")
            }
            throw error
        }
        let traffic = TrafficAggregator()
        session.start()
        let datagrams = 20
        let sender = LoopbackSockets.UDPSender()
        for index in 0..<datagrams { sender.send(Array("datagram \(index)".utf8), to: port) }

        let deadline = monotonicNanoseconds() + 5_000_000_000
        while traffic.totals.packets < UInt64(datagrams) && monotonicNanoseconds() < deadline {
            if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(10_000) }
        }
        usleep(100_000)  // anything extra that would be a bug arrives now
        // While the capture still runs, an idle moment has flushed the file: it can be followed live.
        var countWhileRunning = 0
        let flushDeadline = monotonicNanoseconds() + 2_000_000_000
        repeat {
            countWhileRunning = try tcpdumpCount(output)
            if countWhileRunning == datagrams { break }
            usleep(50_000)
        } while monotonicNanoseconds() < flushDeadline
        XCTAssertEqual(countWhileRunning, datagrams, "the file is flushed while the capture is idle")
        XCTAssertFalse(session.isFinished)
        session.stop()
        session.ring.drain { traffic.ingest($0) }
        XCTAssertNil(session.error)
        XCTAssertEqual(traffic.totals.packets, UInt64(datagrams))
        XCTAssertEqual(session.statistics.recordedPackets, datagrams)
        XCTAssertEqual(try tcpdumpCount(output), datagrams)
        let recorded = try readBack(output)
        XCTAssertEqual(recorded.linkType, session.linkType, "the file carries the capture's own link type")
        XCTAssertEqual(recorded.packets.count, datagrams)
        XCTAssertEqual(recorded.packets.map { String(decoding: $0.1.dropFirst(14 + 20 + 8), as: UTF8.self) },
                       (0..<datagrams).map { "datagram \($0)" }, "every datagram's payload, in order")
    }
}
