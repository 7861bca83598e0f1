import Capture
import Foundation
import Packets
import Screens
import Traffic
import UI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Top talkers follow the graph's 1 min / 5 min / 1 hour choice and its Bits/s toggle, and a
/// hovered bar says what it shows.
final class TopTalkersWindowTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-talkers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    /// 10.0.0.1 sends 100 large datagrams in seconds 0–99; 10.0.0.2 sends 60 small ones in
    /// seconds 300–359, the capture's last minute. Both to 10.0.0.100.
    private func writeFixture() throws -> String {
        let path = directory.appendingPathComponent("talkers.pcap").path
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        let start: Int64 = 1_699_999_200_000_000_000  // a whole minute and hour boundary
        let server = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 100), 9000)
        for second in 0..<100 {
            let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 5000), to: server, transport: .udp,
                                                payload: [UInt8](repeating: 1, count: 1000))
            try writer.write(frame, timestamp: start + Int64(second) * 1_000_000_000)
        }
        for second in 300..<360 {
            let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 2), 5000), to: server, transport: .udp,
                                                payload: [UInt8](repeating: 2, count: 100))
            try writer.write(frame, timestamp: start + Int64(second) * 1_000_000_000 + 500_000_000)
        }
        try writer.close()
        return path
    }

    func testTalkersFollowTheGraphWindowAndUnitAndHaveATooltip() throws {
        XCTAssertEqual(1_699_999_200 % 3600, 0, "the fixture starts on an hour boundary")
        let path = try writeFixture()
        let shell = AppShell(capture: CaptureController())
        let harness = UIHarness { ui in shell.build(ui) }
        shell.dashboard.openFile(path)
        XCTAssertTrue(runFrames(harness) { shell.capture.finishedReadingFile })
        let hosts = shell.capture.traffic.hosts
        let loud = try XCTUnwrap(hosts[IPAddress(10, 0, 0, 1)]), late = try XCTUnwrap(hosts[IPAddress(10, 0, 0, 2)])

        func bars() -> [String] {
            harness.items.filter { $0.kind == "bar" }.sorted { $0.rect.y < $1.rect.y }.map { String($0.path.split(separator: "/").last!) }
        }

        // 1 min, packets/s: 10.0.0.1 was quiet in the last minute, 10.0.0.2 sent one a second.
        shell.dashboard.graphWindow = .oneMinute
        shell.dashboard.showBits = false
        harness.frame()
        XCTAssertEqual(bars(), ["10.0.0.100", "10.0.0.2"])
        XCTAssertTrue(harness.drawnTexts.contains(ChartUnit.packetsPerSecond.format(1)), "60 packets over 60 s")

        // Bits/s: the same minute in bit/s (every byte 10.0.0.2 sent falls in it).
        shell.dashboard.showBits = true
        harness.frame()
        XCTAssertEqual(bars(), ["10.0.0.100", "10.0.0.2"])
        XCTAssertTrue(harness.drawnTexts.contains(ChartUnit.bitsPerSecond.format(Double(late.bytesSent) * 8 / 60)),
                      "\(harness.drawnTexts.filter { $0.hasSuffix("bit/s") })")

        // 1 hour: the capture's 360 s; 10.0.0.1's bigger datagrams put it above 10.0.0.2.
        shell.dashboard.graphWindow = .oneHour
        harness.frame()
        XCTAssertEqual(bars(), ["10.0.0.100", "10.0.0.1", "10.0.0.2"])
        XCTAssertTrue(harness.drawnTexts.contains(ChartUnit.bitsPerSecond.format(Double(loud.bytesSent) * 8 / 360)))
        // Packets/s over the hour rank 10.0.0.1 (100 packets) above 10.0.0.2 (60).
        shell.dashboard.showBits = false
        harness.frame()
        XCTAssertEqual(bars(), ["10.0.0.100", "10.0.0.1", "10.0.0.2"])

        // 5 min: both still talked in it.
        shell.dashboard.graphWindow = .fiveMinutes
        harness.frame()
        XCTAssertEqual(Set(bars()), ["10.0.0.100", "10.0.0.1", "10.0.0.2"])

        // A hovered bar explains itself.
        shell.dashboard.graphWindow = .oneMinute
        harness.frame()
        let bar = try XCTUnwrap(harness.items.first { $0.kind == "bar" && $0.path.hasSuffix("/10.0.0.2") })
        harness.moveMouse(to: bar.rect.center)
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains("10.0.0.2 · average over the last 1 min"), "\(harness.drawnTexts.filter { $0.contains("10.0.0.2") })")
        XCTAssertTrue(harness.drawnTexts.contains("Whole capture: \(formatBytes(late.bytesSent)) sent, \(formatBytes(late.bytesReceived)) received"))
    }

    /// The window estimate is exact on bucket boundaries and counts nothing from before the window.
    func testRecentTrafficWindows() {
        var recent = RecentTraffic()
        for second in Int64(0)..<120 { recent.add(bytes: 10, second: 1_800_000_000 + second) }
        let end = Int64(1_800_000_000 + 119)
        XCTAssertEqual(1_800_000_000 % 60, 0)
        XCTAssertEqual(recent.estimate(window: 60, now: end).packets, 60, "the last whole minute")
        XCTAssertEqual(recent.estimate(window: 60, now: end).bytes, 600)
        XCTAssertEqual(recent.estimate(window: 60, now: end + 60).packets, 0, "a quiet minute later")
        XCTAssertEqual(recent.estimate(window: 3600, now: end).packets, 120)
        XCTAssertEqual(recent.estimate(window: 60, now: end + 30).packets, 30, accuracy: 1e-9, "half of the last minute still inside")
    }
}
