import Foundation
import GRDB

/// Who asked for a block.
public enum BlockSource: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// The user pressed Block.
    case manual
    /// The auto-block rule fired (reputation consensus reached the threshold).
    case auto
    /// A scheduled job (a blocklist import on a schedule).
    case scheduled
    /// An imported blocklist (FireHOL, Spamhaus DROP, one address or CIDR per line).
    case imported
}

/// A firewall block, active until it expires or is removed: a row of `blocks`.
///
/// Rows are never deleted: a removed or expired block stays as history for the audit view.
public struct BlockRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "blocks"

    public var id: Int64?
    public var address: String
    public var reason: String
    public var source: BlockSource
    public var createdAt: Date
    /// Nil for a permanent block.
    public var expiresAt: Date?
    /// When the user (or the expiry sweep) lifted the block; nil while it is in force.
    public var removedAt: Date?

    public init(
        id: Int64? = nil, address: String, reason: String, source: BlockSource, createdAt: Date,
        expiresAt: Date? = nil, removedAt: Date? = nil
    ) {
        self.id = id
        self.address = address
        self.reason = reason
        self.source = source
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.removedAt = removedAt
    }

    /// Whether the block is in force at `time`.
    public func isActive(at time: Date) -> Bool {
        removedAt == nil && (expiresAt.map { $0 > time } ?? true)
    }

    enum CodingKeys: String, CodingKey {
        case id, address, reason, source
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case removedAt = "removed_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let address = Column(CodingKeys.address)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let expiresAt = Column(CodingKeys.expiresAt)
        public static let removedAt = Column(CodingKeys.removedAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Blocks and their history. The Firewall module applies them; this only remembers them.
public struct BlockStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// Records a block starting at `time`. `duration` nil (or `AppSettings.blockDurationHours`
    /// 0) means permanent.
    @discardableResult
    public func add(
        address: String, reason: String, source: BlockSource, duration: TimeInterval?, at time: Date
    ) throws -> BlockRecord {
        try database.write { db in
            try Self.add(address: address, reason: reason, source: source, duration: duration, at: time, in: db)
        }
    }

    @discardableResult
    public static func add(
        address: String, reason: String, source: BlockSource, duration: TimeInterval?, at time: Date,
        in db: Database
    ) throws -> BlockRecord {
        var block = BlockRecord(address: address, reason: reason, source: source, createdAt: time,
                                expiresAt: duration.map { time.addingTimeInterval($0) })
        try block.insert(db)
        return block
    }

    /// Records many blocks inside a caller's transaction through one prepared statement (a
    /// 20,000-line blocklist: GRDB's per-record insert cost several times more). Returns their ids.
    @discardableResult
    public static func addMany(
        addresses: [String], reason: String, source: BlockSource, duration: TimeInterval?, at time: Date, in db: Database
    ) throws -> [Int64] {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO blocks (address, reason, source, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
            """)
        let created = time.timeIntervalSince1970
        let expires = duration.map { created + $0 }
        var ids: [Int64] = []
        ids.reserveCapacity(addresses.count)
        for address in addresses {
            try statement.execute(arguments: [address, reason, source.rawValue, created, expires])
            ids.append(db.lastInsertedRowID)
        }
        return ids
    }

    /// Blocks in force at `time`, newest first.
    public func active(at time: Date) throws -> [BlockRecord] {
        try database.read { db in
            try BlockRecord
                .filter(BlockRecord.Columns.removedAt == nil)
                .filter(BlockRecord.Columns.expiresAt == nil || BlockRecord.Columns.expiresAt > time.timeIntervalSince1970)
                .order(BlockRecord.Columns.createdAt.desc, BlockRecord.Columns.id.desc)
                .fetchAll(db)
        }
    }

    /// Blocks whose time ran out by `time` but that were not lifted yet: the firewall's expiry
    /// sweep removes the rules, then calls `remove` for each.
    public func expired(at time: Date) throws -> [BlockRecord] {
        try database.read { db in
            try BlockRecord
                .filter(BlockRecord.Columns.removedAt == nil)
                .filter(BlockRecord.Columns.expiresAt <= time.timeIntervalSince1970)
                .order(BlockRecord.Columns.expiresAt)
                .fetchAll(db)
        }
    }

    /// Lifts one block. Returns false if it does not exist or was already lifted.
    @discardableResult
    public func remove(id: Int64, at time: Date) throws -> Bool {
        try database.write { db in try Self.remove(id: id, at: time, in: db) }
    }

    @discardableResult
    public static func remove(id: Int64, at time: Date, in db: Database) throws -> Bool {
        try BlockRecord
            .filter(BlockRecord.Columns.id == id)
            .filter(BlockRecord.Columns.removedAt == nil)
            .updateAll(db, BlockRecord.Columns.removedAt.set(to: time.timeIntervalSince1970)) > 0
    }

    /// Lifts every block of `address` still in the table (unblock from the connections view).
    /// Returns how many.
    @discardableResult
    public func removeAll(address: String, at time: Date) throws -> Int {
        try database.write { db in
            try BlockRecord
                .filter(BlockRecord.Columns.address == address)
                .filter(BlockRecord.Columns.removedAt == nil)
                .updateAll(db, BlockRecord.Columns.removedAt.set(to: time.timeIntervalSince1970))
        }
    }
}
