import Foundation

/// A reputation provider that needs an API key.
public enum APIKeyProvider: String, CaseIterable, Sendable {
    case abuseIPDB
    case virusTotal
    case otx

    /// Name shown to the user.
    public var displayName: String {
        switch self {
        case .abuseIPDB: "AbuseIPDB"
        case .virusTotal: "VirusTotal"
        case .otx: "OTX"
        }
    }

    /// Environment variables that provide the key, in the order they are tried.
    /// (`VT_API_KEY` is the name the official `vt` CLI uses.)
    public var environmentVariables: [String] {
        switch self {
        case .abuseIPDB: ["ABUSEIPDB_API_KEY"]
        case .virusTotal: ["VIRUSTOTAL_API_KEY", "VT_API_KEY"]
        case .otx: ["OTX_API_KEY"]
        }
    }

    /// The key's name in the secrets file.
    public var secretsFileKey: String {
        switch self {
        case .abuseIPDB: "abuseipdb"
        case .virusTotal: "virustotal"
        case .otx: "otx"
        }
    }
}

/// Where a key came from.
public enum APIKeySource: Equatable, Sendable {
    /// The named environment variable.
    case environment(String)
    /// The secrets file (or typed into the Settings screen, to be saved there).
    case secretsFile
    /// Not set.
    case none
}

/// The API keys of the reputation providers.
///
/// Printing this value — `description`, `debugDescription`, string interpolation, `dump`,
/// `Mirror` — shows only which keys are set and where from, never the keys, so a stray log
/// line or crash report cannot leak them. Read a key only where the HTTP request is built.
/// Not `Codable` on purpose: keys are saved by `SecretsFile` and nowhere else.
public struct APIKeys: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var values: [APIKeyProvider: String] = [:]
    private var sources: [APIKeyProvider: APIKeySource] = [:]

    /// Keys typed by the user (source `.secretsFile`). Empty or blank strings count as not set.
    public init(abuseIPDB: String? = nil, virusTotal: String? = nil, otx: String? = nil) {
        self.abuseIPDB = abuseIPDB
        self.virusTotal = virusTotal
        self.otx = otx
    }

    public var abuseIPDB: String? {
        get { key(for: .abuseIPDB) }
        set { setKey(newValue, for: .abuseIPDB) }
    }

    public var virusTotal: String? {
        get { key(for: .virusTotal) }
        set { setKey(newValue, for: .virusTotal) }
    }

    public var otx: String? {
        get { key(for: .otx) }
        set { setKey(newValue, for: .otx) }
    }

    public func key(for provider: APIKeyProvider) -> String? {
        values[provider]
    }

    public func source(for provider: APIKeyProvider) -> APIKeySource {
        sources[provider] ?? .none
    }

    /// Sets a key. Blank means unset. The default source, `.secretsFile`, is right for keys
    /// the user types: `SecretsFile.save` writes them.
    public mutating func setKey(_ key: String?, for provider: APIKeyProvider, source: APIKeySource = .secretsFile) {
        if let key = Self.normalized(key), source != .none {
            values[provider] = key
            sources[provider] = source
        } else {
            values[provider] = nil
            sources[provider] = nil
        }
    }

    /// Trimmed, or nil when blank: `export VT_API_KEY=` or a trailing newline from
    /// `$(cat keyfile)` must not count as a key.
    static func normalized(_ key: String?) -> String? {
        guard let trimmed = key?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else {
            return nil
        }
        return trimmed
    }

    /// e.g. "AbuseIPDB: set (from environment variable ABUSEIPDB_API_KEY), VirusTotal: not set,
    /// OTX: set (from secrets file)".
    public var description: String {
        APIKeyProvider.allCases.map { provider in
            let state: String
            switch source(for: provider) {
            case .environment(let name): state = "set (from environment variable \(name))"
            case .secretsFile: state = "set (from secrets file)"
            case .none: state = "not set"
            }
            return "\(provider.displayName): \(state)"
        }.joined(separator: ", ")
    }

    public var debugDescription: String { "APIKeys(\(description))" }

    public var customMirror: Mirror {
        let children: [Mirror.Child] = APIKeyProvider.allCases.map { provider in
            (label: provider.rawValue, value: source(for: provider) == .none ? "not set" : "<redacted>")
        }
        return Mirror(self, children: children, displayStyle: .struct)
    }
}
