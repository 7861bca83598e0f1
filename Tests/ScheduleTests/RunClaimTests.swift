import Dispatch
import Foundation
import Schedule
import Synchronization
import XCTest

/// The scheduler's side of "one run of a job at a time across processes": it claims every run
/// from the repository before recording it, holds the claim until the run's end is recorded,
/// and records a skipped run (never a second concurrent one) when another process has the job.
final class RunClaimTests: XCTestCase {
    /// An in-memory repository whose claims can be refused, as another process holding a job's
    /// run lock would, and which logs claim, record and release in order.
    final class ClaimingRepository: JobRepository, Sendable {
        let inner = InMemoryJobRepository()
        let busyJobs = Mutex<Set<Int64>>([])
        let log = Mutex<[String]>([])

        func allJobs() throws -> [ScheduledJob] { try inner.allJobs() }
        func updateSchedule(jobID: Int64, nextRunAt: Date?, lastRunAt: Date?) throws {
            try inner.updateSchedule(jobID: jobID, nextRunAt: nextRunAt, lastRunAt: lastRunAt)
        }
        func recordRunStart(jobID: Int64, at date: Date) throws -> Int64 {
            log.withLock { $0.append("start \(jobID)") }
            return try inner.recordRunStart(jobID: jobID, at: date)
        }
        func recordRunFinish(runID: Int64, at date: Date, outcome: JobOutcome, summary: String) throws {
            log.withLock { $0.append("finish \(outcome.rawValue)") }
            try inner.recordRunFinish(runID: runID, at: date, outcome: outcome, summary: summary)
        }
        func claimRun(jobID: Int64) throws -> JobRunClaim {
            if busyJobs.withLock({ $0.contains(jobID) }) {
                throw JobBusyError("job \(jobID) is already running in another NetScouter process (pid 4242)")
            }
            log.withLock { $0.append("claim \(jobID)") }
            return JobRunClaim { [self] in self.log.withLock { $0.append("release \(jobID)") } }
        }
    }

    private let start = date("2025-01-01 00:00")

    func testAJobAnotherProcessRunsIsSkippedWithItsReasonAndNeverExecuted() throws {
        let repository = ClaimingRepository()
        let executed = Atomic(0)
        let executors = JobExecutorRegistry()
        executors.register(.captureWindow) { _, _ in
            executed.add(1, ordering: .relaxed)
            return "captured"
        }
        let job = repository.inner.add(ScheduledJob(name: "window", kind: .captureWindow, trigger: .interval(seconds: 60), nextRunAt: start))
        repository.busyJobs.withLock { $0.insert(job.id) }
        let scheduler = Scheduler(repository: repository, clock: ManualClock(start), executors: executors)
        defer { scheduler.stop() }
        scheduler.tick()
        XCTAssertTrue(scheduler.waitUntilIdle(timeout: 5))

        XCTAssertEqual(executed.load(ordering: .relaxed), 0, "never two runs at once: this one did not execute")
        let runs = repository.inner.runs(jobID: job.id)
        XCTAssertEqual(runs.map(\.outcome), [.skipped])
        XCTAssertEqual(runs.first?.summary, "Skipped: job \(job.id) is already running in another NetScouter process (pid 4242)")
        XCTAssertFalse(scheduler.isRunning(jobID: job.id))

        // Once the other process is done, the job runs normally, claimed around its recording.
        repository.busyJobs.withLock { $0.removeAll() }
        repository.log.withLock { $0.removeAll() }
        XCTAssertTrue(scheduler.runNow(jobID: job.id))
        XCTAssertTrue(scheduler.waitUntilIdle(timeout: 5))
        XCTAssertEqual(executed.load(ordering: .relaxed), 1)
        XCTAssertEqual(repository.log.withLock { $0 }, ["claim \(job.id)", "start \(job.id)", "finish succeeded", "release \(job.id)"],
                       "the claim covers the whole recorded run")
    }

    func testAnExecutorStoppedEarlyIsRecordedAsStoppedWithWhatItDid() throws {
        let repository = ClaimingRepository()
        let executors = JobExecutorRegistry()
        let started = DispatchSemaphore(value: 0)
        executors.register(.captureWindow) { _, context in
            started.signal()
            while !context.isCancelled { usleep(1000) }
            throw JobStoppedError(summary: "Stopped after 4.0 of 20 s: Captured 12 packets")
        }
        let job = repository.inner.add(ScheduledJob(name: "window", kind: .captureWindow, trigger: .interval(seconds: 60), nextRunAt: start))
        let scheduler = Scheduler(repository: repository, clock: ManualClock(start), executors: executors)
        scheduler.tick()
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success)
        scheduler.stop(waitForRunning: true)
        let run = try XCTUnwrap(repository.inner.runs(jobID: job.id).first)
        XCTAssertEqual(run.outcome, .stopped)
        XCTAssertEqual(run.summary, "Stopped after 4.0 of 20 s: Captured 12 packets")
        XCTAssertEqual(repository.log.withLock { $0 }.last, "release \(job.id)")
    }

    func testTheRegistryMapsEveryWayARunEnds() {
        let executors = JobExecutorRegistry()
        let context = JobContext(runID: 1, startedAt: start)
        let job = { (kind: JobKind) in ScheduledJob(id: 1, name: "j", kind: kind, trigger: .interval(seconds: 60)) }
        executors.register(.captureWindow) { _, _ in "fine" }
        executors.register(.portScan) { _, _ in throw JobCancelledError() }
        executors.register(.lanDiscovery) { _, _ in throw JobRepositoryError("the interface went away") }
        XCTAssertTrue(executors.run(job(.captureWindow), context: context) == (.succeeded, "fine"))
        XCTAssertTrue(executors.run(job(.portScan), context: context) == (.stopped, JobCancelledError().description))
        XCTAssertTrue(executors.run(job(.lanDiscovery), context: context) == (.failed, "the interface went away"))
        let missing = executors.run(job(.reputationRefresh), context: context)
        XCTAssertEqual(missing.outcome, .failed)
        XCTAssertTrue(missing.summary.hasPrefix("No engine for reputation-refresh jobs"), missing.summary)
    }
}
