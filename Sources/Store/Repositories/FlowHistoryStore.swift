import Foundation
import GRDB

/// One finished flow as the store keeps it (a row of `flow_history`, schema v3). Plain values:
/// the Store module knows nothing of the traffic tables; `Jobs` maps flows to this.
public struct StoredFlow: Codable, Equatable, Sendable {
    public var `protocol`: String
    public var initiator: String
    public var initiatorPort: Int
    public var responder: String
    public var responderPort: Int
    public var state: String
    /// `FlowEndReason.key`: closed, idle, ports_reused, evicted, capture_end.
    public var endReason: String
    public var packetsForward: Int64
    public var packetsReverse: Int64
    public var bytesForward: Int64
    public var bytesReverse: Int64
    /// Unix seconds.
    public var firstSeen: Double
    public var lastSeen: Double

    public init(protocol: String, initiator: String, initiatorPort: Int, responder: String, responderPort: Int, state: String,
                endReason: String, packetsForward: Int64, packetsReverse: Int64, bytesForward: Int64, bytesReverse: Int64,
                firstSeen: Double, lastSeen: Double) {
        self.protocol = `protocol`
        self.initiator = initiator
        self.initiatorPort = initiatorPort
        self.responder = responder
        self.responderPort = responderPort
        self.state = state
        self.endReason = endReason
        self.packetsForward = packetsForward
        self.packetsReverse = packetsReverse
        self.bytesForward = bytesForward
        self.bytesReverse = bytesReverse
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }
}

/// A live capture whose finished flows are in the store (a row of `captures`).
public struct StoredCapture: Equatable, Sendable {
    public var id: Int64
    public var source: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var flowCount: Int
}

/// The flow history of live captures: appended in batches by the store writer while a capture
/// runs, read by `export flows --history`, pruned by the retention setting.
public struct FlowHistoryStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// Records the start of a capture and returns its id, which every flow row carries.
    public func beginCapture(source: String, at time: Date) throws -> Int64 {
        try database.write { db in
            try db.execute(sql: "INSERT INTO captures (source, started_at) VALUES (?, ?)",
                           arguments: [source, time.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public static func finishCapture(_ id: Int64, at time: Date, in db: Database) throws {
        try db.execute(sql: "UPDATE captures SET finished_at = ? WHERE id = ?", arguments: [time.timeIntervalSince1970, id])
    }

    /// Appends `flows` to capture `captureID` inside the caller's transaction (one prepared
    /// statement for the batch: a 4,096-flow batch is one short transaction).
    public static func append(_ flows: [StoredFlow], toCapture captureID: Int64, in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO flow_history (capture_id, protocol, initiator, initiator_port, responder, responder_port, state,
                end_reason, packets_forward, packets_reverse, bytes_forward, bytes_reverse, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for flow in flows {
            try statement.execute(arguments: [
                captureID, flow.protocol, flow.initiator, flow.initiatorPort, flow.responder, flow.responderPort, flow.state,
                flow.endReason, flow.packetsForward, flow.packetsReverse, flow.bytesForward, flow.bytesReverse,
                flow.firstSeen, flow.lastSeen,
            ])
        }
    }

    /// Captures with at least one stored flow or still open, newest first.
    public func captures(limit: Int = 100) throws -> [StoredCapture] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.source, c.started_at, c.finished_at,
                       (SELECT COUNT(*) FROM flow_history f WHERE f.capture_id = c.id) AS flows
                FROM captures c ORDER BY c.started_at DESC, c.id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                StoredCapture(id: row["id"], source: row["source"], startedAt: Date(timeIntervalSince1970: row["started_at"]),
                              finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:)), flowCount: row["flows"])
            }
        }
    }

    /// How many flows capture `captureID` stored (every capture when nil).
    public func flowCount(capture captureID: Int64? = nil) throws -> Int {
        try database.read { db in
            if let captureID {
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM flow_history WHERE capture_id = ?", arguments: [captureID]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM flow_history") ?? 0
        }
    }

    /// The stored flows of one capture (or all), in the order they finished.
    public func flows(capture captureID: Int64? = nil) throws -> [StoredFlow] {
        try database.read { db in
            let condition = captureID == nil ? "" : "WHERE capture_id = ?"
            let rows = try Row.fetchCursor(db, sql: """
                SELECT protocol, initiator, initiator_port, responder, responder_port, state, end_reason, packets_forward,
                       packets_reverse, bytes_forward, bytes_reverse, first_seen, last_seen
                FROM flow_history \(condition) ORDER BY id
                """, arguments: captureID.map { [$0] } ?? [])
            var result: [StoredFlow] = []
            while let row = try rows.next() {
                result.append(StoredFlow(
                    protocol: row[0], initiator: row[1], initiatorPort: row[2], responder: row[3], responderPort: row[4],
                    state: row[5], endReason: row[6], packetsForward: row[7], packetsReverse: row[8], bytesForward: row[9],
                    bytesReverse: row[10], firstSeen: row[11], lastSeen: row[12]))
            }
            return result
        }
    }

    /// Deletes flows whose last packet is older than `cutoff`, then finished captures left with
    /// no flows. Returns the flows deleted.
    @discardableResult
    public static func prune(olderThan cutoff: Date, in db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM flow_history WHERE last_seen < ?", arguments: [cutoff.timeIntervalSince1970])
        let deleted = db.changesCount
        try db.execute(sql: """
            DELETE FROM captures WHERE finished_at IS NOT NULL AND finished_at < ?
              AND NOT EXISTS (SELECT 1 FROM flow_history f WHERE f.capture_id = captures.id)
            """, arguments: [cutoff.timeIntervalSince1970])
        return deleted
    }
}
