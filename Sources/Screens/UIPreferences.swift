import Foundation

/// What the window remembers between runs: its size and position, the last tab and the theme.
/// Stored as JSON in `$XDG_CONFIG_HOME/netscouter/window.json` (or `~/.config/netscouter/`).
public struct UIPreferences: Codable, Equatable, Sendable {
    public var width: Int32 = 1280
    public var height: Int32 = 800
    public var x: Int32?
    public var y: Int32?
    public var lastTab: String = AppShell.Tab.dashboard.title
    public var theme: String = "dark"

    public init() {}

    public static var defaultURL: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
        return base.appendingPathComponent("netscouter/window.json")
    }

    /// Reads the preferences; missing or unreadable files give the defaults (never an error:
    /// a broken preferences file must not keep the window from opening).
    public static func load(from url: URL = defaultURL) -> UIPreferences {
        guard let data = try? Data(contentsOf: url), let decoded = try? JSONDecoder().decode(UIPreferences.self, from: data) else {
            return UIPreferences()
        }
        return decoded
    }

    /// Writes atomically (temporary file + rename).
    public func save(to url: URL = defaultURL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}
