/// The one `setcap` line every privilege message gives. setcap replaces an executable's whole
/// capability set, so a hint naming only the capability one feature needs (capture: CAP_NET_RAW,
/// firewall: CAP_NET_ADMIN) would take away the other: every hint grants both. `i`
/// (inheritable) lets the firewall pass CAP_NET_ADMIN on to its `nft` / `ipset` children.
public enum CapabilityHint {
    public static let capabilities = "cap_net_raw,cap_net_admin=eip"

    /// `sudo setcap cap_net_raw,cap_net_admin=eip EXECUTABLE` (default: the shell lookup).
    public static func setcap(_ executable: String = "\"$(command -v netscouter)\"") -> String {
        "sudo setcap \(capabilities) \(executable)"
    }
}
