import Foundation
import GRDB
import XCTest
@testable import Store

final class MigrationTests: XCTestCase {
    private let allTables = [
        "audit_events", "blocks", "capture_snapshots", "captures", "devices", "firewall_allowlist", "flow_history", "iot_anomalies", "iot_baseline", "iot_destinations", "iot_devices", "iot_state", "job_runs", "reputation_cache",
        "scan_results", "scans", "schedules", "settings",
    ]

    func testEmptyDatabaseGetsEveryTableInWALMode() throws {
        let directory = try makeTemporaryDirectory()
        let database = try NetScouterDatabase(directory: directory)

        XCTAssertEqual(database.path, directory.appendingPathComponent("netscouter.sqlite").path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: database.path))
        let tables = try database.read { db in
            try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'
                ORDER BY name
                """)
        }
        XCTAssertEqual(tables, allTables)
        XCTAssertEqual(try database.appliedMigrations, ["v1", "v2", "v3", "v4", "v5-iot-inventory", "v6-firewall-allowlist-and-ban-sources"])
        XCTAssertEqual(try database.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }, ["v1", "v2", "v3", "v4", "v5-iot-inventory", "v6-firewall-allowlist-and-ban-sources"])
        XCTAssertEqual(try database.schemaVersion, 6)
        XCTAssertEqual(try database.journalMode, "wal")
        XCTAssertEqual(try database.write { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }, 1)
        XCTAssertEqual(try database.write { db in try Int.fetchOne(db, sql: "PRAGMA busy_timeout") }, 5000)
        XCTAssertEqual(try database.integrityCheck(), "ok")
    }

    func testColumnsAreSnakeCaseAsDocumented() throws {
        let database = try NetScouterDatabase(directory: try makeTemporaryDirectory())
        let columns = try database.read { db in
            try db.columns(in: "schedules").map(\.name)
        }
        XCTAssertEqual(columns, ["id", "name", "kind", "trigger", "time_zone", "options", "enabled",
                                 "next_run_at", "last_run_at", "created_at"])
        let deviceColumns = try database.read { db in try db.columns(in: "devices").map(\.name) }
        XCTAssertEqual(deviceColumns, ["id", "mac", "address", "hostname", "device_type", "first_seen",
                                       "last_seen", "vendor"])
    }

    func testMigratesFromPreviousSchemaKeepingRows() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path

        // A database as the v1 release left it (rollback journal, as a plain queue creates it).
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO scans (id, kind, target, started_at, status, summary)
                        VALUES (1, 'ports', '10.0.0.0/24', 1700000000, 'finished', '3 open');
                    INSERT INTO scan_results (scan_id, address, port, protocol, state)
                        VALUES (1, '10.0.0.7', 22, 'tcp', 'open');
                    INSERT INTO devices (mac, address, hostname, first_seen, last_seen)
                        VALUES ('aa:bb:cc:dd:ee:ff', '10.0.0.7', 'nas', 1700000000, 1700000100);
                    INSERT INTO schedules (id, name, kind, "trigger", time_zone, created_at)
                        VALUES (5, 'nightly', 'port-scan', 'cron 0 3 * * *', 'UTC', 1700000000);
                    INSERT INTO job_runs (job_id, started_at, finished_at, outcome, summary)
                        VALUES (5, 1700000200, 1700000300, 'succeeded', 'ok');
                    INSERT INTO settings (key, value) VALUES ('theme', '"light"');
                    """)
            }
            XCTAssertEqual(try queue.read { db in try Schema.migrator.appliedMigrations(db) }, ["v1"])
            XCTAssertEqual(try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }, 1)
            XCTAssertFalse(try queue.read { db in try db.tableExists("capture_snapshots") })
            try queue.close()
        }

        let database = try NetScouterDatabase(path: path)
        XCTAssertEqual(try database.appliedMigrations, ["v1", "v2", "v3", "v4", "v5-iot-inventory", "v6-firewall-allowlist-and-ban-sources"])
        XCTAssertEqual(try database.schemaVersion, 6)
        XCTAssertEqual(try database.journalMode, "wal")

        // Rows intact, new column empty.
        let device = try XCTUnwrap(try DeviceStore(database: database).device(mac: "AA:BB:CC:DD:EE:FF", address: "10.0.0.7"))
        XCTAssertEqual(device.hostname, "nas")
        XCTAssertNil(device.vendor)
        XCTAssertEqual(device.lastSeen, date(1_700_000_100))
        XCTAssertEqual(try ScanStore(database: database).results(forScan: 1).map(\.port), [22])
        XCTAssertEqual(try ScheduleStore(database: database).lastRun(forJob: 5)?.outcome, .succeeded)
        XCTAssertEqual(try SettingsStore(database: database).load().theme, "light")

        // The v2 changes are there.
        let indexes = try database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job_runs'")
        }
        XCTAssertTrue(indexes.contains("job_runs_by_job_started"))
        XCTAssertFalse(indexes.contains("job_runs_by_job"))
        try SnapshotStore(database: database).save(payload: "[]", kind: .flows, source: "eth0", at: date(1))
        XCTAssertEqual(try database.integrityCheck(), "ok")
    }

    func testFirewallMigrationKeepsBansAndAcceptsImportedAndScheduledSources() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v5-iot-inventory")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO blocks (id, address, reason, source, created_at, expires_at)
                        VALUES (7, '203.0.113.9', 'ssh', 'manual', 1700000000, 1700003600);
                    """)
                XCTAssertThrowsError(try db.execute(sql: "INSERT INTO blocks (address, reason, source, created_at) VALUES ('x', 'r', 'imported', 1)"),
                                     "v4 does not know imported bans")
            }
            try queue.close()
        }
        let database = try NetScouterDatabase(path: path)
        XCTAssertEqual(try database.schemaVersion, 6)
        let store = BlockStore(database: database)
        XCTAssertEqual(try store.active(at: date(1_700_000_001)).map(\.address), ["203.0.113.9"])
        let imported = try store.add(address: "198.51.100.0/24", reason: "list", source: .imported, duration: nil, at: date(1_700_000_002))
        XCTAssertEqual(imported.id, 8, "ids continue after the rebuilt table's rows")
        try store.add(address: "192.0.2.1", reason: "job", source: .scheduled, duration: 60, at: date(1_700_000_003))
        XCTAssertEqual(try store.active(at: date(1_700_000_004)).map(\.source), [.scheduled, .imported, .manual])
        let allowlist = AllowlistStore(database: database)
        XCTAssertTrue(try allowlist.add("10.0.0.0/8", note: "LAN", actor: "user", at: date(1)))
        XCTAssertFalse(try allowlist.add("10.0.0.0/8", note: "again", actor: "user", at: date(2)))
        XCTAssertEqual(try allowlist.all().map(\.entry), ["10.0.0.0/8"])
        XCTAssertTrue(try allowlist.remove("10.0.0.0/8", actor: "user", at: date(3)))
        XCTAssertEqual(try AuditLog(database: database).recent().map(\.action), ["allowlist.remove", "allowlist.add"])
        XCTAssertEqual(try database.integrityCheck(), "ok")
    }

    func testReopeningKeepsDataAndDoesNotMigrateAgain() throws {
        let directory = try makeTemporaryDirectory()
        do {
            let database = try NetScouterDatabase(directory: directory)
            try AuditLog(database: database).append(actor: "user", action: "test", subject: "x", at: date(1))
            try database.close()
        }
        let database = try NetScouterDatabase(directory: directory)
        XCTAssertEqual(try AuditLog(database: database).recent().map(\.subject), ["x"])
        XCTAssertEqual(try database.appliedMigrations, ["v1", "v2", "v3", "v4", "v5-iot-inventory", "v6-firewall-allowlist-and-ban-sources"])
    }

    // MARK: Refusals, with messages that say what to do

    func testGarbageFileIsReportedAsDamaged() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))

        XCTAssertThrowsError(try NetScouterDatabase(path: path)) { error in
            guard case StoreError.damaged(path: path, detail: _) = error else {
                return XCTFail("expected .damaged, got \(error)")
            }
            XCTAssertTrue("\(error)".contains("The file at \(path) is not a NetScouter database or is damaged"), "\(error)")
            XCTAssertTrue("\(error)".contains("move it aside and restart"), "\(error)")
        }
    }

    func testAnotherProgramsDatabaseIsRefused() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE photos (id INTEGER PRIMARY KEY)") }
        try queue.close()

        XCTAssertThrowsError(try NetScouterDatabase(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .notNetScouterDatabase(path: path))
        }
        // And it was not touched.
        let reopened = try DatabaseQueue(path: path)
        XCTAssertFalse(try reopened.read { db in try db.tableExists("scans") })
    }

    func testDatabaseFromNewerVersionIsRefused() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
        do {
            let database = try NetScouterDatabase(path: path)
            try database.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
            try database.close()
        }
        XCTAssertThrowsError(try NetScouterDatabase(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .newerSchema(path: path, unknownMigrations: ["v99"]))
            XCTAssertTrue("\(error)".contains("Update NetScouter"), "\(error)")
        }
    }

    func testDatabaseLockedByAnotherConnectionSaysSo() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
        try NetScouterDatabase(path: path).close()

        // Exclusive locking mode: the holder keeps the lock after its write, like a stuck
        // NetScouter would.
        let holder = try DatabaseQueue(path: path)
        try holder.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            try db.execute(sql: "INSERT INTO audit_events (at, actor, action, subject) VALUES (1, 'a', 'b', 'c')")
        }
        defer { try? holder.close() }

        XCTAssertThrowsError(try NetScouterDatabase(path: path, busyTimeout: 0.2)) { error in
            XCTAssertEqual(error as? StoreError, .locked(path: path))
            XCTAssertTrue("\(error)".hasPrefix("The database at \(path) is locked by another NetScouter"), "\(error)")
        }
    }

    func testMissingDirectoryCannotOpen() throws {
        let directory = try makeTemporaryDirectory().appendingPathComponent("does-not-exist")
        XCTAssertThrowsError(try NetScouterDatabase(directory: directory)) { error in
            guard case StoreError.cannotOpen = error else { return XCTFail("expected .cannotOpen, got \(error)") }
            XCTAssertTrue("\(error)".contains("--data-dir"), "\(error)")
        }
    }
}

/// Several openers of one new database at once (the window and CLI commands started together):
/// every one gets a migrated database, none fails on the migration table.
final class ConcurrentOpenTests: XCTestCase {
    func testManyOpenersOfANewDatabaseAllSucceed() throws {
        for round in 0..<5 {
            let path = try makeTemporaryDirectory().appendingPathComponent(NetScouterDatabase.fileName).path
            final class Failures: @unchecked Sendable { let lock = NSLock(); var messages: [String] = [] }
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do {
                    let database = try NetScouterDatabase(path: path)
                    try database.close()
                } catch {
                    failures.lock.withLock { failures.messages.append("\(error)") }
                }
            }
            XCTAssertEqual(failures.messages, [], "round \(round)")
            XCTAssertEqual(try NetScouterDatabase(path: path).appliedMigrations, Schema.migrationIdentifiers)
        }
    }
}
