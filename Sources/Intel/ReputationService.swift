import Foundation
import HTTP
import Packets
import Store

/// Everything the reputation lookups need to know, resolved once from settings, keys and the
/// environment.
public struct ReputationConfiguration: Sendable {
    public var keys: APIKeys
    public var endpoints: ProviderEndpoints
    public var rules: FlagRules
    public var limits: [ReputationProvider: RateLimit]
    /// How long an answer is reused (settings: reputationCacheHours, default 24 h).
    public var cacheLifetime: TimeInterval
    /// Per request; a provider slower than this is "timed out" (no answer).
    public var timeoutSeconds: Double
    /// How long a lookup may wait for a free rate-limit slot (VirusTotal's 4 per minute) before
    /// answering "rate limited" instead.
    public var maximumSlotWait: TimeInterval

    public init(keys: APIKeys, endpoints: ProviderEndpoints = ProviderEndpoints(settings: .defaults, environment: [:]),
                rules: FlagRules = .defaults,
                limits: [ReputationProvider: RateLimit] = Dictionary(uniqueKeysWithValues: ReputationProvider.allCases.map { ($0, .freeTier($0)) }),
                cacheLifetime: TimeInterval = 24 * 3600, timeoutSeconds: Double = 15, maximumSlotWait: TimeInterval = 65) {
        self.keys = keys
        self.endpoints = endpoints
        self.rules = rules
        self.limits = limits
        self.cacheLifetime = cacheLifetime
        self.timeoutSeconds = timeoutSeconds
        self.maximumSlotWait = maximumSlotWait
    }

    /// What the settings say, with `keys`: base URLs (the environment first), cache time, flag
    /// thresholds and rate limits.
    public init(keys: APIKeys, settings: AppSettings, environment: [String: String]) {
        self.init(keys: keys, endpoints: ProviderEndpoints(settings: settings, environment: environment),
                  rules: FlagRules(abuseIPDBMinimumScore: settings.abuseIPDBFlagScore,
                                   virusTotalMinimumMalicious: settings.virusTotalFlagMalicious,
                                   virusTotalMinimumMaliciousPlusSuspicious: settings.virusTotalFlagMaliciousPlusSuspicious,
                                   otxMinimumPulses: settings.otxFlagPulses),
                  limits: Self.limits(settings), cacheLifetime: settings.reputationCacheLifetime)
    }

    /// The Settings rate limits; 0 is no limit.
    public static func limits(_ settings: AppSettings) -> [ReputationProvider: RateLimit] {
        func limit(_ perMinute: Int, _ perDay: Int) -> RateLimit { RateLimit(perMinute: perMinute > 0 ? perMinute : nil, perDay: perDay > 0 ? perDay : nil) }
        return [.abuseIPDB: limit(settings.abuseIPDBPerMinute, settings.abuseIPDBPerDay),
                .virusTotal: limit(settings.virusTotalPerMinute, settings.virusTotalPerDay),
                .otx: limit(settings.otxPerMinute, settings.otxPerDay)]
    }

    /// The configuration a user has: keys from the environment or the secrets file, base URLs
    /// from the environment or settings, the cache time, flag thresholds and rate limits from
    /// settings, replaced by `intel.json` in the config folder where it sets them.
    public static func load(settings: AppSettings, environment: [String: String] = ProcessInfo.processInfo.environment,
                            secrets: SecretsFile? = nil) throws -> ReputationConfiguration {
        let file = try secrets ?? SecretsFile(environment: environment)
        let keys = try file.load(environment: environment)
        var configuration = ReputationConfiguration(keys: keys, settings: settings, environment: environment)
        if let overrides = try IntelSettingsFile.load(environment: environment) {
            if let rules = overrides.flagRules { configuration.rules = rules }
            for (name, limit) in overrides.limits ?? [:] {
                if let provider = ReputationProvider(rawValue: name) { configuration.limits[provider] = limit }
            }
        }
        return configuration
    }
}

/// `flagged/3`: how many providers flag the address, out of all three, plus how many answered —
/// "1/3 with 1 answer" is not "1/3 with 3 answers", and a provider without a key is never
/// counted as clean.
public struct Consensus: Equatable, Sendable, Codable {
    public var flagged: Int
    public var answered: Int
    public var total: Int

    public init(answers: [ReputationProvider: ProviderAnswer]) {
        total = ReputationProvider.allCases.count
        answered = answers.values.filter(\.isAnswer).count
        flagged = answers.values.filter { $0.verdict?.flagged == true }.count
    }

    public init(flagged: Int, answered: Int, total: Int = ReputationProvider.allCases.count) {
        self.flagged = flagged
        self.answered = answered
        self.total = total
    }

    /// "2/3", as the product has always shown it.
    public var text: String { "\(flagged)/\(total)" }
    /// For hover texts: "2 of 3 providers flag it; 3 answered".
    public var explanation: String {
        "\(flagged) of \(total) providers flag it; \(answered) of \(total) answered"
    }
}

/// One address, every provider's answer, the consensus and the offline facts.
public struct AddressReputation: Sendable, Equatable {
    public var address: String
    public var scope: AddressScope
    public var answers: [ReputationProvider: ProviderAnswer]
    public var consensus: Consensus { Consensus(answers: answers) }
    public var location: LocationInfo?

    public init(address: String, scope: AddressScope, answers: [ReputationProvider: ProviderAnswer], location: LocationInfo? = nil) {
        self.address = address
        self.scope = scope
        self.answers = answers
        self.location = location
    }

    /// Country: the offline database first, then what the providers said.
    public var country: String? {
        location?.countryCode ?? ReputationProvider.allCases.lazy.compactMap { self.answers[$0]?.verdict?.country }.first
    }
    public var asn: UInt32? {
        location?.asn ?? ReputationProvider.allCases.lazy.compactMap { self.answers[$0]?.verdict?.asn }.first
    }
    public var asName: String? {
        location?.asName ?? ReputationProvider.allCases.lazy.compactMap { self.answers[$0]?.verdict?.asName }.first
    }
}

/// Asks the providers about addresses, within their quotas: the cache first (answers live
/// `cacheLifetime`), then each provider whose key is set, through its rate limiter. Blocking —
/// call it from a worker thread (the lookup queue, a job, the CLI), never the UI thread.
public final class ReputationService: Sendable {
    public let configuration: ReputationConfiguration
    public let cache: ReputationCache?
    public let clock: any IntelClock
    public let location: (any LocationSource)?
    private let limiters: [ReputationProvider: ProviderRateLimiter]
    private let log: (@Sendable (String) -> Void)?

    /// - Parameter log: receives one line per request and per failure. Lines never contain an
    ///   API key (every line is scrubbed of the configured keys before it is passed on).
    public init(configuration: ReputationConfiguration, cache: ReputationCache?, clock: any IntelClock = SystemIntelClock(),
                location: (any LocationSource)? = nil, log: (@Sendable (String) -> Void)? = nil) {
        self.configuration = configuration
        self.cache = cache
        self.clock = clock
        self.location = location
        self.log = log
        var limiters: [ReputationProvider: ProviderRateLimiter] = [:]
        for provider in ReputationProvider.allCases {
            limiters[provider] = ProviderRateLimiter(provider: provider, limit: configuration.limits[provider] ?? .freeTier(provider),
                                                     ledger: cache?.database)
        }
        self.limiters = limiters
    }

    public func quota() -> [QuotaStatus] {
        let now = clock.now()
        return ReputationProvider.allCases.map { limiters[$0]!.status(at: now) }
    }

    /// Every provider's answer for `address` (any text; only a global unicast IP is ever sent).
    /// - Parameter refresh: ask the providers even when the cache has a fresh answer.
    public func lookup(_ address: String, refresh: Bool = false) -> AddressReputation {
        guard let parsed = IPAddress(address.trimmingCharacters(in: .whitespaces)) else {
            let failure = ProviderFailure(kind: .badAddress, message: "\"\(TextSanitizer.clean(address, maximumLength: 80))\" is not an IPv4 or IPv6 address.")
            return AddressReputation(address: TextSanitizer.clean(address, maximumLength: 80), scope: .local("not an IP address"),
                                     answers: Dictionary(uniqueKeysWithValues: ReputationProvider.allCases.map { ($0, .failed(failure)) }))
        }
        let canonical = parsed.description
        let scope = AddressScope.of(parsed)
        let geo = location?.lookup(parsed)
        guard scope.isGlobal, case .global = scope else {
            let reason: String
            if case let .local(why) = scope { reason = "\(why) address" } else { reason = "local address" }
            return AddressReputation(address: canonical, scope: scope,
                                     answers: Dictionary(uniqueKeysWithValues: ReputationProvider.allCases.map { ($0, .notSent(reason: reason)) }),
                                     location: geo)
        }
        let providers = ReputationProvider.allCases
        let results = ResultBox(count: providers.count)
        DispatchQueue.concurrentPerform(iterations: providers.count) { index in
            results.set(index, answer(providers[index], address: canonical, refresh: refresh))
        }
        var answers: [ReputationProvider: ProviderAnswer] = [:]
        for (index, provider) in providers.enumerated() { answers[provider] = results.get(index) }
        return AddressReputation(address: canonical, scope: scope, answers: answers, location: geo)
    }

    /// Cached answers only (no network, no quota): what the tables show before a lookup ran.
    public func cached(_ address: String) -> AddressReputation? {
        guard let parsed = IPAddress(address), let cache else { return nil }
        let canonical = parsed.description
        guard let entries = try? cache.freshEntries(address: canonical, at: clock.now()), !entries.isEmpty else { return nil }
        var answers: [ReputationProvider: ProviderAnswer] = [:]
        for entry in entries {
            guard let provider = ReputationProvider(rawValue: entry.provider) else { continue }
            answers[provider] = Self.answer(from: entry)
        }
        return AddressReputation(address: canonical, scope: AddressScope.of(parsed), answers: answers, location: location?.lookup(parsed))
    }

    private func answer(_ provider: ReputationProvider, address: String, refresh: Bool) -> ProviderAnswer {
        if !refresh, let cache, let entry = try? cache.fresh(address: address, provider: provider.rawValue, at: clock.now()) {
            return Self.answer(from: entry)
        }
        guard let key = configuration.keys.key(for: provider.keyProvider) else { return .noKey }
        let limiter = limiters[provider]!
        let deadline = clock.now().addingTimeInterval(configuration.maximumSlotWait)
        while true {
            let now = clock.now()
            switch limiter.acquire(at: now) {
            case .granted:
                return ask(provider, address: address, key: key, limiter: limiter)
            case let .waitUntil(slot) where slot <= deadline:
                clock.sleep(seconds: slot.timeIntervalSince(now))
            case let .waitUntil(slot):
                return .failed(ProviderFailure(kind: .rateLimited,
                                               message: "\(provider.displayName)'s rate limit is reached (\(Self.describe(limiter.limit))); the next request can go out after \(ProviderProtocol.clock(slot)).",
                                               retryAt: slot))
            case let .exhausted(until):
                return .failed(ProviderFailure(kind: .quotaExhausted,
                                               message: "\(provider.displayName)'s quota for today is used up (\(Self.describe(limiter.limit))); it renews at \(ProviderProtocol.clock(until)).",
                                               retryAt: until))
            }
        }
    }

    private func ask(_ provider: ReputationProvider, address: String, key: String, limiter: ProviderRateLimiter) -> ProviderAnswer {
        let protocolHandler = ProviderProtocol(provider, rules: configuration.rules)
        let request = protocolHandler.request(address: address, key: key, apiRoot: configuration.endpoints.apiRoot(provider),
                                              timeoutSeconds: configuration.timeoutSeconds)
        let response: HTTPResponse
        do {
            response = try HTTPClient.perform(request)
        } catch {
            let failure: ProviderFailure
            switch error {
            case .timedOut:
                failure = ProviderFailure(kind: .timedOut,
                                          message: "\(provider.displayName) did not answer within \(Self.seconds(configuration.timeoutSeconds)). NetScouter will ask again later.")
            case .invalidURL:
                failure = ProviderFailure(kind: .transport, message: "The \(provider.displayName) base URL is not a valid http(s) URL: fix it in Settings or \(provider.baseURLVariable).")
            case .transport:
                failure = ProviderFailure(kind: .transport, message: "\(provider.displayName) could not be reached: \(error.description)")
            }
            emit("\(provider.displayName) \(address): \(failure.message)")
            return .failed(scrubbed(failure))
        }
        let now = clock.now()
        limiter.noteProviderRemaining(ProviderProtocol.reportedRemaining(response.headers))
        emit("\(provider.displayName) \(address): HTTP \(response.status), \(response.body.count) bytes")
        switch protocolHandler.interpret(response, address: address, now: now) {
        case let .success(verdict):
            if let cache {
                let entry = ReputationEntry(address: address, provider: provider.rawValue, flagged: verdict.flagged, score: verdict.score,
                                            detail: Self.encode(verdict), fetchedAt: now, expiresAt: now.addingTimeInterval(configuration.cacheLifetime))
                do { try cache.put(entry) } catch { emit("Could not save \(provider.displayName)'s answer for \(address) in the cache: \(error)") }
            }
            return .answered(verdict, fetchedAt: now, fromCache: false)
        case let .failure(failure):
            if failure.kind == .rateLimited || failure.kind == .quotaExhausted, let retry = failure.retryAt {
                limiter.block(until: retry)
            }
            let clean = scrubbed(failure)
            emit("\(provider.displayName) \(address): \(clean.message)")
            return .failed(clean)
        }
    }

    /// The message without any configured key in it: a server (or proxy) that echoes the
    /// request headers into its error body must not put the key on screen or in a log.
    private func scrubbed(_ failure: ProviderFailure) -> ProviderFailure {
        var copy = failure
        copy.message = redact(failure.message)
        return copy
    }

    public func redact(_ text: String) -> String {
        var result = text
        for provider in APIKeyProvider.allCases {
            if let key = configuration.keys.key(for: provider), key.count >= 4 {
                result = result.replacingOccurrences(of: key, with: "[redacted]")
            }
        }
        return result
    }

    private func emit(_ line: String) {
        log?(redact(line))
    }

    static func encode(_ verdict: ProviderVerdict) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(verdict)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func answer(from entry: ReputationEntry) -> ProviderAnswer {
        let verdict = (try? JSONDecoder().decode(ProviderVerdict.self, from: Data(entry.detail.utf8)))
            ?? ProviderVerdict(flagged: entry.flagged, score: entry.score, reasons: [TextSanitizer.clean(entry.detail)], fields: [:])
        return .answered(verdict, fetchedAt: entry.fetchedAt, fromCache: true)
    }

    static func describe(_ limit: RateLimit) -> String {
        var parts: [String] = []
        if let minute = limit.perMinute { parts.append("\(minute) per minute") }
        if let day = limit.perDay { parts.append("\(day) per day") }
        return parts.isEmpty ? "no limit" : parts.joined(separator: ", ")
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}

/// Results written by concurrentPerform's iterations, each to its own slot.
private final class ResultBox: @unchecked Sendable {
    private var slots: [ProviderAnswer?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: ProviderAnswer) { lock.lock(); slots[index] = value; lock.unlock() }
    func get(_ index: Int) -> ProviderAnswer { lock.lock(); defer { lock.unlock() }; return slots[index]! }
}
