import Foundation

/// When a provider's answer counts as "flagged". One value per provider, each with a documented
/// default; all of them can be changed (settings file, tests) without touching the parsers.
///
/// Defaults:
/// - AbuseIPDB: `abuseConfidenceScore` ≥ 50 and the address is not whitelisted.
/// - VirusTotal: `last_analysis_stats.malicious` ≥ 2, or malicious + suspicious ≥ 3.
/// - OTX: `pulse_info.count` ≥ 1 and no `validation` entries (OTX's validation list marks
///   known-good infrastructure — a whitelist, a popular domain, a known DNS resolver).
public struct FlagRules: Codable, Equatable, Sendable {
    public var abuseIPDBMinimumScore: Int
    /// When true a whitelisted address is never flagged, whatever its score.
    public var abuseIPDBIgnoreWhitelisted: Bool
    public var virusTotalMinimumMalicious: Int
    public var virusTotalMinimumMaliciousPlusSuspicious: Int
    public var otxMinimumPulses: Int
    /// When true an address with validation entries is never flagged by OTX.
    public var otxIgnoreValidated: Bool
    /// `maxAgeInDays` sent to AbuseIPDB (1…365): how far back reports count.
    public var abuseIPDBMaxAgeInDays: Int

    public static let defaults = FlagRules()

    public init(
        abuseIPDBMinimumScore: Int = 50, abuseIPDBIgnoreWhitelisted: Bool = true,
        virusTotalMinimumMalicious: Int = 2, virusTotalMinimumMaliciousPlusSuspicious: Int = 3,
        otxMinimumPulses: Int = 1, otxIgnoreValidated: Bool = true, abuseIPDBMaxAgeInDays: Int = 90
    ) {
        self.abuseIPDBMinimumScore = abuseIPDBMinimumScore
        self.abuseIPDBIgnoreWhitelisted = abuseIPDBIgnoreWhitelisted
        self.virusTotalMinimumMalicious = virusTotalMinimumMalicious
        self.virusTotalMinimumMaliciousPlusSuspicious = virusTotalMinimumMaliciousPlusSuspicious
        self.otxMinimumPulses = otxMinimumPulses
        self.otxIgnoreValidated = otxIgnoreValidated
        self.abuseIPDBMaxAgeInDays = min(365, max(1, abuseIPDBMaxAgeInDays))
    }

    public init(from decoder: any Decoder) throws {
        // Every key optional: an `intel.json` that sets one threshold keeps the other defaults.
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FlagRules.defaults
        self.init(
            abuseIPDBMinimumScore: try container.decodeIfPresent(Int.self, forKey: .abuseIPDBMinimumScore) ?? defaults.abuseIPDBMinimumScore,
            abuseIPDBIgnoreWhitelisted: try container.decodeIfPresent(Bool.self, forKey: .abuseIPDBIgnoreWhitelisted) ?? defaults.abuseIPDBIgnoreWhitelisted,
            virusTotalMinimumMalicious: try container.decodeIfPresent(Int.self, forKey: .virusTotalMinimumMalicious) ?? defaults.virusTotalMinimumMalicious,
            virusTotalMinimumMaliciousPlusSuspicious: try container.decodeIfPresent(Int.self, forKey: .virusTotalMinimumMaliciousPlusSuspicious)
                ?? defaults.virusTotalMinimumMaliciousPlusSuspicious,
            otxMinimumPulses: try container.decodeIfPresent(Int.self, forKey: .otxMinimumPulses) ?? defaults.otxMinimumPulses,
            otxIgnoreValidated: try container.decodeIfPresent(Bool.self, forKey: .otxIgnoreValidated) ?? defaults.otxIgnoreValidated,
            abuseIPDBMaxAgeInDays: try container.decodeIfPresent(Int.self, forKey: .abuseIPDBMaxAgeInDays) ?? defaults.abuseIPDBMaxAgeInDays)
    }
}

/// `$XDG_CONFIG_HOME/netscouter/intel.json` (default `~/.config/netscouter/intel.json`): the
/// flag rules and rate limits, for users with other thresholds or paid tiers. Every key is
/// optional. Example:
///
///     {"flagRules": {"abuseIPDBMinimumScore": 75},
///      "limits": {"virustotal": {"perMinute": 1000, "perDay": 20000}}}
///
/// A provider's entry in `limits` replaces its free-tier limit entirely (a missing `perMinute`
/// means no per-minute limit).
public struct IntelSettingsFile: Codable, Equatable, Sendable {
    public static let fileName = "intel.json"
    public var flagRules: FlagRules?
    public var limits: [String: RateLimit]?

    public static func load(environment: [String: String]) throws -> IntelSettingsFile? {
        guard let path = RiskRules.userFilePath(environment: environment)?.replacingOccurrences(of: RiskRules.fileName, with: fileName),
              FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LocationDatabaseError(message: "Cannot read \(path). Check its permissions, or delete it to use the default flag rules and rate limits.")
        }
        let file: IntelSettingsFile
        do { file = try JSONDecoder().decode(IntelSettingsFile.self, from: data) } catch {
            throw LocationDatabaseError(message: "\(path) is not valid (\(error)). Fix it or delete it to use the default flag rules and rate limits.")
        }
        for name in (file.limits ?? [:]).keys where ReputationProvider(rawValue: name) == nil {
            throw LocationDatabaseError(message: "\(path) sets limits for \"\(name)\"; the providers are abuseipdb, virustotal and otx.")
        }
        return file
    }
}

