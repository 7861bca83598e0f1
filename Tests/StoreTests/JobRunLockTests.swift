import Foundation
import GRDB
import XCTest
@testable import Store

/// The per-job run lock and the sweep that closes runs whose process died.
final class JobRunLockTests: XCTestCase {
    func testOneHolderAtATimeEvenWithinOneProcessAndFreedOnRelease() throws {
        let database = try NetScouterDatabase(directory: try makeTemporaryDirectory())
        guard case let .acquired(first) = try JobRunLock.acquire(jobID: 7, forDatabaseAt: database.path) else {
            return XCTFail("a free lock is acquired")
        }
        guard case let .heldByAnother(pid) = try JobRunLock.acquire(jobID: 7, forDatabaseAt: database.path) else {
            return XCTFail("a held lock is refused, even to another part of the same process")
        }
        XCTAssertEqual(pid, getpid(), "the refusal names the holder")
        guard case .acquired = try JobRunLock.acquire(jobID: 8, forDatabaseAt: database.path) else {
            return XCTFail("other jobs are independent")
        }
        first.release()
        first.release()  // harmless
        guard case .acquired = try JobRunLock.acquire(jobID: 7, forDatabaseAt: database.path) else {
            return XCTFail("released, so free again")
        }
        XCTAssertEqual(first.path, JobRunLock.folder(forDatabaseAt: database.path) + "/job-7.lock")
    }

    func testOnlyRunsWhoseLockIsFreeAreMarkedInterrupted() throws {
        let directory = try makeTemporaryDirectory()
        let database = try NetScouterDatabase(directory: directory)
        let store = ScheduleStore(database: database)
        let alive = try store.insert(ScheduleRecord(name: "alive", kind: "capture-window", trigger: "every 3600", timeZone: "", createdAt: date(0)))
        let dead = try store.insert(ScheduleRecord(name: "dead", kind: "capture-window", trigger: "every 3600", timeZone: "", createdAt: date(0)))
        let finished = try store.recordRunStart(jobID: try XCTUnwrap(dead.id), at: date(10))
        try store.recordRunFinish(runID: try XCTUnwrap(finished.id), outcome: .succeeded, summary: "ok", at: date(20))

        // "alive" is being run by someone holding its lock; "dead"'s runner is gone.
        guard case let .acquired(held) = try JobRunLock.acquire(jobID: try XCTUnwrap(alive.id), forDatabaseAt: database.path) else {
            return XCTFail("lock")
        }
        let aliveRun = try store.recordRunStart(jobID: try XCTUnwrap(alive.id), at: date(100))
        let deadRun = try store.recordRunStart(jobID: try XCTUnwrap(dead.id), at: date(100))

        // Any opening of the store sweeps.
        let reopened = try NetScouterDatabase(directory: directory)
        XCTAssertEqual(reopened.interruptedRunsClosedAtOpen, 1)
        let reopenedStore = ScheduleStore(database: reopened)
        let closed = try XCTUnwrap(try reopenedStore.lastRun(forJob: try XCTUnwrap(dead.id)))
        XCTAssertEqual(closed.id, deadRun.id)
        XCTAssertEqual(closed.outcome, .interrupted)
        XCTAssertEqual(closed.summary, ScheduleStore.interruptedSummary)
        XCTAssertNotNil(closed.finishedAt)
        XCTAssertEqual(try reopenedStore.runs(forJob: try XCTUnwrap(dead.id)).last?.outcome, .succeeded, "finished runs are left alone")
        XCTAssertEqual(try reopenedStore.lastRun(forJob: try XCTUnwrap(alive.id))?.outcome, .running, "a run whose lock is held is still running")

        // Its runner finishes normally: the sweep never overwrote it.
        try store.recordRunFinish(runID: try XCTUnwrap(aliveRun.id), outcome: .stopped, summary: "Stopped after 1.0 of 20 s", at: date(101))
        held.release()
        XCTAssertEqual(try store.markInterruptedRuns(at: date(200)), 0)
        XCTAssertEqual(try store.lastRun(forJob: try XCTUnwrap(alive.id))?.outcome, .stopped)
    }

    func testV3KeepsEarlierRunsAndAcceptsTheNewOutcomes() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v2")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO schedules (id, name, kind, "trigger", time_zone, created_at)
                        VALUES (5, 'nightly', 'capture-window', 'every 3600', '', 1700000000);
                    INSERT INTO job_runs (id, job_id, started_at, finished_at, outcome, summary)
                        VALUES (41, 5, 1700000200, 1700000300, 'succeeded', 'ok');
                    """)
                XCTAssertThrowsError(try db.execute(sql: "INSERT INTO job_runs (job_id, started_at, outcome) VALUES (5, 1, 'stopped')"),
                                     "v2 does not know the outcome")
            }
            try queue.close()
        }
        let database = try NetScouterDatabase(path: path)
        XCTAssertEqual(try database.schemaVersion, 6, "migrated through v3 (run outcomes), v4 (flow history), v5 (IoT inventory) and v6 (firewall)")
        let store = ScheduleStore(database: database)
        XCTAssertEqual(try store.runs(forJob: 5).map(\.id), [41])
        let run = try store.recordRunStart(jobID: 5, at: date(1_700_000_400))
        XCTAssertEqual(run.id, 42, "ids continue after the rebuilt table's rows")
        try store.recordRunFinish(runID: 42, outcome: .stopped, summary: "Stopped after 2.0 of 60 s", at: date(1_700_000_402))
        XCTAssertEqual(try store.lastRun(forJob: 5)?.outcome, .stopped)
        XCTAssertTrue(try store.delete(id: 5))
        XCTAssertEqual(try store.runs(forJob: 5), [], "the foreign key still cascades")
        let indexes = try database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job_runs'")
        }
        XCTAssertEqual(indexes, ["job_runs_by_job_started"])
        XCTAssertEqual(try database.integrityCheck(), "ok")
    }
}
