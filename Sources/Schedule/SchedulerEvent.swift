import Foundation

/// What just happened in the scheduler, for `Scheduler.onChange`. The UI typically posts it to
/// its inbox and refreshes `jobsSnapshot()` at the next frame.
public enum SchedulerEvent: Sendable, Equatable {
    case runStarted(jobID: Int64, runID: Int64)
    case runFinished(jobID: Int64, runID: Int64, outcome: JobOutcome, summary: String)
    /// The job was due while its previous run was still in progress; a skipped run was recorded.
    case runSkipped(jobID: Int64, runID: Int64?, reason: String)
    /// Something failed outside a job (usually the repository); the message says what to do.
    case problem(String)
}
