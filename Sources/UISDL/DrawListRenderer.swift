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
        /// Opaque rectangles not drawn because the same colour already filled their area.
        public var skippedFills = 0
        /// Pixels the background was filled into (only where no opaque rectangle covers it later).
        public var backgroundPixels = 0
        /// One-pixel lines drawn (a wide line is several, see `GeometryBatch.thinLine`).
        public var lines = 0
        /// Layers shown from their kept pixels, their commands skipped.
        public var layerHits = 0
        /// Layers drawn (into their texture, then shown).
        public var layerMisses = 0
        /// Layers moved (a pan): kept pixels moved, only the uncovered strips drawn.
        public var layerMoves = 0
        /// Layers shown scaled from their kept pixels (a zoom in progress), their commands skipped.
        public var layerScales = 0
        public init() {}
    }

    public let renderer: OpaquePointer
    public let fonts: FontSet
    private let textCache: TextTextureCache
    private var batch = GeometryBatch()
    private var clipIsEmpty = false
    /// The current clip in pixels, as SDL applies it (nil: the whole target).
    private var clipPixels: PixelRect?
    /// The target's size in pixels, for this frame.
    private var target = PixelRect(left: 0, top: 0, right: 0, bottom: 0)
    /// Regions known to hold one opaque colour that nothing has drawn over since (see
    /// `render(_:background:)`).
    private var solids: [(area: PixelRect, color: Color)] = []
    /// At most this many solid regions are tracked; forgetting one only costs a skipped skip.
    private let maxSolids = 32
    /// Rectangles smaller than this (pixels) are neither tracked as solid nor cut out of the
    /// background: their saving would not pay for the bookkeeping (a busy frame has thousands).
    private let minimumTrackedArea = 2048
    /// The background is cut into at most this many pieces; further rectangles are not cut out
    /// (the background is then filled under them too, which is only slower).
    private let maxBackgroundPieces = 256
    private var destroyed = false
    public private(set) var statistics = Statistics()

    /// A layer's kept pixels: a render-target texture the size of the target, valid inside
    /// `region` (target pixels) for `key`.
    private struct LayerPicture {
        var texture: OpaquePointer
        /// The other texture of a moved picture (the pixels are moved from one to the other).
        var spare: OpaquePointer?
        var width: Int32
        var height: Int32
        var key: UInt64
        var region: PixelRect
        /// The layer's `scroll` in pixels when drawn.
        var scroll: (x: Float, y: Float)
        /// The layer's `zoom` when drawn, and its rectangle's corner in pixels (what a scaled
        /// showing scales about, with `scroll`).
        var zoom: Float
        var corner: (x: Float, y: Float)
        /// Moved, with strips drawn at the new place: drawn afresh once it stops moving, since
        /// a line clipped at a strip's edge may step a pixel differently from the whole line.
        var moved: Bool
        var lastUsedFrame: Int
    }
    private var layers: [UInt64: LayerPicture] = [:]
    /// The layer being drawn into its texture: where, the strips still to draw (a moved layer's
    /// commands run once per uncovered strip), and the target's solid regions to restore after it.
    private struct LayerDrawing {
        var slot: UInt64
        var region: PixelRect
        var background: Color
        var savedSolids: [(area: PixelRect, color: Color)]
        var strips: [PixelRect]
        /// The index of the first command inside the layer.
        var firstCommand: Int
    }
    private var drawingLayer: LayerDrawing?
    /// The strip of a moved layer being drawn: commands wholly outside it are skipped.
    private var currentStrip: PixelRect?
    /// A kept layer was shown: its commands are skipped up to `.endLayer`.
    private var skippingLayer = false
    private var frameNumber = 0
    /// A layer slot unused for this many frames gives its texture back.
    private let maxIdleLayerFrames = 120
    /// Render targets are not available (renderer without them, or creating one failed): layers
    /// are drawn directly every frame.
    private var layersUnavailable = false

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
        render(list, background: nil)
    }

    /// Fills the target with `background` and draws `list` over it, with the pixels of a full
    /// clear followed by `render(list)` but less memory traffic: the background goes only where no
    /// opaque rectangle of the list will cover it anyway, and an opaque rectangle is skipped when
    /// its whole area already holds its colour (a panel inside a panel of the same colour) and
    /// nothing was drawn there since. Does not present.
    public func render(_ list: DrawList, background: Color?) {
        precondition(!destroyed, "DrawListRenderer used after destroy()")
        let scale = fonts.scale
        let rasterisedBefore = textCache.rasterisations
        textCache.beginFrame()
        statistics = Statistics()
        statistics.commands = list.commands.count
        var width: Int32 = 0, height: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &width, &height)
        target = PixelRect(left: 0, top: 0, right: width, bottom: height)
        SDL_RenderSetClipRect(renderer, nil)
        clipPixels = nil
        clipIsEmpty = false
        solids.removeAll(keepingCapacity: true)
        if let background { fillBackground(background, under: list, scale: scale) }
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)

        frameNumber += 1
        skippingLayer = false
        drawingLayer = nil
        currentStrip = nil
        list.points.withUnsafeBufferPointer { points in
          list.commands.withUnsafeBufferPointer { commands in
            var index = 0
            while index < commands.count {
                let command = commands[index]
                index += 1
                if skippingLayer {
                    guard case .endLayer = command else { continue }
                    skippingLayer = false
                    continue
                }
                if clipIsEmpty {
                    // Nothing is visible until the clip changes.
                    guard case .clip = command else { continue }
                }
                switch command {
                case let .fillRect(rect, color, cornerRadius):
                    let c = Self.sdlColor(color)
                    let bounds = Self.pixelBounds(rect, scale: scale)
                    if color.alpha == 255 {
                        // Every pixel the fill may set (a rounded one sets fewer).
                        let visible = (clipPixels ?? target).intersection(target)
                        let area = bounds.intersection(visible)
                        if solids.contains(where: { $0.color == color && $0.area.contains(area) }) {
                            statistics.skippedFills += 1
                            continue
                        }
                        drawn(area)
                        for band in Self.coveredBands(bounds, radius: cornerRadius * scale) {
                            let solid = band.intersection(visible)
                            if solid.area >= minimumTrackedArea { addSolid(solid, color) }
                        }
                    } else {
                        drawn(bounds)
                    }
                    if cornerRadius > 0 {
                        batch.roundedRect(x: rect.x * scale, y: rect.y * scale, width: rect.width * scale,
                                          height: rect.height * scale, radius: cornerRadius * scale, c)
                    } else {
                        batch.rect(x: rect.x * scale, y: rect.y * scale, width: rect.width * scale, height: rect.height * scale, c)
                    }
                case let .strokeRect(rect, color, thickness):
                    // Only the four sides change (a panel's border leaves its inside solid), with a
                    // pixel of margin: the sides' edges are rounded from sums of their own.
                    let outer = Self.pixelBounds(rect, scale: scale).expanded(by: 1)
                    if (thickness * scale).isFinite {
                        let side = Int32(min(max(thickness * scale, 1), 1_048_576).rounded(.up)) + 2
                        drawn(PixelRect(left: outer.left, top: outer.top, right: outer.right, bottom: outer.top + side))
                        drawn(PixelRect(left: outer.left, top: outer.bottom - side, right: outer.right, bottom: outer.bottom))
                        drawn(PixelRect(left: outer.left, top: outer.top, right: outer.left + side, bottom: outer.bottom))
                        drawn(PixelRect(left: outer.right - side, top: outer.top, right: outer.right, bottom: outer.bottom))
                    } else {
                        drawn(outer)
                    }
                    batch.strokeRect(x: rect.x * scale, y: rect.y * scale, width: rect.width * scale,
                                     height: rect.height * scale, thickness: thickness * scale, Self.sdlColor(color))
                case let .line(from, to, color, thickness):
                    let bounds = Self.pixelBounds(of: LinePoints(from, to), scale: scale, margin: thickness * scale)
                    if let currentStrip, !bounds.intersects(currentStrip) { continue }
                    drawn(bounds)
                    batch.thinLine(from.x * scale, from.y * scale, to.x * scale, to.y * scale, thickness: thickness * scale, Self.sdlColor(color))
                case let .polyline(start, count, color, thickness):
                    guard count >= 2, start >= 0, start + count <= points.count else { continue }
                    drawn(Self.pixelBounds(of: UnsafeBufferPointer(rebasing: points[start..<(start + count)]), scale: scale,
                                           margin: thickness * scale))
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
                    drawn(Self.pixelBounds(of: UnsafeBufferPointer(rebasing: points[start..<(start + count)]), scale: scale, margin: 0)
                        .union(Self.pixelBounds(of: UnsafeBufferPointer(rebasing: points[baselineStart..<(baselineStart + count)]),
                                                scale: scale, margin: 0)))
                    batch.area(top: UnsafeBufferPointer(rebasing: points[start..<(start + count)]),
                               baseline: UnsafeBufferPointer(rebasing: points[baselineStart..<(baselineStart + count)]),
                               scale: scale, Self.sdlColor(color))
                case let .circle(center, radius, color, filled):
                    let bounds = Self.pixelBounds(of: CollectionOfOne(center), scale: scale, margin: radius * scale)
                    if let currentStrip, !bounds.intersects(currentStrip) { continue }
                    drawn(bounds)
                    if filled {
                        batch.disc(cx: center.x * scale, cy: center.y * scale, radius: radius * scale, Self.sdlColor(color))
                    } else {
                        batch.ring(cx: center.x * scale, cy: center.y * scale, radius: radius * scale, thickness: scale, Self.sdlColor(color))
                    }
                case let .polygon(start, count, color):
                    guard count >= 3, start >= 0, start + count <= points.count else { continue }
                    drawn(Self.pixelBounds(of: UnsafeBufferPointer(rebasing: points[start..<(start + count)]), scale: scale, margin: 0))
                    batch.convexPolygon(UnsafeBufferPointer(rebasing: points[start..<(start + count)]), scale: scale, Self.sdlColor(color))
                case let .arc(center, radius, startAngle, endAngle, color, thickness):
                    // A strip that the ring's band misses (a map's rings seen through a pan's
                    // one-pixel strip): nothing to tessellate.
                    if let currentStrip, !Self.ring(center: center, radius: radius, thickness: thickness, scale: scale, touches: currentStrip) { continue }
                    drawn(Self.pixelBounds(of: [center], scale: scale, margin: (radius + thickness) * scale))
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
                case let .beginLayer(slot, key, rect, background, scroll, zoom, zoomSettled):
                    beginLayer(slot: slot, key: key, rect: rect, background: background, scroll: scroll, zoom: zoom, zoomSettled: zoomSettled,
                               scale: scale, firstCommand: index)
                case .endLayer:
                    if let again = endLayer() { index = again }
                }
            }
          }
        }
        // A layer left open ends with the list (a moved one without its remaining strips).
        drawingLayer?.strips.removeAll()
        _ = endLayer()
        flush()
        evictIdleLayers()
        SDL_RenderSetClipRect(renderer, nil)
        clipPixels = nil
        clipIsEmpty = false
        solids.removeAll(keepingCapacity: true)
        textCache.endFrame()
        statistics.rasterisations = textCache.rasterisations - rasterisedBefore
    }

    private static let haloOffsets: [(Float, Float)] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]

    private func blitText(_ text: String, at point: Point, color: Color, role: FontRole, scale: Float) {
        guard let entry = textCache.texture(for: text, role: role, color: color) else { return }
        var destination = SDL_Rect(x: Self.pixel(point.x * scale), y: Self.pixel(point.y * scale), w: entry.width, h: entry.height)
        // A moved layer's strip draws only what reaches into it (a label elsewhere is clipped away anyway).
        if let currentStrip, !PixelRect(left: destination.x, top: destination.y, right: destination.x + destination.w,
                                        bottom: destination.y + destination.h).intersects(currentStrip) { return }
        flush()
        drawn(PixelRect(left: destination.x, top: destination.y, right: destination.x + destination.w, bottom: destination.y + destination.h))
        SDL_RenderCopy(renderer, entry.texture, nil, &destination)
        statistics.textBlits += 1
    }

    /// Drops every cached text texture and kept layer (e.g. after SDL reports its render
    /// targets were reset).
    public func purgeTextCache() {
        textCache.removeAll()
        removeLayers()
    }

    /// Layer pictures currently kept.
    public var keptLayers: Int { layers.count }

    // MARK: Layers

    /// Shows the kept picture of `slot` when it was drawn for `key` over the same region, and
    /// then skips the layer's commands; when only `scroll` changed by whole pixels, moves the
    /// kept pixels and draws the commands into the uncovered strips alone; otherwise draws them
    /// into the slot's texture (on the background). While a zoom is in progress (same key, other
    /// `zoom`, not settled) the kept pixels are shown scaled instead, and the commands skipped.
    /// The picture is shown at `.endLayer`. Without render targets the layer is drawn directly
    /// on its background.
    private func beginLayer(slot: UInt64, key: UInt64, rect: Rect, background: Color, scroll: Point, zoom: Float, zoomSettled: Bool,
                            scale: Float, firstCommand: Int) {
        guard drawingLayer == nil else { return }  // Layers do not nest: the inner one is drawn as part of the outer.
        flush()
        let region = Self.pixelBounds(rect, scale: scale).intersection((clipPixels ?? target).intersection(target))
        guard !region.isEmpty else {
            skippingLayer = true
            return
        }
        let opaqueBackground = background.withAlpha(255)
        let scrollPixels = (x: scroll.x * scale, y: scroll.y * scale)
        drawn(region)
        if var picture = layers[slot], picture.key == key, picture.region == region,
           picture.width == target.right, picture.height == target.bottom {
            if zoom != picture.zoom {
                if !zoomSettled, showScaled(slot: slot, &picture, zoom: zoom, scroll: scrollPixels, background: opaqueBackground) { return }
            } else {
            let dx = scrollPixels.x - picture.scroll.x, dy = scrollPixels.y - picture.scroll.y
            if dx == 0 && dy == 0 && !picture.moved {
                picture.lastUsedFrame = frameNumber
                layers[slot] = picture
                show(picture)
                statistics.layerHits += 1
                skippingLayer = true
                return
            }
            if dx != 0 || dy != 0, dx.isFinite, dy.isFinite, dx == dx.rounded(), dy == dy.rounded(),
               abs(dx) < Float(region.right - region.left), abs(dy) < Float(region.bottom - region.top),
               moveLayer(slot: slot, &picture, by: (Int32(dx), Int32(dy)), scroll: scrollPixels, background: opaqueBackground, firstCommand: firstCommand) {
                return
            }
            // Back at the kept zoom in mid-zoom (but not where the pixels can be moved): shown
            // as it is, shifted, until the zoom settles.
            if !zoomSettled, showScaled(slot: slot, &picture, zoom: zoom, scroll: scrollPixels, background: opaqueBackground) { return }
            }
        }
        guard let texture = layerTexture(slot: slot), SDL_SetRenderTarget(renderer, texture) == 0 else {
            // Drawn straight onto the target.
            fillRegion(region, opaqueBackground)
            return
        }
        statistics.layerMisses += 1
        layers[slot]?.key = key
        layers[slot]?.region = region
        layers[slot]?.scroll = scrollPixels
        layers[slot]?.zoom = zoom
        layers[slot]?.corner = (rect.x * scale, rect.y * scale)
        layers[slot]?.moved = false
        layers[slot]?.lastUsedFrame = frameNumber
        // A new target starts unclipped; the layer's commands see the same clip as on screen.
        setTargetClip(region)
        fillRegion(region, opaqueBackground)
        drawingLayer = LayerDrawing(slot: slot, region: region, background: opaqueBackground, savedSolids: solids, strips: [], firstCommand: firstCommand)
        solids = [(region, opaqueBackground)]
    }

    /// A pan: the kept pixels move by `delta` into the slot's other texture, and the strips they
    /// uncover are drawn from the layer's commands (one pass per strip, clipped to it).
    private func moveLayer(slot: UInt64, _ picture: inout LayerPicture, by delta: (x: Int32, y: Int32), scroll: (x: Float, y: Float),
                           background: Color, firstCommand: Int) -> Bool {
        let region = picture.region
        if picture.spare == nil {
            guard let spare = SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ARGB8888.rawValue, Int32(SDL_TEXTUREACCESS_TARGET.rawValue),
                                                picture.width, picture.height) else { return false }
            SDL_SetTextureBlendMode(spare, SDL_BLENDMODE_NONE)
            picture.spare = spare
            // Kept (and destroyed with the layer) even if it cannot be drawn into below.
            layers[slot] = picture
        }
        guard let spare = picture.spare, SDL_SetRenderTarget(renderer, spare) == 0 else { return false }
        setTargetClip(region)
        let moved = region.intersection(PixelRect(left: region.left + delta.x, top: region.top + delta.y,
                                                  right: region.right + delta.x, bottom: region.bottom + delta.y))
        var destination = SDL_Rect(x: moved.left, y: moved.top, w: moved.right - moved.left, h: moved.bottom - moved.top)
        var source = SDL_Rect(x: moved.left - delta.x, y: moved.top - delta.y, w: destination.w, h: destination.h)
        SDL_RenderCopy(renderer, picture.texture, &source, &destination)
        // What the move uncovered: a band of rows, then a band of columns beside the moved pixels.
        var strips: [PixelRect] = []
        if moved.top > region.top { strips.append(PixelRect(left: region.left, top: region.top, right: region.right, bottom: moved.top)) }
        if moved.bottom < region.bottom { strips.append(PixelRect(left: region.left, top: moved.bottom, right: region.right, bottom: region.bottom)) }
        if moved.left > region.left { strips.append(PixelRect(left: region.left, top: moved.top, right: moved.left, bottom: moved.bottom)) }
        if moved.right < region.right { strips.append(PixelRect(left: moved.right, top: moved.top, right: region.right, bottom: moved.bottom)) }
        picture.spare = picture.texture
        picture.texture = spare
        picture.scroll = scroll
        picture.moved = true
        picture.lastUsedFrame = frameNumber
        layers[slot] = picture
        statistics.layerMoves += 1
        drawingLayer = LayerDrawing(slot: slot, region: region, background: background, savedSolids: solids, strips: strips, firstCommand: firstCommand)
        solids = []
        if !beginNextStrip() {
            // Nothing uncovered (not for a real move): done, and the commands skipped.
            _ = endLayer()
            skippingLayer = true
        }
        return true
    }

    /// A zoom in progress: the kept pixels, scaled by the new zoom over the one they were drawn
    /// at, about the content's origin (the rectangle's corner + `scroll`), on the background where
    /// they do not reach. The picture itself is unchanged: it is drawn afresh once the zoom settles.
    private func showScaled(slot: UInt64, _ picture: inout LayerPicture, zoom: Float, scroll: (x: Float, y: Float), background: Color) -> Bool {
        let factor = zoom / picture.zoom
        guard factor.isFinite, factor > 0, scroll.x.isFinite, scroll.y.isFinite else { return false }
        let region = picture.region
        // Where a pixel edge p of the picture goes: corner + scroll + (p − corner − old scroll) × factor,
        // and back. Only the kept pixels that land in the region are copied (whole pixels, so the
        // destination is computed from them and rounded once here, not truncated by SDL).
        func place(_ value: Int32, corner: Float, old: Float, new: Float) -> Float { corner + new + (Float(value) - corner - old) * factor }
        func source(_ value: Int32, corner: Float, old: Float, new: Float) -> Float { corner + old + (Float(value) - corner - new) / factor }
        func whole(_ value: Float, _ rule: FloatingPointRoundingRule) -> Int32 { Int32(max(-1e6, min(1e6, value.rounded(rule)))) }
        let from = PixelRect(left: whole(source(region.left, corner: picture.corner.x, old: picture.scroll.x, new: scroll.x), .down),
                             top: whole(source(region.top, corner: picture.corner.y, old: picture.scroll.y, new: scroll.y), .down),
                             right: whole(source(region.right, corner: picture.corner.x, old: picture.scroll.x, new: scroll.x), .up),
                             bottom: whole(source(region.bottom, corner: picture.corner.y, old: picture.scroll.y, new: scroll.y), .up))
            .intersection(region)
        setTargetClip(region)
        guard !from.isEmpty else {
            fillRegion(region, background)
            return finishShowingScaled(slot: slot, &picture)
        }
        let left = whole(place(from.left, corner: picture.corner.x, old: picture.scroll.x, new: scroll.x), .toNearestOrAwayFromZero)
        let top = whole(place(from.top, corner: picture.corner.y, old: picture.scroll.y, new: scroll.y), .toNearestOrAwayFromZero)
        let right = whole(place(from.right, corner: picture.corner.x, old: picture.scroll.x, new: scroll.x), .toNearestOrAwayFromZero)
        let bottom = whole(place(from.bottom, corner: picture.corner.y, old: picture.scroll.y, new: scroll.y), .toNearestOrAwayFromZero)
        // Only the part the scaled picture leaves uncovered needs the background.
        let covered = PixelRect(left: left, top: top, right: right, bottom: bottom).intersection(region)
        if covered.isEmpty {
            fillRegion(region, background)
        } else {
            if covered.top > region.top { fillRegion(PixelRect(left: region.left, top: region.top, right: region.right, bottom: covered.top), background) }
            if covered.bottom < region.bottom { fillRegion(PixelRect(left: region.left, top: covered.bottom, right: region.right, bottom: region.bottom), background) }
            if covered.left > region.left { fillRegion(PixelRect(left: region.left, top: covered.top, right: covered.left, bottom: covered.bottom), background) }
            if covered.right < region.right { fillRegion(PixelRect(left: covered.right, top: covered.top, right: region.right, bottom: covered.bottom), background) }
        }
        if !covered.isEmpty {
            var sourceRect = SDL_Rect(x: from.left, y: from.top, w: from.right - from.left, h: from.bottom - from.top)
            var destination = SDL_Rect(x: left, y: top, w: right - left, h: bottom - top)
            SDL_RenderCopy(renderer, picture.texture, &sourceRect, &destination)
        }
        return finishShowingScaled(slot: slot, &picture)
    }

    private func finishShowingScaled(slot: UInt64, _ picture: inout LayerPicture) -> Bool {
        if let clipPixels {
            setTargetClip(clipPixels)
        } else {
            SDL_RenderSetClipRect(renderer, nil)
        }
        picture.lastUsedFrame = frameNumber
        layers[slot] = picture
        statistics.layerScales += 1
        skippingLayer = true
        return true
    }

    /// Starts drawing the next uncovered strip of a moved layer; false when none is left.
    private func beginNextStrip() -> Bool {
        guard var layer = drawingLayer, !layer.strips.isEmpty else { return false }
        let strip = layer.strips.removeFirst()
        drawingLayer = layer
        setTargetClip(strip)
        fillRegion(strip, layer.background)
        solids = [(strip, layer.background)]
        currentStrip = strip
        return true
    }

    private func setTargetClip(_ area: PixelRect) {
        var clip = SDL_Rect(x: area.left, y: area.top, w: area.right - area.left, h: area.bottom - area.top)
        SDL_RenderSetClipRect(renderer, &clip)
    }

    /// Ends the layer being drawn into its texture: for a moved layer with strips left, returns
    /// the index of the layer's first command (draw them again, for the next strip); otherwise
    /// back to the target, and the picture shown.
    private func endLayer() -> Int? {
        skippingLayer = false
        guard let layer = drawingLayer else { return nil }
        flush()
        if beginNextStrip() { return layer.firstCommand }
        drawingLayer = nil
        currentStrip = nil
        SDL_SetRenderTarget(renderer, nil)
        solids = layer.savedSolids
        drawn(layer.region)
        if let clipPixels {
            setTargetClip(clipPixels)
        } else {
            SDL_RenderSetClipRect(renderer, nil)
        }
        if let picture = layers[layer.slot] { show(picture) }
        return nil
    }

    private func show(_ picture: LayerPicture) {
        var area = SDL_Rect(x: picture.region.left, y: picture.region.top, w: picture.region.right - picture.region.left,
                            h: picture.region.bottom - picture.region.top)
        SDL_RenderCopy(renderer, picture.texture, &area, &area)
    }

    /// Fills target pixels with a colour as stored (no blending), like a clear.
    private func fillRegion(_ region: PixelRect, _ color: Color) {
        var rect = SDL_Rect(x: region.left, y: region.top, w: region.right - region.left, h: region.bottom - region.top)
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_NONE)
        SDL_SetRenderDrawColor(renderer, color.red, color.green, color.blue, color.alpha)
        _ = SDL_RenderFillRect(renderer, &rect)
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
    }

    /// The slot's texture, the size of the target (layers are drawn at target coordinates),
    /// created or re-created as needed; nil when render targets are unavailable.
    private func layerTexture(slot: UInt64) -> OpaquePointer? {
        guard !layersUnavailable else { return nil }
        if let picture = layers[slot] {
            if picture.width == target.right && picture.height == target.bottom { return picture.texture }
            destroyTextures(of: picture)
            layers[slot] = nil
        }
        guard SDL_RenderTargetSupported(renderer) == SDL_TRUE,
              let texture = SDL_CreateTexture(renderer, SDL_PIXELFORMAT_ARGB8888.rawValue, Int32(SDL_TEXTUREACCESS_TARGET.rawValue),
                                              target.right, target.bottom) else {
            layersUnavailable = true
            return nil
        }
        // Every pixel of the region is opaque: shown by copying, not blending.
        SDL_SetTextureBlendMode(texture, SDL_BLENDMODE_NONE)
        layers[slot] = LayerPicture(texture: texture, spare: nil, width: target.right, height: target.bottom, key: 0,
                                    region: PixelRect(left: 0, top: 0, right: 0, bottom: 0), scroll: (0, 0), zoom: 1, corner: (0, 0), moved: false,
                                    lastUsedFrame: frameNumber)
        return texture
    }

    private func evictIdleLayers() {
        for (slot, picture) in layers where frameNumber - picture.lastUsedFrame > maxIdleLayerFrames {
            destroyTextures(of: picture)
            layers[slot] = nil
        }
    }

    private func destroyTextures(of picture: LayerPicture) {
        SDL_DestroyTexture(picture.texture)
        if let spare = picture.spare { SDL_DestroyTexture(spare) }
    }

    private func removeLayers() {
        for picture in layers.values { destroyTextures(of: picture) }
        layers.removeAll()
        layersUnavailable = false
    }

    /// Destroys the cached textures. Call before destroying the renderer; idempotent.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        textCache.removeAll()
        removeLayers()
        batch.removeAll()
    }

    private func flush() {
        let vertexCount = batch.vertices.count, rectangleCount = batch.rects.count, lineCount = batch.linePoints.count / 2
        if batch.flush(to: renderer) {
            statistics.geometryBatches += 1
            statistics.vertices += vertexCount
            statistics.rectangles += rectangleCount
            statistics.lines += lineCount
        }
    }

    private func setClip(_ rect: Rect?, scale: Float) {
        guard let rect else {
            SDL_RenderSetClipRect(renderer, nil)
            clipPixels = nil
            clipIsEmpty = false
            return
        }
        let left = Self.pixel(rect.minX * scale), top = Self.pixel(rect.minY * scale)
        let right = Self.pixel(rect.maxX * scale), bottom = Self.pixel(rect.maxY * scale)
        // An empty clip draws nothing; skipping the commands is cheaper than clipping them all
        // (and SDL treats some empty rectangles as "no clip").
        clipIsEmpty = right <= left || bottom <= top
        guard !clipIsEmpty else { return }
        clipPixels = PixelRect(left: left, top: top, right: right, bottom: bottom)
        var clip = SDL_Rect(x: left, y: top, w: right - left, h: bottom - top)
        SDL_RenderSetClipRect(renderer, &clip)
    }

    // MARK: Overdraw

    /// Fills `background` into the target except where an opaque rectangle of `list` will be
    /// drawn later: such a rectangle replaces every pixel of its area (it is filled without
    /// blending), whatever was there or was drawn in between. Records the filled parts as solid.
    private func fillBackground(_ background: Color, under list: DrawList, scale: Float) {
        var uncovered = [target]
        var clip: PixelRect? = nil, clipEmpty = false
        var insideLayer = false
        func cover(_ area: PixelRect) {
            guard area.area >= minimumTrackedArea, uncovered.contains(where: { $0.intersects(area) }) else { return }
            var remaining: [PixelRect] = []
            remaining.reserveCapacity(uncovered.count + 4)
            for piece in uncovered { piece.subtracting(area, into: &remaining) }
            if remaining.count <= maxBackgroundPieces { uncovered = remaining }
        }
        for command in list.commands {
            // A layer's commands may be skipped (its kept picture shown instead), but either way
            // its whole region ends up opaque.
            if insideLayer {
                if case .endLayer = command { insideLayer = false }
                continue
            }
            switch command {
            case let .beginLayer(_, _, rect, _, _, _, _):
                insideLayer = true
                if !clipEmpty { cover(Self.pixelBounds(rect, scale: scale).intersection(clip ?? target)) }
            case let .clip(rect):
                // As `setClip` decides it.
                if let rect {
                    let left = Self.pixel(rect.minX * scale), top = Self.pixel(rect.minY * scale)
                    let right = Self.pixel(rect.maxX * scale), bottom = Self.pixel(rect.maxY * scale)
                    clipEmpty = right <= left || bottom <= top
                    clip = PixelRect(left: left, top: top, right: right, bottom: bottom)
                } else {
                    clip = nil
                    clipEmpty = false
                }
            case let .fillRect(rect, color, cornerRadius) where color.alpha == 255 && !clipEmpty:
                for band in Self.coveredBands(Self.pixelBounds(rect, scale: scale), radius: cornerRadius * scale) {
                    cover(band.intersection(clip ?? target))
                }
            default:
                continue
            }
        }
        guard !uncovered.isEmpty else { return }
        var rects = uncovered.map { SDL_Rect(x: $0.left, y: $0.top, w: $0.right - $0.left, h: $0.bottom - $0.top) }
        // Like SDL_RenderClear: the colour is stored, not blended.
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_NONE)
        SDL_SetRenderDrawColor(renderer, background.red, background.green, background.blue, background.alpha)
        _ = SDL_RenderFillRects(renderer, &rects, Int32(rects.count))
        statistics.backgroundPixels = uncovered.reduce(0) { $0 + $1.area }
        if background.alpha == 255 {
            for piece in uncovered.prefix(maxSolids) { solids.append((piece, background)) }
        }
    }

    /// Something may have changed the pixels of `bounds`: solid regions keep only what lies
    /// outside it.
    private func drawn(_ bounds: PixelRect) {
        guard !solids.isEmpty, !bounds.isEmpty else { return }
        guard solids.contains(where: { $0.area.intersects(bounds) }) else { return }
        var kept: [(area: PixelRect, color: Color)] = []
        kept.reserveCapacity(solids.count + 4)
        var pieces: [PixelRect] = []
        for solid in solids {
            guard solid.area.intersects(bounds) else {
                kept.append(solid)
                continue
            }
            pieces.removeAll(keepingCapacity: true)
            solid.area.subtracting(bounds, into: &pieces)
            for piece in pieces { kept.append((piece, solid.color)) }
        }
        solids = kept.count > maxSolids ? Array(kept.suffix(maxSolids)) : kept
    }

    private func addSolid(_ area: PixelRect, _ color: Color) {
        if solids.count >= maxSolids { solids.removeFirst() }
        solids.append((area, color))
    }

    /// Parts of a filled rectangle with pixel bounds `bounds` and corners of `radius` pixels that
    /// are certainly covered: all of it without a radius, else the band between the top and bottom
    /// corners and the band between the left and right ones (`GeometryBatch.roundedRect` cuts no
    /// row in by more than the radius, rounded up, and only the radius's rows at each end).
    static func coveredBands(_ bounds: PixelRect, radius: Float) -> [PixelRect] {
        guard !bounds.isEmpty else { return [] }
        guard radius > 0 else { return radius.isNaN ? [] : [bounds] }
        guard radius.isFinite else { return [] }
        let width = Float(bounds.right - bounds.left), height = Float(bounds.bottom - bounds.top)
        let inset = Int32(min(radius, width / 2, height / 2).rounded(.up))
        return [PixelRect(left: bounds.left, top: bounds.top + inset, right: bounds.right, bottom: bounds.bottom - inset),
                PixelRect(left: bounds.left + inset, top: bounds.top, right: bounds.right - inset, bottom: bounds.bottom)]
            .filter { !$0.isEmpty }
    }

    /// The pixels a rectangle fill covers: edges scaled, then rounded (as `GeometryBatch.rect`).
    /// Whether the band `thickness` wide around a circle (with two pixels to spare for the
    /// rasteriser) may touch `area`: the nearest point of the area is not beyond the band's outer
    /// edge and the farthest is not inside its inner edge. Non-finite values count as touching.
    static func ring(center: Point, radius: Float, thickness: Float, scale: Float, touches area: PixelRect) -> Bool {
        let cx = center.x * scale, cy = center.y * scale, r = radius * scale, half = abs(thickness * scale) / 2 + 2
        guard cx.isFinite, cy.isFinite, r.isFinite, half.isFinite else { return true }
        let left = Float(area.left), right = Float(area.right), top = Float(area.top), bottom = Float(area.bottom)
        let nearX = min(max(cx, left), right), nearY = min(max(cy, top), bottom)
        let farX = abs(cx - left) > abs(cx - right) ? left : right, farY = abs(cy - top) > abs(cy - bottom) ? top : bottom
        let near = ((nearX - cx) * (nearX - cx) + (nearY - cy) * (nearY - cy)).squareRoot()
        let far = ((farX - cx) * (farX - cx) + (farY - cy) * (farY - cy)).squareRoot()
        return near <= abs(r) + half && far >= abs(r) - half
    }

    static func pixelBounds(_ rect: Rect, scale: Float) -> PixelRect {
        let x = rect.x * scale, y = rect.y * scale, right = x + rect.width * scale, bottom = y + rect.height * scale
        // NaN edges draw nothing there (the batch's comparisons fail); `pixel` would make them 0.
        guard !(x.isNaN || y.isNaN || right.isNaN || bottom.isNaN) else { return PixelRect(left: 0, top: 0, right: 0, bottom: 0) }
        return PixelRect(left: pixel(x), top: pixel(y), right: pixel(right), bottom: pixel(bottom))
    }

    /// Pixels that shapes through `points` may touch, `margin` pixels around them plus two for
    /// the rasteriser's rounding. Non-finite points give the whole plane.
    static func pixelBounds<Points: Sequence>(of points: Points, scale: Float, margin: Float) -> PixelRect where Points.Element == Point {
        var minX = Float.infinity, minY = Float.infinity, maxX = -Float.infinity, maxY = -Float.infinity
        for point in points {
            guard point.x.isFinite, point.y.isFinite else { return .everything }
            minX = min(minX, point.x)
            minY = min(minY, point.y)
            maxX = max(maxX, point.x)
            maxY = max(maxY, point.y)
        }
        let pad: Float = (margin.isFinite ? abs(margin) : 16_777_216) + 2
        guard minX <= maxX else { return PixelRect(left: 0, top: 0, right: 0, bottom: 0) }
        return PixelRect(left: pixel((minX * scale - pad).rounded(.down)), top: pixel((minY * scale - pad).rounded(.down)),
                         right: pixel((maxX * scale + pad).rounded(.up)), bottom: pixel((maxY * scale + pad).rounded(.up)))
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

/// A rectangle of whole pixels, `left..<right` × `top..<bottom`.
struct PixelRect: Equatable {
    var left: Int32
    var top: Int32
    var right: Int32
    var bottom: Int32

    static let everything = PixelRect(left: -(1 << 24), top: -(1 << 24), right: 1 << 24, bottom: 1 << 24)

    var isEmpty: Bool { right <= left || bottom <= top }
    var area: Int { isEmpty ? 0 : Int(right - left) * Int(bottom - top) }

    func intersection(_ other: PixelRect) -> PixelRect {
        PixelRect(left: max(left, other.left), top: max(top, other.top), right: min(right, other.right), bottom: min(bottom, other.bottom))
    }

    func union(_ other: PixelRect) -> PixelRect {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return PixelRect(left: min(left, other.left), top: min(top, other.top), right: max(right, other.right), bottom: max(bottom, other.bottom))
    }

    func expanded(by pixels: Int32) -> PixelRect {
        isEmpty ? self : PixelRect(left: left - pixels, top: top - pixels, right: right + pixels, bottom: bottom + pixels)
    }

    func intersects(_ other: PixelRect) -> Bool { !isEmpty && !intersection(other).isEmpty }

    /// Whether every pixel of `other` is inside (an empty `other` is inside anything).
    func contains(_ other: PixelRect) -> Bool {
        other.isEmpty || (other.left >= left && other.top >= top && other.right <= right && other.bottom <= bottom)
    }

    /// Appends the parts of this rectangle outside `hole` (up to four, not overlapping).
    func subtracting(_ hole: PixelRect, into pieces: inout [PixelRect]) {
        guard !isEmpty else { return }
        let cut = intersection(hole)
        guard !cut.isEmpty else {
            pieces.append(self)
            return
        }
        if cut.top > top { pieces.append(PixelRect(left: left, top: top, right: right, bottom: cut.top)) }
        if cut.bottom < bottom { pieces.append(PixelRect(left: left, top: cut.bottom, right: right, bottom: bottom)) }
        if cut.left > left { pieces.append(PixelRect(left: left, top: cut.top, right: cut.left, bottom: cut.bottom)) }
        if cut.right < right { pieces.append(PixelRect(left: cut.right, top: cut.top, right: right, bottom: cut.bottom)) }
    }
}

/// A line's two ends as a sequence, for `pixelBounds(of:)` without an array per line.
struct LinePoints: Sequence, IteratorProtocol {
    private var points: (Point, Point)
    private var index = 0
    init(_ from: Point, _ to: Point) { points = (from, to) }
    mutating func next() -> Point? {
        defer { index += 1 }
        switch index {
        case 0: return points.0
        case 1: return points.1
        default: return nil
        }
    }
}
