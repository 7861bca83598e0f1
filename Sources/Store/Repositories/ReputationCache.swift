import Foundation
import GRDB

/// One provider's verdict on one address, cached until `expiresAt`: a row of
/// `reputation_cache`. The cache keeps lookups within the providers' free quotas.
public struct ReputationEntry: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "reputation_cache"

    public var address: String
    /// "abuseipdb", "virustotal", "otx". Owned by the Intel module.
    public var provider: String
    /// Whether the provider considers the address malicious.
    public var flagged: Bool
    /// Provider-specific score (AbuseIPDB confidence 0…100, VirusTotal malicious votes), if any.
    public var score: Double?
    /// Short human-readable explanation, or the provider's JSON, for the details pane.
    public var detail: String
    public var fetchedAt: Date
    public var expiresAt: Date

    public init(
        address: String, provider: String, flagged: Bool, score: Double? = nil, detail: String = "",
        fetchedAt: Date, expiresAt: Date
    ) {
        self.address = address
        self.provider = provider
        self.flagged = flagged
        self.score = score
        self.detail = detail
        self.fetchedAt = fetchedAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case address, provider, flagged, score, detail
        case fetchedAt = "fetched_at"
        case expiresAt = "expires_at"
    }

    public enum Columns {
        public static let address = Column(CodingKeys.address)
        public static let provider = Column(CodingKeys.provider)
        public static let expiresAt = Column(CodingKeys.expiresAt)
    }
}

/// The reputation cache: answers "do we already know what provider P thinks of address A?".
public struct ReputationCache: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// The cached entry if it has not expired at `time`; nil means "ask the provider".
    public func fresh(address: String, provider: String, at time: Date) throws -> ReputationEntry? {
        try database.read { db in
            try ReputationEntry
                .filter(ReputationEntry.Columns.address == address)
                .filter(ReputationEntry.Columns.provider == provider)
                .filter(ReputationEntry.Columns.expiresAt > time.timeIntervalSince1970)
                .fetchOne(db)
        }
    }

    /// Every unexpired entry for `address`, one per provider: the input of the consensus rule.
    public func freshEntries(address: String, at time: Date) throws -> [ReputationEntry] {
        try database.read { db in
            try ReputationEntry
                .filter(ReputationEntry.Columns.address == address)
                .filter(ReputationEntry.Columns.expiresAt > time.timeIntervalSince1970)
                .order(ReputationEntry.Columns.provider)
                .fetchAll(db)
        }
    }

    /// Every unexpired entry, for loading the in-memory enrichment at start.
    public func allFresh(at time: Date) throws -> [ReputationEntry] {
        try database.read { db in
            try ReputationEntry
                .filter(ReputationEntry.Columns.expiresAt > time.timeIntervalSince1970)
                .fetchAll(db)
        }
    }

    /// Stores `entry`, replacing the previous one for the same address and provider.
    public func put(_ entry: ReputationEntry) throws {
        try database.write { db in try Self.put(entry, in: db) }
    }

    public static func put(_ entry: ReputationEntry, in db: Database) throws {
        try entry.insert(db, onConflict: .replace)
    }

    /// Deletes entries that expired at or before `time`; returns how many.
    @discardableResult
    public func purgeExpired(at time: Date) throws -> Int {
        try database.write { db in try Self.purgeExpired(at: time, in: db) }
    }

    @discardableResult
    public static func purgeExpired(at time: Date, in db: Database) throws -> Int {
        try ReputationEntry
            .filter(ReputationEntry.Columns.expiresAt <= time.timeIntervalSince1970)
            .deleteAll(db)
    }
}
