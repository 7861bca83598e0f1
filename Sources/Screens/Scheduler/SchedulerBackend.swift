import Foundation
import Jobs
import Schedule

/// What the Scheduler model needs from the job store and the running scheduler. Every call but
/// `runState` and `observe` may touch SQLite: the model makes them on its worker queue only.
public protocol SchedulerBackend: AnyObject, Sendable {
    /// The jobs with their latest run and next run time.
    func listJobs() throws -> [JobListEntry]
    func add(name: String?, kind: JobKind, trigger: Trigger, options: [String: String]) throws -> ScheduledJob
    func update(id: Int64, name: String, trigger: Trigger, options: [String: String]) throws
    func setEnabled(id: Int64, _ enabled: Bool) throws
    func remove(id: Int64) throws
    /// Tells the running scheduler (if any) that jobs changed.
    func reloadScheduler() throws
    /// Whether a scheduler runs jobs in this process (Run now then goes through it).
    var hasScheduler: Bool { get }
    /// Asks the scheduler to run a job now; false when it refused (already running, stopped).
    func requestRun(jobID: Int64) -> Bool
    /// Runs a job here and now, without a scheduler (blocks for the whole run).
    func runManually(id: Int64) throws -> (outcome: String, summary: String)
    /// The scheduler's view of a job (thread-safe; `.idle` without a scheduler).
    func runState(jobID: Int64) -> Scheduler.RunState
    /// Kinds with an engine in this build.
    var enginesAvailable: Set<JobKind> { get }
    /// Calls `handler` (on any thread) for every scheduler event.
    func observe(_ handler: @escaping @Sendable (SchedulerEvent) -> Void)
}

/// The app's backend: `ScheduleService` on the store and the process's `Scheduler`, if it runs one.
public final class ServiceSchedulerBackend: SchedulerBackend {
    public let service: ScheduleService
    public let scheduler: Scheduler?
    public let enginesAvailable: Set<JobKind>

    public init(service: ScheduleService, scheduler: Scheduler?) {
        self.service = service
        self.scheduler = scheduler
        enginesAvailable = Set((scheduler?.executors ?? JobCatalog.executors(database: nil)).registeredKinds)
    }

    public func listJobs() throws -> [JobListEntry] {
        let listed = try service.list()
        let planned = Dictionary((scheduler?.jobsSnapshot() ?? []).map { ($0.id, $0.nextRunAt) }, uniquingKeysWith: { first, _ in first })
        let now = Date()
        return listed.map { item in
            var next: Date?
            if item.job.enabled {
                next = planned[item.job.id].flatMap { $0 } ?? item.job.nextRunAt ?? item.job.trigger.nextRun(after: now)
            }
            return JobListEntry(job: item.job, lastRun: item.lastRun, nextRun: next)
        }
    }

    public func add(name: String?, kind: JobKind, trigger: Trigger, options: [String: String]) throws -> ScheduledJob {
        try service.add(name: name, kind: kind, trigger: trigger, options: options)
    }

    public func update(id: Int64, name: String, trigger: Trigger, options: [String: String]) throws {
        try service.update(id: id, name: name, trigger: trigger, options: options)
    }

    public func setEnabled(id: Int64, _ enabled: Bool) throws { try service.setEnabled(id: id, enabled) }
    public func remove(id: Int64) throws { try service.remove(id: id) }
    public func reloadScheduler() throws { try scheduler?.reload() }
    public var hasScheduler: Bool { scheduler != nil }
    public func requestRun(jobID: Int64) -> Bool { scheduler?.runNow(jobID: jobID) ?? false }

    public func runManually(id: Int64) throws -> (outcome: String, summary: String) {
        let result = try service.runNow(id: id)
        return (result.outcome.rawValue, result.summary)
    }

    public func runState(jobID: Int64) -> Scheduler.RunState { scheduler?.runState(jobID: jobID) ?? .idle }

    /// Chains to an observer set before (the executable's), which keeps getting every event.
    public func observe(_ handler: @escaping @Sendable (SchedulerEvent) -> Void) {
        guard let scheduler else { return }
        let previous = scheduler.onChange
        scheduler.onChange = { event in
            previous?(event)
            handler(event)
        }
    }
}
