import Foundation
import GRDB
import XCTest
@testable import Store

final class RepositoryTests: XCTestCase {
    private func openDatabase() throws -> NetScouterDatabase {
        try NetScouterDatabase(directory: try makeTemporaryDirectory())
    }

    func testScansWithResultsRoundTrip() throws {
        let store = ScanStore(database: try openDatabase())
        let older = try store.insert(ScanRecord(kind: "ports", target: "10.0.0.1", startedAt: date(100), status: "finished"))
        let scan = try store.insert(
            ScanRecord(kind: "ports", target: "10.0.0.0/24", startedAt: date(200), status: "running"),
            results: [
                ScanResultRecord(address: "10.0.0.7", port: 22, protocol: "tcp", state: "open", service: "ssh"),
                ScanResultRecord(address: "10.0.0.7", port: 443, protocol: "tcp", state: "open", service: "https",
                                 detail: "nginx"),
            ])
        let scanID = try XCTUnwrap(scan.id)
        try store.appendResults([ScanResultRecord(address: "10.0.0.9", protocol: "icmp", state: "up")], toScan: scanID)
        try store.finish(scanID: scanID, status: "finished", summary: "3 results", at: date(260))

        XCTAssertEqual(try store.recent(limit: 10).map(\.id), [scanID, older.id])
        let stored = try XCTUnwrap(try store.scan(id: scanID))
        XCTAssertEqual(stored.status, "finished")
        XCTAssertEqual(stored.summary, "3 results")
        XCTAssertEqual(stored.finishedAt, date(260))
        XCTAssertEqual(stored.startedAt, date(200))

        let results = try store.results(forScan: scanID)
        XCTAssertEqual(results.map(\.port), [22, 443, nil])
        XCTAssertEqual(results.map(\.scanID), [scanID, scanID, scanID])
        XCTAssertEqual(results[1].detail, "nginx")
        XCTAssertEqual(results[0].service, "ssh")
        XCTAssertTrue(results.allSatisfy { $0.id != nil })

        // Timestamps are REAL unix seconds in the file.
        let raw = try store.database.read { db in
            try Double.fetchOne(db, sql: "SELECT started_at FROM scans WHERE id = ?", arguments: [scanID])
        }
        XCTAssertEqual(raw, 200)

        XCTAssertTrue(try store.delete(scanID: scanID))
        XCTAssertEqual(try store.results(forScan: scanID), [], "results go with their scan (ON DELETE CASCADE)")
        XCTAssertThrowsError(try store.finish(scanID: scanID, status: "x", summary: "", at: date(1))) { error in
            XCTAssertEqual(error as? StoreError, .notFound(what: "Scan", id: scanID))
        }
    }

    func testDeviceUpsertUpdatesLastSeenAndKeepsKnownDetails() throws {
        let store = DeviceStore(database: try openDatabase())
        let first = try store.upsert(mac: "AA:BB:CC:00:11:22", address: "192.168.1.20", hostname: "printer",
                                     seenAt: date(1000))
        let second = try store.upsert(mac: "aa:bb:cc:00:11:22", address: "192.168.1.20", deviceType: "printer",
                                      vendor: "Brother", seenAt: date(2000))
        XCTAssertEqual(first.id, second.id)
        XCTAssertEqual(second.mac, "aa:bb:cc:00:11:22")
        XCTAssertEqual(second.hostname, "printer", "a sighting without hostname keeps the known one")
        XCTAssertEqual(second.deviceType, "printer")
        XCTAssertEqual(second.vendor, "Brother")
        XCTAssertEqual(second.firstSeen, date(1000))
        XCTAssertEqual(second.lastSeen, date(2000))

        // A late, out-of-order report does not move last_seen backwards.
        let late = try store.upsert(mac: "aa:bb:cc:00:11:22", address: "192.168.1.20", seenAt: date(1500))
        XCTAssertEqual(late.lastSeen, date(2000))

        // MAC-less hosts are stored once per address, too.
        try store.upsert(mac: nil, address: "8.8.8.8", seenAt: date(10))
        try store.upsert(mac: "", address: "8.8.8.8", seenAt: date(20))
        // Same address, another MAC: another device.
        try store.upsert(mac: "de:ad:be:ef:00:01", address: "192.168.1.20", seenAt: date(30))

        let all = try store.all()
        XCTAssertEqual(all.count, 3)
        XCTAssertEqual(all.map(\.address), ["192.168.1.20", "192.168.1.20", "8.8.8.8"])
        XCTAssertEqual(try store.device(mac: nil, address: "8.8.8.8")?.lastSeen, date(20))
    }

    func testReputationCacheFreshPutAndPurge() throws {
        let cache = ReputationCache(database: try openDatabase())
        try cache.put(ReputationEntry(address: "203.0.113.9", provider: "abuseipdb", flagged: true, score: 97,
                                      detail: "reported 41 times", fetchedAt: date(0), expiresAt: date(100)))
        try cache.put(ReputationEntry(address: "203.0.113.9", provider: "otx", flagged: false,
                                      fetchedAt: date(0), expiresAt: date(50)))

        let hit = try XCTUnwrap(try cache.fresh(address: "203.0.113.9", provider: "abuseipdb", at: date(99)))
        XCTAssertTrue(hit.flagged)
        XCTAssertEqual(hit.score, 97)
        XCTAssertEqual(hit.detail, "reported 41 times")
        XCTAssertNil(try cache.fresh(address: "203.0.113.9", provider: "abuseipdb", at: date(100)), "expired at expires_at")
        XCTAssertNil(try cache.fresh(address: "203.0.113.9", provider: "virustotal", at: date(1)))
        XCTAssertEqual(try cache.freshEntries(address: "203.0.113.9", at: date(10)).map(\.provider), ["abuseipdb", "otx"])
        XCTAssertEqual(try cache.freshEntries(address: "203.0.113.9", at: date(60)).map(\.provider), ["abuseipdb"])

        // Put replaces the previous verdict.
        try cache.put(ReputationEntry(address: "203.0.113.9", provider: "abuseipdb", flagged: false, score: 0,
                                      fetchedAt: date(200), expiresAt: date(300)))
        XCTAssertEqual(try cache.fresh(address: "203.0.113.9", provider: "abuseipdb", at: date(250))?.flagged, false)

        XCTAssertEqual(try cache.purgeExpired(at: date(250)), 1)
        XCTAssertEqual(try cache.freshEntries(address: "203.0.113.9", at: date(0)).map(\.provider), ["abuseipdb"])
    }

    func testBlocksAddListActiveExpireAndRemove() throws {
        let store = BlockStore(database: try openDatabase())
        let permanent = try store.add(address: "198.51.100.1", reason: "manual", source: .manual, duration: nil, at: date(100))
        let temporary = try store.add(address: "198.51.100.2", reason: "3/3 providers", source: .auto,
                                      duration: 3600, at: date(200))
        XCTAssertNil(permanent.expiresAt)
        XCTAssertEqual(temporary.expiresAt, date(3800))
        XCTAssertEqual(temporary.source, .auto)

        XCTAssertEqual(try store.active(at: date(300)).map(\.address), ["198.51.100.2", "198.51.100.1"])
        XCTAssertEqual(try store.active(at: date(3800)).map(\.address), ["198.51.100.1"])
        XCTAssertEqual(try store.expired(at: date(3800)).map(\.id), [temporary.id])
        XCTAssertTrue(permanent.isActive(at: date(1_000_000)))
        XCTAssertFalse(temporary.isActive(at: date(4000)))

        XCTAssertTrue(try store.remove(id: try XCTUnwrap(temporary.id), at: date(3900)))
        XCTAssertFalse(try store.remove(id: try XCTUnwrap(temporary.id), at: date(3901)), "already lifted")
        XCTAssertEqual(try store.expired(at: date(5000)), [])
        XCTAssertEqual(try store.removeAll(address: "198.51.100.1", at: date(4000)), 1)
        XCTAssertEqual(try store.active(at: date(4000)), [])

        // History stays.
        let sources = try store.database.read { db in try BlockRecord.fetchAll(db).map(\.source) }
        XCTAssertEqual(sources, [.manual, .auto])
    }

    func testAuditLogAppendsAndListsNewestFirst() throws {
        let database = try openDatabase()
        let log = AuditLog(database: database)
        try log.append(actor: "user", action: "block", subject: "198.51.100.1", detail: "from connections", at: date(10))
        try log.append(actor: "auto-block", action: "block", subject: "198.51.100.2", at: date(20))
        // Appended in the same transaction as the change it describes.
        try database.write { db in
            try BlockStore.add(address: "198.51.100.3", reason: "r", source: .manual, duration: nil, at: date(30), in: db)
            try AuditLog.append(actor: "user", action: "block", subject: "198.51.100.3", at: date(30), in: db)
        }
        let events = try log.recent(limit: 2)
        XCTAssertEqual(events.map(\.subject), ["198.51.100.3", "198.51.100.2"])
        XCTAssertEqual(try log.recent().last?.detail, "from connections")
        XCTAssertEqual(try log.recent().last?.at, date(10))
    }

    func testSchedulesAndRuns() throws {
        struct ScanOptions: Codable, Equatable {
            var target: String
            var ports: [Int]
        }
        let store = ScheduleStore(database: try openDatabase())
        var nightly = ScheduleRecord(name: "nightly", kind: "port-scan", trigger: "cron 0 3 * * *",
                                     timeZone: "Europe/Berlin", createdAt: date(0))
        try nightly.setOptions(ScanOptions(target: "10.0.0.0/24", ports: [22, 80]))
        nightly = try store.insert(nightly)
        let every = try store.insert(ScheduleRecord(name: "cache purge", kind: "purge-cache", trigger: "every 1800",
                                                    timeZone: "UTC", enabled: false, nextRunAt: date(10), createdAt: date(0)))
        let nightlyID = try XCTUnwrap(nightly.id)
        let everyID = try XCTUnwrap(every.id)

        XCTAssertEqual(try store.all().map(\.name), ["cache purge", "nightly"])
        XCTAssertEqual(try store.schedule(id: nightlyID)?.decodeOptions(as: ScanOptions.self),
                       ScanOptions(target: "10.0.0.0/24", ports: [22, 80]))
        XCTAssertEqual(try store.schedule(id: nightlyID)?.trigger, "cron 0 3 * * *")

        nightly.enabled = false
        nightly.trigger = "every 60"
        try store.update(nightly)
        XCTAssertEqual(try store.schedule(id: nightlyID), nightly)

        try store.setNextRun(jobID: nightlyID, at: date(500))
        nightly.enabled = true
        nightly.nextRunAt = date(500)
        try store.update(nightly)
        XCTAssertEqual(try store.due(at: date(499)), [])
        XCTAssertEqual(try store.due(at: date(500)).map(\.id), [nightlyID], "disabled jobs are never due")

        let run1 = try store.recordRunStart(jobID: nightlyID, at: date(500))
        XCTAssertEqual(run1.outcome, .running)
        try store.recordRunFinish(runID: try XCTUnwrap(run1.id), outcome: .succeeded, summary: "2 open", at: date(530))
        let run2 = try store.recordRunStart(jobID: nightlyID, at: date(600))
        XCTAssertEqual(try store.schedule(id: nightlyID)?.lastRunAt, date(600))

        XCTAssertEqual(try store.runs(forJob: nightlyID).map(\.id), [run2.id, run1.id])
        XCTAssertEqual(try store.lastRun(forJob: nightlyID)?.id, run2.id)
        let finished = try XCTUnwrap(try store.runs(forJob: nightlyID).last)
        XCTAssertEqual(finished.outcome, .succeeded)
        XCTAssertEqual(finished.summary, "2 open")
        XCTAssertEqual(finished.finishedAt, date(530))
        XCTAssertNil(try store.lastRun(forJob: everyID))

        // A run left "running" by a crash is closed at the next start.
        XCTAssertEqual(try store.markInterruptedRuns(at: date(700)), 1)
        XCTAssertEqual(try store.lastRun(forJob: nightlyID)?.outcome, .interrupted)

        XCTAssertTrue(try store.delete(id: nightlyID))
        XCTAssertEqual(try store.runs(forJob: nightlyID), [], "runs go with their job (ON DELETE CASCADE)")
        XCTAssertThrowsError(try store.update(nightly)) { error in
            XCTAssertEqual(error as? StoreError, .notFound(what: "Schedule", id: nightlyID))
        }
        XCTAssertThrowsError(try store.recordRunStart(jobID: nightlyID, at: date(800)))
    }

    func testSnapshotsSaveLatestAndRetention() throws {
        struct Flow: Codable, Equatable {
            var source: String
            var bytes: Int
        }
        let store = SnapshotStore(database: try openDatabase())
        XCTAssertNil(try store.latest(kind: .flows))
        for minute in 1...5 {
            try store.save([Flow(source: "10.0.0.\(minute)", bytes: minute * 100)], kind: .flows, source: "eth0",
                           at: date(minute * 60), keepLatest: 3)
        }
        try store.save(payload: #"[{"address":"10.0.0.1"}]"#, kind: .hosts, source: "eth0", at: date(10))

        let latest = try XCTUnwrap(try store.latest(kind: .flows, as: Flow.self))
        XCTAssertEqual(latest.items, [Flow(source: "10.0.0.5", bytes: 500)])
        XCTAssertEqual(latest.snapshot.takenAt, date(300))
        XCTAssertEqual(latest.snapshot.source, "eth0")
        XCTAssertEqual(try store.latest(kind: .hosts)?.payload, #"[{"address":"10.0.0.1"}]"#)

        let kept = try store.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM capture_snapshots WHERE kind = 'flows'")
        }
        XCTAssertEqual(kept, 3)

        // The database rejects a payload that is not a JSON array.
        XCTAssertThrowsError(try store.save(payload: #"{"not":"an array"}"#, kind: .hosts, source: "eth0", at: date(1)))
    }

    func testWriteErrorsFromCallerPassThroughUnchanged() throws {
        struct Oops: Error {}
        let database = try openDatabase()
        XCTAssertThrowsError(try database.write { _ in throw Oops() }) { error in
            XCTAssertTrue(error is Oops, "\(error)")
        }
        // A constraint violation stays a DatabaseError, so callers can tell it apart.
        XCTAssertThrowsError(try database.write { db in
            try db.execute(sql: "INSERT INTO blocks (address, reason, source, created_at) VALUES ('x', 'y', 'robot', 0)")
        }) { error in
            XCTAssertEqual((error as? DatabaseError)?.resultCode, .SQLITE_CONSTRAINT)
        }
    }
}
