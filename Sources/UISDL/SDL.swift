import CSDL2

/// SDL and SDL_ttf failures with the library's own message and what to do about it.
public enum SDLError: Error, Equatable, CustomStringConvertible {
    case initialisationFailed(String)
    case windowFailed(String)
    case rendererFailed(String)
    case surfaceFailed(String)
    case fontFailed(path: String, message: String)
    case saveFailed(path: String, message: String)

    public var description: String {
        switch self {
        case let .initialisationFailed(message):
            "Cannot start the display (\(message)). Is an X11 display available (DISPLAY set)? Headless jobs work without one: see `netscouter --help`."
        case let .windowFailed(message): "Cannot open the window: \(message)."
        case let .rendererFailed(message): "Cannot create a renderer: \(message)."
        case let .surfaceFailed(message): "Cannot create an offscreen surface: \(message)."
        case let .fontFailed(path, message):
            "Cannot load the font \(path): \(message). Install Debian's fonts-dejavu-core (`sudo apt-get install fonts-dejavu-core`)."
        case let .saveFailed(path, message): "Cannot write \(path): \(message)."
        }
    }

    static func lastError() -> String { String(cString: SDL_GetError()) }
}

/// A software renderer drawing into an offscreen 32-bit surface: screenshots and headless tests
/// need neither a display nor `SDL_Init`.
public final class OffscreenCanvas {
    public let width: Int32
    public let height: Int32
    let surface: UnsafeMutablePointer<SDL_Surface>
    let renderer: OpaquePointer
    private var destroyed = false

    public init(width: Int32, height: Int32) throws(SDLError) {
        guard let surface = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888.rawValue) else {
            throw .surfaceFailed(SDLError.lastError())
        }
        guard let renderer = SDL_CreateSoftwareRenderer(surface) else {
            SDL_FreeSurface(surface)
            throw .rendererFailed(SDLError.lastError())
        }
        self.width = width
        self.height = height
        self.surface = surface
        self.renderer = renderer
    }

    /// Releases the renderer, then the surface. Teardown order matters in SDL (renderer before its
    /// target), and leaving it to `deinit` has crashed on this platform, so callers destroy.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        SDL_DestroyRenderer(renderer)
        SDL_FreeSurface(surface)
    }

    deinit { destroy() }

    public func clear(red: UInt8, green: UInt8, blue: UInt8) {
        SDL_SetRenderDrawColor(renderer, red, green, blue, 255)
        SDL_RenderClear(renderer)
    }

    public func fillRect(x: Int32, y: Int32, width: Int32, height: Int32, red: UInt8, green: UInt8, blue: UInt8) {
        SDL_SetRenderDrawColor(renderer, red, green, blue, 255)
        var rect = SDL_Rect(x: x, y: y, w: width, h: height)
        SDL_RenderFillRect(renderer, &rect)
    }

    public func present() { SDL_RenderPresent(renderer) }

    /// The pixel at (x, y) as 0xAARRGGBB.
    public func pixel(x: Int32, y: Int32) -> UInt32 {
        let pitch = Int(surface.pointee.pitch)
        let row = surface.pointee.pixels.advanced(by: Int(y) * pitch)
        return row.load(fromByteOffset: Int(x) * 4, as: UInt32.self)
    }

    public func saveBMP(to path: String) throws(SDLError) {
        if ns_SDL_SaveBMP(surface, path) != 0 { throw .saveFailed(path: path, message: SDLError.lastError()) }
    }
}
