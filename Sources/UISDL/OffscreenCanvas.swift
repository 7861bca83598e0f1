import CSDL2
import UI

/// A software renderer drawing into an offscreen 32-bit ARGB surface: screenshots, golden
/// images and headless tests need neither a display nor `SDL_Init`.
///
/// `width` and `height` are surface pixels; the UI is laid out in logical pixels, so a UI built
/// for this canvas uses `viewport` (pixels divided by `scale`) and `measurer`.
public final class OffscreenCanvas {
    public let width: Int32
    public let height: Int32
    public let scale: Float
    public let fonts: FontSet
    public let measurer: SDLTextMeasurer
    public let drawListRenderer: DrawListRenderer
    let surface: UnsafeMutablePointer<SDL_Surface>
    let renderer: OpaquePointer
    public private(set) var isDestroyed = false

    public init(width: Int32, height: Int32, scale: Float = 1) throws(SDLError) {
        precondition(scale > 0, "OffscreenCanvas scale must be positive")
        guard let surface = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888.rawValue) else {
            throw .surfaceFailed(SDLError.lastError())
        }
        guard let renderer = SDL_CreateSoftwareRenderer(surface) else {
            SDL_FreeSurface(surface)
            throw .rendererFailed(SDLError.lastError())
        }
        let fonts: FontSet
        do throws(SDLError) {
            fonts = try FontSet(scale: scale)
        } catch {
            SDL_DestroyRenderer(renderer)
            SDL_FreeSurface(surface)
            throw error
        }
        self.width = width
        self.height = height
        self.scale = scale
        self.surface = surface
        self.renderer = renderer
        self.fonts = fonts
        measurer = SDLTextMeasurer(fonts: fonts)
        drawListRenderer = DrawListRenderer(renderer: renderer, fonts: fonts)
    }

    /// Releases, in order, the text textures and fonts, the renderer, then the surface. Teardown
    /// order matters in SDL, and leaving it to `deinit` has crashed on this platform, so callers
    /// destroy explicitly. Idempotent.
    public func destroy() {
        guard !isDestroyed else { return }
        isDestroyed = true
        drawListRenderer.destroy()
        fonts.close()
        SDL_DestroyRenderer(renderer)
        SDL_FreeSurface(surface)
    }

    deinit { destroy() }

    /// The logical area a UI for this canvas lays out in.
    public var viewport: Rect { Rect(x: 0, y: 0, width: Float(width) / scale, height: Float(height) / scale) }

    // MARK: Drawing

    /// Renders a draw list, after filling the canvas with `background` when given, and flushes
    /// it so the pixels can be read.
    public func render(_ list: DrawList, background: Color? = nil) {
        precondition(!isDestroyed, "OffscreenCanvas used after destroy()")
        drawListRenderer.render(list, background: background)
        SDL_RenderPresent(renderer)
    }

    /// Renders a finished UI frame on its theme's background.
    public func render(_ ui: UIContext) {
        render(ui.drawList, background: ui.theme.background)
    }

    public func clear(red: UInt8, green: UInt8, blue: UInt8) {
        SDL_RenderSetClipRect(renderer, nil)
        SDL_SetRenderDrawColor(renderer, red, green, blue, 255)
        SDL_RenderClear(renderer)
    }

    public func fillRect(x: Int32, y: Int32, width: Int32, height: Int32, red: UInt8, green: UInt8, blue: UInt8) {
        SDL_SetRenderDrawColor(renderer, red, green, blue, 255)
        var rect = SDL_Rect(x: x, y: y, w: width, h: height)
        SDL_RenderFillRect(renderer, &rect)
    }

    /// Flushes queued drawing into the surface.
    public func present() { SDL_RenderPresent(renderer) }

    // MARK: Reading pixels

    /// The pixel at (x, y) as 0xAARRGGBB.
    public func pixel(x: Int32, y: Int32) -> UInt32 {
        precondition(x >= 0 && y >= 0 && x < width && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
        let pitch = Int(surface.pointee.pitch)
        let row = surface.pointee.pixels.advanced(by: Int(y) * pitch)
        return row.load(fromByteOffset: Int(x) * 4, as: UInt32.self)
    }

    /// The pixel at (x, y) as a colour.
    public func color(x: Int32, y: Int32) -> Color {
        let value = pixel(x: x, y: y)
        return Color(UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF), UInt8(value >> 24))
    }

    /// A copy of every pixel.
    public func image() -> PixelImage { PixelImage(argbSurface: surface) }

    // MARK: Saving

    public func saveBMP(to path: String) throws(SDLError) {
        if ns_SDL_SaveBMP(surface, path) != 0 { throw .saveFailed(path: path, message: SDLError.lastError()) }
    }

    public func savePNG(to path: String) throws(SDLError) {
        if IMG_SavePNG(surface, path) != 0 { throw .saveFailed(path: path, message: SDLError.lastError()) }
    }

    /// The surface encoded as PNG, in memory, so the caller decides how the file is written
    /// (atomically, or in place for a device or FIFO) and sees every write error — SDL's own
    /// file writer does not report a failed final flush.
    public func pngData() throws(SDLError) -> [UInt8] {
        // Room for the worst case: raw rows (a filter byte each) that do not compress, plus
        // zlib's and the PNG chunks' overhead.
        let raw = Int(height) * (1 + Int(width) * 4)
        var buffer = [UInt8](repeating: 0, count: raw + raw / 100 + (1 << 20))
        let written: Int64 = buffer.withUnsafeMutableBytes { bytes in
            guard let stream = SDL_RWFromMem(bytes.baseAddress, Int32(clamping: bytes.count)) else { return -1 }
            defer { SDL_RWclose(stream) }
            guard IMG_SavePNG_RW(surface, stream, 0) == 0 else { return -1 }
            return SDL_RWtell(stream)
        }
        guard written > 0 else { throw .saveFailed(path: "(memory)", message: SDLError.lastError()) }
        return Array(buffer.prefix(Int(written)))
    }
}
