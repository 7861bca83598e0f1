import Foundation
import Intel
import Packets
import Store
import Synchronization
import Traffic

/// Whether a provider has an API key, and where it comes from. Never the key itself.
public enum IntelKeyStatus: Equatable, Sendable {
    /// From this environment variable.
    case environment(String)
    /// Entered in Settings (kept in the secrets file).
    case settings
    case missing

    public var isConfigured: Bool { self != .missing }

    /// "configured (VIRUSTOTAL_API_KEY)", "configured (Settings)", "missing".
    public var text: String {
        switch self {
        case let .environment(variable): "configured (\(variable))"
        case .settings: "configured (Settings)"
        case .missing: "missing"
        }
    }
}

/// One address's last lookup this session: every provider's answer, the risk-rule hits and
/// when it arrived.
public struct IntelRecord: Sendable {
    public var reputation: AddressReputation
    public var risk: [RiskRules.Hit]
    public var receivedAt: Date
}

/// The reputation side of the window, without any UI: the offline geo/AS data and the last known
/// verdict per address (`enricher`, read by every table's Country / AS / Consensus columns), the
/// lookups (through `ReputationLookupQueue` on its worker thread: what is on screen first, the
/// rest of the capture's addresses behind it), each address's full answers for the Intel tab,
/// the remaining quota and which providers have a key.
///
/// The configuration (keys from the environment or the secrets file, base URLs, cache time,
/// risk rules) is read on a worker at start and after Apply Settings; lookups asked for before
/// it is ready wait for it. UI thread only, except `enricher`, which is thread-safe.
public final class IntelModel {
    /// Country, AS and the last known consensus per address, from memory (never the network).
    public let enricher: AddressEnricher
    /// Why the offline location data is missing, if it is (shown on the Intel tab).
    public private(set) var locationNotices: [String]
    /// The Settings `.mmdb` the location data was last opened with ("" for none; nil: the
    /// environment's, at start).
    private var openedMMDB: String?
    private var openedMMDBFailed = false
    public let inbox: UIInbox
    let toasts: ToastCenter
    let services: AppServices?
    let environment: [String: String]

    /// A flow or host is shown in the flagged colour when at least this many providers flag it
    /// (Settings → the auto-block consensus threshold).
    public private(set) var threshold = AppSettings.defaults.consensusThreshold
    public private(set) var keyStatus: [ReputationProvider: IntelKeyStatus] =
        Dictionary(uniqueKeysWithValues: ReputationProvider.allCases.map { ($0, .missing) })
    public private(set) var quota: [ReputationProvider: QuotaStatus] = [:]
    public private(set) var records: [IPAddress: IntelRecord] = [:]
    public private(set) var riskRules: RiskRules = .builtIn
    /// The settings' reputation configuration could not be read (unsafe secrets file, bad
    /// intel.json …): lookups use no keys until it is fixed.
    public private(set) var configurationError: String?
    /// Addresses typed into the Intel tab's lookup box, newest last.
    public private(set) var manualAddresses: [IPAddress] = []
    /// Bumps with every delivered answer, so tables sorted by a verdict know to re-sort.
    public private(set) var resultCount = 0
    /// Told every answer on the lookup worker as it arrives (the window's auto-block).
    public let observers = ReputationObservers()

    private var engine: Engine?
    private let configurer: BackgroundTask<ConfigurationRequest, Never, Configured>
    /// Re-reads the quota now and then while the Intel tab shows (per-minute slots free up
    /// with time, and the daemon or the CLI may spend from the same budget).
    private let quotaReader: BackgroundTask<ReputationService, Never, [QuotaStatus]>
    private var quotaReadAt = -Double.infinity
    /// Addresses handed to the queue this configuration (each once unless refreshed).
    private var requested: Set<IPAddress> = []
    /// Asked for but not answered yet, with whether the user is looking at them.
    private var waiting: [IPAddress: ReputationLookupQueue.Priority] = [:]
    private var hostScan = (count: -1, time: -Double.infinity)

    /// The lookup machinery of one configuration.
    private struct Engine {
        let service: ReputationService
        let queue: ReputationLookupQueue
    }

    /// What the configuration worker hands back.
    struct ConfigurationRequest: Sendable {
        let settings: AppSettings
        /// Open the location data again with this `.mmdb` ("" for libloc alone); nil keeps it.
        let mmdb: String?
    }

    struct Configured: Sendable {
        /// The notices of location data opened again (nil when it was kept).
        var locationNotices: [String]? = nil
        var mmdbFailed = false
        let service: ReputationService
        let keyStatus: [ReputationProvider: IntelKeyStatus]
        let quota: [QuotaStatus]
        let rules: RiskRules
        let problem: String?
    }

    /// - Parameter environment: where keys and base URLs come from; default: `services`'
    ///   environment, else the process's.
    public init(services: AppServices?, inbox: UIInbox, toasts: ToastCenter, environment: [String: String]? = nil) {
        let environment = environment ?? services?.environment ?? ProcessInfo.processInfo.environment
        self.services = services
        self.inbox = inbox
        self.toasts = toasts
        self.environment = environment
        // Opening libloc maps the file and reads its header (0.8 ms here, NetScouterIntelBench); the
        // data is only touched by lookups. A missing database is a notice, not a failure.
        let (location, notices) = LocationSources.open(environment: environment)
        locationNotices = notices
        enricher = AddressEnricher(location: location)
        let secrets = services?.secrets
        let cache = services.map { ReputationCache(database: $0.database) }
        let enricher = enricher
        configurer = BackgroundTask("intel-configuration", policy: .coalesce, inbox: inbox) { request, _ in
            var notices: [String]?
            var mmdbFailed = false
            if let mmdb = request.mmdb {
                // Opening maps files and may read a large .mmdb: here, not on the UI thread.
                let opened = LocationSources.opening(mmdbPath: mmdb.isEmpty ? nil : mmdb, environment: environment)
                enricher.replaceLocation(opened.source)
                notices = opened.notices
                mmdbFailed = opened.mmdbFailed
            }
            var configured = try Self.configure(settings: request.settings, environment: environment, secrets: secrets, cache: cache, enricher: enricher)
            configured.locationNotices = notices
            configured.mmdbFailed = mmdbFailed
            return configured
        }
        quotaReader = BackgroundTask("intel-quota", policy: .ignoreWhileRunning, inbox: inbox) { service, _ in service.quota() }
    }

    deinit {
        engine?.queue.stop()
    }

    /// True until the first configuration is in force.
    public var isConfiguring: Bool { configurer.isRunning }

    /// Takes the settings in force (the shell calls it at start and after Apply Settings): keys and base URLs may
    /// have changed, so the lookups are rebuilt and every address is asked about again (the
    /// cache answers those that were answered, without spending quota).
    public func apply(_ settings: AppSettings) {
        threshold = settings.consensusThreshold
        // The Settings .mmdb, unless NETSCOUTER_MMDB names one (the environment wins, as for
        // base URLs); opened again only when it changed.
        var mmdb: String?
        if environment[MaxMindDatabase.environmentVariable].map({ $0.isEmpty }) ?? true {
            let wanted = (settings.mmdbPath.trimmingCharacters(in: .whitespaces) as NSString).expandingTildeInPath
            // A file that failed to open is tried again at the next Apply: the user may have fixed it.
            if wanted != (openedMMDB ?? "") || openedMMDBFailed { mmdb = wanted }
        }
        configurer.start(ConfigurationRequest(settings: settings, mmdb: mmdb)) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(configured):
                if let notices = configured.locationNotices {
                    openedMMDB = mmdb
                    openedMMDBFailed = configured.mmdbFailed
                    locationNotices = notices
                }
                // Said once where it shows whichever tab is open; the Intel tab keeps it in view.
                if let problem = configured.problem, problem != configurationError { toasts.post(problem, kind: .error) }
                install(configured)
            case let .failure(error):
                configurationError = error.userText
                toasts.post(error)
            case .cancelled: break
            }
            return .shown
        }
    }

    private static func configure(settings: AppSettings, environment: [String: String], secrets: SecretsFile?,
                                  cache: ReputationCache?, enricher: AddressEnricher) throws -> Configured {
        var problems: [String] = []
        var configuration: ReputationConfiguration
        if let secrets {
            do {
                configuration = try ReputationConfiguration.load(settings: settings, environment: environment, secrets: secrets)
            } catch {
                problems.append("Reputation lookups use no API key from the secrets file: \(error). Fix the file (or its permissions) and apply Settings again.")
                configuration = ReputationConfiguration(keys: Self.environmentKeys(environment), settings: settings, environment: environment)
            }
        } else {
            // No store: keys only from the environment.
            configuration = ReputationConfiguration(keys: Self.environmentKeys(environment), settings: settings, environment: environment)
        }
        var rules = RiskRules.builtIn
        do { rules = try RiskRules.load(environment: environment).rules } catch {
            problems.append("The risk rules file could not be read, so the built-in rules apply: \(error)")
        }
        let service = ReputationService(configuration: configuration, cache: cache, location: enricher.location)
        if let cache {
            do { _ = try enricher.preload(from: cache, at: Date()) } catch {
                problems.append("Cached reputation answers could not be read, so addresses are looked up again as they appear: \(error)")
            }
        }
        var status: [ReputationProvider: IntelKeyStatus] = [:]
        for provider in ReputationProvider.allCases {
            switch configuration.keys.source(for: provider.keyProvider) {
            case let .environment(variable): status[provider] = .environment(variable)
            case .secretsFile: status[provider] = .settings
            case .none: status[provider] = .missing
            }
        }
        return Configured(service: service, keyStatus: status, quota: service.quota(), rules: rules,
                          problem: problems.isEmpty ? nil : problems.joined(separator: " "))
    }

    static func environmentKeys(_ environment: [String: String]) -> APIKeys {
        var keys = APIKeys()
        for provider in APIKeyProvider.allCases {
            for variable in provider.environmentVariables {
                if let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                    keys.setKey(value, for: provider, source: .environment(variable))
                    break
                }
            }
        }
        return keys
    }

    private func install(_ configured: Configured) {
        engine?.queue.stop()
        keyStatus = configured.keyStatus
        quota = Dictionary(uniqueKeysWithValues: configured.quota.map { ($0.provider, $0) })
        riskRules = configured.rules
        riskCache = [:]
        configurationError = configured.problem
        let service = configured.service
        let rules = configured.rules
        let enricher = enricher
        let inbox = inbox
        let model = UIThreadReference(self)
        let handle = QueueHandle()
        let observers = observers
        let queue = ReputationLookupQueue(service: service) { reputation in
            // On the lookup worker: the tables see the verdict at once; the rest goes to the UI.
            enricher.record(reputation)
            observers.notify(reputation)
            let risk = rules.evaluate(reputation.riskSubject)
            // The quota only moves when a provider was asked (reading it is a store transaction).
            let asked = reputation.answers.values.contains { answer in
                switch answer {
                case let .answered(_, _, fromCache): !fromCache
                case .failed: true
                case .noKey, .notSent: false
                }
            }
            let quota = asked ? service.quota() : []
            let received = Date()
            // A Refresh pressed while this lookup ran queued the address again: still pending.
            let again = IPAddress(reputation.address).map { handle.queue?.isWaiting($0.description) ?? false } ?? false
            inbox.post {
                model.object?.receive(IntelRecord(reputation: reputation, risk: risk, receivedAt: received), quota: quota, lookingUpAgain: again)
            }
        }
        handle.queue = queue
        engine = Engine(service: service, queue: queue)
        // Everything asked for so far is asked again under the new configuration.
        let visible = waiting.filter { $0.value == .visible }.map(\.key)
        let earlier = Set(requested).union(waiting.keys).subtracting(visible)
        requested = []
        waiting = [:]
        lookUp(visible, priority: .visible)
        lookUp(Array(earlier), priority: .background)
    }

    private func receive(_ record: IntelRecord, quota statuses: [QuotaStatus], lookingUpAgain: Bool) {
        guard let address = IPAddress(record.reputation.address) else { return }
        records[address] = record
        riskCache[address] = nil
        if !lookingUpAgain { waiting[address] = nil }
        for status in statuses { quota[status.provider] = status }
        resultCount += 1
    }

    /// Reads the quota again on a worker when the last reading is `interval` seconds old.
    public func refreshQuota(now: Double, interval: Double = 10) {
        guard let engine, now - quotaReadAt >= interval, !quotaReader.isRunning else { return }
        quotaReadAt = now
        quotaReader.start(engine.service) { [weak self] outcome in
            if case let .success(statuses) = outcome { for status in statuses { self?.quota[status.provider] = status } }
            return .shown
        }
    }

    // MARK: Intents

    /// Asks about `addresses` (only global unicast ones leave the machine; others answer "not
    /// sent" at once). Each address goes to the queue once per configuration unless `refresh`
    /// forces a new lookup past the cache; `.visible` moves a waiting address to the front.
    public func lookUp(_ addresses: [IPAddress], priority: ReputationLookupQueue.Priority, refresh: Bool = false) {
        var fresh: [String] = []
        for address in addresses {
            let isNew = requested.insert(address).inserted
            let promote = priority == .visible && waiting[address] == .background
            guard isNew || promote || refresh else { continue }
            if waiting[address] != .visible { waiting[address] = priority }
            fresh.append(address.description)
        }
        guard !fresh.isEmpty, let engine else { return }
        engine.queue.enqueue(fresh, priority: priority, refresh: refresh)
    }

    /// The addresses on screen (rows of a table in view): each is asked about first, once.
    public func lookUpVisible(_ address: IPAddress) {
        if requested.contains(address) && waiting[address] != .background { return }
        guard AddressScope.of(address).isGlobal else { return }
        lookUp([address], priority: .visible)
    }

    /// Asks the providers again for `address`, past the cache (the Intel tab's Refresh).
    public func refresh(_ address: IPAddress) {
        lookUp([address], priority: .visible, refresh: true)
    }

    /// The lookup box: any address the user types. Nil when accepted, else what is wrong.
    public func lookUp(text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let address = IPAddress(trimmed) else {
            return "\"\(TextSanitizer.clean(trimmed, maximumLength: 60))\" is not an IPv4 or IPv6 address: type one such as 8.8.8.8 or 2606:4700::1111."
        }
        if !manualAddresses.contains(address) { manualAddresses.append(address) }
        lookUp([address], priority: .visible, refresh: false)
        return nil
    }

    /// Queues the capture's remote (global) addresses behind what is on screen. Cheap to call
    /// every frame: it looks at the hosts only when their number changed, at most once a second.
    public func noteSeen(_ traffic: TrafficAggregator, now: Double) {
        let count = traffic.hosts.count
        guard count != hostScan.count, now - hostScan.time >= 1 else { return }
        hostScan = (count, now)
        var addresses: [IPAddress] = []
        traffic.hosts.forEach { host in
            if !requested.contains(host.address), AddressScope.of(host.address).isGlobal { addresses.append(host.address) }
        }
        if !addresses.isEmpty { lookUp(addresses, priority: .background) }
    }

    // MARK: Reading

    /// Addresses asked about and not answered yet.
    public var pendingCount: Int { waiting.count }

    public func isPending(_ address: IPAddress) -> Bool { waiting[address] != nil }

    /// The last known consensus (this session's lookup, else a cached answer), nil when none.
    public func consensus(_ address: IPAddress) -> Consensus? { enricher.enrich(address).consensus }

    /// Whether the consensus reaches the flagged threshold.
    public func isFlagged(_ consensus: Consensus) -> Bool { consensus.flagged >= max(1, threshold) }

    /// Risk-rule hits for `address`: from its lookup when there is one (AS, ISP and domain
    /// names, country, network flags), else from the offline country, AS name and network flags;
    /// plus the port rules for `ports` (the services it was seen answering on).
    /// Kept per address (the list asks every frame for the rows in view, and a sort asks for
    /// all): dropped when the address's answer arrives or the rules change.
    public func riskHits(_ address: IPAddress, ports: [Int] = []) -> [RiskRules.Hit] {
        if let known = riskCache[address], known.ports == ports { return known.hits }
        let hits = Self.riskHits(address, ports: ports, record: records[address], rules: riskRules, enricher: enricher)
        riskCache[address] = (ports, hits)
        return hits
    }
    private var riskCache: [IPAddress: (ports: [Int], hits: [RiskRules.Hit])] = [:]

    static func riskHits(_ address: IPAddress, ports: [Int], record: IntelRecord?, rules: RiskRules, enricher: AddressEnricher) -> [RiskRules.Hit] {
        let portHits = ports.isEmpty ? [] : rules.evaluate(RiskRules.Subject(ports: ports))
        if let record { return record.risk + portHits }
        if let location = enricher.locationInfo(address), location.local == nil {
            return rules.evaluate(RiskRules.Subject(countryCode: location.countryCode, names: location.asName.map { [$0] } ?? [],
                                                    locationFlags: location.flags)) + portHits
        }
        return portHits
    }

    /// What the Intel tab's columns read, as of now, for a worker (an export): the answers, the
    /// addresses still waiting and the rules are copied (copy-on-write: no per-address work on
    /// the UI thread); the enricher is thread-safe.
    public func facts() -> IntelFacts {
        IntelFacts(records: records, waiting: waiting, rules: riskRules, enricher: enricher)
    }

    /// Whether any provider has a key.
    public var hasAnyKey: Bool { keyStatus.values.contains { $0.isConfigured } }

    /// One line per provider for the Intel tab: key status and what is left of its quota.
    public func quotaText(_ provider: ReputationProvider) -> String {
        guard let status = quota[provider] else { return isConfiguring ? "reading the configuration…" : "quota unknown" }
        var parts: [String] = []
        if let perDay = status.limit.perDay {
            parts.append("\(groupedNumber(status.remainingToday ?? perDay)) of \(groupedNumber(perDay)) left today")
        } else {
            parts.append("no daily limit")
        }
        if let perMinute = status.limit.perMinute { parts.append("\(max(0, perMinute - status.usedLastMinute)) of \(perMinute) this minute") }
        if let reported = status.providerRemaining { parts.append("the provider reports \(groupedNumber(reported)) left") }
        if let blocked = status.blockedUntil { parts.append("waiting until \(ProviderTime.clock(blocked)) (the provider asked)") }
        return parts.joined(separator: ", ")
    }
}

/// A copy of what `IntelModel` knows about addresses, readable on any thread (see `facts()`).
public struct IntelFacts: Sendable {
    public let records: [IPAddress: IntelRecord]
    public let waiting: [IPAddress: ReputationLookupQueue.Priority]
    public let rules: RiskRules
    public let enricher: AddressEnricher

    public func isPending(_ address: IPAddress) -> Bool { waiting[address] != nil }
    public func consensus(_ address: IPAddress) -> Consensus? { enricher.enrich(address).consensus }
    public func riskHits(_ address: IPAddress, ports: [Int] = []) -> [RiskRules.Hit] {
        IntelModel.riskHits(address, ports: ports, record: records[address], rules: rules, enricher: enricher)
    }
}

/// The queue, for its own delivery closure (set once, before anything is queued; weak, as the
/// queue holds the closure).
private final class QueueHandle: @unchecked Sendable {
    weak var queue: ReputationLookupQueue?
}

/// Times in the Intel tab: UTC clock times and ages.
enum ProviderTime {
    static func clock(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return clockTime(seconds * 1_000_000_000, milliseconds: false) + " UTC"
    }

    /// "just now", "4 min ago", "3 h ago", "2 d ago".
    static func age(_ date: Date, now: Date) -> String {
        let seconds = max(0, now.timeIntervalSince(date))
        if seconds < 60 { return "just now" }
        if seconds < 3600 { return "\(Int(seconds / 60)) min ago" }
        if seconds < 86_400 { return "\(Int(seconds / 3600)) h ago" }
        return "\(Int(seconds / 86_400)) d ago"
    }
}

/// Who hears of reputation answers as they arrive, on the lookup worker. Thread-safe.
public final class ReputationObservers: Sendable {
    private let observers = Mutex<[@Sendable (AddressReputation) -> Void]>([])

    public func add(_ observer: @escaping @Sendable (AddressReputation) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func notify(_ reputation: AddressReputation) {
        for observer in observers.withLock({ $0 }) { observer(reputation) }
    }
}
