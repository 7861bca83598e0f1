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

    /// Reads them through `runner` (`ip -j address`, `ip -j route show default` for IPv4 and IPv6),
    /// so a namespaced runner sees the namespace's own, and the resolvers from `resolvConf`.
    public static func gather(runner: any CommandRunner = ProcessCommandRunner(), resolvConf: String = "/etc/resolv.conf") throws -> HostFacts {
        var facts = HostFacts()
        let addresses = try runner.check(FirewallCommand("ip", ["-j", "address", "show"])).standardOutput
        facts.ownAddresses = parseAddresses(addresses)
        for family in ["-4", "-6"] {
            let routes = try runner.check(FirewallCommand("ip", ["-j", family, "route", "show", "default"])).standardOutput
            facts.gateways += parseGateways(routes)
        }
        facts.resolvers = parseResolvConf((try? String(contentsOfFile: resolvConf, encoding: .utf8)) ?? "")
        return facts
    }

    static func parseAddresses(_ json: String) -> [OwnAddress] {
        guard let interfaces = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else { return [] }
        return interfaces.flatMap { interface -> [OwnAddress] in
            let name = interface["ifname"] as? String ?? "?"
            return (interface["addr_info"] as? [[String: Any]] ?? []).compactMap { info in
                (info["local"] as? String).flatMap(IPAddress.init).map { OwnAddress(address: $0, interface: name) }
            }
        }
    }

    static func parseGateways(_ json: String) -> [IPAddress] {
        guard let routes = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else { return [] }
        return routes.compactMap { route in
            (route["gateway"] as? String).flatMap { IPAddress(String($0.split(separator: "%").first ?? "")) }
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
