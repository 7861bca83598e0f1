import Capture
import Foundation
import NetScouterTestSupport
import Packets
import Screens
import UI
import XCTest

/// The window's read path (CaptureController draining a CaptureSession into the dashboard) on
/// damaged files and extreme timestamps: the banner says where reading stopped, the packets
/// before it are shown, and nothing traps.
final class HostileFileWindowTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-hostile-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func load(_ path: String) -> (AppShell, UIHarness) {
        let shell = AppShell(capture: CaptureController())
        shell.wallClock = { 1_700_000_010_000_000_000 }
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        XCTAssertTrue(shell.capture.start(.file(path: path), filter: nil), shell.capture.lastError ?? "")
        runUntilCaptureFinished(shell, harness)
        return (shell, harness)
    }

    func testTruncatedFileShowsItsPacketsAndABannerSayingWhereReadingStopped() throws {
        let path = try writeDashboardFixture(in: directory)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        let cut = directory.appendingPathComponent("cut.pcap").path
        try bytes.prefix(bytes.count / 2 + 7).write(to: URL(fileURLWithPath: cut))
        let (shell, harness) = load(cut)
        let session = try XCTUnwrap(shell.capture.session)
        XCTAssertTrue(session.isPartialFile)
        guard case let .fileReadStopped(_, packetsRead, _, _, _)? = session.error else { return XCTFail("\(String(describing: session.error))") }
        XCTAssertGreaterThan(packetsRead, 0)
        XCTAssertEqual(shell.capture.traffic.totals.packets, UInt64(packetsRead))
        let banner = harness.items.first { $0.kind == "error" }
        XCTAssertNotNil(banner)
        XCTAssertTrue(banner?.path.contains("stopped after \(packetsRead) packets") == true, banner?.path ?? "no banner")
    }

    func testExtremeTimestampsThroughTheWindow() throws {
        for path in try ExtremeTimestampFiles.write(into: directory) {
            let (shell, harness) = load(path)
            XCTAssertNil(shell.capture.lastError, path)
            XCTAssertGreaterThan(shell.capture.traffic.totals.packets, 0, path)
            // Every table draws the clamped times: flows, hosts, packets; and the rate graph's
            // hover label names a time (swept across the graph's width).
            for tab in 0..<3 {
                shell.dashboard.tableTab = tab
                harness.frames(2)
                XCTAssertFalse(harness.items.isEmpty)
            }
            for x in stride(from: Float(20), to: 1260, by: 40) {
                for y in stride(from: Float(120), to: 420, by: 60) { harness.moveMouse(to: Point(x, y)) }
            }
        }
    }
}
