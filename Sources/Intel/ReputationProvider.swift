import Foundation
import Store

/// The three reputation services NetScouter asks. The order is the order of the consensus
/// denominator ("2/3") and of every per-provider listing.
public enum ReputationProvider: String, CaseIterable, Sendable, Codable, Comparable {
    case abuseIPDB = "abuseipdb"
    case virusTotal = "virustotal"
    case otx = "otx"

    public var displayName: String { keyProvider.displayName }

    /// Where its API key comes from (environment variables, secrets file).
    public var keyProvider: APIKeyProvider {
        switch self {
        case .abuseIPDB: .abuseIPDB
        case .virusTotal: .virusTotal
        case .otx: .otx
        }
    }

    /// The environment variable that overrides the base URL (scheme + host (+ port)).
    public var baseURLVariable: String {
        switch self {
        case .abuseIPDB: "NETSCOUTER_ABUSEIPDB_URL"
        case .virusTotal: "NETSCOUTER_VIRUSTOTAL_URL"
        case .otx: "NETSCOUTER_OTX_URL"
        }
    }

    /// The API's path below the base URL.
    public var apiPath: String {
        switch self {
        case .abuseIPDB: "/api/v2"
        case .virusTotal: "/api/v3"
        case .otx: "/api/v1"
        }
    }

    /// The base URL as configured in settings (which historically include the API path).
    public func settingsBaseURL(_ settings: AppSettings) -> String {
        switch self {
        case .abuseIPDB: settings.abuseIPDBBaseURL
        case .virusTotal: settings.virusTotalBaseURL
        case .otx: settings.otxBaseURL
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Where each provider's API lives.
///
/// A base URL is the scheme + host (+ port), optionally with a path prefix (a proxy that serves
/// the API below `/abuseipdb`). The provider's API path (`/api/v2`, `/api/v3`, `/api/v1`) is
/// appended — unless the base URL already ends with it, which is how the settings' defaults
/// (`https://api.abuseipdb.com/api/v2`, …) have always been written. So both
/// `NETSCOUTER_ABUSEIPDB_URL=http://127.0.0.1:8080` and the setting
/// `https://api.abuseipdb.com/api/v2` lead to `…/api/v2/check`.
///
/// The environment variable wins over the setting (proxies, mirrors, tests).
public struct ProviderEndpoints: Sendable, Equatable {
    public var apiRoots: [ReputationProvider: String]

    public init(settings: AppSettings = .defaults, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var roots: [ReputationProvider: String] = [:]
        for provider in ReputationProvider.allCases {
            let fromEnvironment = environment[provider.baseURLVariable].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            roots[provider] = Self.apiRoot(base: fromEnvironment ?? provider.settingsBaseURL(settings), provider: provider)
        }
        apiRoots = roots
    }

    /// The URL every request path of `provider` is appended to, without a trailing slash.
    public func apiRoot(_ provider: ReputationProvider) -> String { apiRoots[provider]! }

    public static func apiRoot(base: String, provider: ReputationProvider) -> String {
        var root = base.trimmingCharacters(in: .whitespaces)
        while root.hasSuffix("/") { root.removeLast() }
        if !root.lowercased().hasSuffix(provider.apiPath) { root += provider.apiPath }
        return root
    }
}
