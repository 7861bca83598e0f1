#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The two XDG base directories NetScouter uses, resolved from an explicit environment so tests
/// (and `--data-dir`) never depend on the real user's home.
///
/// Spec: https://specifications.freedesktop.org/basedir-spec/latest/ — a relative path in
/// `XDG_*_HOME` is invalid and must be ignored, which is why we check for a leading "/".
enum XDGBaseDirectory {
    /// `$XDG_DATA_HOME`, else `~/.local/share`. The database lives here.
    case data
    /// `$XDG_CONFIG_HOME`, else `~/.config`. The secrets file lives here.
    case config

    var variable: String {
        switch self {
        case .data: "XDG_DATA_HOME"
        case .config: "XDG_CONFIG_HOME"
        }
    }

    var homeRelativeFallback: String {
        switch self {
        case .data: ".local/share"
        case .config: ".config"
        }
    }

    /// The base directory (without the "netscouter" component), or nil when neither the XDG
    /// variable nor a home directory can be found.
    func path(environment: [String: String]) -> String? {
        if let value = environment[variable], value.hasPrefix("/") {
            return value
        }
        guard let home = Self.homeDirectory(environment: environment) else { return nil }
        return (home as NSString).appendingPathComponent(homeRelativeFallback)
    }

    /// `$HOME`, else the password database entry of the effective user (services started
    /// without a login environment often have no HOME).
    static func homeDirectory(environment: [String: String]) -> String? {
        if let home = environment["HOME"], !home.isEmpty {
            return home
        }
        guard let entry = getpwuid(geteuid()), let dir = entry.pointee.pw_dir else { return nil }
        let home = String(cString: dir)
        return home.isEmpty ? nil : home
    }
}
