import Dispatch
import Foundation
import Synchronization

/// Runs scheduled jobs when they are due, one run per job at a time, recording every run.
///
/// - The repository is read at `start()` and `reload()`; in between the scheduler works from its
///   own copy of the jobs and writes every schedule change through. Call `reload()` after adding,
///   editing or removing jobs (set `nextRunAt` to nil when a trigger changes).
/// - `tick()` runs every enabled job that is due now. A job due while its previous run is still
///   queued or running gets a recorded "skipped" run instead, and its next run moves on: no
///   overlap, no pile-up. Across processes the repository's `claimRun` does the same: a job
///   another process is running gets a skipped run naming it.
/// - Catch-up is coalesced: a job whose `nextRunAt` passed while the program was closed runs
///   once at `start()`, however many runs were missed, and its next run is then after now.
/// - A disabled job has no next run; enabling it (then `reload()`) schedules it from the trigger
///   without a catch-up run.
/// - Runs execute on a concurrent queue, at most `maximumConcurrentRuns` at once (more wait
///   their turn in order). Executors get a `JobContext` whose `isCancelled` turns true at `stop()`.
/// - Repository failures never stop the scheduler: they become a `.problem` event and
///   `lastProblem`, with a message that says what to do.
///
/// Thread-safe. The repository and executors are never called with the scheduler's lock held,
/// so `jobsSnapshot()` and `runState(jobID:)` never wait on a disk or a job (the UI may call them
/// every frame).
public final class Scheduler: Sendable {
    public let repository: any JobRepository
    public let clock: any SchedulerClock
    public let executors: JobExecutorRegistry
    public let maximumConcurrentRuns: Int

    /// Whether a job has a run in progress.
    public enum RunState: Sendable, Equatable {
        case idle
        /// Due, but waiting for one of the `maximumConcurrentRuns` slots.
        case queued
        case running
    }

    private struct ActiveRun {
        let job: ScheduledJob
        let cancellation = JobCancellation()
        var isExecuting = false
    }

    private struct State {
        var jobs: [ScheduledJob] = []
        var isLoaded = false
        var isStopped = false
        /// Jobs with a run queued or executing, by job id: the no-overlap rule.
        var active: [Int64: ActiveRun] = [:]
        /// Job ids waiting for a slot, oldest first.
        var waiting: [Int64] = []
        var executingCount = 0
        var slots: Int
        /// Bumped by `stop()` and by every new loop so that only the newest loop keeps going.
        var loopGeneration = 0
        var onChange: (@Sendable (SchedulerEvent) -> Void)?
        var lastProblem: String?

        func index(of jobID: Int64) -> Int? {
            jobs.firstIndex { $0.id == jobID }
        }

        /// Marks the job as in progress and takes a slot if one is free. True: dispatch now;
        /// false: it waits in `waiting` until a run finishes.
        mutating func admit(_ job: ScheduledJob) -> Bool {
            var run = ActiveRun(job: job)
            let dispatchNow = executingCount < slots
            if dispatchNow {
                executingCount += 1
                run.isExecuting = true
            } else {
                waiting.append(job.id)
            }
            active[job.id] = run
            return dispatchNow
        }
    }

    private struct TickPlan {
        var scheduleChanged: [Int64] = []
        var skipped: [ScheduledJob] = []
        var dispatch: [Int64] = []
    }

    private let state: Mutex<State>
    /// Held while writing a job's schedule, and the values are read inside it, so the last write
    /// to reach the repository always carries the latest values.
    private let scheduleWrite = Mutex(())
    private let runQueue = DispatchQueue(label: "NetScouter.Scheduler.runs", qos: .utility, attributes: .concurrent)
    /// Entered when a run is admitted, left once it is recorded: what `stop` and `waitUntilIdle` wait on.
    private let runsInFlight = DispatchGroup()
    private let loopWakeup = DispatchSemaphore(value: 0)

    public init(
        repository: any JobRepository,
        clock: any SchedulerClock = SystemClock(),
        executors: JobExecutorRegistry,
        maximumConcurrentRuns: Int = 2
    ) {
        self.repository = repository
        self.clock = clock
        self.executors = executors
        self.maximumConcurrentRuns = max(1, maximumConcurrentRuns)
        state = Mutex(State(slots: max(1, maximumConcurrentRuns)))
    }

    // MARK: Observing

    /// Called after a run starts or finishes, a skipped run is recorded, or a problem occurs.
    /// Called on a scheduler thread (never the UI thread): hand the event over and return; do not
    /// call `stop(waitForRunning: true)` from here.
    public var onChange: (@Sendable (SchedulerEvent) -> Void)? {
        get { state.withLock { $0.onChange } }
        set { state.withLock { $0.onChange = newValue } }
    }

    /// The latest problem outside a job (usually the repository), for a status bar.
    public var lastProblem: String? {
        state.withLock { $0.lastProblem }
    }

    /// The jobs as the scheduler sees them, with next run times filled in for enabled jobs that
    /// have none stored yet and cleared for disabled jobs. Empty until the first `start()`,
    /// `reload()` or `tick()`; never touches the repository.
    public func jobsSnapshot() -> [ScheduledJob] {
        let jobs = state.withLock { $0.jobs }
        let now = clock.now()
        return jobs.map { job in
            var job = job
            if !job.enabled {
                job.nextRunAt = nil
            } else if job.nextRunAt == nil {
                job.nextRunAt = job.trigger.nextRun(after: now)
            }
            return job
        }
    }

    public func runState(jobID: Int64) -> RunState {
        state.withLock { state in
            guard let run = state.active[jobID] else { return .idle }
            return run.isExecuting ? .running : .queued
        }
    }

    /// True while the job has a run queued or executing.
    public func isRunning(jobID: Int64) -> Bool {
        runState(jobID: jobID) != .idle
    }

    // MARK: Running

    /// Loads the jobs and runs the ones that are overdue — once each, however many runs were
    /// missed while the program was closed. Also restarts a stopped scheduler. Throws (with a
    /// message saying what to do) only when the jobs cannot be loaded.
    public func start() throws {
        state.withLock { $0.isStopped = false }
        try reload()
        tick()
    }

    /// Re-reads the jobs from the repository, e.g. after the user added or edited one, and wakes
    /// the timer loop so it sleeps until the right time. Runs in progress carry on.
    public func reload() throws {
        let jobs: [ScheduledJob]
        do {
            jobs = try repository.allJobs()
        } catch {
            let message = "Could not load the scheduled jobs: \(Self.describe(error)). The scheduler keeps its previous list; fix the database, then reload."
            report(message)
            throw JobRepositoryError(message)
        }
        state.withLock { state in
            state.jobs = jobs.sorted { $0.id < $1.id }
            state.isLoaded = true
        }
        wake()
    }

    /// Runs every enabled job that is due now and computes missing next-run times. Call it from
    /// a timer, or let `startTimer`/`runLoop` call it; tests call it directly with a ManualClock.
    /// Returns once the due runs are dispatched; they finish on worker threads.
    public func tick() {
        guard loadIfNeeded() else { return }
        let now = clock.now()
        let plan = state.withLock { state -> TickPlan in
            var plan = TickPlan()
            guard !state.isStopped else { return plan }
            for index in state.jobs.indices {
                let job = state.jobs[index]
                guard job.enabled else {
                    if job.nextRunAt != nil {
                        state.jobs[index].nextRunAt = nil
                        plan.scheduleChanged.append(job.id)
                    }
                    continue
                }
                guard let due = job.nextRunAt else {
                    // New or re-enabled: schedule from now, do not run.
                    let next = job.trigger.nextRun(after: now)
                    if next != nil {
                        state.jobs[index].nextRunAt = next
                        plan.scheduleChanged.append(job.id)
                    }
                    continue
                }
                guard due <= now else { continue }
                // Coalescing: one run now, and the next one strictly after now.
                state.jobs[index].nextRunAt = job.trigger.nextRun(after: now, previousDueTime: due)
                plan.scheduleChanged.append(job.id)
                if state.active[job.id] != nil {
                    plan.skipped.append(state.jobs[index])
                } else {
                    runsInFlight.enter()
                    if state.admit(state.jobs[index]) { plan.dispatch.append(job.id) }
                }
            }
            return plan
        }
        for jobID in plan.scheduleChanged { persistSchedule(jobID: jobID) }
        for job in plan.skipped { recordSkippedRun(of: job, at: now) }
        for jobID in plan.dispatch { dispatch(jobID: jobID) }
    }

    /// Runs the job now, whether or not it is due or enabled, without moving its next run.
    /// Returns false if it already has a run queued or in progress, does not exist, or the
    /// scheduler is stopped.
    @discardableResult
    public func runNow(jobID: Int64) -> Bool {
        guard loadIfNeeded() else { return false }
        let admitted = state.withLock { state -> Bool? in
            guard !state.isStopped, let index = state.index(of: jobID), state.active[jobID] == nil else {
                return nil
            }
            runsInFlight.enter()
            return state.admit(state.jobs[index])
        }
        guard let admitted else { return false }
        if admitted { dispatch(jobID: jobID) }
        return true
    }

    /// Stops running jobs: nothing new starts, runs in progress see `isCancelled`, queued runs are
    /// recorded as skipped, and the timer loop ends. With `waitForRunning`, returns once every
    /// run is recorded — so do not call it that way from an executor or from `onChange`.
    public func stop(waitForRunning: Bool = true) {
        let cancellations = state.withLock { state in
            state.isStopped = true
            state.loopGeneration += 1
            return state.active.values.map(\.cancellation)
        }
        for cancellation in cancellations { cancellation.cancel() }
        loopWakeup.signal()
        if waitForRunning { runsInFlight.wait() }
    }

    /// Waits until no run is queued or executing. Returns false if `timeout` passed first.
    @discardableResult
    public func waitUntilIdle(timeout: TimeInterval? = nil) -> Bool {
        guard let timeout else {
            runsInFlight.wait()
            return true
        }
        return runsInFlight.wait(timeout: .now() + timeout) == .success
    }

    // MARK: Timer

    /// Starts the scheduler (see `start()`) and a background thread that sleeps until the next
    /// job is due, ticks, and repeats — no polling. It wakes at least every `maximumSleep`
    /// seconds so that wall-clock jumps (suspend, NTP) are noticed, and at once on `reload()`,
    /// `wake()` and `stop()`. Calling it again replaces the previous loop.
    public func startTimer(maximumSleep: TimeInterval = 60) throws {
        try start()
        let generation = state.withLock { state in
            state.loopGeneration += 1
            return state.loopGeneration
        }
        let thread = Thread { [self] in
            loop(generation: generation, until: .distantFuture, maximumSleep: maximumSleep)
        }
        thread.name = "NetScouter scheduler"
        thread.start()
    }

    /// Like `startTimer`, but runs the loop on the calling thread until `deadline` (by the
    /// scheduler's clock) or `stop()` — for a headless daemon.
    public func runLoop(until deadline: Date = .distantFuture, maximumSleep: TimeInterval = 60) throws {
        try start()
        let generation = state.withLock { state in
            state.loopGeneration += 1
            return state.loopGeneration
        }
        loop(generation: generation, until: deadline, maximumSleep: maximumSleep)
    }

    /// Makes the timer loop re-check at once: after changing jobs, or in tests after moving a
    /// ManualClock (the loop sleeps in real time).
    public func wake() {
        loopWakeup.signal()
    }

    private func loop(generation: Int, until deadline: Date, maximumSleep: TimeInterval) {
        while true {
            let (keepGoing, nextDue) = state.withLock { state -> (Bool, Date?) in
                guard !state.isStopped, state.loopGeneration == generation else { return (false, nil) }
                return (true, state.jobs.lazy.filter(\.enabled).compactMap(\.nextRunAt).min())
            }
            let now = clock.now()
            guard keepGoing, now < deadline else { return }
            let wakeAt = min(nextDue ?? .distantFuture, deadline, now.addingTimeInterval(max(0.001, maximumSleep)))
            let delay = wakeAt.timeIntervalSince(now)
            if delay > 0 {
                _ = loopWakeup.wait(wallTimeout: .now() + delay)
            }
            tick()
        }
    }

    // MARK: Executing a run

    private func dispatch(jobID: Int64) {
        runQueue.async { [self] in execute(jobID: jobID) }
    }

    private func execute(jobID: Int64) {
        let startedAt = clock.now()
        let claimed = state.withLock { state -> ActiveRun? in
            guard let run = state.active[jobID] else { return nil }
            if let index = state.index(of: jobID) { state.jobs[index].lastRunAt = startedAt }
            return run
        }
        guard let run = claimed else {
            // Unreachable: a dispatched job stays active until `finish`. Keep the group balanced.
            runsInFlight.leave()
            return
        }
        let job = run.job
        persistSchedule(jobID: jobID)

        // Another process (a daemon, a window, `schedule run`) may be running this job: never two at once.
        let claim: JobRunClaim
        do {
            claim = try repository.claimRun(jobID: jobID)
        } catch let busy as JobBusyError {
            recordSkippedRun(of: job, at: startedAt, reason: "Skipped: \(busy.message)")
            finish(jobID: jobID, event: nil)
            return
        } catch {
            report("Job \"\(job.name)\" did not run because its run lock could not be taken: \(Self.describe(error)). Check that the data folder is writable; the job runs again at its next time.")
            finish(jobID: jobID, event: nil)
            return
        }
        defer { claim.release() }

        let runID: Int64
        do {
            runID = try repository.recordRunStart(jobID: jobID, at: startedAt)
        } catch {
            report("Job \"\(job.name)\" did not run because its start could not be recorded: \(Self.describe(error)). Check that the database is writable; the job runs again at its next time.")
            claim.release()
            finish(jobID: jobID, event: nil)
            return
        }
        emit(.runStarted(jobID: jobID, runID: runID))

        let outcome: JobOutcome
        let summary: String
        if run.cancellation.isCancelled {
            (outcome, summary) = (.skipped, "Skipped: the scheduler stopped before the run began.")
        } else {
            let context = JobContext(runID: runID, startedAt: startedAt, cancellation: run.cancellation)
            (outcome, summary) = executors.run(job, context: context)
        }

        do {
            try repository.recordRunFinish(runID: runID, at: clock.now(), outcome: outcome, summary: summary)
        } catch {
            report("The end of a run of \"\(job.name)\" (\(outcome.rawValue): \(summary)) could not be recorded: \(Self.describe(error)). Check that the database is writable.")
        }
        // Released before the job counts as idle here, so whoever sees it idle can claim it.
        claim.release()
        finish(jobID: jobID, event: .runFinished(jobID: jobID, runID: runID, outcome: outcome, summary: summary))
    }

    /// Releases the job and its slot (handing the slot to the oldest waiting run), then tells
    /// observers. The job is idle before the event goes out, so observers see the final state.
    private func finish(jobID: Int64, event: SchedulerEvent?) {
        let next = state.withLock { state -> Int64? in
            state.active[jobID] = nil
            while !state.waiting.isEmpty {
                let waitingID = state.waiting.removeFirst()
                if state.active[waitingID] != nil {
                    state.active[waitingID]?.isExecuting = true
                    return waitingID
                }
            }
            state.executingCount -= 1
            return nil
        }
        if let next { dispatch(jobID: next) }
        if let event { emit(event) }
        runsInFlight.leave()
    }

    private func recordSkippedRun(of job: ScheduledJob, at date: Date, reason: String = "Skipped: the previous run is still in progress.") {
        do {
            let runID = try repository.recordRunStart(jobID: job.id, at: date)
            try repository.recordRunFinish(runID: runID, at: date, outcome: .skipped, summary: reason)
            emit(.runSkipped(jobID: job.id, runID: runID, reason: reason))
        } catch {
            report("A skipped run of \"\(job.name)\" could not be recorded: \(Self.describe(error)). Check that the database is writable.")
            emit(.runSkipped(jobID: job.id, runID: nil, reason: reason))
        }
    }

    // MARK: Persistence and reporting

    private func persistSchedule(jobID: Int64) {
        let failure = scheduleWrite.withLock { _ -> String? in
            guard let job = state.withLock({ state in state.index(of: jobID).map { state.jobs[$0] } }) else {
                return nil
            }
            do {
                try repository.updateSchedule(jobID: jobID, nextRunAt: job.nextRunAt, lastRunAt: job.lastRunAt)
                return nil
            } catch {
                return "The schedule of \"\(job.name)\" could not be saved: \(Self.describe(error)). It keeps running on time, but after a restart it may run once more; check that the database is writable."
            }
        }
        if let failure { report(failure) }
    }

    private func loadIfNeeded() -> Bool {
        if state.withLock({ $0.isLoaded }) { return true }
        do {
            try reload()
            return true
        } catch {
            return false  // already reported by reload()
        }
    }

    private func report(_ message: String) {
        state.withLock { $0.lastProblem = message }
        emit(.problem(message))
    }

    private func emit(_ event: SchedulerEvent) {
        let observer = state.withLock { $0.onChange }
        observer?(event)
    }

    /// The message recorded for a failed run: the error's own text, never a type dump.
    static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let text = localized.errorDescription {
            return text
        }
        if type(of: error) is NSError.Type {
            return error.localizedDescription
        }
        return String(describing: error)
    }
}
