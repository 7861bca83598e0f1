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

/// Defects of the rate graph seen in the window: the dip at the live edge, a grey band that is
/// not there, and axis labels piled on each other in a short chart (`--scale 2`).
final class ChartDefectTests: XCTestCase {
    private func polylines(_ ui: UIContext) -> [(color: Color, points: [Point])] {
        ui.drawList.commands.compactMap { command in
            guard case let .polyline(start, count, color, _) = command else { return nil }
            return (color, Array(ui.drawList.points[start..<start + count]))
        }
    }

    private func texts(_ ui: UIContext) -> [(text: String, at: Point)] {
        ui.drawList.commands.compactMap { command in
            guard case let .text(text, point, _, _) = command else { return nil }
            return (text, point)
        }
    }

    func testTheLiveEdgeLeavesOutTheSecondStillBeingCounted() throws {
        // A steady 40 pps; the current second has only counted 3 packets so far.
        let values: [Double] = [40, 40, 40, 40, 3]
        var partial = true
        let harness = UIHarness(size: Size(600, 300)) { ui in
            ui.timeChart("Rate", series: [ChartSeries("TCP", color: Color(hex: 0xFF0000))], pointCount: values.count, unit: .packetsPerSecond,
                         stacked: false, rect: Rect(x: 0, y: 0, width: 600, height: 300), lastSampleIsPartial: partial,
                         timeLabel: { "t\($0)" }) { _, index in values[index] }
        }
        harness.frame()
        let line = try XCTUnwrap(polylines(harness.ui).first).points
        XCTAssertEqual(line.count, 4, "the partial second is not drawn")
        XCTAssertEqual(Set(line.map(\.y)).count, 1, "no dip at the right edge: \(line)")
        XCTAssertTrue(texts(harness.ui).contains { $0.text == "t3" }, "the axis ends at the last complete second")
        XCTAssertFalse(texts(harness.ui).contains { $0.text == "t4" })

        partial = false  // a finished file: its last second is complete
        harness.frame()
        let full = try XCTUnwrap(polylines(harness.ui).first).points
        XCTAssertEqual(full.count, 5)
        XCTAssertGreaterThan(full[4].y, full[3].y, "drawn as it is")
    }

    /// One hour of spiky TCP with no "Other" traffic: the stacked chart must not outline the
    /// stack's top in Other's colour (it looked like a grey band where hovering says 0 pps).
    func testAnEmptyStackedBandDrawsNoEdge() throws {
        let grey = Color(hex: 0x7F7F7F)
        let tcp = (0..<3600).map { Double(($0 * 7919) % 97) }
        let other = (0..<3600).map { $0 >= 3000 && $0 < 3100 ? 5.0 : 0 }
        let harness = UIHarness(size: Size(900, 300)) { ui in
            ui.timeChart("Hour", series: [ChartSeries("TCP", color: Color(hex: 0x3D8BFD)), ChartSeries("Other", color: grey)],
                         pointCount: 3600, unit: .packetsPerSecond, stacked: true, rect: Rect(x: 0, y: 0, width: 900, height: 300),
                         timeLabel: { "t\($0)" }) { series, index in series == 0 ? tcp[index] : other[index] }
        }
        harness.frame()
        let greyLines = polylines(harness.ui).filter { $0.color == grey }
        let plotLeft = try XCTUnwrap(polylines(harness.ui).first { $0.color != grey }).points.first!.x
        let plotRight = try XCTUnwrap(polylines(harness.ui).first { $0.color != grey }).points.last!.x
        let secondWidth = (plotRight - plotLeft) / 3599
        XCTAssertFalse(greyLines.isEmpty, "Other has traffic from second 3000 to 3099")
        for line in greyLines {
            for point in line.points {
                let second = (point.x - plotLeft) / secondWidth
                XCTAssertTrue(second > 2990 && second < 3110, "Other's edge only next to its traffic, not at second \(second)")
            }
        }
        // Hovering where Other is empty reads 0 for it.
        harness.moveMouse(to: Point(plotLeft + 100 * secondWidth, 150))
        XCTAssertTrue(texts(harness.ui).contains { $0.text == "Other: 0 pps" })
    }

    /// Short and narrow charts (a `--scale 2` window): y labels at least a line apart, time
    /// labels side by side without overlapping, and a plot that stays readable.
    func testLabelsNeverOverlapInShortOrNarrowCharts() {
        let measurer = FixedWidthTextMeasurer()
        let line = measurer.lineHeight(.small)
        for (width, height) in [(Float(640), Float(60)), (260, 90), (400, 110), (300, 150), (900, 320)] {
            let values = (0..<300).map { Double($0 % 50) * 1000 }
            let rect = Rect(x: 0, y: 0, width: width, height: height)
            let harness = UIHarness(size: Size(1000, 400), measurer: measurer) { ui in
                ui.timeChart("Rate", series: [ChartSeries("TCP", color: Color(hex: 0x3D8BFD)), ChartSeries("UDP", color: Color(hex: 0x3FB950))],
                             pointCount: values.count, unit: .packetsPerSecond, stacked: true, rect: rect,
                             timeLabel: { "12:\(10 + $0 / 60):\(10 + $0 % 50) UTC" }) { _, index in values[index] }
            }
            harness.frame()
            let all = texts(harness.ui)
            let yLabels = all.filter { $0.text.hasSuffix("pps") }.map(\.at.y).sorted()
            XCTAssertGreaterThanOrEqual(yLabels.count, 2, "\(width)×\(height)")
            for (upper, lower) in zip(yLabels, yLabels.dropFirst()) {
                XCTAssertGreaterThanOrEqual(lower - upper, line, "y labels overlap in \(width)×\(height): \(yLabels)")
            }
            let timeLabels = all.filter { $0.text.hasSuffix("UTC") }.map { ($0.at.x, $0.at.x + measurer.size(of: $0.text, role: .small).width) }.sorted { $0.0 < $1.0 }
            for (left, right) in zip(timeLabels, timeLabels.dropFirst()) {
                XCTAssertLessThanOrEqual(left.1, right.0, "time labels overlap in \(width)×\(height)")
            }
            for label in timeLabels { XCTAssertLessThanOrEqual(label.1, width + 2, "inside the chart") }
            let plotHeight = polylines(harness.ui).flatMap(\.points).map(\.y)
            if height >= harness.ui.timeChartMinimumHeight {
                XCTAssertFalse(timeLabels.isEmpty, "a chart of the minimum height keeps its time labels")
            }
            XCTAssertGreaterThanOrEqual((plotHeight.max() ?? 0) - (plotHeight.min() ?? 0), min(height - 30, 4 * line) - 1,
                                        "the plot keeps its height in \(width)×\(height)")
        }
    }
}

final class CanvasCommandSnapshotTests: XCTestCase {
    func testNewCommandsPrintInTheSnapshot() {
        var list = DrawList()
        let start = list.appendPoints([Point(0, 0), Point(10, 0), Point(5, 8.25)])
        list.append(.polygon(start: start, count: 3, Color(hex: 0xFF0000)))
        list.append(.arc(center: Point(50, 50), radius: 20, startAngle: 0, endAngle: 1.5, Color(hex: 0x00FF00, alpha: 128), thickness: 3))
        list.append(.haloText("cam", at: Point(4, 5), Color(hex: 0xFFFFFF), halo: Color(hex: 0), .small))
        XCTAssertEqual(list.snapshot(), """
        polygon [0,0 10,0 5,8.3] #ff0000
        arc 50,50 r20 0…1.5 #00ff00/128 w3
        text "cam" 4,5 #ffffff halo #000000 small
        """)
    }

    /// Overlay commands that refer to points keep pointing at their own points after the
    /// overlay is merged behind the base layer.
    func testOverlayPolygonsSurviveTheMerge() {
        let harness = UIHarness(size: Size(300, 200)) { ui in
            ui.draw(.fillRect(Rect(x: 0, y: 0, width: 10, height: 10), Color(hex: 0x111111), cornerRadius: 0))
            _ = ui.appendPoints([Point(1, 1), Point(2, 2)])
            ui.onOverlay(blocking: nil) {
                let start = ui.appendPoints([Point(100, 100), Point(120, 100), Point(110, 120)])
                ui.draw(.polygon(start: start, count: 3, Color(hex: 0xABCDEF)))
            }
        }
        harness.frame()
        XCTAssertTrue(harness.ui.drawList.snapshot().contains("polygon [100,100 120,100 110,120] #abcdef"))
    }
}
