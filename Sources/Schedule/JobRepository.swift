import Foundation

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
