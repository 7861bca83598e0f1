import Dispatch
import Foundation
import Schedule
import Synchronization
import XCTest

/// The scheduler driven by a ManualClock: nothing waits for real time, and waits on other threads
/// use semaphores with a generous safety timeout only.
final class SchedulerTests: XCTestCase {
    private let start = date("2025-01-01 00:00")
    private var clock: ManualClock!
    private var repository: InMemoryJobRepository!
    private var executors: JobExecutorRegistry!
    private var scheduler: Scheduler!
    private let events = EventLog()

    override func setUp() {
        clock = ManualClock(start)
        repository = InMemoryJobRepository()
        executors = JobExecutorRegistry()
        makeScheduler(maximumConcurrentRuns: 4)
    }

    override func tearDown() {
        scheduler.stop(waitForRunning: true)
    }

    private func makeScheduler(maximumConcurrentRuns: Int) {
        scheduler = Scheduler(repository: repository, clock: clock, executors: executors, maximumConcurrentRuns: maximumConcurrentRuns)
        let events = events
        scheduler.onChange = { events.append($0) }
    }

    @discardableResult
    private func addJob(
        _ name: String, kind: JobKind = .portScan, trigger: Trigger = .interval(seconds: 60),
        enabled: Bool = true, nextRunAt: Date?
    ) -> ScheduledJob {
        repository.add(ScheduledJob(name: name, kind: kind, trigger: trigger, enabled: enabled, nextRunAt: nextRunAt))
    }

    private func waitUntilIdle(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(scheduler.waitUntilIdle(timeout: 5), "runs did not finish", file: file, line: line)
    }

    private func outcomes(_ jobID: Int64) -> [JobOutcome?] {
        repository.runs(jobID: jobID).map(\.outcome)
    }

    // MARK: Due jobs

    func testDueJobsRunExactlyOncePerTick() throws {
        executors.register(.portScan) { job, _ in "scanned for \(job.name)" }
        let everyMinute = addJob("every minute", nextRunAt: start)
        let cron = addJob("cron", trigger: try .cron(parsing: "*/5 * * * *", timeZone: Zones.utc), nextRunAt: start)
        let later = addJob("later", nextRunAt: start.addingTimeInterval(600))

        scheduler.tick()
        waitUntilIdle()
        scheduler.tick()  // same instant: nothing is due any more
        waitUntilIdle()
        XCTAssertEqual(outcomes(everyMinute.id), [.succeeded])
        XCTAssertEqual(outcomes(cron.id), [.succeeded])
        XCTAssertEqual(outcomes(later.id), [])

        let run = try XCTUnwrap(repository.runs(jobID: everyMinute.id).first)
        XCTAssertEqual(run.summary, "scanned for every minute")
        XCTAssertEqual(run.startedAt, start)
        XCTAssertEqual(run.finishedAt, start)
        XCTAssertEqual(repository.job(id: everyMinute.id)?.nextRunAt, start.addingTimeInterval(60))
        XCTAssertEqual(repository.job(id: everyMinute.id)?.lastRunAt, start)
        XCTAssertEqual(repository.job(id: cron.id)?.nextRunAt, start.addingTimeInterval(300))

        clock.advance(by: 60)
        scheduler.tick()
        waitUntilIdle()
        XCTAssertEqual(outcomes(everyMinute.id), [.succeeded, .succeeded])
        XCTAssertEqual(outcomes(cron.id), [.succeeded])

        let runEvents = events.all.filter {
            if case .runFinished = $0 { return true }
            if case .runStarted = $0 { return true }
            return false
        }
        XCTAssertEqual(runEvents.count, 6, "a start and a finish event for each of the three runs")
    }

    func testNewJobIsScheduledWithoutRunning() {
        executors.register(.portScan) { _, _ in "ran" }
        let job = addJob("new", trigger: .interval(seconds: 1800), nextRunAt: nil)
        scheduler.tick()
        waitUntilIdle()
        XCTAssertEqual(outcomes(job.id), [])
        XCTAssertEqual(repository.job(id: job.id)?.nextRunAt, start.addingTimeInterval(1800))
        XCTAssertEqual(scheduler.jobsSnapshot().first?.nextRunAt, start.addingTimeInterval(1800))
    }

    func testSnapshotComputesMissingNextRunsWithoutTouchingTheRepository() throws {
        addJob("cron", trigger: try .cron(parsing: "0 12 * * *", timeZone: Zones.newYork), nextRunAt: nil)
        addJob("off", enabled: false, nextRunAt: start)
        XCTAssertEqual(scheduler.jobsSnapshot(), [], "nothing is loaded before start, reload or tick")
        try scheduler.reload()
        let snapshot = scheduler.jobsSnapshot()
        XCTAssertEqual(snapshot.map(\.nextRunAt), [date("2025-01-01 17:00"), nil])
        XCTAssertNil(repository.job(id: 1)?.nextRunAt, "the snapshot is for display only")
    }

    // MARK: No overlap

    func testSlowJobIsSkippedAndNeverRunsTwiceAtOnce() {
        let probe = ConcurrencyProbe()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        executors.register(.lanDiscovery) { _, _ in
            probe.enter()
            defer { probe.leave() }
            started.signal()
            release.wait()
            return "12 hosts"
        }
        let job = addJob("slow", kind: .lanDiscovery, nextRunAt: start)

        scheduler.tick()
        started.waitOrFail("the first run")
        XCTAssertEqual(scheduler.runState(jobID: job.id), .running)
        XCTAssertTrue(scheduler.isRunning(jobID: job.id))

        for _ in 0..<2 {
            clock.advance(by: 60)
            scheduler.tick()
        }
        XCTAssertFalse(scheduler.runNow(jobID: job.id), "runNow respects the run in progress")
        XCTAssertEqual(repository.job(id: job.id)?.nextRunAt, start.addingTimeInterval(180), "the schedule moved on")

        release.signal()
        waitUntilIdle()
        XCTAssertFalse(scheduler.isRunning(jobID: job.id))
        let runs = repository.runs(jobID: job.id)
        XCTAssertEqual(runs.map(\.outcome), [.succeeded, .skipped, .skipped])
        XCTAssertEqual(runs.map(\.summary), ["12 hosts", "Skipped: the previous run is still in progress.", "Skipped: the previous run is still in progress."])
        XCTAssertEqual(runs.map(\.startedAt), [start, start.addingTimeInterval(60), start.addingTimeInterval(120)])
        XCTAssertEqual(events.all.filter { if case .runSkipped = $0 { return true } else { return false } }.count, 2)

        // Once the slow run is over the job runs normally again.
        release.signal()
        clock.advance(by: 60)
        scheduler.tick()
        waitUntilIdle()
        XCTAssertEqual(outcomes(job.id), [.succeeded, .skipped, .skipped, .succeeded])
        XCTAssertEqual(probe.runCount, 2)
        XCTAssertEqual(probe.maximumConcurrent, 1)
    }

    func testRunsBeyondTheConcurrencyLimitWaitTheirTurn() {
        makeScheduler(maximumConcurrentRuns: 1)
        let probe = ConcurrencyProbe()
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        executors.register(.portScan) { job, _ in
            probe.enter()
            defer { probe.leave() }
            started.signal()
            release.wait()
            return job.name
        }
        let first = addJob("first", nextRunAt: start)
        let second = addJob("second", nextRunAt: start)

        scheduler.tick()
        started.waitOrFail("the first run")
        XCTAssertEqual(scheduler.runState(jobID: first.id), .running)
        XCTAssertEqual(scheduler.runState(jobID: second.id), .queued)
        XCTAssertFalse(scheduler.runNow(jobID: second.id), "already queued")

        release.signal()
        started.waitOrFail("the second run")
        release.signal()
        waitUntilIdle()
        XCTAssertEqual(outcomes(first.id), [.succeeded])
        XCTAssertEqual(outcomes(second.id), [.succeeded])
        XCTAssertEqual(probe.maximumConcurrent, 1)
    }

    // MARK: Catch-up

    func testMissedRunsCoalesceIntoOneAtStart() throws {
        let probe = ConcurrencyProbe()
        executors.register(.reputationRefresh) { _, _ in
            probe.enter()
            probe.leave()
            return "refreshed"
        }
        let interval = addJob("interval", kind: .reputationRefresh, trigger: .interval(seconds: 600), nextRunAt: start.addingTimeInterval(-10 * 600 - 30))
        let hourly = addJob("hourly", kind: .reputationRefresh, trigger: try .cron(parsing: "@hourly", timeZone: Zones.utc), nextRunAt: start.addingTimeInterval(-10 * 3600))
        clock.advance(by: 90)  // 00:01:30

        try scheduler.start()
        waitUntilIdle()
        scheduler.tick()
        waitUntilIdle()

        XCTAssertEqual(outcomes(interval.id), [.succeeded])
        XCTAssertEqual(outcomes(hourly.id), [.succeeded])
        XCTAssertEqual(probe.runCount, 2)
        let now = clock.now()
        let nextInterval = try XCTUnwrap(repository.job(id: interval.id)?.nextRunAt)
        XCTAssertGreaterThan(nextInterval, now)
        XCTAssertLessThanOrEqual(nextInterval, now.addingTimeInterval(600))
        XCTAssertEqual(nextInterval, date("2025-01-01 00:09:30"), "still on the job's own 10-minute grid")
        XCTAssertEqual(repository.job(id: hourly.id)?.nextRunAt, date("2025-01-01 01:00"))
    }

    // MARK: Enabling and running by hand

    func testDisabledJobsNeverRunAndReEnablingDoesNotCatchUp() throws {
        executors.register(.portScan) { _, _ in "ran" }
        let job = addJob("off", enabled: false, nextRunAt: start.addingTimeInterval(-3600))
        try scheduler.start()
        for _ in 0..<3 {
            clock.advance(by: 60)
            scheduler.tick()
        }
        waitUntilIdle()
        XCTAssertEqual(outcomes(job.id), [])
        XCTAssertNil(repository.job(id: job.id)?.nextRunAt, "a disabled job has no next run")

        var enabled = try XCTUnwrap(repository.job(id: job.id))
        enabled.enabled = true
        try repository.update(enabled)
        try scheduler.reload()
        scheduler.tick()
        waitUntilIdle()
        XCTAssertEqual(outcomes(job.id), [], "enabling schedules from now instead of catching up")
        XCTAssertEqual(repository.job(id: job.id)?.nextRunAt, clock.now().addingTimeInterval(60))
    }

    func testRunNowRunsImmediatelyWithoutMovingTheSchedule() {
        executors.register(.portScan) { _, _ in "by hand" }
        let job = addJob("manual", trigger: .interval(seconds: 3600), nextRunAt: start.addingTimeInterval(3600))
        let disabled = addJob("disabled", enabled: false, nextRunAt: nil)

        XCTAssertTrue(scheduler.runNow(jobID: job.id))
        XCTAssertTrue(scheduler.runNow(jobID: disabled.id), "a disabled job can still be run by hand")
        XCTAssertFalse(scheduler.runNow(jobID: 99), "no such job")
        waitUntilIdle()
        XCTAssertEqual(repository.runs(jobID: job.id).map(\.summary), ["by hand"])
        XCTAssertEqual(outcomes(disabled.id), [.succeeded])
        XCTAssertEqual(repository.job(id: job.id)?.nextRunAt, start.addingTimeInterval(3600))
        XCTAssertEqual(repository.job(id: job.id)?.lastRunAt, start)
    }

    // MARK: Failures are recorded with their message

    struct TargetTooLarge: Error, CustomStringConvertible {
        var description: String { "Target 10.0.0.0/8 is too large: scan at most a /16." }
    }

    struct InterfaceMissing: LocalizedError {
        var errorDescription: String? { "Interface eth9 does not exist: pick one from `netscouter interfaces`." }
    }

    func testFailingExecutorRecordsFailedWithItsMessage() {
        executors.register(.portScan) { _, _ in throw TargetTooLarge() }
        executors.register(.captureWindow) { _, _ in throw InterfaceMissing() }
        let scan = addJob("scan", nextRunAt: start)
        let capture = addJob("capture", kind: .captureWindow, nextRunAt: start)
        scheduler.tick()
        waitUntilIdle()
        XCTAssertEqual(outcomes(scan.id), [.failed])
        XCTAssertEqual(repository.runs(jobID: scan.id).first?.summary, "Target 10.0.0.0/8 is too large: scan at most a /16.")
        XCTAssertEqual(repository.runs(jobID: capture.id).first?.summary, "Interface eth9 does not exist: pick one from `netscouter interfaces`.")
        XCTAssertFalse(scheduler.isRunning(jobID: scan.id))
    }

    func testMissingExecutorRecordsAFailedRunSayingSo() {
        let job = addJob("Nightly capture", kind: .captureWindow, nextRunAt: start)
        scheduler.tick()
        waitUntilIdle()
        let run = repository.runs(jobID: job.id).first
        XCTAssertEqual(run?.outcome, .failed)
        XCTAssertEqual(
            run?.summary,
            "No engine for capture-window jobs is available in this build. Disable the job \"Nightly capture\" or run a build that includes capture window.")
        XCTAssertEqual(events.all.last, .runFinished(jobID: job.id, runID: 1, outcome: .failed, summary: run?.summary ?? ""))
    }

    // MARK: Stopping

    func testStopCancelsRunningJobsAndWaits() {
        let started = DispatchSemaphore(value: 0)
        executors.register(.captureWindow) { _, context in
            started.signal()
            while !context.isCancelled { usleep(1000) }
            try context.checkCancellation()
            return "not reached"
        }
        let job = addJob("capture", kind: .captureWindow, nextRunAt: start)
        scheduler.tick()
        started.waitOrFail("the capture run")
        scheduler.stop(waitForRunning: true)

        let run = repository.runs(jobID: job.id).first
        XCTAssertEqual(run?.outcome, .stopped, "cancelled by the stop, not failed")
        XCTAssertEqual(run?.summary, JobCancelledError().description)
        XCTAssertFalse(scheduler.isRunning(jobID: job.id))

        clock.advance(by: 600)
        scheduler.tick()
        XCTAssertFalse(scheduler.runNow(jobID: job.id), "a stopped scheduler starts nothing")
        XCTAssertEqual(repository.runs(jobID: job.id).count, 1)
    }

    func testQueuedRunsAreSkippedWhenStopping() {
        makeScheduler(maximumConcurrentRuns: 1)
        let started = DispatchSemaphore(value: 0)
        executors.register(.portScan) { _, context in
            started.signal()
            while !context.isCancelled { usleep(1000) }
            return "stopped early"
        }
        let first = addJob("first", nextRunAt: start)
        let second = addJob("second", nextRunAt: start)
        scheduler.tick()
        started.waitOrFail("the first run")
        scheduler.stop(waitForRunning: true)
        XCTAssertEqual(repository.runs(jobID: first.id).map(\.summary), ["stopped early"])
        XCTAssertEqual(outcomes(second.id), [.skipped])
        XCTAssertEqual(repository.runs(jobID: second.id).first?.summary, "Skipped: the scheduler stopped before the run began.")
    }

    // MARK: Timer loop

    func testTimerLoopRunsDueJobsAndWakesOnRequest() throws {
        let finished = DispatchSemaphore(value: 0)
        executors.register(.portScan) { _, _ in "tick" }
        let job = addJob("timed", nextRunAt: start)
        scheduler.onChange = { event in
            if case .runFinished = event { finished.signal() }
        }

        try scheduler.startTimer(maximumSleep: 60)
        finished.waitOrFail("the run started by startTimer")

        // The loop now sleeps (in real time) until 00:01; move the clock and wake it.
        clock.advance(by: 60)
        scheduler.wake()
        finished.waitOrFail("the run after waking")
        scheduler.stop(waitForRunning: true)
        XCTAssertEqual(outcomes(job.id), [.succeeded, .succeeded])
        XCTAssertEqual(repository.job(id: job.id)?.nextRunAt, start.addingTimeInterval(120))
    }

    func testRunLoopReturnsAtItsDeadline() throws {
        executors.register(.portScan) { _, _ in "ran" }
        let job = addJob("loop", nextRunAt: start)
        try scheduler.runLoop(until: start)  // the deadline has already come: one start-up tick only
        waitUntilIdle()
        XCTAssertEqual(outcomes(job.id), [.succeeded])
    }

    // MARK: Repository failures

    func testRepositoryFailuresAreReportedAndDoNotRepeatRuns() throws {
        let failing = FailingScheduleRepository()
        let job = failing.inner.add(ScheduledJob(name: "scan", kind: .portScan, trigger: .interval(seconds: 60), nextRunAt: start))
        executors.register(.portScan) { _, _ in "ok" }
        scheduler = Scheduler(repository: failing, clock: clock, executors: executors)
        let events = events
        scheduler.onChange = { events.append($0) }

        scheduler.tick()
        waitUntilIdle()
        scheduler.tick()
        waitUntilIdle()
        XCTAssertEqual(failing.inner.runs(jobID: job.id).map(\.outcome), [.succeeded], "the in-memory schedule still moved on")
        let expected = "The schedule of \"scan\" could not be saved: Disk full: free some space. It keeps running on time, but after a restart it may run once more; check that the database is writable."
        XCTAssertEqual(scheduler.lastProblem, expected)
        XCTAssertTrue(events.all.contains(.problem(expected)))
    }

    func testLoadFailureIsThrownWithAMessage() {
        let scheduler = Scheduler(repository: UnreadableRepository(), clock: clock, executors: executors)
        XCTAssertThrowsError(try scheduler.start()) { error in
            XCTAssertEqual(
                "\(error)",
                "Could not load the scheduled jobs: Database is locked: close other NetScouter instances. The scheduler keeps its previous list; fix the database, then reload.")
        }
        scheduler.tick()  // reports again, does not crash
        XCTAssertFalse(scheduler.runNow(jobID: 1))
    }
}

/// Persists runs but cannot save schedules.
private final class FailingScheduleRepository: JobRepository {
    let inner = InMemoryJobRepository()
    func allJobs() throws -> [ScheduledJob] { inner.allJobs() }
    func updateSchedule(jobID: Int64, nextRunAt: Date?, lastRunAt: Date?) throws {
        throw JobRepositoryError("Disk full: free some space")
    }
    func recordRunStart(jobID: Int64, at date: Date) throws -> Int64 { try inner.recordRunStart(jobID: jobID, at: date) }
    func recordRunFinish(runID: Int64, at date: Date, outcome: JobOutcome, summary: String) throws {
        try inner.recordRunFinish(runID: runID, at: date, outcome: outcome, summary: summary)
    }
}

private final class UnreadableRepository: JobRepository {
    func allJobs() throws -> [ScheduledJob] { throw JobRepositoryError("Database is locked: close other NetScouter instances") }
    func updateSchedule(jobID: Int64, nextRunAt: Date?, lastRunAt: Date?) throws {}
    func recordRunStart(jobID: Int64, at date: Date) throws -> Int64 { 0 }
    func recordRunFinish(runID: Int64, at date: Date, outcome: JobOutcome, summary: String) throws {}
}
