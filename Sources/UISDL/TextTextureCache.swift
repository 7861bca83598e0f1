import CSDL2
import UI

/// Rasterised strings as textures, keyed by (string, role, colour), so a string costs one
/// `TTF_RenderUTF8_Blended` when it first appears and one blit per frame after that.
///
/// Bounded two ways: a texture unused for `maxIdleFrames` frames is destroyed, and when the cache
/// holds more than `maxEntries` textures or `maxBytes` of pixels the least recently used ones go
/// (never one used in the current frame). A live packet list produces new strings every frame,
/// so both bounds matter.
final class TextTextureCache {
    struct Key: Hashable {
        var text: String
        var role: FontRole
        var color: Color
    }

    struct Entry {
        var texture: OpaquePointer
        var width: Int32
        var height: Int32
        var lastUsedFrame: Int
        var bytes: Int { Int(width) * Int(height) * 4 }
    }

    let renderer: OpaquePointer
    let fonts: FontSet
    let maxEntries: Int
    let maxIdleFrames: Int
    let maxBytes: Int
    /// How often (in frames) idle textures are looked for even when the cache is within bounds.
    let sweepInterval = 60

    private var entries: [Key: Entry] = [:]
    private var frame = 0
    private var fontGeneration: Int
    private(set) var bytes = 0
    /// Strings rasterised since creation: a second frame of the same strings adds nothing.
    private(set) var rasterisations = 0
    /// Textures destroyed by eviction since creation.
    private(set) var evictions = 0

    init(renderer: OpaquePointer, fonts: FontSet, maxEntries: Int, maxIdleFrames: Int, maxBytes: Int) {
        self.renderer = renderer
        self.fonts = fonts
        self.maxEntries = max(1, maxEntries)
        self.maxIdleFrames = max(1, maxIdleFrames)
        self.maxBytes = max(1, maxBytes)
        fontGeneration = fonts.generation
    }

    var count: Int { entries.count }

    func beginFrame() {
        frame += 1
        if fontGeneration != fonts.generation {
            fontGeneration = fonts.generation
            removeAll()
        }
    }

    /// The texture for a string, rasterising it on a miss. Nil for empty strings or when
    /// SDL_ttf cannot render (the text is then skipped rather than failing the frame).
    func texture(for text: String, role: FontRole, color: Color) -> Entry? {
        let key = Key(text: text, role: role, color: color)
        if let index = entries.index(forKey: key) {
            entries.values[index].lastUsedFrame = frame
            return entries.values[index]
        }
        guard let entry = rasterise(text, role: role, color: color) else { return nil }
        entries[key] = entry
        bytes += entry.bytes
        return entry
    }

    /// Evicts after a frame: idle textures every `sweepInterval` frames, least recently used ones
    /// whenever a bound is exceeded.
    func endFrame() {
        let overBounds = entries.count > maxEntries || bytes > maxBytes
        guard overBounds || frame % sweepInterval == 0 else { return }
        let oldestKept = frame - maxIdleFrames
        for (key, entry) in entries where entry.lastUsedFrame < oldestKept {
            destroy(key, entry)
        }
        guard entries.count > maxEntries || bytes > maxBytes else { return }
        // Shrink to three quarters of the bounds so the next few new strings do not sort again.
        let targetCount = maxEntries * 3 / 4, targetBytes = maxBytes / 4 * 3
        for (key, entry) in entries.sorted(by: { $0.value.lastUsedFrame < $1.value.lastUsedFrame }) {
            guard entries.count > targetCount || bytes > targetBytes else { break }
            guard entry.lastUsedFrame < frame else { break }
            destroy(key, entry)
        }
    }

    func removeAll() {
        for entry in entries.values { SDL_DestroyTexture(entry.texture) }
        evictions += entries.count
        entries.removeAll()
        bytes = 0
    }

    private func destroy(_ key: Key, _ entry: Entry) {
        SDL_DestroyTexture(entry.texture)
        entries.removeValue(forKey: key)
        bytes -= entry.bytes
        evictions += 1
    }

    private func rasterise(_ text: String, role: FontRole, color: Color) -> Entry? {
        guard !text.isEmpty, let font = fonts.font(role) else { return nil }
        let foreground = SDL_Color(r: color.red, g: color.green, b: color.blue, a: color.alpha)
        guard let surface = TTF_RenderUTF8_Blended(font, text, foreground) else { return nil }
        defer { SDL_FreeSurface(surface) }
        rasterisations += 1
        guard let texture = SDL_CreateTextureFromSurface(renderer, surface) else { return nil }
        SDL_SetTextureBlendMode(texture, SDL_BLENDMODE_BLEND)
        return Entry(texture: texture, width: surface.pointee.w, height: surface.pointee.h, lastUsedFrame: frame)
    }
}
