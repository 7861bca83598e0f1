import Capture
import Foundation
import Screens
import Traffic
import UI
import UISDL
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Kiosk type is read from across a room: at 1920×1080 it scales with the screen (axis labels,
/// legend and top-talker addresses were 12 px before), and every panel has a title and the
/// current bit/s.
final class KioskScaleTests: XCTestCase {
    func testKioskTextAtFullHDIsAtLeast24PixelsAndPanelsShowTitleAndBitsPerSecond() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-kiosk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeDashboardFixture(in: directory)
        let capture = CaptureController()
        XCTAssertTrue(capture.start(.file(path: path), filter: nil))
        for _ in 0..<5000 where capture.isCapturing || (capture.session?.ring.count ?? 0) > 0 {
            if capture.drain() == 0 { usleep(1000) }
        }
        XCTAssertFalse(capture.isCapturing, "the file was read")

        let scale = KioskScreen.layoutScale(pixelWidth: 1920, pixelHeight: 1080)
        XCTAssertEqual(KioskScreen.layoutScale(pixelWidth: 1280, pixelHeight: 720), 4.0 / 3, accuracy: 1e-6, "it grows with the screen")
        XCTAssertEqual(KioskScreen.layoutScale(pixelWidth: 800, pixelHeight: 600), 1, "never smaller than the desktop's type")
        let canvas = try OffscreenCanvas(width: 1920, height: 1080, scale: scale)
        defer { canvas.destroy() }
        let kiosk = KioskScreen(capture: capture, rotateSeconds: 1)
        let harness = UIHarness(size: Size(canvas.viewport.width, canvas.viewport.height), measurer: canvas.measurer, frameTime: 0.5) { ui in kiosk.build(ui) }
        harness.ui.scale = scale

        let rates = capture.traffic.rates
        let latest = try XCTUnwrap(rates.latestSecond)
        let expectedBits = ChartUnit.bitsPerSecond.format(Double(rates.value(at: latest, metric: .bytes)) * 8)
        var texts: [(String, FontRole)] = []
        var titles: [String] = []
        for page in 0..<2 {
            harness.frame()
            XCTAssertEqual(kiosk.page, page)
            var pageTexts: [(String, FontRole)] = []
            for command in harness.ui.drawList.commands {
                if case let .text(text, _, _, role) = command { pageTexts.append((text, role)) }
            }
            texts += pageTexts
            let title = try XCTUnwrap(pageTexts.first { $0.0.hasPrefix("NetScouter") }?.0)
            titles.append(title)
            XCTAssertEqual(harness.value(of: .counter("Bit/s")), expectedBits, "page \(page) shows the current bit/s")
            XCTAssertTrue(harness.drawnTexts.contains(expectedBits), "and draws it")
            harness.frame()
        }
        XCTAssertEqual(titles[0], "NetScouter — dashboard.pcap · Packet rate", "a file by its name, then the panel")
        XCTAssertEqual(titles[1], "NetScouter — dashboard.pcap · Summary")
        XCTAssertNotEqual(expectedBits, ChartUnit.bitsPerSecond.format(0))

        // The small print a wall shows: the legend, the axis labels, the top talkers' addresses.
        XCTAssertTrue(texts.contains { $0.0 == "TCP" && $0.1 == .small }, "the legend is measured")
        XCTAssertTrue(texts.contains { $0.0.hasPrefix("192.168.1.") }, "the top talkers are measured")
        XCTAssertTrue(texts.contains { $0.0.contains(":") && $0.1 == .small }, "the time axis is measured")
        for (text, role) in texts {
            XCTAssertGreaterThanOrEqual(FontSet.pixelSize(role, scale: scale), 24, "\"\(text)\" (\(role)) is too small for a wall")
        }
    }
}
