import Foundation
import GRDB

/// An address or CIDR the firewall must never block: a row of `firewall_allowlist`.
/// `entry` holds the canonical text the Firewall module produced from a parsed value.
public struct AllowlistEntry: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "firewall_allowlist"

    public var id: Int64?
    public var entry: String
    public var note: String
    public var createdAt: Date

    public init(id: Int64? = nil, entry: String, note: String = "", createdAt: Date) {
        self.id = id
        self.entry = entry
        self.note = note
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, entry, note
        case createdAt = "created_at"
    }

    public enum Columns {
        public static let entry = Column(CodingKeys.entry)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The allowlist. Adding and removing are audited in the same transaction.
public struct AllowlistStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// Adds `entry` (already canonical). Returns false when it was there already.
    @discardableResult
    public func add(_ entry: String, note: String, actor: String, at time: Date) throws -> Bool {
        try database.write { db in
            if try AllowlistEntry.filter(AllowlistEntry.Columns.entry == entry).fetchCount(db) > 0 { return false }
            var row = AllowlistEntry(entry: entry, note: note, createdAt: time)
            try row.insert(db)
            try AuditLog.append(actor: actor, action: "allowlist.add", subject: entry, detail: note, at: time, in: db)
            return true
        }
    }

    /// Removes `entry`. Returns false when it was not there.
    @discardableResult
    public func remove(_ entry: String, actor: String, at time: Date) throws -> Bool {
        try database.write { db in
            let removed = try AllowlistEntry.filter(AllowlistEntry.Columns.entry == entry).deleteAll(db) > 0
            if removed { try AuditLog.append(actor: actor, action: "allowlist.remove", subject: entry, at: time, in: db) }
            return removed
        }
    }

    public func all() throws -> [AllowlistEntry] {
        try database.read { db in try AllowlistEntry.order(AllowlistEntry.Columns.entry).fetchAll(db) }
    }
}
