import UI

/// NetScouter's icon, drawn with the same draw-list primitives as the UI: a dark rounded tile, a
/// radar sweep of concentric rings and a packet-rate trace. `netscouter icon` renders it to PNG
/// for the desktop entry, so the icon is reproducible from source at any size.
public enum AppIcon {
    public static func draw(into list: inout DrawList, size: Float) {
        let s = size
        let tile = Rect(x: 0, y: 0, width: s, height: s)
        list.append(.fillRect(tile, Color(hex: 0x15181D), cornerRadius: s * 0.18))
        list.append(.fillRect(tile.insetBy(s * 0.04, s * 0.04), Color(hex: 0x1C2430), cornerRadius: s * 0.15))
        let center = Point(s * 0.5, s * 0.54)
        let accent = Color(hex: 0x3D8BFD)
        for (index, radius) in [0.36, 0.25, 0.14].enumerated() {
            list.append(.circle(center: center, radius: s * Float(radius), accent.withAlpha(UInt8(90 + 50 * index)), filled: false))
        }
        // The sweep: a wedge of lines fading out behind the beam.
        for step in 0..<14 {
            let angle = Float(-0.9) - Float(step) * 0.045
            let end = Point(center.x + cosine(angle) * s * 0.36, center.y + sine(angle) * s * 0.36)
            list.append(.line(from: center, to: end, accent.withAlpha(UInt8(200 - step * 13)), thickness: max(1, s * 0.012)))
        }
        // A packet-rate trace across the lower half, in the UDP green.
        let trace: [(Float, Float)] = [(0.12, 0.78), (0.26, 0.74), (0.36, 0.80), (0.46, 0.58), (0.56, 0.70), (0.66, 0.50), (0.76, 0.66), (0.88, 0.60)]
        let start = list.appendPoints(trace.map { Point(s * $0.0, s * $0.1) })
        list.append(.polyline(start: start, count: trace.count, Color(hex: 0x3FB950), thickness: max(1.5, s * 0.028)))
        // Blips: hosts found.
        for (x, y) in [(0.66, 0.36), (0.36, 0.44), (0.6, 0.66)] as [(Float, Float)] {
            list.append(.circle(center: Point(s * x, s * y), radius: s * 0.03, Color(hex: 0xE6E9EF), filled: true))
        }
    }

    // Taylor series are plenty for an icon and keep UI free of Foundation.
    static func sine(_ x: Float) -> Float {
        var value = x
        while value > .pi { value -= 2 * .pi }
        while value < -.pi { value += 2 * .pi }
        let x2 = value * value
        return value * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))))
    }

    static func cosine(_ x: Float) -> Float { sine(x + .pi / 2) }
}
