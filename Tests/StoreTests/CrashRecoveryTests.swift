import Foundation
import GRDB
import XCTest
@testable import Store

/// The environment variable that turns `CrashWriterHelper` into a writer process.
private let crashDatabaseVariable = "NETSCOUTER_CRASH_DB"

/// "kill -9 of a writer process leaves a database that opens and passes integrity_check."
///
/// The writer must be our own code (NetScouterDatabase + StoreWriter) in another process, so the
/// test re-runs this very test binary with only `CrashWriterHelper/testWriterLoopChild`
/// selected and `NETSCOUTER_CRASH_DB` set, waits until it has written, and SIGKILLs it.
/// (Forking a Swift process with threads is not safe; spawning a fresh one is.)
final class CrashRecoveryTests: XCTestCase {
    func testKillDashNineDuringWritesLeavesAHealthyDatabase() throws {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        for round in 1...3 {
            let directory = try makeTemporaryDirectory()
            let path = directory.appendingPathComponent(NetScouterDatabase.fileName).path
            let log = directory.appendingPathComponent("child.log")
            XCTAssertTrue(FileManager.default.createFile(atPath: log.path, contents: nil))
            let logHandle = try FileHandle(forWritingTo: log)
            defer { try? logHandle.close() }

            let child = Process()
            child.executableURL = URL(fileURLWithPath: testBinary)
            child.arguments = ["StoreTests.CrashWriterHelper/testWriterLoopChild"]
            var environment = ProcessInfo.processInfo.environment
            environment[crashDatabaseVariable] = path
            child.environment = environment
            child.standardOutput = logHandle
            child.standardError = logHandle
            try child.run()

            var rows = 0
            let deadline = Date().addingTimeInterval(20)
            while rows <= 1000, child.isRunning, Date() < deadline {
                usleep(10_000)
                rows = countResults(path: path)
            }
            guard rows > 1000, child.isRunning else {
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return XCTFail("round \(round): the writer stopped or stalled at \(rows) rows. Its output:\n\(output)")
            }
            // Let it run a little longer so the kill lands at a different point each round.
            usleep(UInt32.random(in: 0...50_000))
            XCTAssertEqual(kill(child.processIdentifier, SIGKILL), 0)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .uncaughtSignal, "round \(round)")
            XCTAssertEqual(child.terminationStatus, SIGKILL, "round \(round)")

            let database = try NetScouterDatabase(path: path)
            XCTAssertEqual(try database.integrityCheck(), "ok", "round \(round)")
            let (scans, results, orphans) = try database.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM scans") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM scan_results") ?? 0,
                 try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count)
            }
            XCTAssertGreaterThan(results, 1000, "round \(round)")
            XCTAssertEqual(results, scans * CrashWriterHelper.resultsPerScan,
                           "round \(round): every committed scan has all its results (no torn transaction)")
            XCTAssertEqual(orphans, 0, "round \(round)")
            // And it is writable again.
            try AuditLog(database: database).append(actor: "test", action: "recovered", subject: "round \(round)", at: Date())
            try database.close()
        }
    }

    /// Rows in scan_results as another process sees them; 0 while the file or table is not there.
    private func countResults(path: String) -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(1)
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return 0 }
        defer { try? queue.close() }
        return (try? queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scan_results") ?? 0 }) ?? 0
    }
}

/// Not a test on its own: the writer process of `CrashRecoveryTests`. Skipped unless
/// `NETSCOUTER_CRASH_DB` is set.
final class CrashWriterHelper: XCTestCase {
    static let resultsPerScan = 25

    func testWriterLoopChild() throws {
        guard let path = ProcessInfo.processInfo.environment[crashDatabaseVariable] else {
            throw XCTSkip("Runs only as the child process of CrashRecoveryTests (\(crashDatabaseVariable) is not set).")
        }
        let database = try NetScouterDatabase(path: path)
        let writer = StoreWriter(database: database)
        let parent = getppid()
        let deadline = Date().addingTimeInterval(60)
        var iteration = 0
        // Forever, in practice: the parent kills us. The parent and deadline checks only stop
        // an orphan if the parent itself died.
        while getppid() == parent, Date() < deadline {
            if writer.pendingCount > 32 {
                usleep(200)
                continue
            }
            iteration += 1
            let number = iteration
            writer.submit({ db in
                let results = (0..<Self.resultsPerScan).map { port in
                    ScanResultRecord(address: "10.\(number % 256).0.1", port: port, protocol: "tcp", state: "open",
                                     detail: String(repeating: "x", count: 200))
                }
                try ScanStore.insert(ScanRecord(kind: "crash", target: "loop \(number)", startedAt: Date(),
                                                status: "finished"),
                                     results: results, in: db)
                try AuditLog.append(actor: "crash-test", action: "write", subject: "\(number)", at: Date(), in: db)
            }, completion: { error in
                if let error {
                    FileHandle.standardError.write(Data("write \(number) failed: \(error)\n".utf8))
                }
            })
        }
        writer.stop()
    }
}
