import CFirewall
import Foundation

/// CAP_NET_ADMIN: what changing the firewall needs.
public enum NetAdminCapability {
    /// Bit 12 of the effective set in /proc/self/status (`CapEff`).
    public static func isEffective(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> Bool {
        guard let line = status?.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let value = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return value & (1 << 12) != 0
    }

    /// Throws `needsNetAdmin` (with the setcap command for this executable) when it is missing;
    /// otherwise makes sure the `nft`/`ipset` children inherit it (ambient set) when we are not root.
    public static func require() throws {
        guard isEffective() else {
            throw FirewallError.needsNetAdmin(executable: executablePath)
        }
        if getuid() != 0 { _ = firewall_raise_ambient_net_admin() }
    }

    static var executablePath: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? "netscouter"
        return FirewallCommand.quoted(path)
    }
}
