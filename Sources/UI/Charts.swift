/// What a chart's values measure, for axis labels and the hover read-out.
public enum ChartUnit: Sendable {
    case packetsPerSecond
    case bitsPerSecond
    case bytes
    case count

    public func format(_ value: Double) -> String {
        switch self {
        case .packetsPerSecond: siPrefixed(value) + "pps"
        case .bitsPerSecond: siPrefixed(value) + "bit/s"
        // Byte counts use "KB" like the tables (`formatBytes`), not the SI "kB".
        case .bytes: siPrefixed(value).replacingFirstK() + "B"
        case .count: siPrefixed(value).trimmingSpace()
        }
    }
}

/// One line (or band, when stacked) of a time chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var color: Color
    public init(_ name: String, color: Color) {
        self.name = name
        self.color = color
    }
}

/// 1 234 → "1.2 k", 5 600 000 → "5.6 M"; small values keep one decimal.
public func siPrefixed(_ value: Double) -> String {
    let prefixes = ["", "k", "M", "G", "T"]
    var scaled = value
    var index = 0
    while abs(scaled) >= 1000 && index < prefixes.count - 1 { scaled /= 1000; index += 1 }
    let rounded = (scaled * 10).rounded() / 10
    let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    return text + " " + prefixes[index]
}

extension String {
    fileprivate func trimmingSpace() -> String { last == " " ? String(dropLast()) : self }
    fileprivate func replacingFirstK() -> String { last == "k" ? String(dropLast()) + "K" : self }
}

/// "Nice" axis ticks (1, 2, 2.5, 5 × 10ⁿ) from 0 to at least `maximum`.
public func niceTicks(maximum: Double, targetCount: Int = 4) -> [Double] {
    guard maximum > 0, maximum.isFinite else { return [0, 1] }
    let rough = maximum / Double(max(1, targetCount))
    var magnitude = 1.0
    while magnitude * 10 <= rough { magnitude *= 10 }
    while magnitude > rough { magnitude /= 10 }
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
    var ticks: [Double] = []
    var value = 0.0
    repeat {
        ticks.append(value)
        value += step
    } while ticks.last! < maximum - step * 1e-9
    return ticks
}

extension UIContext {
    /// A time chart of `pointCount` samples per series (oldest first), e.g. the packet-rate graph.
    ///
    /// `value(series, index)` reads samples straight from the caller's ring-shaped history, so
    /// nothing is copied. With more samples than pixels, each pixel column shows the maximum of
    /// its samples (spikes stay visible). `stacked` draws bands on top of each other; otherwise
    /// lines overlay. Hovering shows a crosshair with every series' value at that time;
    /// `timeLabel(index)` names a sample's time for the read-out and the x axis.
    ///
    /// `lastSampleIsPartial`: the newest sample is still being counted (the current second of a
    /// live capture). It is left out, rather than drawn as a dip that is not real.
    @discardableResult
    public func timeChart(_ label: String, series: [ChartSeries], pointCount fullCount: Int, unit: ChartUnit, stacked: Bool,
                          rect explicitRect: Rect? = nil, lastSampleIsPartial: Bool = false, timeLabel: (Int) -> String,
                          value: (_ series: Int, _ index: Int) -> Double) -> Interaction {
        let id = id(label)
        let rect = explicitRect ?? nextRect()
        guard itemAdd(rect, id: id, label: label, kind: "chart") else { return [] }
        let result = buttonBehavior(rect, id: id)
        draw(.fillRect(rect, theme.panel, cornerRadius: theme.cornerRadius))
        let pointCount = lastSampleIsPartial ? fullCount - 1 : fullCount
        guard pointCount > 1, !series.isEmpty else {
            drawText("Waiting for data…", in: rect, color: theme.mutedText, alignment: .center)
            return result
        }
        let smallLine = measurer.lineHeight(.small)
        let axisWidth: Float = max(78, textSize(unit.format(888.8e6), .small).width + 12)
        // A short chart gives up its legend, then its time labels, before the plot gets too
        // flat to read (`--scale 2` in a small window).
        let minimumPlot = Self.minimumPlotHeight(smallLine)
        var legendHeight = smallLine + 6
        var timeLabelHeight = smallLine + 10
        if rect.height - legendHeight - timeLabelHeight - 4 < minimumPlot { legendHeight = 0 }
        if rect.height - timeLabelHeight - 4 < minimumPlot { timeLabelHeight = 0 }
        let plot = Rect(x: rect.x + axisWidth, y: rect.y + legendHeight + 4 + (legendHeight == 0 ? smallLine / 2 : 0),
                        width: max(10, rect.width - axisWidth - theme.padding),
                        height: max(10, rect.height - legendHeight - timeLabelHeight - 4 - (legendHeight == 0 ? smallLine / 2 : 0)))
        let columns = max(2, min(pointCount, Int(plot.width)))

        // Downsample into pixel columns (max per column), cumulating when stacked.
        func sample(_ seriesIndex: Int, _ column: Int) -> Double {
            let start = column * pointCount / columns
            let end = max(start + 1, (column + 1) * pointCount / columns)
            var best = 0.0
            for index in start..<end { best = max(best, value(seriesIndex, index)) }
            return best
        }
        var tops = [[Double]](repeating: [Double](repeating: 0, count: columns), count: series.count)
        var peak = 0.0
        for column in 0..<columns {
            var running = 0.0
            for seriesIndex in series.indices {
                let sampleValue = sample(seriesIndex, column)
                running = stacked ? running + sampleValue : sampleValue
                tops[seriesIndex][column] = running
                peak = max(peak, running)
            }
        }
        // As many y labels as fit with a line of space between them.
        let ticks = niceTicks(maximum: peak, targetCount: max(1, min(4, Int(plot.height / (smallLine * 2)))))
        let axisMaximum = ticks.last ?? 1
        func y(_ value: Double) -> Float { plot.maxY - Float(value / axisMaximum) * plot.height }
        func x(_ column: Int) -> Float { plot.x + Float(column) * plot.width / Float(columns - 1) }

        // Grid and y-axis labels.
        for tick in ticks {
            let tickY = y(tick)
            draw(.line(from: Point(plot.x, tickY), to: Point(plot.maxX, tickY), theme.gridLine, thickness: 1))
            drawText(unit.format(tick), in: Rect(x: rect.x + 4, y: tickY - smallLine / 2, width: axisWidth - 10, height: smallLine),
                     color: theme.mutedText, role: .small, alignment: .right)
        }
        // X-axis labels: oldest, middle and newest, as many as fit side by side.
        if timeLabelHeight > 0 {
            let labels = [0.0, 0.5, 1.0].map { fraction -> (Float, String, Float) in
                let text = timeLabel(Int(Double(pointCount - 1) * fraction))
                return (Float(fraction), text, textSize(text, .small).width)
            }
            let gap: Float = 12
            let shown = labels.map(\.2).reduce(0, +) + 2 * gap <= plot.width ? labels
                : labels[0].2 + labels[2].2 + gap <= plot.width ? [labels[0], labels[2]] : [labels[2]]
            for (fraction, text, width) in shown {
                let labelX = max(rect.x, plot.x + fraction * plot.width - width * fraction)
                drawText(text, in: Rect(x: labelX, y: plot.maxY + 4, width: width + 2, height: smallLine), color: theme.mutedText, role: .small)
            }
        }

        // Series: bands when stacked (drawn bottom-up), lines otherwise.
        withClip(plot.insetBy(-1, -1)) {
            for seriesIndex in series.indices {
                let color = series[seriesIndex].color
                let start = appendPoints((0..<columns).map { Point(x($0), y(tops[seriesIndex][$0])) })
                if stacked {
                    let baseline = appendPoints((0..<columns).map { Point(x($0), seriesIndex == 0 ? plot.maxY : y(tops[seriesIndex - 1][$0])) })
                    draw(.area(start: start, baselineStart: baseline, count: columns, color.withAlpha(150)))
                    // A band's edge only where the band has thickness: an empty series drawn
                    // last would otherwise trace the whole stack's top in its colour.
                    let below = seriesIndex == 0 ? nil : tops[seriesIndex - 1]
                    func empty(_ column: Int) -> Bool { tops[seriesIndex][column] <= (below?[column] ?? 0) }
                    var runStart: Int?
                    for column in 0..<columns {
                        let segmentHasBand = column < columns - 1 && !(empty(column) && empty(column + 1))
                        if segmentHasBand, runStart == nil { runStart = column }
                        if !segmentHasBand, let first = runStart {
                            draw(.polyline(start: start + first, count: column - first + 1, color, thickness: 1.5))
                            runStart = nil
                        }
                    }
                } else {
                    draw(.polyline(start: start, count: columns, color, thickness: 1.5))
                }
            }
        }

        // Legend.
        var legendX = plot.x
        for item in series where legendHeight > 0 {
            draw(.fillRect(Rect(x: legendX, y: rect.y + 7, width: 10, height: 10), item.color, cornerRadius: 2))
            let width = textSize(item.name, .small).width
            drawText(item.name, in: Rect(x: legendX + 14, y: rect.y + 4, width: width + 2, height: legendHeight), color: theme.mutedText, role: .small)
            legendX += width + 30
        }

        // Hover: crosshair and the values under it.
        if result.contains(.hovered), plot.contains(input.mousePosition) {
            let column = min(columns - 1, max(0, Int(((input.mousePosition.x - plot.x) / plot.width * Float(columns - 1)).rounded())))
            let crossX = x(column)
            draw(.line(from: Point(crossX, plot.y), to: Point(crossX, plot.maxY), theme.text.withAlpha(140), thickness: 1))
            let index = min(pointCount - 1, column * pointCount / columns)
            var lines = [timeLabel(index)]
            var total = 0.0
            for seriesIndex in series.indices {
                let sampleValue = sample(seriesIndex, column)
                total += sampleValue
                lines.append("\(series[seriesIndex].name): \(unit.format(sampleValue))")
                draw(.circle(center: Point(crossX, y(tops[seriesIndex][column])), radius: 3, series[seriesIndex].color, filled: true))
            }
            if stacked { lines.append("Total: \(unit.format(total))") }
            showTooltip(lines.joined(separator: "\n"))
        }
        return result
    }

    /// The least plot height a time chart keeps before it drops its legend and time labels.
    static func minimumPlotHeight(_ smallLine: Float) -> Float { 4 * smallLine }

    /// The height a layout should give a time chart so it keeps its legend and time labels.
    public var timeChartMinimumHeight: Float {
        let smallLine = measurer.lineHeight(.small)
        return Self.minimumPlotHeight(smallLine) + 2 * smallLine + 20
    }

    /// Horizontal bars, largest first (top talkers). Returns the index of a clicked bar.
    /// `tooltip` gives the text shown while the bar at an index is hovered.
    @discardableResult
    public func barChart(_ label: String, items: [(label: String, value: Double)], unit: ChartUnit, color: Color? = nil,
                         rect explicitRect: Rect? = nil, tooltip: ((Int) -> String)? = nil) -> Int? {
        let rect = explicitRect ?? nextRect()
        let id = id(label)
        guard itemAdd(rect, id: id, label: label, kind: "barchart") else { return nil }
        draw(.fillRect(rect, theme.panel, cornerRadius: theme.cornerRadius))
        guard !items.isEmpty else {
            drawText("No hosts yet", in: rect, color: theme.mutedText, alignment: .center)
            return nil
        }
        let maximum = max(items.map(\.value).max() ?? 1, 1e-9)
        let barHeight = min(26, (rect.height - theme.padding) / Float(items.count))
        let labelWidth = min(rect.width * 0.42, 190)
        var clicked: Int?
        withID(label) {
            for (index, item) in items.enumerated() {
                let rowRect = Rect(x: rect.x + theme.padding / 2, y: rect.y + theme.padding / 2 + Float(index) * barHeight,
                                   width: rect.width - theme.padding, height: barHeight - 3)
                let rowID = self.id(item.label)
                itemAdd(rowRect, id: rowID, label: item.label, kind: "bar")
                let interaction = buttonBehavior(rowRect, id: rowID)
                if interaction.contains(.pressed) { clicked = index }
                if let tooltip, interaction.contains(.hovered) { showTooltip(tooltip(index)) }
                drawText(item.label, in: Rect(x: rowRect.x, y: rowRect.y, width: labelWidth - 6, height: rowRect.height),
                         color: theme.text, role: .small)
                let valueText = unit.format(item.value)
                let valueWidth = textSize(valueText, .small).width + 8
                let barSpace = rowRect.width - labelWidth - valueWidth
                let barRect = Rect(x: rowRect.x + labelWidth, y: rowRect.y + 3, width: max(2, barSpace * Float(item.value / maximum)), height: rowRect.height - 6)
                draw(.fillRect(barRect, (color ?? theme.accent).withAlpha(interaction.contains(.hovered) ? 255 : 200), cornerRadius: 2))
                drawText(valueText, in: Rect(x: barRect.maxX + 4, y: rowRect.y, width: valueWidth, height: rowRect.height), color: theme.mutedText, role: .small)
            }
        }
        return clicked
    }
}
