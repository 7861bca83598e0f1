import Foundation
import Synchronization

/// Runs one job and returns the one-line summary recorded for the run ("3 hosts, 2 new").
/// Throwing records a failed run with the error's description as the summary, so throw errors
/// whose message says what to do — except `JobStoppedError` and `JobCancelledError`, which record
/// a stopped run. Called on a scheduler worker thread; may take minutes.
public typealias JobExecutor = @Sendable (ScheduledJob, JobContext) throws -> String

/// The executors available in this build, by job kind. The modules that can scan, capture or
/// query reputation register theirs at start-up; a kind nobody registered fails its runs with a
/// message saying so, rather than silently never running.
public final class JobExecutorRegistry: Sendable {
    private let executors = Mutex<[JobKind: JobExecutor]>([:])

    public init() {}

    /// Registers (or replaces) the executor for `kind`.
    public func register(_ kind: JobKind, _ executor: @escaping JobExecutor) {
        executors.withLock { $0[kind] = executor }
    }

    public func unregister(_ kind: JobKind) {
        _ = executors.withLock { $0.removeValue(forKey: kind) }
    }

    public func executor(for kind: JobKind) -> JobExecutor? {
        executors.withLock { $0[kind] }
    }

    /// Kinds with an executor, in declaration order (the UI can grey out the others).
    public var registeredKinds: [JobKind] {
        let registered = executors.withLock { Set($0.keys) }
        return JobKind.allCases.filter(registered.contains)
    }

    /// Runs `job` with its kind's executor and says how the run ended: succeeded with the
    /// executor's summary, stopped (`JobStoppedError`, `JobCancelledError`), failed with the
    /// error's message, or failed because no executor exists. The one place that rule lives, for
    /// the scheduler and for runs started by hand.
    public func run(_ job: ScheduledJob, context: JobContext) -> (outcome: JobOutcome, summary: String) {
        guard let executor = executor(for: job.kind) else {
            return (.failed, Self.missingExecutorMessage(for: job))
        }
        do {
            return (.succeeded, try executor(job, context))
        } catch let stopped as JobStoppedError {
            return (.stopped, stopped.summary)
        } catch let cancelled as JobCancelledError {
            return (.stopped, cancelled.description)
        } catch {
            return (.failed, Scheduler.describe(error))
        }
    }

    /// The summary recorded when a job's kind has no executor.
    public static func missingExecutorMessage(for job: ScheduledJob) -> String {
        "No engine for \(job.kind.rawValue) jobs is available in this build. Disable the job \"\(job.name)\" or run a build that includes \(job.kind.title.lowercased())."
    }
}
