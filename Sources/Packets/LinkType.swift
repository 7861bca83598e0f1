/// A capture's data-link type, as `pcap_datalink` reports it (DLT_* values).
public struct LinkType: RawRepresentable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP; libpcap maps LINKTYPE_RAW (101) to DLT_RAW, which is 12 on Linux and 14 on OpenBSD.
    public static let raw = LinkType(rawValue: 12)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let rawLinktype = LinkType(rawValue: 101)
    /// OpenBSD loopback: like `null` but the family is always big-endian.
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var description: String {
        switch self {
        case .null: "BSD loopback"
        case .ethernet: "Ethernet"
        case .raw, .rawOpenBSD, .rawLinktype: "Raw IP"
        case .loop: "OpenBSD loopback"
        case .linuxSLL: "Linux cooked (SLL)"
        case .ipv4: "Raw IPv4"
        case .ipv6: "Raw IPv6"
        case .linuxSLL2: "Linux cooked v2 (SLL2)"
        default: "link type \(rawValue)"
        }
    }

    public var isSupported: Bool {
        [.null, .ethernet, .raw, .rawOpenBSD, .rawLinktype, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2].contains(self)
    }
}
