import Packets

/// One address or network a ban applies to, parsed and validated before anything reaches a
/// backend. Backends only ever render this parsed value (`description`), never the user's text,
/// so `1.2.3.4; reboot` or `$(…)` cannot reach a command line: they do not parse.
public struct BlockTarget: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Family: String, Sendable { case ipv4, ipv6 }

    /// The network address (host bits cleared).
    public let address: IPAddress
    /// 0…32 for IPv4, 0…128 for IPv6; the full length is a single address.
    public let prefixLength: Int

    /// The longest text accepted: an IPv6 address with a prefix is at most 43 characters.
    public static let maximumTextLength = 64

    public var family: Family { address.isIPv4 ? .ipv4 : .ipv6 }
    public var maximumPrefixLength: Int { address.isIPv4 ? 32 : 128 }
    public var isSingleAddress: Bool { prefixLength == maximumPrefixLength }

    /// A single address.
    public init(address: IPAddress) {
        self.address = address
        prefixLength = address.isIPv4 ? 32 : 128
    }

    /// A network; host bits of `address` are cleared.
    public init(network address: IPAddress, prefixLength: Int) {
        let maximum = address.isIPv4 ? 32 : 128
        precondition((0...maximum).contains(prefixLength))
        self.prefixLength = prefixLength
        self.address = Self.masked(address, prefixLength: prefixLength)
    }

    /// Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::1`, `2001:db8::/32`. Throws a message that says
    /// why anything else is refused.
    public init(parsing raw: String) throws {
        let text = Self.trimmed(raw)
        guard !text.isEmpty else { throw FirewallError.invalidTarget(raw, "it is empty") }
        guard text.utf8.count <= Self.maximumTextLength else {
            throw FirewallError.invalidTarget(raw, "it is longer than \(Self.maximumTextLength) characters; an address or CIDR is at most 43")
        }
        if text.contains("%") {
            throw FirewallError.invalidTarget(raw, "IPv6 zone ids (%eth0) name a link-local scope, which the firewall cannot block")
        }
        // Only the characters an address or a prefix can contain: nothing a shell or nft would read as syntax.
        guard text.unicodeScalars.allSatisfy({ Self.allowedCharacters.contains($0) }) else {
            throw FirewallError.invalidTarget(raw, "an address or CIDR contains only digits, a–f, '.', ':' and one '/'")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw FirewallError.invalidTarget(raw, "it has more than one '/'") }
        guard let address = IPAddress(String(parts[0])) else {
            throw FirewallError.invalidTarget(raw, "\"\(parts[0])\" is not an IPv4 or IPv6 address")
        }
        // `::ffff:1.2.3.4` parses as IPv4 (IPAddress stores IPv4 mapped); its prefix is then an IPv4 one.
        if parts.count == 2 && parts[0].contains(":") && address.isIPv4 {
            throw FirewallError.invalidTarget(raw, "write an IPv4-mapped network in IPv4 form (a.b.c.d/n)")
        }
        let maximum = address.isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCII), let value = Int(digits), (0...maximum).contains(value) else {
                throw FirewallError.invalidTarget(raw, "the prefix length must be a number from 0 to \(maximum)")
            }
            length = value
        }
        let masked = Self.masked(address, prefixLength: length)
        guard masked == address else {
            throw FirewallError.invalidTarget(raw, "it has host bits set; the network is \(masked)/\(length)")
        }
        self.address = masked
        prefixLength = length
    }

    /// `1.2.3.4` for a single address, `10.0.0.0/8` for a network: the only text backends use.
    public var description: String {
        isSingleAddress ? address.description : "\(address)/\(prefixLength)"
    }

    /// The first and last address of the range.
    public var first: IPAddress { address }
    public var last: IPAddress {
        let hostBits = maximumPrefixLength - prefixLength
        let (highMask, lowMask) = Self.hostMask(hostBits)
        return IPAddress(high: address.high | highMask, low: address.low | lowMask)
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv4 == address.isIPv4 && first <= other && other <= last
    }

    public func contains(_ other: BlockTarget) -> Bool {
        other.family == family && first <= other.first && other.last <= last
    }

    public func overlaps(_ other: BlockTarget) -> Bool {
        other.family == family && first <= other.last && other.first <= last
    }

    public static func < (lhs: BlockTarget, rhs: BlockTarget) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.prefixLength < rhs.prefixLength
    }

    private static let allowedCharacters = Set("0123456789abcdefABCDEF.:/".unicodeScalars)

    /// Spaces and tabs off both ends, without Foundation's CharacterSet (a third of a 20,000-line
    /// import went into `trimmingCharacters`).
    static func trimmed(_ text: String) -> Substring {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return text[first...last]
    }

    /// Bits below the prefix, for a family-relative count of host bits.
    private static func hostMask(_ hostBits: Int) -> (UInt64, UInt64) {
        // Both families live in 128 bits (IPv4 in the low 32), so host bits count from the bottom.
        let low: UInt64 = hostBits >= 64 ? .max : (hostBits == 0 ? 0 : (1 << UInt64(hostBits)) - 1)
        let highBits = hostBits - 64
        let high: UInt64 = highBits <= 0 ? 0 : (highBits >= 64 ? .max : (1 << UInt64(highBits)) - 1)
        return (high, low)
    }

    private static func masked(_ address: IPAddress, prefixLength: Int) -> IPAddress {
        let hostBits = (address.isIPv4 ? 32 : 128) - prefixLength
        let (highMask, lowMask) = hostMask(hostBits)
        return IPAddress(high: address.high & ~highMask, low: address.low & ~lowMask)
    }
}
