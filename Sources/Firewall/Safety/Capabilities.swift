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

    /// Throws `needsNetAdmin` (with the setcap command for this executable) when it is missing,
    /// or when a non-root process cannot pass it on to its `nft` / `ipset` children (checked by
    /// a raise and lower). Only those children get it, each raised around its own spawn
    /// (`Spawn`); this process's other children never do.
    public static func require() throws {
        guard isEffective() else {
            throw FirewallError.needsNetAdmin(executable: executablePath)
        }
        guard getuid() != 0, firewall_ambient_net_admin_is_set() != 1 else { return }
        var addedInheritable: Int32 = 0
        let raised = firewall_raise_ambient_net_admin(&addedInheritable) == 0
        firewall_lower_ambient_net_admin(addedInheritable)
        guard raised else { throw FirewallError.needsNetAdmin(executable: executablePath) }
    }

    static var executablePath: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? "netscouter"
        return FirewallCommand.quoted(path)
    }
}
