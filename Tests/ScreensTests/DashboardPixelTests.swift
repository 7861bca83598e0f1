import Foundation
import Screens
import UI
import UISDL
import XCTest

/// The dashboard rendered by the real SDL software renderer into an offscreen surface, fed from
/// a capture file, checked pixel by pixel where the layout is known.
final class DashboardPixelTests: XCTestCase {
    func testDashboardFromACaptureFileRendersItsPanelsGraphAndBars() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-pixels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeDashboardFixture(in: directory)

        let canvas = try OffscreenCanvas(width: 1280, height: 800)
        defer { canvas.destroy() }
        let ui = UIContext(theme: .dark, measurer: canvas.measurer)
        ui.recordsItems = true
        let shell = AppShell(capture: CaptureController())
        shell.dashboard.openFile(path)
        while shell.capture.isCapturing || (shell.capture.session?.ring.count ?? 0) > 0 { if shell.capture.drain() == 0 { usleep(1000) } }
        for frame in 0..<2 {
            var input = InputSnapshot()
            input.time = Double(frame)
            ui.beginFrame(input: input, viewport: canvas.viewport)
            shell.build(ui)
            ui.endFrame()
        }
        canvas.render(ui)
        let theme = Theme.dark
        func item(_ suffix: String) throws -> Rect { try XCTUnwrap(ui.items.last { $0.path.hasSuffix(suffix) }?.rect, suffix) }

        // The window background, the Start button in the accent colour, a counter card.
        XCTAssertEqual(canvas.color(x: 1279, y: 799 - 30), theme.background)
        let start = try item("Dashboard/Start")
        XCTAssertEqual(canvas.color(x: Int32(start.x + 4), y: Int32(start.center.y)), theme.accent)
        let counter = try XCTUnwrap(ui.items.first { $0.kind == "counter" }).rect
        XCTAssertEqual(canvas.color(x: Int32(counter.maxX - 3), y: Int32(counter.maxY - 3)), theme.panel)

        // The stacked TCP band of the rate graph is drawn in the TCP series colour (blended).
        let chart = try item("Packet rate/Rate")
        let image = canvas.image()
        var tcpish = 0
        for y in Int(chart.y)..<Int(chart.maxY) {
            for x in Int(chart.x)..<Int(chart.maxX) {
                let color = image.color(x: x, y: y)
                if color.blue > 150 && color.red < 120 { tcpish += 1 }
            }
        }
        XCTAssertGreaterThan(tcpish, 500, "the TCP band should cover part of the graph")

        // Top-talker bars: the first bar starts at the same x as the others and is the longest.
        let bars = ui.items.filter { $0.kind == "bar" }
        XCTAssertGreaterThanOrEqual(bars.count, 5)
        let firstBar = bars[0].rect
        var accentRun = 0
        for x in Int(firstBar.x)..<Int(firstBar.maxX) where image.color(x: x, y: Int(firstBar.center.y)).blue > 200 { accentRun += 1 }
        XCTAssertGreaterThan(accentRun, 60)

        // The text of the counters is really rasterised (not just the boxes).
        var bright = 0
        for y in Int(counter.y)..<Int(counter.maxY) {
            for x in Int(counter.x)..<Int(counter.maxX) where image.color(x: x, y: y).red > 180 { bright += 1 }
        }
        XCTAssertGreaterThan(bright, 30)
        try canvas.savePNG(to: directory.appendingPathComponent("dashboard.png").path)
    }
}
