import CSDL2
import UI

/// Renders a UI `DrawList` onto any `SDL_Renderer`: a window's, or the software renderer of an
/// offscreen surface. Coordinates are logical and multiplied by the font set's scale.
///
/// All untextured shapes go into one batch (rectangle fills and `SDL_RenderGeometry` triangles,
/// see `GeometryBatch`), flushed only before a text blit or a clip change, so painter's order
/// is kept and a busy frame costs a handful of flushes instead of thousands of shapes. Text comes from a
/// bounded texture cache and is never rasterised again while it stays on screen.
public final class DrawListRenderer {
    /// What the last `render` call did, for statistics overlays and tests.
    public struct Statistics: Sendable, Equatable {
        public var commands = 0
        public var geometryBatches = 0
        public var vertices = 0
        /// Axis-aligned rectangles filled directly (not counted in `vertices`).
        public var rectangles = 0
        public var textBlits = 0
        public var rasterisations = 0
        public init() {}
    }

    public let renderer: OpaquePointer
    public let fonts: FontSet
    private let textCache: TextTextureCache
    private var batch = GeometryBatch()
    private var clipIsEmpty = false
    private var destroyed = false
    public private(set) var statistics = Statistics()

    /// - Parameters:
    ///   - maxCachedTexts: textures kept at most (least recently used ones go first).
    ///   - maxIdleFrames: frames a text texture may go unused before it is destroyed.
    ///   - maxCachedBytes: pixel memory the text textures may hold.
    public init(renderer: OpaquePointer, fonts: FontSet, maxCachedTexts: Int = 1024, maxIdleFrames: Int = 300,
                maxCachedBytes: Int = 48 << 20) {
        self.renderer = renderer
        self.fonts = fonts
        textCache = TextTextureCache(renderer: renderer, fonts: fonts, maxEntries: maxCachedTexts,
                                     maxIdleFrames: maxIdleFrames, maxBytes: maxCachedBytes)
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
    }

    /// Pixels per logical pixel (the fonts are opened at this scale).
    public var scale: Float { fonts.scale }

    /// Strings rasterised since creation (a frame repeating earlier strings adds none).
    public var textRasterisations: Int { textCache.rasterisations }
    /// Text textures currently cached.
    public var cachedTextTextures: Int { textCache.count }
    /// Text textures destroyed by eviction so far.
    public var textEvictions: Int { textCache.evictions }

    /// Fills the whole target (ignoring any clip) with a colour.
    public func clear(_ color: Color) {
        SDL_RenderSetClipRect(renderer, nil)
        SDL_SetRenderDrawColor(renderer, color.red, color.green, color.blue, color.alpha)
        SDL_RenderClear(renderer)
    }

    /// Draws every command of `list` in order. Does not clear or present.
    public func render(_ list: DrawList) {
        precondition(!destroyed, "DrawListRenderer used after destroy()")
        let scale = fonts.scale
        let rasterisedBefore = textCache.rasterisations
        textCache.beginFrame()
        statistics = Statistics()
        statistics.commands = list.commands.count
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
        SDL_RenderSetClipRect(renderer, nil)
        clipIsEmpty = false

        list.points.withUnsafeBufferPointer { points in
            for command in list.commands {
                if clipIsEmpty {
                    // Nothing is visible until the clip changes.
                    guard case .clip = command else { continue }
                }
                switch command {
                case let .fillRect(rect, color, cornerRadius):
                    let c = Self.sdlColor(color)
                    if cornerRadius > 0 {
                        batch.roundedRect(x: rect.x * scale, y: rect.y * scale, width: rect.width * scale,
                                          height: rect.height * scale, radius: cornerRadius * scale, c)
                    } else {
                        batch.rect(x: rect.x * scale, y: rect.y * scale, width: rect.width * scale, height: rect.height * scale, c)
                    }
                case let .strokeRect(rect, color, thickness):
                    batch.strokeRect(x: rect.x * scale, y: rect.y * scale, width: rect.width * scale,
                                     height: rect.height * scale, thickness: thickness * scale, Self.sdlColor(color))
                case let .line(from, to, color, thickness):
                    batch.line(from.x * scale, from.y * scale, to.x * scale, to.y * scale, thickness: thickness * scale, Self.sdlColor(color))
                case let .polyline(start, count, color, thickness):
                    guard count >= 2, start >= 0, start + count <= points.count else { continue }
                    let c = Self.sdlColor(color)
                    let width = thickness * scale
                    // Opaque segments overlap by half the width to close the joins; translucent
                    // ones must not, or the joins would be drawn twice as dark.
                    let extend = color.alpha == 255 ? max(width, 1) / 2 : 0
                    for i in start..<(start + count - 1) {
                        let a = points[i], b = points[i + 1]
                        batch.line(a.x * scale, a.y * scale, b.x * scale, b.y * scale, thickness: width, extend: extend, c)
                    }
                case let .area(start, baselineStart, count, color):
                    guard count >= 2, start >= 0, baselineStart >= 0,
                          start + count <= points.count, baselineStart + count <= points.count else { continue }
                    batch.area(top: UnsafeBufferPointer(rebasing: points[start..<(start + count)]),
                               baseline: UnsafeBufferPointer(rebasing: points[baselineStart..<(baselineStart + count)]),
                               scale: scale, Self.sdlColor(color))
                case let .circle(center, radius, color, filled):
                    if filled {
                        batch.disc(cx: center.x * scale, cy: center.y * scale, radius: radius * scale, Self.sdlColor(color))
                    } else {
                        batch.ring(cx: center.x * scale, cy: center.y * scale, radius: radius * scale, thickness: scale, Self.sdlColor(color))
                    }
                case let .polygon(start, count, color):
                    guard count >= 3, start >= 0, start + count <= points.count else { continue }
                    batch.convexPolygon(UnsafeBufferPointer(rebasing: points[start..<(start + count)]), scale: scale, Self.sdlColor(color))
                case let .arc(center, radius, startAngle, endAngle, color, thickness):
                    batch.arc(cx: center.x * scale, cy: center.y * scale, radius: radius * scale, startAngle: startAngle,
                              endAngle: endAngle, thickness: thickness * scale, Self.sdlColor(color))
                case let .text(text, point, color, role):
                    blitText(text, at: point, color: color, role: role, scale: scale)
                case let .haloText(text, point, color, halo, role):
                    // The halo is the text in the halo colour, one pixel off in eight directions.
                    let step = max(1, scale.rounded()) / scale
                    for (dx, dy) in Self.haloOffsets {
                        blitText(text, at: Point(point.x + dx * step, point.y + dy * step), color: halo, role: role, scale: scale)
                    }
                    blitText(text, at: point, color: color, role: role, scale: scale)
                case let .clip(rect):
                    flush()
                    setClip(rect, scale: scale)
                }
            }
        }
        flush()
        SDL_RenderSetClipRect(renderer, nil)
        clipIsEmpty = false
        textCache.endFrame()
        statistics.rasterisations = textCache.rasterisations - rasterisedBefore
    }

    private static let haloOffsets: [(Float, Float)] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]

    private func blitText(_ text: String, at point: Point, color: Color, role: FontRole, scale: Float) {
        guard let entry = textCache.texture(for: text, role: role, color: color) else { return }
        flush()
        var destination = SDL_Rect(x: Self.pixel(point.x * scale), y: Self.pixel(point.y * scale), w: entry.width, h: entry.height)
        SDL_RenderCopy(renderer, entry.texture, nil, &destination)
        statistics.textBlits += 1
    }

    /// Drops every cached text texture (e.g. after SDL reports its render targets were reset).
    public func purgeTextCache() { textCache.removeAll() }

    /// Destroys the cached textures. Call before destroying the renderer; idempotent.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        textCache.removeAll()
        batch.removeAll()
    }

    private func flush() {
        let vertexCount = batch.vertices.count, rectangleCount = batch.rects.count
        if batch.flush(to: renderer) {
            statistics.geometryBatches += 1
            statistics.vertices += vertexCount
            statistics.rectangles += rectangleCount
        }
    }

    private func setClip(_ rect: Rect?, scale: Float) {
        guard let rect else {
            SDL_RenderSetClipRect(renderer, nil)
            clipIsEmpty = false
            return
        }
        let left = Self.pixel(rect.minX * scale), top = Self.pixel(rect.minY * scale)
        let right = Self.pixel(rect.maxX * scale), bottom = Self.pixel(rect.maxY * scale)
        // An empty clip draws nothing; skipping the commands is cheaper than clipping them all
        // (and SDL treats some empty rectangles as "no clip").
        clipIsEmpty = right <= left || bottom <= top
        guard !clipIsEmpty else { return }
        var clip = SDL_Rect(x: left, y: top, w: right - left, h: bottom - top)
        SDL_RenderSetClipRect(renderer, &clip)
    }

    /// A coordinate rounded to whole pixels and kept far inside Int32 (NaN becomes 0).
    static func pixel(_ value: Float) -> Int32 {
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? 1 << 24 : -(1 << 24)) }
        return Int32(min(max(value.rounded(), -16_777_216), 16_777_216))
    }

    @inline(__always)
    static func sdlColor(_ color: Color) -> SDL_Color {
        SDL_Color(r: color.red, g: color.green, b: color.blue, a: color.alpha)
    }
}
