import Foundation
import Synchronization

/// The persistence the scheduler needs, kept small and synchronous so a SQLite table pair
/// (jobs, runs) implements it directly. The scheduler calls it from its worker threads, never
/// while holding its own lock, so a slow disk never blocks the UI reading `jobsSnapshot()`.
public protocol JobRepository: Sendable {
    /// Every job, enabled or not.
    func allJobs() throws -> [ScheduledJob]
    /// Writes both values exactly as given (nil clears); the scheduler always passes the values it
    /// wants kept.
    func updateSchedule(jobID: Int64, nextRunAt: Date?, lastRunAt: Date?) throws
    /// Records that a run started and returns the new run's id.
    func recordRunStart(jobID: Int64, at: Date) throws -> Int64
    /// Records how a run ended.
    func recordRunFinish(runID: Int64, at: Date, outcome: JobOutcome, summary: String) throws
    /// Claims the job's next run for this process, before the run is recorded, so that no other
    /// process (a daemon, a window, `netscouter schedule run`) runs the same job at the same time.
    /// The scheduler releases the claim once the run's end is recorded.
    /// - Throws: `JobBusyError` when another process runs the job right now.
    func claimRun(jobID: Int64) throws -> JobRunClaim
}

extension JobRepository {
    /// Repositories that only one process uses (memory) need no claim beyond the scheduler's own
    /// one-run-per-job rule.
    public func claimRun(jobID: Int64) throws -> JobRunClaim { JobRunClaim() }
}

/// The right to run a job now, held from before the run is recorded until its end is recorded.
public final class JobRunClaim: Sendable {
    private let releaseAction: Mutex<(@Sendable () -> Void)?>

    public init(release: @escaping @Sendable () -> Void = {}) {
        releaseAction = Mutex(release)
    }

    deinit { release() }

    /// Gives the claim up; later calls do nothing.
    public func release() {
        let action = releaseAction.withLock { action in
            defer { action = nil }
            return action
        }
        action?()
    }
}

/// Another process is running the job right now; the message names it when it can.
public struct JobBusyError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}

/// A repository could not do what was asked; the message says what to do.
public struct JobRepositoryError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
