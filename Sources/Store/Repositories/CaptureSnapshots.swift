import Foundation
import GRDB

/// Which aggregate a capture snapshot holds.
public enum SnapshotKind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case flows
    case hosts
}

/// The aggregates of one capture window, saved when the window closes so `export flows` and
/// `export hosts` work after the capture stopped: a row of `capture_snapshots` (schema v2).
public struct CaptureSnapshotRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "capture_snapshots"

    public var id: Int64?
    public var takenAt: Date
    /// The interface name or pcap file the capture read from.
    public var source: String
    public var kind: SnapshotKind
    /// A JSON array, one element per flow or host (the Traffic module's export shape).
    public var payload: String

    public init(id: Int64? = nil, takenAt: Date, source: String, kind: SnapshotKind, payload: String) {
        self.id = id
        self.takenAt = takenAt
        self.source = source
        self.kind = kind
        self.payload = payload
    }

    /// Decodes `payload` as an array of `Element`.
    public func decodePayload<Element: Decodable>(as type: Element.Type) throws -> [Element] {
        do {
            return try JSONDecoder().decode([Element].self, from: Data(payload.utf8))
        } catch {
            throw StoreError.invalidJSON(what: "\(kind.rawValue) snapshot", detail: "\(error)")
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, source, kind, payload
        case takenAt = "taken_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let kind = Column(CodingKeys.kind)
        public static let takenAt = Column(CodingKeys.takenAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Saved capture windows. Only the latest few per kind are kept: they exist for "export what
/// I just captured", not as history, and a busy network makes each one large.
public struct SnapshotStore: Sendable {
    /// How many snapshots of each kind `save` keeps unless told otherwise.
    public static let defaultRetention = 10

    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// Saves `items` as a JSON array and drops all but the newest `keepLatest` of that kind.
    @discardableResult
    public func save<Element: Encodable>(
        _ items: [Element], kind: SnapshotKind, source: String, at time: Date,
        keepLatest: Int = defaultRetention
    ) throws -> CaptureSnapshotRecord {
        let payload: String
        do {
            payload = String(decoding: try JSONEncoder().encode(items), as: UTF8.self)
        } catch {
            throw StoreError.invalidJSON(what: "\(kind.rawValue) snapshot", detail: "\(error)")
        }
        return try save(payload: payload, kind: kind, source: source, at: time, keepLatest: keepLatest)
    }

    /// Saves an already-encoded JSON array (the database rejects anything else).
    @discardableResult
    public func save(
        payload: String, kind: SnapshotKind, source: String, at time: Date,
        keepLatest: Int = defaultRetention
    ) throws -> CaptureSnapshotRecord {
        try database.write { db in
            try Self.save(payload: payload, kind: kind, source: source, at: time, keepLatest: keepLatest, in: db)
        }
    }

    @discardableResult
    public static func save(
        payload: String, kind: SnapshotKind, source: String, at time: Date, keepLatest: Int, in db: Database
    ) throws -> CaptureSnapshotRecord {
        var snapshot = CaptureSnapshotRecord(takenAt: time, source: source, kind: kind, payload: payload)
        try snapshot.insert(db)
        try db.execute(sql: """
            DELETE FROM capture_snapshots
            WHERE kind = ? AND id NOT IN (
                SELECT id FROM capture_snapshots WHERE kind = ? ORDER BY taken_at DESC, id DESC LIMIT ?
            )
            """, arguments: [kind, kind, max(1, keepLatest)])
        return snapshot
    }

    /// The newest snapshot of `kind`, if any.
    public func latest(kind: SnapshotKind) throws -> CaptureSnapshotRecord? {
        try database.read { db in
            try CaptureSnapshotRecord
                .filter(CaptureSnapshotRecord.Columns.kind == kind)
                .order(CaptureSnapshotRecord.Columns.takenAt.desc, CaptureSnapshotRecord.Columns.id.desc)
                .fetchOne(db)
        }
    }

    /// The newest snapshot of `kind` with its payload decoded.
    public func latest<Element: Decodable>(
        kind: SnapshotKind, as type: Element.Type
    ) throws -> (snapshot: CaptureSnapshotRecord, items: [Element])? {
        guard let snapshot = try latest(kind: kind) else { return nil }
        return (snapshot, try snapshot.decodePayload(as: Element.self))
    }
}
