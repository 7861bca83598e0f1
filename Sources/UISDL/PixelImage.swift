import CSDL2
import UI

/// A captured frame in memory: 32-bit 0xAARRGGBB pixels, row by row. What screenshots are made
/// of and what pixel tests compare.
public struct PixelImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt32]

    public init(width: Int, height: Int, pixels: [UInt32]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height, "PixelImage needs width × height pixels")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public func pixel(x: Int, y: Int) -> UInt32 { pixels[y * width + x] }

    public func color(x: Int, y: Int) -> Color {
        let value = pixel(x: x, y: y)
        return Color(UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF), UInt8(value >> 24))
    }

    /// How many different opaque colours appear (alpha ignored): 1 means a blank frame.
    public var distinctColorCount: Int { Set(pixels.lazy.map { $0 & 0x00FF_FFFF }).count }

    /// Copies a surface of any format.
    init(surface: UnsafeMutablePointer<SDL_Surface>) throws(SDLError) {
        guard let converted = SDL_ConvertSurfaceFormat(surface, SDL_PIXELFORMAT_ARGB8888.rawValue, 0) else {
            throw .surfaceFailed(SDLError.lastError())
        }
        defer { SDL_FreeSurface(converted) }
        self.init(argbSurface: converted)
    }

    /// Copies a surface known to be ARGB8888.
    init(argbSurface surface: UnsafeMutablePointer<SDL_Surface>) {
        let width = Int(surface.pointee.w), height = Int(surface.pointee.h), pitch = Int(surface.pointee.pitch)
        var pixels: [UInt32] = []
        pixels.reserveCapacity(width * height)
        if let base = surface.pointee.pixels {
            for y in 0..<height {
                pixels.append(contentsOf: UnsafeBufferPointer(start: base.advanced(by: y * pitch).assumingMemoryBound(to: UInt32.self), count: width))
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// Reads a PNG (or any format SDL_image knows).
    public static func load(path: String) throws(SDLError) -> PixelImage {
        guard let surface = IMG_Load(path) else { throw .surfaceFailed("cannot read \(path): \(SDLError.lastError())") }
        defer { SDL_FreeSurface(surface) }
        return try PixelImage(surface: surface)
    }

    public func savePNG(to path: String) throws(SDLError) {
        var copy = pixels
        let result: Int32 = copy.withUnsafeMutableBytes { bytes in
            guard let surface = SDL_CreateRGBSurfaceWithFormatFrom(bytes.baseAddress, Int32(width), Int32(height), 32,
                                                                   Int32(width * 4), SDL_PIXELFORMAT_ARGB8888.rawValue) else { return -1 }
            defer { SDL_FreeSurface(surface) }
            return IMG_SavePNG(surface, path)
        }
        if result != 0 { throw .saveFailed(path: path, message: SDLError.lastError()) }
    }
}
