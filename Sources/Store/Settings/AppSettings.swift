import Foundation

/// Everything the user can change in the Settings screen, with its default.
///
/// API keys are deliberately not here: settings are exported and shown in the UI, keys live in
/// `APIKeys` / `SecretsFile`.
///
/// Decoding tolerates saved settings from older (or newer) versions: a missing key, or a value of
/// the wrong type, falls back to that key's default instead of discarding everything the user
/// set. Unknown keys are ignored.
public struct AppSettings: Codable, Equatable, Sendable {
    /// "dark" or "light". Default "dark".
    public var theme: String
    /// Block addresses automatically when enough providers flag them. Default false: blocking
    /// changes the firewall, so the user turns it on knowingly.
    public var autoBlockEnabled: Bool
    /// How many providers (1…3) must flag an address before it counts as malicious. Default 3.
    public var consensusThreshold: Int
    /// How long a block lasts, in hours; 0 means permanent. Default 24.
    public var blockDurationHours: Int
    /// How long a provider's verdict is reused before asking again, in hours. Default 24,
    /// which keeps the free API quotas (AbuseIPDB 1000/day, VirusTotal 500/day) enough.
    public var reputationCacheHours: Int
    /// Per-port connect timeout, in milliseconds. Default 800.
    public var scanTimeoutMilliseconds: Int
    /// Connections in flight at once. Default 200 (well below the usual 1024 open-file limit).
    public var scanConcurrency: Int
    /// Interface to capture on; empty means ask at start. Default "".
    public var captureInterface: String
    /// Capture in promiscuous mode. Default true.
    public var capturePromiscuous: Bool
    /// Bytes kept per packet. Default 262144 (tcpdump's default: whole packets).
    public var captureSnapLength: Int
    public var abuseIPDBBaseURL: String
    public var virusTotalBaseURL: String
    public var otxBaseURL: String
    /// Where exports go; empty means the home directory. Default "".
    public var exportDirectory: String
    /// Start a new pcap file after this many megabytes. Default 100.
    public var pcapRotateMegabytes: Int
    /// Days the finished flows of live captures stay in the database. Default 30.
    public var flowHistoryRetentionDays: Int
    /// A MaxMind-format `.mmdb` (GeoLite2 Country/ASN, DB-IP Lite) asked before libloc for
    /// country and AS; empty means libloc only. `NETSCOUTER_MMDB` wins. Default "".
    public var mmdbPath: String
    /// AbuseIPDB flags an address at this abuse confidence score (1–100) or more. Default 50.
    public var abuseIPDBFlagScore: Int
    /// VirusTotal flags an address when at least this many engines call it malicious. Default 2.
    public var virusTotalFlagMalicious: Int
    /// … or when malicious + suspicious engines reach this. Default 3.
    public var virusTotalFlagMaliciousPlusSuspicious: Int
    /// OTX flags an address in at least this many pulses (and without validation entries). Default 1.
    public var otxFlagPulses: Int
    /// Requests allowed per minute and per day for each provider (0 = no limit); the defaults are
    /// the free tiers: AbuseIPDB —/1,000, VirusTotal 4/500, OTX 10/1,000.
    public var abuseIPDBPerMinute: Int
    public var abuseIPDBPerDay: Int
    public var virusTotalPerMinute: Int
    public var virusTotalPerDay: Int
    public var otxPerMinute: Int
    public var otxPerDay: Int
    /// What the firewall does to banned traffic: "drop" (silently) or "reject" (ICMP
    /// unreachable / TCP reset, so the other side knows at once). Default "drop".
    public var firewallAction: String

    /// The defaults, as documented on each property.
    public static let defaults = AppSettings()

    /// Accepted values of `firewallAction`.
    public static let firewallActions = ["drop", "reject"]

    /// Accepted values of `theme`.
    public static let themes = ["dark", "light"]

    public init(
        theme: String = "dark",
        autoBlockEnabled: Bool = false,
        consensusThreshold: Int = 3,
        blockDurationHours: Int = 24,
        reputationCacheHours: Int = 24,
        scanTimeoutMilliseconds: Int = 800,
        scanConcurrency: Int = 200,
        captureInterface: String = "",
        capturePromiscuous: Bool = true,
        captureSnapLength: Int = 262_144,
        abuseIPDBBaseURL: String = "https://api.abuseipdb.com/api/v2",
        virusTotalBaseURL: String = "https://www.virustotal.com/api/v3",
        otxBaseURL: String = "https://otx.alienvault.com/api/v1",
        exportDirectory: String = "",
        pcapRotateMegabytes: Int = 100,
        flowHistoryRetentionDays: Int = 30,
        mmdbPath: String = "",
        abuseIPDBFlagScore: Int = 50,
        virusTotalFlagMalicious: Int = 2,
        virusTotalFlagMaliciousPlusSuspicious: Int = 3,
        otxFlagPulses: Int = 1,
        abuseIPDBPerMinute: Int = 0,
        abuseIPDBPerDay: Int = 1000,
        virusTotalPerMinute: Int = 4,
        virusTotalPerDay: Int = 500,
        otxPerMinute: Int = 10,
        otxPerDay: Int = 1000,
        firewallAction: String = "drop"
    ) {
        self.theme = theme
        self.autoBlockEnabled = autoBlockEnabled
        self.consensusThreshold = consensusThreshold
        self.blockDurationHours = blockDurationHours
        self.reputationCacheHours = reputationCacheHours
        self.scanTimeoutMilliseconds = scanTimeoutMilliseconds
        self.scanConcurrency = scanConcurrency
        self.captureInterface = captureInterface
        self.capturePromiscuous = capturePromiscuous
        self.captureSnapLength = captureSnapLength
        self.abuseIPDBBaseURL = abuseIPDBBaseURL
        self.virusTotalBaseURL = virusTotalBaseURL
        self.otxBaseURL = otxBaseURL
        self.exportDirectory = exportDirectory
        self.pcapRotateMegabytes = pcapRotateMegabytes
        self.flowHistoryRetentionDays = flowHistoryRetentionDays
        self.mmdbPath = mmdbPath
        self.abuseIPDBFlagScore = abuseIPDBFlagScore
        self.virusTotalFlagMalicious = virusTotalFlagMalicious
        self.virusTotalFlagMaliciousPlusSuspicious = virusTotalFlagMaliciousPlusSuspicious
        self.otxFlagPulses = otxFlagPulses
        self.abuseIPDBPerMinute = abuseIPDBPerMinute
        self.abuseIPDBPerDay = abuseIPDBPerDay
        self.virusTotalPerMinute = virusTotalPerMinute
        self.virusTotalPerDay = virusTotalPerDay
        self.otxPerMinute = otxPerMinute
        self.otxPerDay = otxPerDay
        self.firewallAction = firewallAction
    }

    /// The JSON keys, which are also the `settings.key` values in the database.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case theme, autoBlockEnabled, consensusThreshold, blockDurationHours, reputationCacheHours
        case scanTimeoutMilliseconds, scanConcurrency, captureInterface, capturePromiscuous
        case captureSnapLength, abuseIPDBBaseURL, virusTotalBaseURL, otxBaseURL, exportDirectory
        case pcapRotateMegabytes, flowHistoryRetentionDays, mmdbPath
        case abuseIPDBFlagScore, virusTotalFlagMalicious, virusTotalFlagMaliciousPlusSuspicious, otxFlagPulses
        case abuseIPDBPerMinute, abuseIPDBPerDay, virusTotalPerMinute, virusTotalPerDay, otxPerMinute, otxPerDay, firewallAction
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AppSettings.defaults
        // `try?`: a value of the wrong type (hand-edited, or changed type in a later version)
        // costs that one setting, not the whole file.
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) -> T {
            (try? container.decodeIfPresent(T.self, forKey: key)) ?? fallback
        }
        theme = value(.theme, defaults.theme)
        autoBlockEnabled = value(.autoBlockEnabled, defaults.autoBlockEnabled)
        consensusThreshold = value(.consensusThreshold, defaults.consensusThreshold)
        blockDurationHours = value(.blockDurationHours, defaults.blockDurationHours)
        reputationCacheHours = value(.reputationCacheHours, defaults.reputationCacheHours)
        scanTimeoutMilliseconds = value(.scanTimeoutMilliseconds, defaults.scanTimeoutMilliseconds)
        scanConcurrency = value(.scanConcurrency, defaults.scanConcurrency)
        captureInterface = value(.captureInterface, defaults.captureInterface)
        capturePromiscuous = value(.capturePromiscuous, defaults.capturePromiscuous)
        captureSnapLength = value(.captureSnapLength, defaults.captureSnapLength)
        abuseIPDBBaseURL = value(.abuseIPDBBaseURL, defaults.abuseIPDBBaseURL)
        virusTotalBaseURL = value(.virusTotalBaseURL, defaults.virusTotalBaseURL)
        otxBaseURL = value(.otxBaseURL, defaults.otxBaseURL)
        exportDirectory = value(.exportDirectory, defaults.exportDirectory)
        pcapRotateMegabytes = value(.pcapRotateMegabytes, defaults.pcapRotateMegabytes)
        flowHistoryRetentionDays = value(.flowHistoryRetentionDays, defaults.flowHistoryRetentionDays)
        mmdbPath = value(.mmdbPath, defaults.mmdbPath)
        abuseIPDBFlagScore = value(.abuseIPDBFlagScore, defaults.abuseIPDBFlagScore)
        virusTotalFlagMalicious = value(.virusTotalFlagMalicious, defaults.virusTotalFlagMalicious)
        virusTotalFlagMaliciousPlusSuspicious = value(.virusTotalFlagMaliciousPlusSuspicious, defaults.virusTotalFlagMaliciousPlusSuspicious)
        otxFlagPulses = value(.otxFlagPulses, defaults.otxFlagPulses)
        abuseIPDBPerMinute = value(.abuseIPDBPerMinute, defaults.abuseIPDBPerMinute)
        abuseIPDBPerDay = value(.abuseIPDBPerDay, defaults.abuseIPDBPerDay)
        virusTotalPerMinute = value(.virusTotalPerMinute, defaults.virusTotalPerMinute)
        virusTotalPerDay = value(.virusTotalPerDay, defaults.virusTotalPerDay)
        otxPerMinute = value(.otxPerMinute, defaults.otxPerMinute)
        otxPerDay = value(.otxPerDay, defaults.otxPerDay)
        firewallAction = value(.firewallAction, defaults.firewallAction)
    }

    // MARK: Derived values

    /// `blockDurationHours` as a duration for `BlockStore.add`; nil means permanent.
    public var blockDuration: TimeInterval? {
        blockDurationHours == 0 ? nil : TimeInterval(blockDurationHours) * 3600
    }

    /// `reputationCacheHours` as a duration.
    public var reputationCacheLifetime: TimeInterval {
        TimeInterval(reputationCacheHours) * 3600
    }

    // MARK: Validation

    /// Problems with the current values, as sentences to show next to the fields. Empty means
    /// valid. The Settings screen refuses to save while this is not empty.
    public func validate() -> [String] {
        var problems: [String] = []
        func check(_ ok: Bool, _ message: @autoclosure () -> String) {
            if !ok { problems.append(message()) }
        }
        check(Self.themes.contains(theme),
              "Theme must be \"dark\" or \"light\" (it is \"\(theme)\").")
        check((1...3).contains(consensusThreshold),
              "Consensus threshold must be 1, 2 or 3 providers (it is \(consensusThreshold)).")
        check((0...87_600).contains(blockDurationHours),
              "Block duration must be between 0 (permanent) and 87600 hours (it is \(blockDurationHours)).")
        check((1...8_760).contains(reputationCacheHours),
              "Reputation cache time must be between 1 and 8760 hours (it is \(reputationCacheHours)).")
        check((10...60_000).contains(scanTimeoutMilliseconds),
              "Scan timeout must be between 10 and 60000 milliseconds (it is \(scanTimeoutMilliseconds)).")
        check((1...4_096).contains(scanConcurrency),
              "Scan concurrency must be between 1 and 4096 connections (it is \(scanConcurrency)); values above your open-file limit (`ulimit -n`) make scans fail.")
        check((64...262_144).contains(captureSnapLength),
              "Capture snap length must be between 64 and 262144 bytes (it is \(captureSnapLength)).")
        check((1...100_000).contains(pcapRotateMegabytes),
              "Pcap rotation size must be between 1 and 100000 megabytes (it is \(pcapRotateMegabytes)).")
        check((1...3_650).contains(flowHistoryRetentionDays),
              "Flow history retention must be between 1 and 3650 days (it is \(flowHistoryRetentionDays)).")
        check(Self.firewallActions.contains(firewallAction),
              "Firewall action must be \"drop\" or \"reject\" (it is \"\(firewallAction)\").")
        for (name, url) in [("AbuseIPDB", abuseIPDBBaseURL), ("VirusTotal", virusTotalBaseURL), ("OTX", otxBaseURL)] {
            check(Self.isHTTPURL(url),
                  "The \(name) base URL must start with https:// (or http://) and name a host (it is \"\(url)\").")
        }
        check(exportDirectory.isEmpty || exportDirectory.hasPrefix("/") || exportDirectory.hasPrefix("~"),
              "The export directory must be an absolute path such as /home/you/exports, or empty for your home directory (it is \"\(exportDirectory)\").")
        check((1...100).contains(abuseIPDBFlagScore),
              "The AbuseIPDB flag score must be between 1 and 100 (it is \(abuseIPDBFlagScore)).")
        check((1...100).contains(virusTotalFlagMalicious),
              "The VirusTotal malicious count must be between 1 and 100 engines (it is \(virusTotalFlagMalicious)).")
        check((1...200).contains(virusTotalFlagMaliciousPlusSuspicious),
              "The VirusTotal malicious + suspicious count must be between 1 and 200 engines (it is \(virusTotalFlagMaliciousPlusSuspicious)).")
        check((1...100_000).contains(otxFlagPulses),
              "The OTX pulse count must be between 1 and 100000 (it is \(otxFlagPulses)).")
        for (name, value) in [("AbuseIPDB", abuseIPDBPerMinute), ("VirusTotal", virusTotalPerMinute), ("OTX", otxPerMinute)] {
            check((0...100_000).contains(value), "\(name) requests per minute must be between 0 (no limit) and 100000 (it is \(value)).")
        }
        for (name, value) in [("AbuseIPDB", abuseIPDBPerDay), ("VirusTotal", virusTotalPerDay), ("OTX", otxPerDay)] {
            check((0...100_000_000).contains(value), "\(name) requests per day must be between 0 (no limit) and 100000000 (it is \(value)).")
        }
        check(mmdbPath.isEmpty || mmdbPath.hasPrefix("/") || mmdbPath.hasPrefix("~"),
              "The MaxMind database must be an absolute path such as /usr/share/GeoIP/GeoLite2-ASN.mmdb, or empty for libloc only (it is \"\(mmdbPath)\").")
        return problems
    }

    private static func isHTTPURL(_ string: String) -> Bool {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = components.host, !host.isEmpty
        else { return false }
        return true
    }
}
