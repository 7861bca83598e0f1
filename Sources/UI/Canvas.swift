import Glibc

/// Where a canvas's world is on screen: `screen = canvas origin + offset + world × zoom`.
/// The offset is relative to the canvas rectangle, so moving the canvas moves its content along.
public struct CanvasTransform: Equatable, Sendable {
    /// Screen pixels per world unit.
    public var zoom: Float
    /// Where the world's origin is, relative to the canvas rectangle's top-left corner.
    public var offset: Point

    public init(zoom: Float = 1, offset: Point = .zero) {
        self.zoom = zoom
        self.offset = offset
    }

    public func toScreen(_ world: Point, in rect: Rect) -> Point {
        Point(rect.x + offset.x + world.x * zoom, rect.y + offset.y + world.y * zoom)
    }

    public func toWorld(_ screen: Point, in rect: Rect) -> Point {
        Point((screen.x - rect.x - offset.x) / zoom, (screen.y - rect.y - offset.y) / zoom)
    }

    /// The transform that shows `content` centred in `rect` with a margin, within `limits`.
    public static func fitting(_ content: Rect, in rect: Rect, limits: ClosedRange<Float>, margin: Float = 24) -> CanvasTransform {
        let width = max(1, rect.width - 2 * margin), height = max(1, rect.height - 2 * margin)
        let raw = min(width / max(content.width, 1e-6), height / max(content.height, 1e-6))
        let zoom = min(max(raw, limits.lowerBound), limits.upperBound)
        let center = content.center
        return CanvasTransform(zoom: zoom, offset: Point(rect.width / 2 - center.x * zoom, rect.height / 2 - center.y * zoom))
    }
}

/// The area a hit target covers, in world coordinates.
public enum CanvasShape: Sendable {
    case circle(center: Point, radius: Float)
    case rect(Rect)
    /// Any simple polygon (even-odd rule).
    case polygon([Point])

    func contains(_ point: Point) -> Bool {
        switch self {
        case let .circle(center, radius):
            let dx = point.x - center.x, dy = point.y - center.y
            return dx * dx + dy * dy <= radius * radius
        case let .rect(rect):
            return point.x >= rect.minX && point.x <= rect.maxX && point.y >= rect.minY && point.y <= rect.maxY
        case let .polygon(points):
            guard points.count >= 3 else { return false }
            var inside = false
            var j = points.count - 1
            for i in points.indices {
                let a = points[i], b = points[j]
                if (a.y > point.y) != (b.y > point.y), point.x < (b.x - a.x) * (point.y - a.y) / (b.y - a.y) + a.x {
                    inside.toggle()
                }
                j = i
            }
            return inside
        }
    }

    /// World-space bounding box.
    var bounds: Rect {
        switch self {
        case let .circle(center, radius): return Rect(x: center.x - radius, y: center.y - radius, width: 2 * radius, height: 2 * radius)
        case let .rect(rect): return rect
        case let .polygon(points):
            guard let first = points.first else { return .zero }
            var minX = first.x, minY = first.y, maxX = first.x, maxY = first.y
            for point in points {
                minX = min(minX, point.x); maxX = max(maxX, point.x)
                minY = min(minY, point.y); maxY = max(maxY, point.y)
            }
            return Rect(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
        }
    }
}

struct CanvasState: PersistentWidgetState {
    var transform = CanvasTransform()
    /// Fit to the content on the next frame that knows it (the first, and after "Fit").
    var needsFit = true
    var pressPosition: Point?
    var dragged = false
    var hoveredKey: String?
    /// When the wheel last changed the zoom (input time), while that is under
    /// `CanvasPainter.zoomSettleSeconds` ago.
    var zoomChangedAt: Double?
}

/// What a canvas reports after a frame.
public struct CanvasResult: Sendable {
    public var interaction: Interaction
    /// The topmost item under the mouse (none while panning).
    public var hoveredItem: String?
    /// The item clicked this frame: pressed and released on it without dragging.
    public var clickedItem: String?
    /// The transform the frame was drawn with.
    public var transform: CanvasTransform
    /// The mouse in world coordinates (nil when it is outside the canvas).
    public var mouseWorld: Point?
}

/// Draws into a canvas in world coordinates and registers hit targets. Handed to the body of
/// `UIContext.canvas`; valid only during it.
public final class CanvasPainter {
    public let ui: UIContext
    /// The canvas's rectangle on screen.
    public let rect: Rect
    public let transform: CanvasTransform
    /// The item under the mouse in the previous frame, for hover highlights while drawing.
    public let hoveredKey: String?
    /// False while the wheel is zooming (its last step under `zoomSettleSeconds` ago): a drawing
    /// kept as a layer may then be shown scaled rather than drawn afresh every step.
    public let zoomSettled: Bool
    /// How long the zoom must stay unchanged to count as settled: longer than the gap between
    /// the steps of one turn of the wheel, short enough that the crisp drawing follows at once.
    public static let zoomSettleSeconds = 0.15
    let canvasID: WidgetID
    var targets: [(key: String, shape: CanvasShape)] = []

    init(ui: UIContext, rect: Rect, transform: CanvasTransform, hoveredKey: String?, zoomSettled: Bool = true, canvasID: WidgetID) {
        self.ui = ui
        self.rect = rect
        self.transform = transform
        self.hoveredKey = hoveredKey
        self.zoomSettled = zoomSettled
        self.canvasID = canvasID
    }

    public var zoom: Float { transform.zoom }
    public func toScreen(_ world: Point) -> Point { transform.toScreen(world, in: rect) }
    public func toWorld(_ screen: Point) -> Point { transform.toWorld(screen, in: rect) }

    /// The part of the world inside the canvas (for culling).
    public var visibleWorld: Rect {
        let topLeft = toWorld(Point(rect.x, rect.y)), bottomRight = toWorld(Point(rect.maxX, rect.maxY))
        return Rect(x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y)
    }

    /// Makes `shape` clickable and hoverable as `key`; later targets lie on top of earlier ones.
    /// The harness sees it as an item "canvas label/key" at its screen bounding box.
    public func hitTarget(_ key: String, _ shape: CanvasShape) {
        targets.append((key, shape))
        guard ui.recordsItems else { return }
        let bounds = shape.bounds
        let a = toScreen(Point(bounds.minX, bounds.minY)), b = toScreen(Point(bounds.maxX, bounds.maxY))
        ui.itemAdd(Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y), id: ui.childID(of: canvasID, key), label: key,
                   kind: "canvas item", role: .canvasItem(key))
    }

    // MARK: Drawing (world coordinates; widths and text sizes in screen pixels)

    /// A filled convex polygon; `key` makes it a hit target.
    public func polygon(_ points: [Point], fill color: Color, key: String? = nil) {
        guard points.count >= 3 else { return }
        let start = ui.appendPoints(points.lazy.map { self.toScreen($0) })
        ui.draw(.polygon(start: start, count: points.count, color))
        if let key { hitTarget(key, .polygon(points)) }
    }

    /// A filled disc of world radius `radius`, at least `minimumPixels` across on screen.
    public func circle(center: Point, radius: Float, fill color: Color, minimumPixels: Float = 0, key: String? = nil) {
        let screenRadius = max(radius * zoom, minimumPixels / 2)
        ui.draw(.circle(center: toScreen(center), radius: screenRadius, color, filled: true))
        if let key { hitTarget(key, .circle(center: center, radius: screenRadius / zoom)) }
    }

    /// A circle's outline, `width` screen pixels wide.
    public func ring(center: Point, radius: Float, color: Color, width: Float = 1) {
        arc(center: center, radius: radius, from: 0, to: 2 * .pi, color: color, width: width)
    }

    /// Part of a circle's outline from `startAngle` to `endAngle` (radians, clockwise on screen).
    public func arc(center: Point, radius: Float, from startAngle: Float, to endAngle: Float, color: Color, width: Float = 1) {
        ui.draw(.arc(center: toScreen(center), radius: radius * zoom, startAngle: startAngle, endAngle: endAngle, color, thickness: width))
    }

    /// A straight line `width` screen pixels wide.
    public func line(from: Point, to: Point, color: Color, width: Float = 1) {
        ui.draw(.line(from: toScreen(from), to: toScreen(to), color, thickness: width))
    }

    /// Joined line segments `width` screen pixels wide.
    public func polyline(_ points: [Point], color: Color, width: Float = 1) {
        guard points.count >= 2 else { return }
        let start = ui.appendPoints(points.lazy.map { self.toScreen($0) })
        ui.draw(.polyline(start: start, count: points.count, color, thickness: width))
    }

    /// Text centred on a world point, with a halo so it reads over lines and shapes. Its size
    /// stays the same at every zoom.
    public func text(_ text: String, at world: Point, color: Color? = nil, halo: Color? = nil, role: FontRole = .small) {
        guard !text.isEmpty else { return }
        let size = ui.textSize(text, role)
        let center = toScreen(world)
        let origin = Point((center.x - size.width / 2).rounded(), (center.y - size.height / 2).rounded())
        ui.draw(.haloText(text, at: origin, color ?? ui.theme.text, halo: halo ?? ui.theme.background, role))
    }
}

extension UIContext {
    /// A pannable, zoomable drawing (the IoT map). Drag to pan, the wheel zooms about the
    /// cursor within `zoomLimits`, "Fit" (and a double click on empty space) shows all of
    /// `contentBounds`; the first frame fits too. `body` draws in world coordinates and
    /// registers hit targets; the result says which one the mouse is over and which was clicked.
    @discardableResult
    public func canvas(_ label: String, contentBounds: Rect?, zoomLimits: ClosedRange<Float> = 0.05...20, rect explicitRect: Rect? = nil,
                       background: Color? = nil, _ body: (CanvasPainter) -> Void) -> CanvasResult {
        let id = id(label)
        let rect = explicitRect ?? nextRect()
        var state = self.state(id, default: CanvasState())
        var result = CanvasResult(interaction: [], transform: state.transform)
        guard itemAdd(rect, id: id, label: label, kind: "canvas") else {
            setState(id, state)
            return result
        }
        // "Fit" first, so a press on it does not start a pan underneath.
        let fitRect = Rect(x: rect.maxX - 52, y: rect.y + 6, width: 46, height: 24)
        let fitID = childID(of: id, "Fit")
        let fit = withID(label) { () -> Interaction in
            itemAdd(fitRect, id: fitID, label: "Fit", kind: "button")
            return buttonBehavior(fitRect, id: fitID)
        }
        let fitPressed = fit.contains(.pressed)
        let interaction = buttonBehavior(rect, id: id)
        result.interaction = interaction
        let mouse = input.mousePosition
        let mouseInside = rect.contains(mouse)

        if let contentBounds, state.needsFit || fitPressed {
            state.transform = .fitting(contentBounds, in: rect, limits: zoomLimits)
            state.needsFit = false
        }
        state.transform.zoom = min(max(state.transform.zoom, zoomLimits.lowerBound), zoomLimits.upperBound)

        // Pan: the content follows the mouse while the button is held.
        if isActive(id) {
            if input.mousePressed[0] {
                state.pressPosition = mouse
                state.dragged = false
            } else if input.mouseDelta != .zero {
                state.transform.offset.x += input.mouseDelta.x
                state.transform.offset.y += input.mouseDelta.y
                if let press = state.pressPosition, abs(mouse.x - press.x) + abs(mouse.y - press.y) > 3 { state.dragged = true }
            }
        }
        // Zoom about the cursor: the world point under it stays put.
        if interaction.contains(.hovered), input.wheel.y != 0 {
            let anchor = state.transform.toWorld(mouse, in: rect)
            let zoom = min(max(state.transform.zoom * powf(1.2, input.wheel.y), zoomLimits.lowerBound), zoomLimits.upperBound)
            if zoom != state.transform.zoom { state.zoomChangedAt = input.time }
            state.transform.zoom = zoom
            state.transform.offset = Point(mouse.x - rect.x - anchor.x * zoom, mouse.y - rect.y - anchor.y * zoom)
        }
        if let changed = state.zoomChangedAt {
            if input.time - changed >= CanvasPainter.zoomSettleSeconds || input.time < changed {
                state.zoomChangedAt = nil
            } else {
                // A frame once the zoom has settled, to draw it crisply.
                requestWake(at: changed + CanvasPainter.zoomSettleSeconds)
            }
        }

        draw(.fillRect(rect, background ?? theme.panel, cornerRadius: 0))
        let painter = CanvasPainter(ui: self, rect: rect, transform: state.transform, hoveredKey: state.hoveredKey,
                                    zoomSettled: state.zoomChangedAt == nil, canvasID: id)
        withClip(rect) {
            withID(label) { body(painter) }
        }
        draw(.fillRect(fitRect, (fit.contains(.hovered) ? theme.controlHovered : theme.control).withAlpha(230), cornerRadius: theme.cornerRadius))
        drawText("Fit", in: fitRect, color: theme.text, role: .small, alignment: .center)

        // Hit-test in world coordinates, topmost (last registered) first.
        let panning = isActive(id) && state.dragged
        if mouseInside, interaction.contains(.hovered) || isActive(id), !panning, !fitRect.contains(mouse) {
            let world = state.transform.toWorld(mouse, in: rect)
            result.mouseWorld = world
            result.hoveredItem = painter.targets.last { $0.shape.contains(world) }?.key
        } else if mouseInside {
            result.mouseWorld = state.transform.toWorld(mouse, in: rect)
        }
        if interaction.contains(.pressed), !state.dragged { result.clickedItem = result.hoveredItem }
        // A double click on empty space fits the content (from the next frame on).
        if isActive(id), input.mousePressed[0], input.doubleClicked, result.hoveredItem == nil, contentBounds != nil { state.needsFit = true }
        if input.mouseReleased[0] { state.pressPosition = nil }
        state.hoveredKey = result.hoveredItem
        result.transform = state.transform
        setState(id, state)
        return result
    }
}
