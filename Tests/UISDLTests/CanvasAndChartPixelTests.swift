import UI
@testable import UISDL
import XCTest

/// Whole widgets through the software renderer: what the user would see on screen.
final class CanvasAndChartPixelTests: XCTestCase {
    override func tearDown() {
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    /// A canvas frame after a drag: the disc's pixels moved by exactly the drag.
    func testADraggedCanvasShowsItsContentMovedOnScreen() throws {
        let canvas = try OffscreenCanvas(width: 400, height: 300)
        defer { canvas.destroy() }
        let red = Color(hex: 0xFF0000)
        let area = Rect(x: 0, y: 0, width: 400, height: 300)
        let harness = UIHarness(size: Size(400, 300), measurer: canvas.measurer) { ui in
            ui.canvas("Map", contentBounds: Rect(x: -50, y: -50, width: 100, height: 100), rect: area, background: Color(hex: 0x000000)) { painter in
                painter.circle(center: Point(0, 0), radius: 10, fill: red, key: "router")
            }
        }
        harness.frame()
        let before = try XCTUnwrap(harness.item("Map/router")).rect.center
        canvas.render(harness.ui)
        XCTAssertEqual(canvas.color(x: Int32(before.x), y: Int32(before.y)), red)
        harness.drag(from: Point(20, 280), to: Point(20 + 61, 280 - 33))
        harness.frame()
        canvas.render(harness.ui)
        XCTAssertEqual(canvas.color(x: Int32(before.x + 61), y: Int32(before.y - 33)), red)
        XCTAssertEqual(canvas.color(x: Int32(before.x), y: Int32(before.y)), Color(hex: 0x000000))
    }

    /// One hour of spiky TCP with no "Other" traffic, stacked, in the dashboard's colours: not a
    /// single pixel of Other's grey inside the plot (it used to outline the whole stack).
    func testAnEmptyOtherBandLeavesNoGreyInTheStackedHourChart() throws {
        let canvas = try OffscreenCanvas(width: 900, height: 300)
        defer { canvas.destroy() }
        let theme = Theme.dark
        let tcp = (0..<3600).map { Double(($0 * 7919) % 97) }
        let names = ["TCP", "UDP", "ICMP", "ARP", "Other"]
        let chartRect = Rect(x: 0, y: 0, width: 900, height: 300)
        let harness = UIHarness(size: Size(900, 300), measurer: canvas.measurer, theme: theme) { ui in
            ui.timeChart("Hour", series: names.indices.map { ChartSeries(names[$0], color: theme.series[$0]) }, pointCount: 3600,
                         unit: .packetsPerSecond, stacked: true, rect: chartRect, timeLabel: { "t\($0)" }) { series, index in
                series == 0 ? tcp[index] : 0
            }
        }
        harness.frame()
        canvas.render(harness.ui)
        let grey = theme.series[4]
        var greyPixels = 0, tcpPixels = 0
        // The plot's inside, clear of the axis labels (left), the legend (top) and time labels.
        for y in Int32(60)..<Int32(250) {
            for x in Int32(120)..<Int32(880) {
                let color = canvas.color(x: x, y: y)
                if color == grey { greyPixels += 1 }
                if color == theme.series[0] { tcpPixels += 1 }
            }
        }
        XCTAssertGreaterThan(tcpPixels, 1000, "TCP's edge is drawn")
        XCTAssertEqual(greyPixels, 0, "no grey where Other is 0 pps")
    }
}
