import Foundation
import GRDB
import Synchronization
import XCTest
@testable import Store

final class StoreWriterTests: XCTestCase {
    private func makeWriter() throws -> StoreWriter {
        StoreWriter(database: try NetScouterDatabase(directory: try makeTemporaryDirectory()))
    }

    func testWritesApplyInOrderOffTheCallingThread() throws {
        let writer = try makeWriter()
        let caller = pthread_self()
        let ranOnCaller = Atomic<Int>(0)
        let completions = Mutex<[Int]>([])

        for index in 0..<300 {
            writer.submit({ db in
                if pthread_equal(pthread_self(), caller) != 0 { ranOnCaller.add(1, ordering: .relaxed) }
                try AuditLog.append(actor: "test", action: "write", subject: "\(index)", at: date(index), in: db)
            }, completion: { error in
                XCTAssertNil(error)
                completions.withLock { $0.append(index) }
            })
        }
        writer.flush()

        XCTAssertEqual(writer.pendingCount, 0)
        XCTAssertEqual(ranOnCaller.load(ordering: .relaxed), 0, "no write ran on the submitting thread")
        XCTAssertEqual(completions.withLock { $0 }, Array(0..<300), "completions in submission order")
        let subjects = try writer.database.read { db in
            try String.fetchAll(db, sql: "SELECT subject FROM audit_events ORDER BY id")
        }
        XCTAssertEqual(subjects, (0..<300).map(String.init), "rows in submission order")
    }

    func testSubmitDoesNotBlockAndFlushWaitsForPendingWrites() throws {
        let writer = try makeWriter()
        let done = Atomic<Bool>(false)
        let start = Date()
        writer.submit({ db in
            usleep(300_000)
            try AuditLog.append(actor: "test", action: "slow", subject: "s", at: date(1), in: db)
        }, completion: { _ in done.store(true, ordering: .sequentiallyConsistent) })
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.2, "submit returned before the write ran")
        XCTAssertFalse(done.load(ordering: .sequentiallyConsistent))

        writer.flush()
        XCTAssertTrue(done.load(ordering: .sequentiallyConsistent), "flush returned only after the write and its completion")
        XCTAssertEqual(try AuditLog(database: writer.database).recent().count, 1)
    }

    func testFailedWriteRollsBackAndReportsTheError() throws {
        struct Refused: Error {}
        let writer = try makeWriter()
        let reported = Mutex<String?>(nil)
        writer.submit({ db in
            try AuditLog.append(actor: "test", action: "half", subject: "s", at: date(1), in: db)
            throw Refused()
        }, completion: { error in reported.withLock { $0 = error.map { "\(type(of: $0))" } } })
        writer.flush()
        XCTAssertEqual(reported.withLock { $0 }, "Refused")
        XCTAssertEqual(try AuditLog(database: writer.database).recent(), [], "the transaction was rolled back")
    }

    func testStopKeepsSubmittedWritesAndRefusesLaterOnes() throws {
        let writer = try makeWriter()
        for index in 0..<50 {
            writer.submit({ db in
                try AuditLog.append(actor: "test", action: "before-stop", subject: "\(index)", at: date(index), in: db)
            }, completion: { XCTAssertNil($0) })
        }
        writer.stop()
        XCTAssertEqual(try AuditLog(database: writer.database).recent().count, 50, "stop loses no submitted write")

        let refusal = Mutex<StoreError?>(nil)
        writer.submit({ db in
            try AuditLog.append(actor: "test", action: "after-stop", subject: "x", at: date(0), in: db)
        }, completion: { error in refusal.withLock { $0 = error as? StoreError } })
        writer.flush()
        XCTAssertEqual(refusal.withLock { $0 }, .writerStopped)
        XCTAssertEqual(try AuditLog(database: writer.database).recent().count, 50)
    }

    func testPerformReturnsTheWrittenValue() async throws {
        let writer = try makeWriter()
        let block = try await writer.perform { db in
            try BlockStore.add(address: "192.0.2.1", reason: "test", source: .manual, duration: 60, at: date(0), in: db)
        }
        XCTAssertNotNil(block.id)
        XCTAssertEqual(try BlockStore(database: writer.database).active(at: date(1)).map(\.id), [block.id])
    }
}
