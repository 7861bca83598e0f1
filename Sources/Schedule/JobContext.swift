import Foundation
import Synchronization

/// What an executor gets besides the job: which run this is and whether to stop early.
public struct JobContext: Sendable {
    public let runID: Int64
    public let startedAt: Date
    let cancellation: JobCancellation

    public init(runID: Int64, startedAt: Date, cancellation: JobCancellation = JobCancellation()) {
        self.runID = runID
        self.startedAt = startedAt
        self.cancellation = cancellation
    }

    /// True once the scheduler is stopping. Long jobs (scans, capture windows) should check it
    /// between steps and return early.
    public var isCancelled: Bool { cancellation.isCancelled }

    /// Throws `JobCancelledError` once the scheduler is stopping; the run is recorded as stopped
    /// with that message.
    public func checkCancellation() throws {
        if isCancelled { throw JobCancelledError() }
    }
}

/// A flag a run's executor polls; set once, from any thread.
public final class JobCancellation: Sendable {
    private let flag = Atomic(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    public func cancel() {
        flag.store(true, ordering: .releasing)
    }
}

/// Thrown by `JobContext.checkCancellation()`.
public struct JobCancelledError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public init() {}
    public var description: String {
        "Cancelled because the scheduler stopped; the job runs again at its next scheduled time."
    }
    public var errorDescription: String? { description }
}

/// Thrown by an executor that ended early because it was cancelled, with what it did up to then
/// ("Stopped after 4.0 of 20 s: captured 12 packets …"). The run is recorded as `.stopped` with
/// that summary; whatever the executor saved before throwing stays saved.
public struct JobStoppedError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let summary: String

    public init(summary: String) {
        self.summary = summary
    }

    public var description: String { summary }
    public var errorDescription: String? { summary }
}
