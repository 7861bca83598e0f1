/// Which face and size text is drawn with; the backend maps roles to loaded fonts and multiplies
/// by the scale factor.
public enum FontRole: Int, Sendable, CaseIterable {
    case body = 0, small, heading, monospace, display
}

/// One flat drawing command. The UI core emits these; the SDL backend turns them into
/// `SDL_RenderGeometry` calls and text-texture blits; tests print them as text.
public enum DrawCommand: Equatable, Sendable {
    case fillRect(Rect, Color, cornerRadius: Float)
    case strokeRect(Rect, Color, thickness: Float)
    case line(from: Point, to: Point, Color, thickness: Float)
    /// Points `start..<start+count` of `DrawList.points`, joined in order.
    case polyline(start: Int, count: Int, Color, thickness: Float)
    /// The area between the polyline `start..<start+count` of `DrawList.points` and a matching
    /// baseline polyline `baselineStart..<baselineStart+count` (stacked area charts).
    case area(start: Int, baselineStart: Int, count: Int, Color)
    case circle(center: Point, radius: Float, Color, filled: Bool)
    /// A filled convex polygon: points `start..<start+count` of `DrawList.points`, in order
    /// around the outline (either direction).
    case polygon(start: Int, count: Int, Color)
    /// Part of a circle's outline, `thickness` wide and centred on the radius, from
    /// `startAngle` to `endAngle` (radians, clockwise on screen from the +x axis). A full turn
    /// draws a ring.
    case arc(center: Point, radius: Float, startAngle: Float, endAngle: Float, Color, thickness: Float)
    case text(String, at: Point, Color, FontRole)
    /// Text outlined by a one-pixel halo in `halo`, readable over any drawing (map labels).
    case haloText(String, at: Point, Color, halo: Color, FontRole)
    /// Restricts later commands to a rectangle; nil lifts the restriction.
    case clip(Rect?)
    /// Starts a layer: `rect` filled with the opaque `background`, then every command up to the
    /// matching `.endLayer`. A backend may keep the layer's pixels (inside `rect` and the current
    /// clip) and show them again instead of drawing its commands while `key` stays the same, so
    /// `key` must change whenever anything that changes those pixels does (content, transform,
    /// theme). `slot` names the layer (one cached picture per slot). Layers do not nest, and
    /// the commands inside must not change the clip. `scroll` is where the content sits: the
    /// same `key` with another `scroll` says the picture only moved by the difference (a pan),
    /// so a backend may move the kept pixels and draw only the uncovered strips. `zoom` is the
    /// content's scale: a content point `c` lies at `rect`'s corner + `scroll` + `c` × `zoom`.
    /// The same `key` with another `zoom` and `zoomSettled` false (a zoom in progress) lets a
    /// backend show the kept pixels scaled to the new zoom instead of drawing the commands; with
    /// `zoomSettled` true the layer is drawn afresh at the new zoom.
    case beginLayer(slot: UInt64, key: UInt64, rect: Rect, background: Color, scroll: Point = Point(0, 0), zoom: Float = 1,
                    zoomSettled: Bool = true)
    /// Ends the layer begun by `.beginLayer`.
    case endLayer
}

/// The frame's drawing, in painter's order. Points for polylines and areas live in one shared
/// array so a chart adds no per-series allocations.
public struct DrawList: Sendable {
    public private(set) var commands: [DrawCommand] = []
    public private(set) var points: [Point] = []

    public init() {}

    public mutating func removeAll() {
        commands.removeAll(keepingCapacity: true)
        points.removeAll(keepingCapacity: true)
    }

    public mutating func append(_ command: DrawCommand) { commands.append(command) }

    /// Stores points and returns the index of the first one.
    public mutating func appendPoints<S: Sequence>(_ newPoints: S) -> Int where S.Element == Point {
        let start = points.count
        points.append(contentsOf: newPoints)
        return start
    }

    public mutating func appendPoint(_ point: Point) { points.append(point) }
    public var pointCount: Int { points.count }

    /// A stable text rendering of the commands, for golden snapshot tests.
    public func snapshot() -> String {
        func f(_ value: Float) -> String {
            let tenths = Int((value * 10).rounded())
            return tenths % 10 == 0 ? String(tenths / 10) : String(Double(tenths) / 10)
        }
        func p(_ point: Point) -> String { "\(f(point.x)),\(f(point.y))" }
        func r(_ rect: Rect) -> String { "\(f(rect.x)),\(f(rect.y)) \(f(rect.width))x\(f(rect.height))" }
        return commands.map { command in
            switch command {
            case let .fillRect(rect, color, radius):
                "fill \(r(rect)) \(color.hexString)" + (radius > 0 ? " r\(f(radius))" : "")
            case let .strokeRect(rect, color, thickness): "stroke \(r(rect)) \(color.hexString) w\(f(thickness))"
            case let .line(from, to, color, thickness): "line \(p(from)) \(p(to)) \(color.hexString) w\(f(thickness))"
            case let .polyline(start, count, color, thickness):
                "polyline [\(points[start..<start + count].map(p).joined(separator: " "))] \(color.hexString) w\(f(thickness))"
            case let .area(start, baseline, count, color):
                "area [\(points[start..<start + count].map(p).joined(separator: " "))] over [\(points[baseline..<baseline + count].map(p).joined(separator: " "))] \(color.hexString)"
            case let .circle(center, radius, color, filled): "circle \(p(center)) r\(f(radius)) \(color.hexString)\(filled ? " filled" : "")"
            case let .polygon(start, count, color):
                "polygon [\(points[start..<start + count].map(p).joined(separator: " "))] \(color.hexString)"
            case let .arc(center, radius, startAngle, endAngle, color, thickness):
                "arc \(p(center)) r\(f(radius)) \(f(startAngle))…\(f(endAngle)) \(color.hexString) w\(f(thickness))"
            case let .text(text, point, color, role): "text \"\(text)\" \(p(point)) \(color.hexString) \(role)"
            case let .haloText(text, point, color, halo, role): "text \"\(text)\" \(p(point)) \(color.hexString) halo \(halo.hexString) \(role)"
            case let .clip(rect): rect.map { "clip \(r($0))" } ?? "clip off"
            case let .beginLayer(slot, key, rect, background, scroll, zoom, zoomSettled):
                "layer \(slot) key \(String(key, radix: 16)) \(r(rect)) \(background.hexString) scroll \(p(scroll))"
                    + (zoom != 1 || !zoomSettled ? " zoom \(zoom)\(zoomSettled ? "" : " settling")" : "")
            case .endLayer: "end layer"
            }
        }.joined(separator: "\n")
    }
}
