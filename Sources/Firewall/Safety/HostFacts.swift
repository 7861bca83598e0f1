import Foundation
import Packets

/// What this machine (or the network namespace the commands run in) must never block: its own
/// addresses, its default gateways and its DNS resolvers.
public struct HostFacts: Equatable, Sendable {
    public struct OwnAddress: Equatable, Sendable {
        public var address: IPAddress
        public var interface: String
        public init(address: IPAddress, interface: String) {
            self.address = address
            self.interface = interface
        }
    }

    public var ownAddresses: [OwnAddress]
    public var gateways: [IPAddress]
    public var resolvers: [IPAddress]

    public init(ownAddresses: [OwnAddress] = [], gateways: [IPAddress] = [], resolvers: [IPAddress] = []) {
        self.ownAddresses = ownAddresses
        self.gateways = gateways
        self.resolvers = resolvers
    }

    /// Where resolvers are read: the system's resolv.conf and, with systemd-resolved (whose
    /// resolv.conf names only its 127.0.0.53 stub), the upstream servers it forwards to.
    public static let resolvConfFiles = ["/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"]

    /// Reads them through `runner` (`ip -j address`, `ip -j route show default table all` for
    /// IPv4 and IPv6), so a namespaced runner sees the namespace's own, and the resolvers from
    /// `resolvConfFiles` (those that exist). Output `ip` printed but NetScouter cannot read
    /// throws: the lock-out protection must never silently go without this machine's facts.
    public static func gather(runner: any CommandRunner = ProcessCommandRunner(), resolvConfFiles: [String] = Self.resolvConfFiles) throws -> HostFacts {
        var facts = HostFacts()
        let addresses = try runner.check(FirewallCommand("ip", ["-j", "address", "show"])).standardOutput
        facts.ownAddresses = try parseAddresses(addresses)
        for family in ["-4", "-6"] {
            // Every routing table: policy routing (VPNs, multiple uplinks) keeps defaults outside main.
            let routes = try runner.check(FirewallCommand("ip", ["-j", family, "route", "show", "default", "table", "all"])).standardOutput
            for gateway in try parseGateways(routes) where !facts.gateways.contains(gateway) { facts.gateways.append(gateway) }
        }
        for file in resolvConfFiles where FileManager.default.fileExists(atPath: file) {
            // A resolver file that is there but unreadable would silently drop the resolvers'
            // protection: refuse instead.
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw FirewallError.other("Cannot read \(file), so the DNS resolvers it names cannot be protected from a ban: \(error.localizedDescription). Check its permissions.")
            }
            for resolver in parseResolvConf(text) where !facts.resolvers.contains(resolver) { facts.resolvers.append(resolver) }
        }
        return facts
    }

    static func parseJSONArray(_ json: String, what: String) throws -> [[String: Any]] {
        // `ip -j` prints nothing at all for an empty answer on some versions.
        if json.allSatisfy(\.isWhitespace) { return [] }
        guard let array = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
            throw FirewallError.other("`ip -j \(what)` printed output NetScouter cannot read, so this machine's own addresses and gateways are unknown and nothing can be checked against them: \(FirewallError.clean(json))")
        }
        return array
    }

    public static func parseAddresses(_ json: String) throws -> [OwnAddress] {
        try parseJSONArray(json, what: "address show").flatMap { interface -> [OwnAddress] in
            let name = interface["ifname"] as? String ?? "?"
            return (interface["addr_info"] as? [[String: Any]] ?? []).compactMap { info in
                (info["local"] as? String).flatMap(IPAddress.init).map { OwnAddress(address: $0, interface: name) }
            }
        }
    }

    /// `gateway` of each route, and of each of its `nexthops` (multipath defaults).
    public static func parseGateways(_ json: String) throws -> [IPAddress] {
        func address(_ text: Any?) -> IPAddress? {
            (text as? String).flatMap { IPAddress(String($0.split(separator: "%").first ?? "")) }
        }
        return try parseJSONArray(json, what: "route show default").flatMap { route -> [IPAddress] in
            [address(route["gateway"])].compactMap { $0 } + (route["nexthops"] as? [[String: Any]] ?? []).compactMap { address($0["gateway"]) }
        }
    }

    /// `nameserver` lines; a zone id (`fe80::1%eth0`) is dropped for the address.
    public static func parseResolvConf(_ text: String) -> [IPAddress] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            return IPAddress(String(words[1].split(separator: "%").first ?? ""))
        }
    }
}
