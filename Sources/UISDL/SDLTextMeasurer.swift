import CSDL2
import UI

/// `TextMeasuring` with SDL_ttf. Sizes are in logical pixels (the font's pixel size divided by
/// the scale), so layout is the same at every scale. Widths are cached per (role, string) in two
/// generations: when the current one fills up it becomes the previous one, and a hit in the
/// previous one moves back, so the cache is bounded and keeps what is still being measured.
public final class SDLTextMeasurer: TextMeasuring {
    private struct Key: Hashable {
        var role: FontRole
        var text: String
    }

    public let fonts: FontSet
    public let capacity: Int
    private var current: [Key: Size] = [:]
    private var previous: [Key: Size] = [:]
    private var generation: Int
    private var lineHeights: [Float] = []
    /// How many times SDL_ttf was asked (cache misses), for tests and statistics.
    public private(set) var measurements = 0

    public init(fonts: FontSet, capacity: Int = 4096) {
        self.fonts = fonts
        self.capacity = max(16, capacity)
        generation = fonts.generation
        refreshLineHeights()
    }

    public func size(of text: String, role: FontRole) -> Size {
        syncWithFonts()
        guard !text.isEmpty else { return Size(0, lineHeights[role.rawValue]) }
        let key = Key(role: role, text: text)
        if let hit = current[key] { return hit }
        let size = previous.removeValue(forKey: key) ?? measure(text, role)
        if current.count >= capacity {
            previous = current
            current.removeAll(keepingCapacity: true)
        }
        current[key] = size
        return size
    }

    public func lineHeight(_ role: FontRole) -> Float {
        syncWithFonts()
        return lineHeights[role.rawValue]
    }

    /// Entries held (both generations).
    public var cachedCount: Int { current.count + previous.count }

    private func measure(_ text: String, _ role: FontRole) -> Size {
        guard let font = fonts.font(role) else { return Size(0, 0) }
        measurements += 1
        var width: Int32 = 0, height: Int32 = 0
        if TTF_SizeUTF8(font, text, &width, &height) != 0 { return Size(0, lineHeights[role.rawValue]) }
        return Size(Float(width) / fonts.scale, Float(height) / fonts.scale)
    }

    private func syncWithFonts() {
        guard generation != fonts.generation else { return }
        generation = fonts.generation
        current.removeAll()
        previous.removeAll()
        refreshLineHeights()
    }

    private func refreshLineHeights() {
        lineHeights = FontRole.allCases.map { role in
            guard let font = fonts.font(role) else { return 0 }
            return Float(TTF_FontHeight(font)) / fonts.scale
        }
    }
}
