import Foundation
import Synchronization

/// Runs one job and returns the one-line summary recorded for the run ("3 hosts, 2 new").
/// Throwing records a failed run with the error's description as the summary, so throw errors
/// whose message says what to do. Called on a scheduler worker thread; may take minutes.
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

    /// The summary recorded when a job's kind has no executor.
    public static func missingExecutorMessage(for job: ScheduledJob) -> String {
        "No engine for \(job.kind.rawValue) jobs is available in this build. Disable the job \"\(job.name)\" or run a build that includes \(job.kind.title.lowercased())."
    }
}
