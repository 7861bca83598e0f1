import CSDL2
import UI

/// One open `TTF_Font` per `FontRole`, sized for a scale factor. Owns its fonts and its share of
/// SDL_ttf: call `close()` before the renderer and window go away (see PLATFORM-NOTES, teardown
/// order); relying on `deinit` has crashed in `FT_Done_Face` on this platform.
public final class FontSet {
    /// Logical pixel sizes per role, before scaling.
    public static func baseSize(_ role: FontRole) -> Float {
        switch role {
        case .body: 14
        case .small: 12
        case .heading: 17
        case .monospace: 13
        case .display: 34
        }
    }

    public let paths: FontPaths
    public private(set) var scale: Float
    /// Bumped whenever the fonts are reopened, so caches built on the old ones know to drop.
    public private(set) var generation = 0
    public private(set) var isClosed = false
    private var fonts: [OpaquePointer] = []

    /// Opens every role at `scale`. Without `paths` the fonts are found with fontconfig.
    public init(scale: Float = 1, paths: FontPaths? = nil) throws(SDLError) {
        precondition(scale > 0, "FontSet scale must be positive")
        try TTFLibrary.acquire()
        // Everything that can fail happens before the first stored property is set: a throwing
        // init of a fully initialised object would still run `deinit` and release twice.
        let resolved: FontPaths, opened: [OpaquePointer]
        do throws(SDLError) {
            if let paths { resolved = paths } else { resolved = try FontLocator.uiFonts() }
            opened = try Self.open(paths: resolved, scale: scale)
        } catch {
            TTFLibrary.release()
            throw error
        }
        self.paths = resolved
        self.scale = scale
        fonts = opened
    }

    /// The font for a role. Only valid until `close()` or `reload(scale:)`.
    public func font(_ role: FontRole) -> OpaquePointer? {
        isClosed ? nil : fonts[role.rawValue]
    }

    /// The pixel size a role is opened at: its base size times the scale, at least 1.
    public static func pixelSize(_ role: FontRole, scale: Float) -> Int32 {
        max(1, Int32((baseSize(role) * scale).rounded()))
    }

    /// Reopens every font at a new scale (the window moved to a screen with another pixel ratio).
    public func reload(scale newScale: Float) throws(SDLError) {
        precondition(!isClosed, "FontSet.reload after close")
        guard newScale != scale else { return }
        let reopened = try Self.open(paths: paths, scale: newScale)
        fonts.forEach { TTF_CloseFont($0) }
        fonts = reopened
        scale = newScale
        generation += 1
    }

    /// Closes the fonts and releases SDL_ttf. Idempotent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        fonts.forEach { TTF_CloseFont($0) }
        fonts.removeAll()
        generation += 1
        TTFLibrary.release()
    }

    deinit { close() }

    private static func open(paths: FontPaths, scale: Float) throws(SDLError) -> [OpaquePointer] {
        var opened: [OpaquePointer] = []
        for role in FontRole.allCases {
            precondition(role.rawValue == opened.count, "FontRole raw values must be 0..<count")
            let path = paths.path(for: FontFamily(role))
            guard let font = TTF_OpenFont(path, pixelSize(role, scale: scale)) else {
                let message = SDLError.lastError()
                opened.forEach { TTF_CloseFont($0) }
                throw .fontFailed(path: path, message: message)
            }
            opened.append(font)
        }
        return opened
    }
}
