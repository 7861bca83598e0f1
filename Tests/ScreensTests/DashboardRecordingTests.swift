import Capture
import Foundation
import NetScouterTestSupport
import Packets
import Screens
import Store
import UI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// "Save pcap" on the dashboard: a live capture on lo (traffic only to a port this test bound on
/// 127.0.0.1) is saved as a pcap file in the export folder, readable by libpcap.
final class DashboardRecordingTests: XCTestCase {
    func testSavePcapRecordsTheLiveCaptureToTheExportFolder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }

        let shell = AppShell(capture: CaptureController())
        shell.dashboard.exportDirectory = directory.path
        let harness = UIHarness { ui in shell.build(ui) }
        harness.frame()
        // The interfaces are read on a worker; wait for the answer.
        XCTAssertTrue(runFrames(harness) { shell.capture.devicesLoaded })
        guard let loopback = shell.capture.devices.firstIndex(where: { $0.name == "lo" }) else { throw XCTSkip("no lo interface") }
        shell.dashboard.interfaceIndex = loopback
        shell.dashboard.filterText = "udp port \(port)"
        harness.click("Dashboard/Save pcap")
        XCTAssertTrue(shell.dashboard.recordToPcap)
        harness.click("Dashboard/Start")
        // The interface opens on a worker; the session arrives through the inbox.
        XCTAssertTrue(runFrames(harness) { shell.capture.transition == nil })
        if let error = shell.capture.lastError {
            if error.contains("CAP_NET_RAW") { throw XCTSkip("Live capture is not permitted here: \(error)") }
            return XCTFail(error)
        }
        let sender = LoopbackSockets.UDPSender()
        for _ in 0..<12 { sender.send(Array("hello".utf8), to: port) }
        for _ in 0..<300 where shell.capture.traffic.totals.packets < 12 {
            harness.frame()
            usleep(5_000)
        }
        harness.click("Dashboard/Stop")
        XCTAssertTrue(runFrames(harness) { shell.capture.transition == nil }, "the capture thread is joined on a worker")
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains { $0.hasPrefix("Stopped capture on lo · 12 packets") },
                      "a stopped live capture is not a finished file: \(harness.drawnTexts.filter { $0.contains(" lo") })")
        XCTAssertEqual(shell.capture.traffic.totals.packets, 12)
        let files = try XCTUnwrap(shell.capture.session?.recordedFiles)
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(files[0].hasPrefix(directory.path + "/netscouter-lo-"), files[0])
        let handle = try PcapHandle.openFile(files[0])
        var saved = 0
        while case .packet = try handle.next() { saved += 1 }
        XCTAssertEqual(saved, 12)
    }
}

extension DashboardRecordingTests {
    /// The snap length from Settings is what a live capture started on the dashboard uses.
    func testLiveCaptureUsesTheSnapLengthFromSettings() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        let shell = AppShell(capture: CaptureController())
        var settings = Store.AppSettings.defaults
        settings.captureSnapLength = 96
        settings.captureInterface = "lo"
        shell.dashboard.apply(settings)
        let harness = UIHarness { ui in shell.build(ui) }
        harness.frame()
        // The interfaces are read on a worker; wait for the answer.
        XCTAssertTrue(runFrames(harness) { shell.capture.devicesLoaded })
        guard shell.capture.devices.contains(where: { $0.name == "lo" }) else { throw XCTSkip("no lo interface") }
        XCTAssertEqual(shell.capture.devices[shell.dashboard.interfaceIndex].name, "lo", "the default interface is preselected")
        shell.dashboard.filterText = "udp port \(port)"
        harness.click("Dashboard/Start")
        // The interface opens on a worker; the session arrives through the inbox.
        XCTAssertTrue(runFrames(harness) { shell.capture.transition == nil })
        if let error = shell.capture.lastError {
            if error.contains("CAP_NET_RAW") { throw XCTSkip("Live capture is not permitted here: \(error)") }
            return XCTFail(error)
        }
        LoopbackSockets.UDPSender().send([UInt8](repeating: 0x41, count: 400), to: port)
        for _ in 0..<300 where shell.capture.recentCount == 0 {
            harness.frame()
            usleep(5_000)
        }
        harness.click("Dashboard/Stop")
        XCTAssertTrue(runFrames(harness) { shell.capture.transition == nil })
        XCTAssertEqual(shell.capture.recentCount, 1)
        let packet = shell.capture.recentPacket(at: 0)
        XCTAssertEqual(packet.capturedLength, 96)
        XCTAssertEqual(packet.wireLength, 14 + 20 + 8 + 400)
        XCTAssertTrue(packet.flags.contains(.truncated))
    }
}
