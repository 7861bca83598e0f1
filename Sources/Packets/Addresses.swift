#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address in 16 bytes, with IPv4 stored IPv4-mapped (`::ffff:a.b.c.d`).
///
/// One fixed-size type for both families keeps `PacketSummary` `BitwiseCopyable` and lets the host
/// and flow tables hash two words instead of a variable-length array.
public struct IPAddress: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Bytes 0–7 of the address, most significant first.
    public var high: UInt64
    /// Bytes 8–15 of the address, most significant first.
    public var low: UInt64

    public static let unspecified = IPAddress(high: 0, low: 0)
    private static let ipv4MappedPrefix: UInt64 = 0x0000_FFFF_0000_0000

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its 32-bit value in host order (`0x7F000001` is 127.0.0.1).
    public init(ipv4 value: UInt32) {
        high = 0
        low = Self.ipv4MappedPrefix | UInt64(value)
    }

    /// An IPv4 address from its four octets.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.init(ipv4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form; nil when it is neither.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(ipv4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let words = withUnsafeBytes(of: &v6) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        self.init(high: UInt64(bigEndian: words.0), low: UInt64(bigEndian: words.1))
    }

    public var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }
    /// The IPv4 value in host order; meaningful only when `isIPv4`.
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }
    public var isUnspecified: Bool { high == 0 && (low == 0 || low == Self.ipv4MappedPrefix) }

    public var isLoopback: Bool {
        isIPv4 ? ipv4Value >> 24 == 127 : (high == 0 && low == 1)
    }

    /// RFC 1918, RFC 4193 (fc00::/7), link-local, loopback and CGNAT: addresses that never identify
    /// a remote party on the internet, so reputation lookups skip them.
    public var isPrivateOrLocal: Bool {
        if isIPv4 {
            let v = ipv4Value
            return v >> 24 == 10 || v >> 24 == 127 || v >> 20 == 0xAC1 || v >> 16 == 0xC0A8
                || v >> 16 == 0xA9FE || v >> 22 == (100 << 2 | 1) || v == 0
        }
        return isLoopback || isUnspecified || high >> 57 == 0x7E || high >> 54 == 0x3FA
    }

    public var isMulticastOrBroadcast: Bool {
        isIPv4 ? (ipv4Value >> 28 == 0xE || ipv4Value == 0xFFFF_FFFF) : high >> 56 == 0xFF
    }

    /// The 16 bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    public var description: String {
        if isIPv4 {
            let v = ipv4Value
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { buffer in
            buffer.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// A cheap, well-mixed 64-bit hash for the open-addressing tables (not for adversarial keys
    /// from outside the process: table sizes are bounded and eviction keeps probes short).
    @inline(__always)
    public var mixedHash: UInt64 {
        fastMix(high &* 0x9E37_79B9_7F4A_7C15 ^ low)
    }
}

/// Murmur3's 64-bit finaliser: spreads every input bit over the whole word.
@inline(__always)
public func fastMix(_ value: UInt64) -> UInt64 {
    var x = value
    x ^= x >> 33
    x &*= 0xFF51_AFD7_ED55_8CCD
    x ^= x >> 33
    x &*= 0xC4CE_B9FE_1A85_EC53
    x ^= x >> 33
    return x
}

/// A 48-bit link-layer (Ethernet) address stored in the low bits of a UInt64.
public struct MACAddress: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var value: UInt64

    public static let zero = MACAddress(value: 0)
    public static let broadcast = MACAddress(value: 0xFFFF_FFFF_FFFF)

    public init(value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    public init(_ octets: [UInt8]) {
        precondition(octets.count == 6, "a MAC address has six octets")
        self.init(value: octets.reduce(0) { $0 << 8 | UInt64($1) })
    }

    public init?(_ text: String) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, part.allSatisfy(\.isHexDigit), let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.init(value: value)
    }

    /// The organisationally unique identifier (first three octets), used for vendor lookup.
    public var oui: UInt32 { UInt32(truncatingIfNeeded: value >> 24) }
    public var isMulticast: Bool { value >> 40 & 1 == 1 }

    public var description: String {
        (0..<6).map { index in
            let octet = UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64(index)))
            let hex = String(octet, radix: 16)
            return octet < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.value < rhs.value }
}
