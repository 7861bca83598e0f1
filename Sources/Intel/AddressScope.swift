import Packets

/// Which addresses may leave the machine in a lookup. Only global unicast addresses do: private
/// (RFC 1918, ULA fc00::/7, CGNAT 100.64/10), loopback, link-local, multicast, broadcast and the
/// IANA special-purpose ranges (documentation, benchmarking, "this network", reserved 240/4, …)
/// never identify a party on the internet, and sending them would only leak the local network.
public enum AddressScope: Equatable, Sendable {
    case global
    case local(String)

    public static func of(_ address: IPAddress) -> AddressScope {
        if address.isLoopback { return .local("loopback") }
        if address.isUnspecified { return .local("unspecified address") }
        if address.isMulticastOrBroadcast { return .local("multicast or broadcast") }
        if address.isIPv4 {
            let v = address.ipv4Value
            func inside(_ base: UInt32, _ prefix: Int) -> Bool { v >> (32 - prefix) == base >> (32 - prefix) }
            if inside(0xA9FE_0000, 16) { return .local("link-local") }
            if inside(0x0A00_0000, 8) || inside(0xAC10_0000, 12) || inside(0xC0A8_0000, 16) { return .local("private (RFC 1918)") }
            if inside(0x6440_0000, 10) { return .local("shared address space (carrier-grade NAT)") }
            if inside(0x0000_0000, 8) { return .local("\"this network\" (0.0.0.0/8)") }
            if inside(0xC000_0000, 24) { return .local("IETF protocol assignments (192.0.0.0/24)") }
            if inside(0xC000_0200, 24) || inside(0xC633_6400, 24) || inside(0xCB00_7100, 24) { return .local("documentation range (RFC 5737)") }
            if inside(0xC612_0000, 15) { return .local("benchmarking range (198.18.0.0/15)") }
            if inside(0xF000_0000, 4) { return .local("reserved (240.0.0.0/4)") }
            return .global
        }
        let high = address.high
        if high >> 54 == 0x3FA { return .local("link-local") }                         // fe80::/10
        if high >> 54 == 0x3FB { return .local("site-local (deprecated)") }            // fec0::/10
        if high >> 57 == 0x7E { return .local("unique local (fc00::/7)") }
        if high >> 32 == 0x2001_0DB8 { return .local("documentation range (2001:db8::/32)") }
        if high == 0x0100_0000_0000_0000 { return .local("discard prefix (100::/64)") }
        if high >> 61 != 0x1 { return .local("not global unicast (outside 2000::/3)") }
        return .global
    }

    public static func of(_ text: String) -> AddressScope? {
        IPAddress(text).map(of)
    }

    public var isGlobal: Bool { self == .global }
}
