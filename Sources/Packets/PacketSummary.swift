/// The network-layer protocol of a frame.
public enum NetworkProtocol: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case none = 0, ipv4, ipv6, arp
}

/// The transport (or ICMP) protocol carried by the network layer.
public enum TransportProtocol: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case none = 0, tcp, udp, icmp, icmpv6, other
}

/// The five classes the rate graph and counters break traffic into.
public enum ProtocolClass: Int, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case tcp = 0, udp, icmp, arp, other

    public var description: String {
        switch self {
        case .tcp: "TCP"
        case .udp: "UDP"
        case .icmp: "ICMP"
        case .arp: "ARP"
        case .other: "Other"
        }
    }
}

/// TCP header flags, bit-compatible with byte 13 of the TCP header.
public struct TCPFlags: OptionSet, Sendable, BitwiseCopyable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    public var description: String {
        let names: [(TCPFlags, String)] = [
            (.syn, "SYN"), (.ack, "ACK"), (.fin, "FIN"), (.rst, "RST"),
            (.psh, "PSH"), (.urg, "URG"), (.ece, "ECE"), (.cwr, "CWR"),
        ]
        let set = names.filter { contains($0.0) }.map(\.1)
        return set.isEmpty ? "-" : set.joined(separator: ",")
    }
}

/// Facts about how a frame decoded.
public struct DecodeFlags: OptionSet, Sendable, BitwiseCopyable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A header was cut short or inconsistent (bad length, bad version); fields past it are unset.
    public static let malformed = DecodeFlags(rawValue: 0x01)
    /// Captured length is below the wire length (snaplen); not an error by itself.
    public static let truncated = DecodeFlags(rawValue: 0x02)
    /// An IP fragment; only the first fragment carries transport ports.
    public static let fragment = DecodeFlags(rawValue: 0x04)
    /// Carried one or more 802.1Q / 802.1ad VLAN tags.
    public static let vlanTagged = DecodeFlags(rawValue: 0x08)
    /// The link type is not one the decoder knows.
    public static let unknownLinkType = DecodeFlags(rawValue: 0x10)
    /// Carried inside a PPPoE session (DSL links).
    public static let pppoe = DecodeFlags(rawValue: 0x20)
}

/// Everything the rest of NetScouter needs to know about one captured frame, in a fixed-size,
/// reference-free value that can cross the SPSC ring without retain/release traffic.
///
/// For ARP frames `source`/`destination` are the sender and target protocol addresses and
/// `sourceMAC`/`destinationMAC` the sender and target hardware addresses.
public struct PacketSummary: Sendable, BitwiseCopyable {
    /// Capture time in nanoseconds since the Unix epoch.
    public var timestamp: Int64 = 0
    public var wireLength: UInt32 = 0
    public var capturedLength: UInt32 = 0
    public var source: IPAddress = .unspecified
    public var destination: IPAddress = .unspecified
    public var sourceMAC: MACAddress = .zero
    public var destinationMAC: MACAddress = .zero
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var vlanID: UInt16 = 0
    /// ARP operation (1 request, 2 reply); 0 otherwise.
    public var arpOperation: UInt16 = 0
    public var network: NetworkProtocol = .none
    public var transport: TransportProtocol = .none
    /// The IP protocol number of the payload (6 TCP, 17 UDP, 47 GRE, …), 0 when not IP.
    public var ipProtocol: UInt8 = 0
    public var tcpFlags: TCPFlags = []
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    public var ttl: UInt8 = 0
    public var flags: DecodeFlags = []
    /// The TCP sequence number (0 for other protocols). Flows use it to tell a new connection
    /// that reuses a finished one's ports (a SYN with another initial sequence number).
    public var tcpSequence: UInt32 = 0

    public init() {}

    public var isMalformed: Bool { flags.contains(.malformed) }

    public var protocolClass: ProtocolClass {
        switch transport {
        case .tcp: .tcp
        case .udp: .udp
        case .icmp, .icmpv6: .icmp
        case .none, .other: network == .arp ? .arp : .other
        }
    }

    /// Seconds since the epoch, for display and one-second rate buckets.
    public var second: Int64 { timestamp >= 0 ? timestamp / 1_000_000_000 : (timestamp + 1) / 1_000_000_000 - 1 }
}
