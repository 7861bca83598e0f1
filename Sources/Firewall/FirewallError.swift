import Packets

/// Everything the firewall refuses or fails at, as sentences a user can act on.
public enum FirewallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not an address or CIDR (never reached a backend).
    case invalidTarget(String, String)
    /// A duration such as `1h` could not be read.
    case invalidDuration(String, String)
    /// A backend command failed: what ran, its exit status and its error output.
    case commandFailed(command: String, status: Int32, output: String)
    /// The backend program is missing.
    case toolMissing(tool: String, package: String)
    /// The process lacks CAP_NET_ADMIN.
    case needsNetAdmin(executable: String)
    /// The backend cannot run on this system (the Windows and macOS builders on Linux).
    case unsupported(String)
    /// Anything else, already phrased for the user.
    case other(String)

    public var description: String {
        switch self {
        case let .invalidTarget(text, why):
            "\"\(Self.clean(text))\" is not a blockable address or CIDR: \(why)."
        case let .invalidDuration(text, why):
            "\"\(Self.clean(text))\" is not a ban duration: \(why). Use 30s, 5m, 1h, 7d (at most 30d) or permanent."
        case let .commandFailed(command, status, output):
            "`\(command)` failed (exit status \(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case let .toolMissing(tool, package):
            "\(tool) is not installed. Install it with `sudo apt-get install \(package)`."
        case let .needsNetAdmin(executable):
            "Changing the firewall needs the CAP_NET_ADMIN capability. Grant it once with `\(CapabilityHint.setcap(executable))` or run the command with sudo."
        case let .unsupported(why): why
        case let .other(message): message
        }
    }

    /// A command failed because our table, chain or set is not there (nft: "No such file or
    /// directory"; ipset: "does not exist"): the firewall was reloaded under us.
    var isMissingObject: Bool {
        guard case let .commandFailed(_, _, output) = self else { return false }
        return output.contains("No such file or directory") || output.contains("does not exist")
    }

    /// User text shown back in a message or stored as a reason: control characters (newlines,
    /// escapes) become spaces, and it is cut to `limit` characters (with an ellipsis).
    static func clean(_ text: String, limit: Int = 70) -> String {
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        return printable.count > limit ? String(printable.prefix(limit - 1)) + "…" : printable
    }
}
