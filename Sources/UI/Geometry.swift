/// A point in logical pixels (before the HiDPI scale factor is applied by the backend).
public struct Point: Equatable, Sendable {
    public var x: Float
    public var y: Float
    public init(_ x: Float, _ y: Float) {
        self.x = x
        self.y = y
    }
    public static let zero = Point(0, 0)
}

public struct Size: Equatable, Sendable {
    public var width: Float
    public var height: Float
    public init(_ width: Float, _ height: Float) {
        self.width = width
        self.height = height
    }
}

public struct Rect: Equatable, Sendable, CustomStringConvertible {
    public var x: Float
    public var y: Float
    public var width: Float
    public var height: Float

    public init(x: Float, y: Float, width: Float, height: Float) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    public var minX: Float { x }
    public var minY: Float { y }
    public var maxX: Float { x + width }
    public var maxY: Float { y + height }
    public var center: Point { Point(x + width / 2, y + height / 2) }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    public func contains(_ point: Point) -> Bool {
        point.x >= x && point.y >= y && point.x < maxX && point.y < maxY
    }

    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }

    public func intersects(_ other: Rect) -> Bool {
        x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
    }

    public func insetBy(_ dx: Float, _ dy: Float) -> Rect {
        Rect(x: x + dx, y: y + dy, width: max(0, width - 2 * dx), height: max(0, height - 2 * dy))
    }

    public var description: String { "(\(Int(x)),\(Int(y)) \(Int(width))×\(Int(height)))" }
}

/// 8-bit RGBA.
public struct Color: Equatable, Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var alpha: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8, _ alpha: UInt8 = 255) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// From 0xRRGGBB.
    public init(hex: UInt32, alpha: UInt8 = 255) {
        self.init(UInt8(hex >> 16 & 0xFF), UInt8(hex >> 8 & 0xFF), UInt8(hex & 0xFF), alpha)
    }

    public func withAlpha(_ alpha: UInt8) -> Color { Color(red, green, blue, alpha) }

    /// Linear blend towards `other` by `amount` in 0…1 (hover and pressed shades).
    public func mixed(with other: Color, _ amount: Float) -> Color {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8(clamping: Int((Float(a) + (Float(b) - Float(a)) * amount).rounded())) }
        return Color(mix(red, other.red), mix(green, other.green), mix(blue, other.blue), mix(alpha, other.alpha))
    }

    public var hexString: String {
        let value = UInt32(red) << 16 | UInt32(green) << 8 | UInt32(blue)
        let digits = String(value, radix: 16)
        return "#" + String(repeating: "0", count: 6 - digits.count) + digits + (alpha == 255 ? "" : "/\(alpha)")
    }
}
