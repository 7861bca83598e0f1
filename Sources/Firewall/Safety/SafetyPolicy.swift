import Packets

/// Why a target is refused: the lock-out protections, checked before any backend call.
public struct Refusal: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case overBroad = "over-broad range"
        case unspecified = "unspecified address"
        case loopback
        case linkLocal = "link-local"
        case multicast = "multicast or broadcast"
        case ownAddress = "this machine's address"
        case gateway = "default gateway"
        case resolver = "DNS resolver"
        case allowlisted = "allowlist"
        /// A narrower ban inside the requested network lasts longer than the new one would:
        /// replacing it would lift it early.
        case longerBanInside = "longer ban inside"
    }

    public var target: String
    public var kind: Kind
    public var reason: String

    public var description: String { "\(target) refused (\(kind.rawValue)): \(reason)" }
}

/// The rules that keep a block from locking the user out. A network is refused when it merely
/// overlaps a protected address or range: blocking 192.168.1.0/24 blocks the gateway in it too.
public struct SafetyPolicy: Sendable {
    /// Broadest networks accepted: IPv4 /8, IPv6 /16. Wider ones are almost certainly mistakes.
    public static let minimumPrefixIPv4 = 8
    public static let minimumPrefixIPv6 = 16

    public var facts: HostFacts
    public var allowlist: [BlockTarget]

    public init(facts: HostFacts, allowlist: [BlockTarget] = []) {
        self.facts = facts
        self.allowlist = allowlist
    }

    private static func net(_ text: String) -> BlockTarget { try! BlockTarget(parsing: text) }
    private static let fixed: [(Refusal.Kind, BlockTarget, String)] = [
        (.unspecified, net("0.0.0.0/8"), "0.0.0.0/8 means \"this network\" / any address"),
        (.unspecified, net("::/128"), ":: is the unspecified address"),
        (.loopback, net("127.0.0.0/8"), "127.0.0.0/8 is this machine's loopback; blocking it breaks local services"),
        (.loopback, net("::1/128"), "::1 is this machine's loopback; blocking it breaks local services"),
        (.linkLocal, net("169.254.0.0/16"), "169.254.0.0/16 is link-local (no router forwards it)"),
        (.linkLocal, net("fe80::/10"), "fe80::/10 is link-local; IPv6 neighbour discovery and routers use it"),
        (.multicast, net("224.0.0.0/4"), "224.0.0.0/4 is multicast; blocking it breaks discovery and routing protocols"),
        (.multicast, net("255.255.255.255/32"), "255.255.255.255 is the broadcast address (DHCP uses it)"),
        (.multicast, net("ff00::/8"), "ff00::/8 is IPv6 multicast; IPv6 stops working without it"),
    ]

    /// Nil when `target` may be blocked, else why not.
    public func check(_ target: BlockTarget) -> Refusal? {
        let text = target.description
        func refuse(_ kind: Refusal.Kind, _ reason: String) -> Refusal { Refusal(target: text, kind: kind, reason: reason) }
        let minimum = target.family == .ipv4 ? Self.minimumPrefixIPv4 : Self.minimumPrefixIPv6
        if target.prefixLength < minimum {
            return refuse(.overBroad, "/\(target.prefixLength) is wider than the /\(minimum) NetScouter accepts; it would cut off a large part of the internet (or all of it)")
        }
        for (kind, range, reason) in Self.fixed where range.overlaps(target) {
            return refuse(kind, reason)
        }
        // An IPv4-mapped IPv6 address is IPv4 to BlockTarget, so each family's checks cover it.
        if let own = facts.ownAddresses.first(where: { target.contains($0.address) }) {
            return refuse(.ownAddress, "\(own.address) is this machine's address on \(own.interface)")
        }
        if let gateway = facts.gateways.first(where: target.contains) {
            return refuse(.gateway, "\(gateway) is a default gateway; blocking it cuts this machine off the network")
        }
        if let resolver = facts.resolvers.first(where: target.contains) {
            return refuse(.resolver, "\(resolver) is a configured DNS resolver (resolv.conf); blocking it breaks name resolution")
        }
        if let entry = allowlist.first(where: { $0.overlaps(target) }) {
            return refuse(.allowlisted, "it overlaps the allowlist entry \(entry); remove it from the allowlist first")
        }
        return nil
    }
}
