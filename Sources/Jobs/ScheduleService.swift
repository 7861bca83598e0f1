import Foundation
import Schedule
import Store

/// What the command line and the Scheduler tab do with jobs: define, list, remove, run now.
/// Validates input and phrases every problem for the person typing it.
public struct ScheduleService: Sendable {
    public let database: NetScouterDatabase
    public let repository: StoreJobRepository

    public init(database: NetScouterDatabase) {
        self.database = database
        repository = StoreJobRepository(database: database)
    }

    public enum ServiceError: Error, CustomStringConvertible {
        case invalid(String)
        case notFound(Int64)
        /// Another process runs the job right now.
        case busy(String)
        public var description: String {
            switch self {
            case let .invalid(message): message
            case let .notFound(id): "There is no scheduled job \(id). `netscouter schedule list` shows the jobs."
            case let .busy(message): message.prefix(1).uppercased() + message.dropFirst()
            }
        }
    }

    /// Parses "30m" / "2h" (every) or a cron expression into a trigger.
    public static func trigger(every: String?, cron: String?, timeZone: String?) throws -> Trigger {
        switch (every, cron) {
        case let (every?, nil):
            do { return try Trigger.interval(parsing: every) } catch { throw ServiceError.invalid(error.message) }
        case let (nil, cron?):
            let trigger: Trigger
            do {
                let zone = try Trigger.timeZone(identifier: timeZone)
                trigger = try Trigger.cron(parsing: cron, timeZone: zone)
            } catch { throw ServiceError.invalid(error.message) }
            // A job that can never run is a typo, not a schedule ("0 0 31 2 *": 31 February).
            guard trigger.nextRun(after: Date()) != nil else {
                throw ServiceError.invalid(
                    "The cron expression \"\(cron)\" never fires: no date in the next \(CronExpression.searchLimitInYears) years matches its "
                        + "day-of-month, month and day-of-week fields together (31 February, 31 April and 30 February never occur). Fix those fields.")
            }
            return trigger
        default:
            throw ServiceError.invalid("Give exactly one of --every (e.g. 30m, 2h) or --cron (e.g. \"*/15 * * * *\").")
        }
    }

    /// Adds a job after checking its options (a capture window without an interface, with a
    /// filter that does not compile or an option nobody reads is refused now, not at 3 a.m. when
    /// it first runs).
    @discardableResult
    public func add(name: String?, kind: JobKind, trigger: Trigger, options: [String: String], enabled: Bool = true) throws -> ScheduledJob {
        try JobCatalog.validate(kind: kind, options: options)
        let record = StoreJobRepository.record(name: name ?? "\(kind.title) \(trigger)", kind: kind, trigger: trigger, options: options,
                                               enabled: enabled, at: Date())
        let inserted = try repository.store.insert(record)
        return try StoreJobRepository.job(from: inserted)
    }

    public func list() throws -> [(job: ScheduledJob, lastRun: JobRunRecord?)] {
        try repository.store.all().map { record in
            (try StoreJobRepository.job(from: record), try repository.store.lastRun(forJob: record.id ?? 0))
        }
    }

    public func remove(id: Int64) throws {
        guard try repository.store.delete(id: id) else { throw ServiceError.notFound(id) }
    }

    public func setEnabled(id: Int64, _ enabled: Bool) throws {
        guard var record = try repository.store.schedule(id: id) else { throw ServiceError.notFound(id) }
        record.enabled = enabled
        record.nextRunAt = nil  // recomputed by the scheduler from now
        try repository.store.update(record)
    }

    public func update(id: Int64, name: String, trigger: Trigger, options: [String: String]) throws {
        guard var record = try repository.store.schedule(id: id) else { throw ServiceError.notFound(id) }
        if let kind = JobKind(rawValue: record.kind) {
            let stored = (try? JSONDecoder().decode([String: String].self, from: Data(record.options.utf8))) ?? [:]
            try JobCatalog.validate(kind: kind, options: options, keptKeys: Set(stored.keys))
        }
        let fresh = StoreJobRepository.record(name: name, kind: JobKind(rawValue: record.kind) ?? .captureWindow, trigger: trigger, options: options, at: record.createdAt)
        record.name = fresh.name
        record.trigger = fresh.trigger
        record.timeZone = fresh.timeZone
        record.options = fresh.options
        record.nextRunAt = nil
        try repository.store.update(record)
    }

    /// Runs a job once in the foreground (`netscouter schedule run ID`) and records the run.
    /// - Parameter cancellation: cancel it (SIGTERM, Ctrl+C) to stop the run early; it is then
    ///   recorded as stopped with what it did until then.
    /// - Throws: `ServiceError.busy` when another process runs the job now (nothing is recorded).
    public func runNow(id: Int64, cancellation: JobCancellation = JobCancellation()) throws -> (outcome: Schedule.JobOutcome, summary: String) {
        guard let record = try repository.store.schedule(id: id) else { throw ServiceError.notFound(id) }
        let job = try StoreJobRepository.job(from: record)
        let claim: JobRunClaim
        do { claim = try repository.claimRun(jobID: id) } catch let busy as JobBusyError { throw ServiceError.busy(busy.message) }
        defer { claim.release() }
        let started = Date()
        let runID = try repository.recordRunStart(jobID: id, at: started)
        let result = JobCatalog.executors(database: database).run(job, context: JobContext(runID: runID, startedAt: started, cancellation: cancellation))
        try repository.recordRunFinish(runID: runID, at: Date(), outcome: result.outcome, summary: result.summary)
        try repository.updateSchedule(jobID: id, nextRunAt: record.nextRunAt, lastRunAt: started)
        return result
    }
}
