import Foundation
import GRDB

/// Something a person or a rule did that changes the system: a row of `audit_events`.
/// Never put API keys or other secrets in any field: the audit log is exported.
public struct AuditEvent: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "audit_events"

    public var id: Int64?
    public var at: Date
    /// "user", "auto-block", "scheduler: <job name>".
    public var actor: String
    /// A verb: "block", "unblock", "settings.save", "schedule.delete".
    public var action: String
    /// What it acted on: an address, a setting name, a job name.
    public var subject: String
    public var detail: String

    public init(id: Int64? = nil, at: Date, actor: String, action: String, subject: String, detail: String = "") {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
    }

    public enum Columns {
        public static let id = Column("id")
        public static let at = Column("at")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The append-only audit log.
public struct AuditLog: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    @discardableResult
    public func append(actor: String, action: String, subject: String, detail: String = "", at time: Date) throws -> AuditEvent {
        try database.write { db in
            try Self.append(actor: actor, action: action, subject: subject, detail: detail, at: time, in: db)
        }
    }

    /// Appends inside a caller's transaction, so the audit row commits (or rolls back) with the
    /// change it describes.
    @discardableResult
    public static func append(
        actor: String, action: String, subject: String, detail: String = "", at time: Date, in db: Database
    ) throws -> AuditEvent {
        var event = AuditEvent(at: time, actor: actor, action: action, subject: subject, detail: detail)
        try event.insert(db)
        return event
    }

    /// The latest events, newest first.
    public func recent(limit: Int = 200) throws -> [AuditEvent] {
        try database.read { db in
            try AuditEvent.order(AuditEvent.Columns.at.desc, AuditEvent.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }
}
