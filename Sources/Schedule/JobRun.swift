import Foundation

/// One recorded run of a job: started, and once finished, how it ended with a one-line summary.
public struct JobRun: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var jobID: Int64
    public var startedAt: Date
    /// Nil while the run is in progress (or if the program died during it).
    public var finishedAt: Date?
    public var outcome: JobOutcome?
    public var summary: String?

    public init(
        id: Int64, jobID: Int64, startedAt: Date,
        finishedAt: Date? = nil, outcome: JobOutcome? = nil, summary: String? = nil
    ) {
        self.id = id
        self.jobID = jobID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.summary = summary
    }
}
