import CSDL2
import Glibc
import UI

/// Untextured shapes waiting to be drawn, in painter's order. Shapes are added in pixel
/// coordinates (already multiplied by the scale). Axis-aligned rectangles in whole pixels (plain
/// and rounded rectangles, the spans of discs) are kept as `SDL_Rect`s and drawn with
/// `SDL_RenderFillRects`, one call per run of one colour, opaque ones with
/// `SDL_BLENDMODE_NONE`: SDL's software renderer then fills them with a plain store instead of
/// blending every pixel (it turns a rectangle quad given to `SDL_RenderGeometry` into a *blended*
/// fill whatever its alpha), and the pixels are the same. Everything else is indexed triangles
/// for `SDL_RenderGeometry`.
struct GeometryBatch {
    /// A stretch of the batch: triangles (`indices[start..<end]`), rectangles of one colour
    /// (`rects[start..<end]`) or one-pixel lines of one colour (point pairs `linePoints[start..<end]`).
    private enum Kind { case triangles, rects, lines }
    private struct Piece {
        var kind: Kind
        var color: SDL_Color
        var start: Int
        var end: Int
        var isRects: Bool { kind == .rects }
    }

    private(set) var vertices: [SDL_Vertex] = []
    private(set) var indices: [Int32] = []
    private(set) var rects: [SDL_Rect] = []
    /// Endpoints of one-pixel lines, two per line, in whole pixels.
    private(set) var linePoints: [SDL_Point] = []
    private var pieces: [Piece] = []

    init() {
        vertices.reserveCapacity(16_384)
        indices.reserveCapacity(24_576)
        rects.reserveCapacity(4_096)
        pieces.reserveCapacity(1_024)
    }

    var isEmpty: Bool { pieces.isEmpty }

    mutating func removeAll() {
        vertices.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        rects.removeAll(keepingCapacity: true)
        linePoints.removeAll(keepingCapacity: true)
        pieces.removeAll(keepingCapacity: true)
    }

    /// Draws and empties the batch, leaving the renderer's draw blend mode at
    /// `SDL_BLENDMODE_BLEND`. Returns whether there was anything to draw.
    @discardableResult
    mutating func flush(to renderer: OpaquePointer) -> Bool {
        guard !pieces.isEmpty else { return false }
        vertices.withUnsafeBufferPointer { vertexBuffer in
            indices.withUnsafeBufferPointer { indexBuffer in
                rects.withUnsafeBufferPointer { rectBuffer in
                  linePoints.withUnsafeBufferPointer { lineBuffer in
                    var blendIsNone = false
                    for piece in pieces {
                        let end = piece.end
                        if piece.kind == .lines {
                            // Opaque lines are stored, not blended: the same pixels, far faster.
                            let opaque = piece.color.a == 255
                            if opaque != blendIsNone {
                                SDL_SetRenderDrawBlendMode(renderer, opaque ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND)
                                blendIsNone = opaque
                            }
                            SDL_SetRenderDrawColor(renderer, piece.color.r, piece.color.g, piece.color.b, piece.color.a)
                            var index = piece.start
                            while index < end {
                                _ = SDL_RenderDrawLines(renderer, lineBuffer.baseAddress! + index, 2)
                                index += 2
                            }
                        } else if piece.isRects {
                            let opaque = piece.color.a == 255
                            if opaque != blendIsNone {
                                SDL_SetRenderDrawBlendMode(renderer, opaque ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND)
                                blendIsNone = opaque
                            }
                            SDL_SetRenderDrawColor(renderer, piece.color.r, piece.color.g, piece.color.b, piece.color.a)
                            _ = SDL_RenderFillRects(renderer, rectBuffer.baseAddress! + piece.start, Int32(end - piece.start))
                        } else {
                            if blendIsNone {
                                SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
                                blendIsNone = false
                            }
                            _ = SDL_RenderGeometry(renderer, nil, vertexBuffer.baseAddress, Int32(vertexBuffer.count),
                                                   indexBuffer.baseAddress! + piece.start, Int32(end - piece.start))
                        }
                    }
                    if blendIsNone { SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND) }
                  }
                }
            }
        }
        removeAll()
        return true
    }

    // MARK: Primitives

    @inline(__always)
    private mutating func vertex(_ x: Float, _ y: Float, _ color: SDL_Color) -> Int32 {
        vertices.append(SDL_Vertex(position: SDL_FPoint(x: x, y: y), color: color, tex_coord: SDL_FPoint(x: 0, y: 0)))
        return Int32(vertices.count - 1)
    }

    @inline(__always)
    private mutating func triangle(_ a: Int32, _ b: Int32, _ c: Int32) {
        if pieces.last?.kind != .triangles {
            pieces.append(Piece(kind: .triangles, color: SDL_Color(), start: indices.count, end: indices.count))
        }
        indices.append(a)
        indices.append(b)
        indices.append(c)
        pieces[pieces.count - 1].end = indices.count
    }

    /// An axis-aligned rectangle whose edges are already whole pixels (`right > left`,
    /// `bottom > top`), for `SDL_RenderFillRects`.
    @inline(__always)
    private mutating func fill(left: Float, top: Float, right: Float, bottom: Float, _ color: SDL_Color) {
        if let last = pieces.last, last.isRects, last.color.r == color.r, last.color.g == color.g,
           last.color.b == color.b, last.color.a == color.a {
            // Same colour as the run before: one more rectangle for the same call.
        } else {
            pieces.append(Piece(kind: .rects, color: color, start: rects.count, end: rects.count))
        }
        // Kept far inside Int32 (a zoomed canvas can put shapes anywhere); the part on screen
        // stays the same.
        let l = Self.clamped(left), t = Self.clamped(top), r = Self.clamped(right), b = Self.clamped(bottom)
        rects.append(SDL_Rect(x: Int32(l), y: Int32(t), w: Int32(r - l), h: Int32(b - t)))
        pieces[pieces.count - 1].end = rects.count
    }

    @inline(__always)
    private static func clamped(_ value: Float) -> Float { min(max(value, -16_777_216), 16_777_216) }

    /// A quadrilateral with corners in order (clockwise or anticlockwise).
    mutating func quad(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float,
                       _ x2: Float, _ y2: Float, _ x3: Float, _ y3: Float, _ color: SDL_Color) {
        let a = vertex(x0, y0, color), b = vertex(x1, y1, color), c = vertex(x2, y2, color), d = vertex(x3, y3, color)
        triangle(a, b, c)
        triangle(a, c, d)
    }

    /// An axis-aligned rectangle, its edges rounded to whole pixels: crisp on every renderer, and
    /// neighbours sharing an edge neither overlap nor leave a gap.
    mutating func rect(x: Float, y: Float, width: Float, height: Float, _ color: SDL_Color) {
        let left = x.rounded(), top = y.rounded(), right = (x + width).rounded(), bottom = (y + height).rounded()
        guard right > left, bottom > top else { return }
        fill(left: left, top: top, right: right, bottom: bottom, color)
    }

    /// A rectangle with rounded corners as horizontal spans: the top and bottom `radius` rows are
    /// one span per distinct inset, the rest a single rectangle. Spans are rectangles, which the
    /// software renderer fills far faster than triangle fans (measured 4× on this machine), the
    /// pieces never overlap (translucent colours blend once), and coverage is pixel-exact: a
    /// pixel is in when its centre is inside the rounded shape.
    mutating func roundedRect(x: Float, y: Float, width: Float, height: Float, radius: Float, _ color: SDL_Color) {
        let left = x.rounded(), top = y.rounded(), right = (x + width).rounded(), bottom = (y + height).rounded()
        let w = right - left, h = bottom - top
        guard w > 0, h > 0 else { return }
        let r = min(radius, w / 2, h / 2)
        var rows = min(Int(r.rounded(.up)), Int(h) / 2)
        // Rows near the middle with no inset belong to the middle rectangle.
        while rows > 0 && Self.cornerInset(row: rows - 1, radius: r) == 0 { rows -= 1 }
        guard r >= 1, rows > 0 else {
            fill(left: left, top: top, right: right, bottom: bottom, color)
            return
        }
        var runStart = 0
        var runInset = Self.cornerInset(row: 0, radius: r)
        for row in 1...rows {
            let inset = row < rows ? Self.cornerInset(row: row, radius: r) : -1
            guard inset != runInset else { continue }
            let count = Float(row - runStart)
            if w - 2 * runInset > 0 {
                let spanTop = top + Float(runStart), spanBottom = bottom - Float(runStart)
                fill(left: left + runInset, top: spanTop, right: right - runInset, bottom: spanTop + count, color)
                fill(left: left + runInset, top: spanBottom - count, right: right - runInset, bottom: spanBottom, color)
            }
            runStart = row
            runInset = inset
        }
        let middleTop = top + Float(rows), middleBottom = bottom - Float(rows)
        if middleBottom > middleTop {
            fill(left: left, top: middleTop, right: right, bottom: middleBottom, color)
        }
    }

    /// How far row `row` (0 = the outermost) of a corner of radius `radius` is cut in, in whole
    /// pixels, sampled at the row's centre.
    static func cornerInset(row: Int, radius: Float) -> Float {
        let dy = radius - (Float(row) + 0.5)
        guard dy > 0 else { return 0 }
        return (radius - (radius * radius - dy * dy).squareRoot()).rounded()
    }

    /// A rectangle outline of `thickness` pixels drawn inside the rectangle, as four quads that
    /// do not overlap.
    mutating func strokeRect(x: Float, y: Float, width: Float, height: Float, thickness: Float, _ color: SDL_Color) {
        guard width > 0, height > 0 else { return }
        let t = min(max(thickness, 1), width / 2, height / 2)
        rect(x: x, y: y, width: width, height: t, color)
        rect(x: x, y: y + height - t, width: width, height: t, color)
        rect(x: x, y: y + t, width: t, height: height - 2 * t, color)
        rect(x: x + width - t, y: y + t, width: t, height: height - 2 * t, color)
    }

    /// A straight line of `thickness` pixels as a quad; `extend` lengthens it at both ends
    /// (half the thickness closes the gaps between polyline segments).
    mutating func line(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, thickness: Float, extend: Float = 0, _ color: SDL_Color) {
        let dx = x1 - x0, dy = y1 - y0
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return }
        let ux = dx / length, uy = dy / length
        let half = max(thickness, 1) / 2
        let nx = -uy * half, ny = ux * half
        let sx = x0 - ux * extend, sy = y0 - uy * extend
        let ex = x1 + ux * extend, ey = y1 + uy * extend
        quad(sx + nx, sy + ny, ex + nx, ey + ny, ex - nx, ey - ny, sx - nx, sy - ny, color)
    }

    /// A straight line `thickness` pixels wide (perpendicular to it) as the same pixels a quad
    /// would cover, but drawn as parallel one-pixel lines (Bresenham) offset along the minor
    /// axis by whole pixels: the software renderer fills a long diagonal quad by walking its whole
    /// bounding box (and blends a translucent one through a bounding-box-sized surface), while a
    /// one-pixel line touches only its own pixels. The offsets tile: every pixel of the band is
    /// set once, so translucent lines blend once. Axis-aligned lines, and lines wider than
    /// `maxParallelLines` pixels across, stay quads (their boxes are tight or they are rare).
    mutating func thinLine(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, thickness: Float, _ color: SDL_Color) {
        let dx = x1 - x0, dy = y1 - y0
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite, dx != 0 || dy != 0 else { return }
        let major = max(abs(dx), abs(dy))
        let length = (dx * dx + dy * dy).squareRoot()
        // Pixels across, measured along the minor axis: a diagonal band of width w spans w·length/major rows.
        let across = Int((max(thickness, 1) * length / major).rounded())
        guard dx != 0, dy != 0, across <= Self.maxParallelLines else {
            line(x0, y0, x1, y1, thickness: thickness, color)
            return
        }
        if let last = pieces.last, last.kind == .lines, last.color.r == color.r, last.color.g == color.g,
           last.color.b == color.b, last.color.a == color.a {
        } else {
            pieces.append(Piece(kind: .lines, color: color, start: linePoints.count, end: linePoints.count))
        }
        // Pixels are lit where their centre (+0.5) falls inside the band, as for a quad: along
        // the major axis from the pixel whose centre is nearest one end to the one nearest the
        // other; across, at those two pixels, the run of `across` pixels whose centres straddle
        // the line there (found on the line itself, not from rounded ends, so the slope stays
        // true to half a pixel). Bresenham joins the two runs' pixels.
        let xMajor = abs(dx) >= abs(dy)
        let half = Float(across) / 2
        @inline(__always) func along(_ value: Float) -> Float { Self.clamped((value - 0.5).rounded()) }
        let start = along(xMajor ? x0 : y0), end = along(xMajor ? x1 : y1)
        // The minor coordinate of the line at the centre of a major-axis pixel.
        @inline(__always) func minor(at major: Float) -> Int32 {
            let t = xMajor ? (major + 0.5 - x0) / dx : (major + 0.5 - y0) / dy
            let value = (xMajor ? y0 + t * dy : x0 + t * dx) - half
            return Int32(Self.clamped(value.rounded()))
        }
        let a = (major: Int32(start), minor: minor(at: start)), b = (major: Int32(end), minor: minor(at: end))
        let ax = xMajor ? a.major : a.minor, ay = xMajor ? a.minor : a.major
        let bx = xMajor ? b.major : b.minor, by = xMajor ? b.minor : b.major
        for k in 0..<Int32(across) {
            if xMajor {
                linePoints.append(SDL_Point(x: ax, y: ay + k))
                linePoints.append(SDL_Point(x: bx, y: by + k))
            } else {
                linePoints.append(SDL_Point(x: ax + k, y: ay))
                linePoints.append(SDL_Point(x: bx + k, y: by))
            }
        }
        pieces[pieces.count - 1].end = linePoints.count
    }

    /// Wider lines than this many pixels across are quads.
    static let maxParallelLines = 8

    /// The region between a polyline and its baseline as a strip of quads, one per segment.
    mutating func area(top: UnsafeBufferPointer<Point>, baseline: UnsafeBufferPointer<Point>, scale: Float, _ color: SDL_Color) {
        let count = min(top.count, baseline.count)
        guard count >= 2 else { return }
        var previousTop = vertex(top[0].x * scale, top[0].y * scale, color)
        var previousBase = vertex(baseline[0].x * scale, baseline[0].y * scale, color)
        for i in 1..<count {
            let nextTop = vertex(top[i].x * scale, top[i].y * scale, color)
            let nextBase = vertex(baseline[i].x * scale, baseline[i].y * scale, color)
            triangle(previousTop, nextTop, nextBase)
            triangle(previousTop, nextBase, previousBase)
            previousTop = nextTop
            previousBase = nextBase
        }
    }

    /// A filled circle as horizontal spans, one per pixel row (merged where rows match): a pixel
    /// is in when its centre is inside the circle. Rectangles again, for the software renderer's
    /// sake; a handful of quads more than a fan on a GPU.
    mutating func disc(cx: Float, cy: Float, radius: Float, _ color: SDL_Color) {
        guard radius > 0, radius.isFinite, cx.isFinite, cy.isFinite else { return }
        guard radius <= 512 else {
            fan(cx: cx, cy: cy, radius: radius, color)
            return
        }
        let firstRow = Int((cy - radius).rounded(.down)), endRow = Int((cy + radius).rounded(.up))
        var runStart = firstRow, runLeft: Float = 0, runRight: Float = 0
        for row in firstRow...endRow {
            var left: Float = 0, right: Float = 0
            if row < endRow {
                let dy = Float(row) + 0.5 - cy
                if abs(dy) < radius {
                    let half = (radius * radius - dy * dy).squareRoot()
                    left = (cx - half).rounded()
                    right = (cx + half).rounded()
                }
            }
            guard left != runLeft || right != runRight || row == endRow else { continue }
            if runRight > runLeft && row > runStart {
                fill(left: runLeft, top: Float(runStart), right: runRight, bottom: Float(row), color)
            }
            runStart = row
            runLeft = left
            runRight = right
        }
    }

    /// A filled circle as a triangle fan (huge circles, where spans would be thousands of rows).
    private mutating func fan(cx: Float, cy: Float, radius: Float, _ color: SDL_Color) {
        let segments = Self.arcSegments(radius: radius, quarterTurns: 4)
        let center = vertex(cx, cy, color)
        let first = vertex(cx + radius, cy, color)
        var previous = first
        for step in 1..<segments {
            let angle = Float(step) / Float(segments) * 2 * .pi
            let next = vertex(cx + radius * cos(angle), cy + radius * sin(angle), color)
            triangle(center, previous, next)
            previous = next
        }
        triangle(center, previous, first)
    }

    /// A circle outline `thickness` pixels wide, inside the radius, as a ring of quads.
    mutating func ring(cx: Float, cy: Float, radius: Float, thickness: Float, _ color: SDL_Color) {
        guard radius > 0 else { return }
        let inner = max(0, radius - max(thickness, 1))
        let segments = Self.arcSegments(radius: radius, quarterTurns: 4)
        let firstOuter = vertex(cx + radius, cy, color), firstInner = vertex(cx + inner, cy, color)
        var previousOuter = firstOuter, previousInner = firstInner
        for step in 1...segments {
            let nextOuter: Int32, nextInner: Int32
            if step == segments {
                nextOuter = firstOuter
                nextInner = firstInner
            } else {
                let angle = Float(step) / Float(segments) * 2 * .pi
                let c = cos(angle), s = sin(angle)
                nextOuter = vertex(cx + radius * c, cy + radius * s, color)
                nextInner = vertex(cx + inner * c, cy + inner * s, color)
            }
            triangle(previousOuter, nextOuter, nextInner)
            triangle(previousOuter, nextInner, previousInner)
            previousOuter = nextOuter
            previousInner = nextInner
        }
    }

    /// A filled convex polygon as a triangle fan from its first corner.
    mutating func convexPolygon(_ points: UnsafeBufferPointer<Point>, scale: Float, _ color: SDL_Color) {
        guard points.count >= 3 else { return }
        for point in points where !(point.x.isFinite && point.y.isFinite) { return }
        let first = vertex(points[0].x * scale, points[0].y * scale, color)
        var previous = vertex(points[1].x * scale, points[1].y * scale, color)
        for i in 2..<points.count {
            let next = vertex(points[i].x * scale, points[i].y * scale, color)
            triangle(first, previous, next)
            previous = next
        }
    }

    /// Part of a circle's outline, `thickness` wide and centred on `radius`, from `startAngle`
    /// to `endAngle` (radians, clockwise on screen), as a strip of quads.
    mutating func arc(cx: Float, cy: Float, radius: Float, startAngle: Float, endAngle: Float, thickness: Float, _ color: SDL_Color) {
        guard radius > 0, radius.isFinite, cx.isFinite, cy.isFinite, startAngle.isFinite, endAngle.isFinite else { return }
        let sweep = min(abs(endAngle - startAngle), 2 * .pi)
        guard sweep > 0 else { return }
        let half = max(thickness, 1) / 2
        let outer = radius + half, inner = max(0, radius - half)
        let quarters = max(1, Int((sweep / (.pi / 2)).rounded(.up)))
        let segments = max(2, Self.arcSegments(radius: outer, quarterTurns: quarters) * Int((sweep * 1000).rounded()) / (quarters * 1571))
        let direction: Float = endAngle >= startAngle ? 1 : -1
        var previousOuter: Int32 = 0, previousInner: Int32 = 0
        for step in 0...segments {
            let angle = startAngle + direction * sweep * Float(step) / Float(segments)
            let c = cos(angle), s = sin(angle)
            let nextOuter = vertex(cx + outer * c, cy + outer * s, color)
            let nextInner = vertex(cx + inner * c, cy + inner * s, color)
            if step > 0 {
                triangle(previousOuter, nextOuter, nextInner)
                triangle(previousOuter, nextInner, previousInner)
            }
            previousOuter = nextOuter
            previousInner = nextInner
        }
    }

    /// Segments for an arc of `quarterTurns` quarter circles: about one per 3 pixels of arc,
    /// at least 3 per quarter so small corners still look round.
    static func arcSegments(radius: Float, quarterTurns: Int) -> Int {
        let perQuarter = Int((radius * .pi / 2 / 3).rounded(.up))
        return quarterTurns * min(24, max(3, perQuarter))
    }
}
