import Foundation

/// Where NetScouter keeps its database: `--data-dir` if given, else `$XDG_DATA_HOME/netscouter/`,
/// else `~/.local/share/netscouter/`.
public enum DataDirectory {
    /// The folder created inside the XDG data directory.
    public static let folderName = "netscouter"

    /// The directory that `resolve` would use, without touching the file system.
    ///
    /// - Parameters:
    ///   - override: the `--data-dir` argument. `~` is expanded with `HOME`; a relative path is
    ///     taken relative to the current directory. Empty counts as not given.
    ///   - environment: normally `ProcessInfo.processInfo.environment`; passed in so tests and
    ///     callers control it.
    public static func location(override: String?, environment: [String: String]) throws -> URL {
        if let override, !override.isEmpty {
            return URL(fileURLWithPath: expandTilde(override, environment: environment)).standardizedFileURL
        }
        guard let base = XDGBaseDirectory.data.path(environment: environment) else {
            throw StoreError.noHomeDirectory
        }
        return URL(fileURLWithPath: base, isDirectory: true)
            .appendingPathComponent(folderName, isDirectory: true)
            .standardizedFileURL
    }

    /// Resolves the data directory (see `location`) and creates it with mode 0700 if missing.
    public static func resolve(
        override: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> URL {
        let url = try location(override: override, environment: environment)
        if let failure = makeDirectories(url.path) {
            throw StoreError.cannotCreateDirectory(path: failure.path, reason: describeErrno(failure.errno))
        }
        return url
    }

    static func expandTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/"),
              let home = XDGBaseDirectory.homeDirectory(environment: environment)
        else { return path }
        return home + path.dropFirst()
    }
}
