import Foundation
import GRDB

/// One scan run (port scan, LAN discovery, …): a row of `scans`.
public struct ScanRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "scans"

    /// Assigned by the database on insert.
    public var id: Int64?
    /// What ran, e.g. "ports", "discovery". Owned by the Scan module.
    public var kind: String
    /// What was scanned, as the user typed it ("192.168.1.0/24", "example.org").
    public var target: String
    public var startedAt: Date
    /// Nil while the scan is running.
    public var finishedAt: Date?
    /// e.g. "running", "finished", "failed", "cancelled". Owned by the Scan module.
    public var status: String
    /// One line for lists ("12 hosts, 37 open ports").
    public var summary: String

    public init(
        id: Int64? = nil, kind: String, target: String, startedAt: Date,
        finishedAt: Date? = nil, status: String, summary: String = ""
    ) {
        self.id = id
        self.kind = kind
        self.target = target
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, target, status, summary
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let startedAt = Column(CodingKeys.startedAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// One finding of a scan (an open port, a live host): a row of `scan_results`.
public struct ScanResultRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "scan_results"

    public var id: Int64?
    /// Set by `ScanStore` when the results are inserted with their scan.
    public var scanID: Int64?
    public var address: String
    /// Nil for host-level results (discovery).
    public var port: Int?
    /// "tcp", "udp", "icmp", "arp".
    public var `protocol`: String
    /// e.g. "open", "closed", "filtered", "up".
    public var state: String
    public var service: String?
    public var detail: String?

    public init(
        id: Int64? = nil, scanID: Int64? = nil, address: String, port: Int? = nil,
        protocol: String, state: String, service: String? = nil, detail: String? = nil
    ) {
        self.id = id
        self.scanID = scanID
        self.address = address
        self.port = port
        self.protocol = `protocol`
        self.state = state
        self.service = service
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case id, address, port, `protocol`, state, service, detail
        case scanID = "scan_id"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let scanID = Column(CodingKeys.scanID)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Scan history: scans and their results.
///
/// Every operation exists twice: as a method that opens its own transaction, and as a static
/// `…(in: db)` function to combine several in one transaction or to run through `StoreWriter`.
public struct ScanStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// Inserts `scan` and its `results` in one transaction; returns the scan with its id.
    @discardableResult
    public func insert(_ scan: ScanRecord, results: [ScanResultRecord] = []) throws -> ScanRecord {
        try database.write { db in try Self.insert(scan, results: results, in: db) }
    }

    @discardableResult
    public static func insert(_ scan: ScanRecord, results: [ScanResultRecord], in db: Database) throws -> ScanRecord {
        var scan = scan
        try scan.insert(db)
        if let scanID = scan.id {
            try appendResults(results, toScan: scanID, in: db)
        }
        return scan
    }

    /// Adds results to an existing scan (scanners report as they go).
    public func appendResults(_ results: [ScanResultRecord], toScan scanID: Int64) throws {
        try database.write { db in try Self.appendResults(results, toScan: scanID, in: db) }
    }

    public static func appendResults(_ results: [ScanResultRecord], toScan scanID: Int64, in db: Database) throws {
        for var result in results {
            result.scanID = scanID
            result.id = nil
            try result.insert(db)
        }
    }

    /// Marks a scan finished (or failed, cancelled) with its summary.
    public func finish(scanID: Int64, status: String, summary: String, at time: Date) throws {
        try database.write { db in try Self.finish(scanID: scanID, status: status, summary: summary, at: time, in: db) }
    }

    public static func finish(scanID: Int64, status: String, summary: String, at time: Date, in db: Database) throws {
        guard var scan = try ScanRecord.fetchOne(db, key: scanID) else {
            throw StoreError.notFound(what: "Scan", id: scanID)
        }
        scan.status = status
        scan.summary = summary
        scan.finishedAt = time
        try scan.update(db)
    }

    /// The most recent scans, newest first.
    public func recent(limit: Int = 50) throws -> [ScanRecord] {
        try database.read { db in try Self.recent(limit: limit, in: db) }
    }

    public static func recent(limit: Int, in db: Database) throws -> [ScanRecord] {
        try ScanRecord
            .order(ScanRecord.Columns.startedAt.desc, ScanRecord.Columns.id.desc)
            .limit(limit)
            .fetchAll(db)
    }

    /// One scan by id.
    public func scan(id: Int64) throws -> ScanRecord? {
        try database.read { db in try ScanRecord.fetchOne(db, key: id) }
    }

    /// The results of one scan, in the order they were found.
    public func results(forScan scanID: Int64) throws -> [ScanResultRecord] {
        try database.read { db in try Self.results(forScan: scanID, in: db) }
    }

    public static func results(forScan scanID: Int64, in db: Database) throws -> [ScanResultRecord] {
        try ScanResultRecord
            .filter(ScanResultRecord.Columns.scanID == scanID)
            .order(ScanResultRecord.Columns.id)
            .fetchAll(db)
    }

    /// Deletes a scan and (by cascade) its results. Returns false if it did not exist.
    @discardableResult
    public func delete(scanID: Int64) throws -> Bool {
        try database.write { db in try ScanRecord.deleteOne(db, key: scanID) }
    }
}
