@testable import UI
import XCTest

final class ChartTests: XCTestCase {
    func testNiceTicksAndUnits() {
        XCTAssertEqual(niceTicks(maximum: 87), [0, 25, 50, 75, 100])
        XCTAssertEqual(niceTicks(maximum: 1000), [0, 250, 500, 750, 1000])
        XCTAssertEqual(niceTicks(maximum: 3.2), [0, 1, 2, 3, 4])
        XCTAssertEqual(niceTicks(maximum: 0), [0, 1])
        XCTAssertEqual(ChartUnit.bitsPerSecond.format(12_500_000), "12.5 Mbit/s")
        XCTAssertEqual(ChartUnit.packetsPerSecond.format(950), "950 pps")
        XCTAssertEqual(ChartUnit.packetsPerSecond.format(1250), "1.3 kpps")
        XCTAssertEqual(ChartUnit.count.format(2000), "2 k")
    }

    func testStackedChartStacksAndHoverReadsValues() {
        let tcp: [Double] = [10, 20, 30, 40]
        let udp: [Double] = [5, 5, 5, 5]
        let harness = UIHarness(size: Size(500, 300)) { ui in
            ui.timeChart("Rate", series: [ChartSeries("TCP", color: Color(hex: 0xFF0000)), ChartSeries("UDP", color: Color(hex: 0x00FF00))],
                         pointCount: 4, unit: .packetsPerSecond, stacked: true, rect: Rect(x: 0, y: 0, width: 500, height: 300),
                         timeLabel: { "t\($0)" }) { series, index in series == 0 ? tcp[index] : udp[index] }
        }
        harness.frame()
        let areas = harness.ui.drawList.commands.filter { if case .area = $0 { return true }; return false }
        XCTAssertEqual(areas.count, 2)
        // The top of the stack at the last point is 45; the axis goes to the next nice tick (60).
        let texts = harness.ui.drawList.commands.compactMap { command -> String? in
            if case let .text(text, _, _, _) = command { return text }
            return nil
        }
        XCTAssertTrue(texts.contains("60 pps"), "\(texts)")
        let chart = harness.item("Rate")!.rect
        harness.moveMouse(to: Point(chart.maxX - 10, chart.center.y))
        harness.frame()
        let tooltip = harness.ui.drawList.commands.compactMap { command -> String? in
            if case let .text(text, _, _, _) = command { return text }
            return nil
        }
        XCTAssertTrue(tooltip.contains("TCP: 40 pps"), "\(tooltip)")
        XCTAssertTrue(tooltip.contains("Total: 45 pps"), "\(tooltip)")
        XCTAssertTrue(tooltip.contains("t3"))
    }

    func testLongSeriesIsDownsampledToPixelsKeepingPeaks() {
        var values = [Double](repeating: 1, count: 3600)
        values[1234] = 999
        let harness = UIHarness(size: Size(400, 200)) { ui in
            ui.timeChart("Hour", series: [ChartSeries("All", color: Color(hex: 0xFFFFFF))], pointCount: 3600, unit: .count, stacked: false,
                         rect: Rect(x: 0, y: 0, width: 400, height: 200), timeLabel: { "\($0)" }) { _, index in values[index] }
        }
        harness.frame()
        guard case let .polyline(_, count, _, _)? = harness.ui.drawList.commands.first(where: { if case .polyline = $0 { return true }; return false }) else {
            return XCTFail("no polyline")
        }
        XCTAssertLessThanOrEqual(count, 400, "never more points than pixels")
        let texts = harness.ui.drawList.commands.compactMap { command -> String? in
            if case let .text(text, _, _, _) = command { return text }
            return nil
        }
        XCTAssertTrue(texts.contains("1 k"), "the spike sets the axis: \(texts)")
    }
}

/// Golden snapshots of the draw list as text: a change to how widgets draw shows up as a diff.
final class DrawListSnapshotTests: XCTestCase {
    func testButtonAndCheckboxSnapshot() {
        var on = true
        let harness = UIHarness(size: Size(300, 100)) { ui in
            ui.row([.fixed(120), .fixed(140)])
            ui.button("Start capture", style: .primary)
            ui.checkbox("Promiscuous", isOn: &on)
        }
        harness.frame()
        let expected = """
            fill 8,8 120x26 #3d8bfd r4
            text "Start capture" 23,14 #ffffff body
            fill 134,12 18x18 #3d8bfd r3
            polyline [138,21.4 141.6,25 148,17] #ffffff w2
            text "Promiscuous" 158,14 #e6e9ef body
            clip off
            """
        XCTAssertEqual(harness.ui.drawList.snapshot(), expected)
    }

    func testProgressAndStatusBarSnapshot() {
        let harness = UIHarness(size: Size(300, 100)) { ui in
            ui.row([.fixed(200)], height: .fixed(16))
            ui.progressBar(0.25)
            ui.statusBar(Rect(x: 0, y: 76, width: 300, height: 24), left: "Capturing on lo", right: "0 drops")
        }
        harness.frame()
        let expected = """
            fill 8,8 200x16 #2a303a r4
            fill 8,8 50x16 #3d8bfd r4
            text "25 %" 96,10 #e6e9ef small
            fill 0,76 300x24 #232831
            line 0,76 300,76 #2c323c w1
            text "Capturing on lo" 8,82 #8e96a3 small
            text "0 drops" 250,82 #8e96a3 small
            clip off
            """
        XCTAssertEqual(harness.ui.drawList.snapshot(), expected)
    }
}
