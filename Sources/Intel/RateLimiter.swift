import Foundation
import GRDB
import Store
import Synchronization

/// A provider's request budget. Defaults are the free tiers:
/// VirusTotal 4 per minute and 500 per day; AbuseIPDB 1,000 per day (its check endpoint);
/// OTX publishes no hard limit for keyed users, so NetScouter stays conservative at 10 per minute
/// and 1,000 per day.
public struct RateLimit: Codable, Equatable, Sendable {
    /// Calls allowed in any 60-second window; nil for no per-minute limit.
    public var perMinute: Int?
    /// Calls allowed per UTC day (the providers reset their daily quotas at 00:00 UTC).
    public var perDay: Int?

    public init(perMinute: Int?, perDay: Int?) {
        self.perMinute = perMinute
        self.perDay = perDay
    }

    public static func freeTier(_ provider: ReputationProvider) -> RateLimit {
        switch provider {
        case .virusTotal: RateLimit(perMinute: 4, perDay: 500)
        case .abuseIPDB: RateLimit(perMinute: nil, perDay: 1_000)
        case .otx: RateLimit(perMinute: 10, perDay: 1_000)
        }
    }
}

/// What the limiter allows right now.
public enum RateDecision: Equatable, Sendable {
    case granted
    /// The next slot opens at this time (per-minute window, or the provider's Retry-After).
    case waitUntil(Date)
    /// Today's budget is spent; it renews at this time (next 00:00 UTC) or when the provider said.
    case exhausted(until: Date)
}

/// Remaining quota, for the Intel tab and `netscouter intel`.
public struct QuotaStatus: Equatable, Sendable, Codable {
    public var provider: ReputationProvider
    public var limit: RateLimit
    public var usedLastMinute: Int
    public var usedToday: Int
    /// nil when there is no daily limit.
    public var remainingToday: Int?
    /// Set while the provider asked us to wait (429 / Retry-After).
    public var blockedUntil: Date?
    /// The provider's own count of requests left, when it reports one (AbuseIPDB).
    public var providerRemaining: Int?
}

/// One provider's sliding-window limiter: at most `perMinute` calls in any 60 s (a log of call
/// times, not a fixed window, so 4 calls at 0:59 and 4 more at 1:01 cannot happen), at most
/// `perDay` per UTC day, and nothing at all before a `Retry-After` the provider sent. Thread-safe.
///
/// With a database the counts live in it (the `settings` row `intelQuota.<provider>`, updated in
/// one write transaction per decision), so the window, the daemon, scheduled jobs and
/// `netscouter intel` share one budget instead of each spending the whole free tier. If the
/// database cannot be used the limiter carries on in memory.
public final class ProviderRateLimiter: Sendable {
    public let provider: ReputationProvider
    public let limit: RateLimit
    struct State: Codable {
        var recent: [Date] = []
        var day: Int = -1
        var usedToday = 0
        var blockedUntil: Date?
        var providerRemaining: Int?
    }
    // Guarded by `lock` (an NSLock rather than a Mutex: the body runs inside a database write).
    private let lock = NSLock()
    nonisolated(unsafe) private var memory = State()
    private let ledger: NetScouterDatabase?

    public init(provider: ReputationProvider, limit: RateLimit, ledger: NetScouterDatabase? = nil) {
        self.provider = provider
        self.limit = limit
        self.ledger = ledger
    }

    var ledgerKey: String { "intelQuota.\(provider.rawValue)" }

    /// Runs `body` on the current state: in one database transaction when there is a ledger.
    private func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let ledger else { return body(&memory) }
        var result: T?
        do {
            try ledger.write { db in
                var current = memory
                if let text = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [ledgerKey]),
                       let stored = try? Self.decoder.decode(State.self, from: Data(text.utf8)) {
                    current = stored
                }
                result = body(&current)
                let json = String(decoding: try Self.encoder.encode(current), as: UTF8.self)
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [ledgerKey, json])
                memory = current
            }
        } catch {
            result = nil
        }
        // A failed transaction rolled back: decide again in memory (the count is then per process).
        return result ?? body(&memory)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// Takes a slot if one is free now; otherwise says when.
    public func acquire(at now: Date) -> RateDecision {
        withState { state in
            roll(&state, now)
            if let blocked = state.blockedUntil {
                if blocked > now {
                    return blocked.timeIntervalSince(now) > 3600 ? .exhausted(until: blocked) : .waitUntil(blocked)
                }
                state.blockedUntil = nil
            }
            if let perDay = limit.perDay, state.usedToday >= perDay {
                return .exhausted(until: Self.nextUTCMidnight(after: now))
            }
            if let perMinute = limit.perMinute, state.recent.count >= perMinute {
                // The window is [t, t + 60): the oldest call leaves it exactly 60 s later.
                return .waitUntil(state.recent[state.recent.count - perMinute].addingTimeInterval(60))
            }
            state.recent.append(now)
            state.usedToday += 1
            return .granted
        }
    }

    /// The provider said "not before `until`" (429 with Retry-After, or a daily quota error).
    public func block(until: Date) {
        withState { state in
            if state.blockedUntil.map({ $0 < until }) ?? true { state.blockedUntil = until }
        }
    }

    public func noteProviderRemaining(_ remaining: Int?) {
        guard let remaining else { return }
        withState { $0.providerRemaining = remaining }
    }

    public func status(at now: Date) -> QuotaStatus {
        withState { state in
            roll(&state, now)
            let blocked = state.blockedUntil.flatMap { $0 > now ? $0 : nil }
            return QuotaStatus(provider: provider, limit: limit, usedLastMinute: state.recent.count, usedToday: state.usedToday,
                               remainingToday: limit.perDay.map { max(0, $0 - state.usedToday) }, blockedUntil: blocked,
                               providerRemaining: state.providerRemaining)
        }
    }

    private func roll(_ state: inout State, _ now: Date) {
        let day = Int((now.timeIntervalSince1970 / 86_400).rounded(.down))
        if day != state.day {
            state.day = day
            state.usedToday = 0
            state.providerRemaining = nil
        }
        let cutoff = now.addingTimeInterval(-60)
        if let firstKept = state.recent.firstIndex(where: { $0 > cutoff }) {
            state.recent.removeFirst(firstKept)
        } else {
            state.recent.removeAll()
        }
    }

    static func nextUTCMidnight(after date: Date) -> Date {
        let day = (date.timeIntervalSince1970 / 86_400).rounded(.down)
        return Date(timeIntervalSince1970: (day + 1) * 86_400)
    }
}
