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
}
