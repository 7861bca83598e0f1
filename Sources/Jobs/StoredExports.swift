import Export
import Foundation
import GRDB
import Packets
import Store
import Traffic

/// Export tables built from what the store keeps: the latest capture window's flows and hosts,
/// scans with their results, and threats (flagged reputation answers with any block on them).
public enum StoredExports {
    public enum Kind: String, CaseIterable, Sendable {
        case flows, hosts, scans, threats
    }

    public static func table(_ kind: Kind, database: NetScouterDatabase) throws -> (table: ExportTable, note: String?) {
        switch kind {
        case .flows:
            let snapshot = try SnapshotStore(database: database).latest(kind: .flows)
            let rows = try snapshot?.decodePayload(as: TrafficReport.Flow.self) ?? []
            return (flows(rows), snapshot.map { "the capture window of \(isoSeconds($0.takenAt)) (\($0.source)) saw no flows" } ?? noCaptureNote)
        case .hosts:
            let snapshot = try SnapshotStore(database: database).latest(kind: .hosts)
            let rows = try snapshot?.decodePayload(as: TrafficReport.Host.self) ?? []
            return (hosts(rows), snapshot.map { "the capture window of \(isoSeconds($0.takenAt)) (\($0.source)) saw no hosts" } ?? noCaptureNote)
        case .scans:
            return (try scans(database), nil)
        case .threats:
            return (try threats(database), nil)
        }
    }

    static let noCaptureNote = "no capture window has been saved yet: schedule a capture-window job, or export from a file with --read"

    public static func flows(_ rows: [TrafficReport.Flow]) -> ExportTable {
        ExportTable(columns: TrafficExports.flowColumns, rows: rows) { flow in
            TrafficExports.flowRow(flow, firstSeen: isoMillis(flow.firstSeen), lastSeen: isoMillis(flow.lastSeen))
        }
    }

    public static func hosts(_ rows: [TrafficReport.Host]) -> ExportTable {
        ExportTable(columns: TrafficExports.hostColumns, rows: rows) { host in
            TrafficExports.hostRow(host, firstSeen: isoMillis(host.firstSeen), lastSeen: isoMillis(host.lastSeen))
        }
    }

    public static let scanColumns = [
        ExportColumn("scan_id", title: "Scan"), ExportColumn("kind", title: "Kind"), ExportColumn("target", title: "Target"),
        ExportColumn("started_at", title: "Started (UTC)"), ExportColumn("status", title: "Status"),
        ExportColumn("address", title: "Address"), ExportColumn("port", title: "Port"), ExportColumn("protocol", title: "Protocol"),
        ExportColumn("state", title: "State"), ExportColumn("service", title: "Service"), ExportColumn("detail", title: "Detail"),
    ]

    static func scans(_ database: NetScouterDatabase) throws -> ExportTable {
        let store = ScanStore(database: database)
        var table = ExportTable(columns: scanColumns, rows: [])
        for scan in try store.recent(limit: 10_000) {
            for result in try store.results(forScan: scan.id ?? 0) {
                table.append([
                    .number(scan.id ?? 0), .string(scan.kind), .string(scan.target), .string(isoSeconds(scan.startedAt)), .string(scan.status),
                    .string(result.address), result.port.map { .number($0) } ?? .null, .string(result.protocol), .string(result.state), .text(result.service), .text(result.detail),
                ])
            }
        }
        return table
    }

    public static let threatColumns = [
        ExportColumn("address", title: "Address"), ExportColumn("provider", title: "Provider"), ExportColumn("score", title: "Score"),
        ExportColumn("detail", title: "Detail"), ExportColumn("fetched_at", title: "Checked (UTC)"), ExportColumn("blocked", title: "Blocked"),
    ]

    static func threats(_ database: NetScouterDatabase) throws -> ExportTable {
        let (entries, blocked) = try database.read { db in
            (try ReputationEntry.filter(Column("flagged") == true).order(Column("address"), Column("provider")).fetchAll(db),
             Set(try BlockRecord.filter(Column("removed_at") == nil).fetchAll(db).map(\.address)))
        }
        return ExportTable(columns: threatColumns, rows: entries) { entry in
            [.string(entry.address), .string(entry.provider), entry.score.map { .double($0) } ?? .null, .string(entry.detail),
             .string(isoSeconds(entry.fetchedAt)), .bool(blocked.contains(entry.address))]
        }
    }

    static func isoMillis(_ seconds: Double) -> String { ISO8601.string(nanosecondsSinceEpoch: Int64(clamping: (seconds * 1e9).rounded())) }
    static func isoSeconds(_ date: Date) -> String { ISO8601.string(nanosecondsSinceEpoch: Int64(date.timeIntervalSince1970 * 1e9), fractionDigits: 0) }
}
