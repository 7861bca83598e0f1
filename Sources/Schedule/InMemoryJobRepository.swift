import Foundation
import Synchronization

/// A thread-safe `JobRepository` held in memory: for tests and for `--dry-run`, where nothing
/// should touch the database.
public final class InMemoryJobRepository: JobRepository {
    private struct Storage {
        var jobs: [Int64: ScheduledJob] = [:]
        var runs: [JobRun] = []
        var lastJobID: Int64 = 0
    }

    private let storage = Mutex(Storage())

    public init(jobs: [ScheduledJob] = []) {
        for job in jobs { add(job) }
    }

    // MARK: Editing jobs (what the Scheduler screen or the CLI would do)

    /// Adds a job and returns it with its id; an id of 0 gets the next free id.
    @discardableResult
    public func add(_ job: ScheduledJob) -> ScheduledJob {
        storage.withLock { storage in
            var job = job
            if job.id == 0 { job.id = storage.lastJobID + 1 }
            storage.lastJobID = max(storage.lastJobID, job.id)
            storage.jobs[job.id] = job
            return job
        }
    }

    /// Replaces the job with the same id.
    public func update(_ job: ScheduledJob) throws {
        try storage.withLock { storage throws(JobRepositoryError) in
            guard storage.jobs[job.id] != nil else { throw Self.unknownJob(job.id) }
            storage.jobs[job.id] = job
        }
    }

    public func remove(jobID: Int64) {
        _ = storage.withLock { $0.jobs.removeValue(forKey: jobID) }
    }

    public func job(id: Int64) -> ScheduledJob? {
        storage.withLock { $0.jobs[id] }
    }

    /// Recorded runs in the order they started, optionally for one job only.
    public func runs(jobID: Int64? = nil) -> [JobRun] {
        storage.withLock { storage in
            storage.runs.filter { jobID == nil || $0.jobID == jobID }
        }
    }

    // MARK: JobRepository

    public func allJobs() -> [ScheduledJob] {
        storage.withLock { $0.jobs.values.sorted { $0.id < $1.id } }
    }

    public func updateSchedule(jobID: Int64, nextRunAt: Date?, lastRunAt: Date?) throws {
        try storage.withLock { storage throws(JobRepositoryError) in
            guard storage.jobs[jobID] != nil else { throw Self.unknownJob(jobID) }
            storage.jobs[jobID]?.nextRunAt = nextRunAt
            storage.jobs[jobID]?.lastRunAt = lastRunAt
        }
    }

    public func recordRunStart(jobID: Int64, at date: Date) throws -> Int64 {
        try storage.withLock { storage throws(JobRepositoryError) in
            guard storage.jobs[jobID] != nil else { throw Self.unknownJob(jobID) }
            let id = Int64(storage.runs.count + 1)
            storage.runs.append(JobRun(id: id, jobID: jobID, startedAt: date))
            return id
        }
    }

    public func recordRunFinish(runID: Int64, at date: Date, outcome: JobOutcome, summary: String) throws {
        try storage.withLock { storage throws(JobRepositoryError) in
            // Run ids are positions + 1: runs are only ever appended.
            guard runID >= 1, runID <= storage.runs.count else {
                throw JobRepositoryError("No run with id \(runID) was started; record the run's start first.")
            }
            let index = Int(runID - 1)
            storage.runs[index].finishedAt = date
            storage.runs[index].outcome = outcome
            storage.runs[index].summary = summary
        }
    }

    private static func unknownJob(_ id: Int64) -> JobRepositoryError {
        JobRepositoryError("No scheduled job with id \(id): it may have been deleted; reload the scheduler.")
    }
}
