import Foundation
import GRDB
import Intel
import Schedule
import Store

/// The `reputation-refresh` engine: keeps the reputation cache ahead of the tables.
///
/// Each run looks up, in this order, (1) addresses whose cached answers expire within `horizon`
/// (or expired less than `horizon` ago), asking the providers again, and (2) the global addresses of the
/// latest saved capture window's hosts that the cache does not know yet. Lookups go through the
/// same rate limiters as everything else; a provider whose daily quota is spent is simply no
/// answer for the rest of the run, and the run stops early when every provider with a key is
/// spent — the addresses left over are counted in the summary and come first next time.
public enum ReputationRefreshJob {
    public struct Result: Equatable, Sendable {
        public var lookedUp = 0
        public var refreshed = 0
        public var flagged = 0
        public var skippedForQuota = 0

        public init(lookedUp: Int = 0, refreshed: Int = 0, flagged: Int = 0, skippedForQuota: Int = 0) {
            self.lookedUp = lookedUp
            self.refreshed = refreshed
            self.flagged = flagged
            self.skippedForQuota = skippedForQuota
        }
        public var summary: String {
            var text = "Looked up \(lookedUp) address\(lookedUp == 1 ? "" : "es") (\(refreshed) expiring cache entr\(refreshed == 1 ? "y" : "ies") renewed), \(flagged) flagged by at least one provider"
            if skippedForQuota > 0 { text += "; every provider's quota is used up, \(skippedForQuota) left for the next run" }
            return text + "."
        }
    }

    /// - Parameter onResult: sees every lookup's result (the daemon's auto-block hook).
    public static func run(service: ReputationService, database: NetScouterDatabase, horizon: TimeInterval = 3600,
                           isCancelled: () -> Bool = { false }, onResult: (AddressReputation) -> Void = { _ in }) throws -> Result {
        guard APIKeyProvider.allCases.contains(where: { service.configuration.keys.key(for: $0) != nil }) else {
            throw ReputationRefreshError(message: "No reputation API key is set, so there is nothing to refresh. Set ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY or OTX_API_KEY for the scheduler (or enter the keys in Settings), or disable this job.")
        }
        let now = service.clock.now()
        let expiring: [String] = try database.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT address FROM reputation_cache WHERE expires_at > ? AND expires_at <= ? ORDER BY address",
                                arguments: [now.addingTimeInterval(-horizon).timeIntervalSince1970, now.addingTimeInterval(horizon).timeIntervalSince1970])
        }
        var seen = Set(expiring)
        var fresh: [String] = []
        struct HostAddress: Decodable { var address: String }
        if let snapshot = try SnapshotStore(database: database).latest(kind: .hosts) {
            for host in try snapshot.decodePayload(as: HostAddress.self) where AddressScope.of(host.address)?.isGlobal == true {
                if seen.insert(host.address).inserted { fresh.append(host.address) }
            }
        }
        var result = Result()
        let work = expiring.map { ($0, true) } + fresh.map { ($0, false) }
        for (index, (address, refresh)) in work.enumerated() {
            if isCancelled() { throw JobStoppedError(summary: "Stopped early: " + result.summary) }
            let reputation = service.lookup(address, refresh: refresh)
            onResult(reputation)
            result.lookedUp += 1
            if refresh { result.refreshed += 1 }
            if reputation.consensus.flagged > 0 { result.flagged += 1 }
            let keyed = ReputationProvider.allCases.filter { service.configuration.keys.key(for: $0.keyProvider) != nil }
            let allSpent = keyed.allSatisfy { provider in
                if case let .failed(failure) = reputation.answers[provider], failure.kind == .quotaExhausted { return true }
                return false
            }
            if allSpent {
                result.skippedForQuota = work.count - index - 1
                break
            }
        }
        // Answers that expired before the last run's window are not renewed (that would spend
        // quota on every address ever seen); they go, and come back if the address shows up again.
        _ = try? ReputationCache(database: database).purgeExpired(at: now.addingTimeInterval(-horizon))
        return result
    }
}

public struct ReputationRefreshError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
