import Foundation
import Schedule
import Store

/// The scheduler's persistence, in the SQLite store: `schedules` rows are jobs, `job_runs` rows
/// are runs. Converts between the store's records and the scheduler's types in one place.
public struct StoreJobRepository: JobRepository {
    public let store: ScheduleStore

    public init(database: NetScouterDatabase) {
        store = ScheduleStore(database: database)
    }

    public func allJobs() throws -> [ScheduledJob] {
        try store.all().compactMap { try? Self.job(from: $0) }
    }

    public func updateSchedule(jobID: Int64, nextRunAt: Date?, lastRunAt: Date?) throws {
        guard var record = try store.schedule(id: jobID) else { return }
        record.nextRunAt = nextRunAt
        record.lastRunAt = lastRunAt
        try store.update(record)
    }

    public func recordRunStart(jobID: Int64, at time: Date) throws -> Int64 {
        try store.recordRunStart(jobID: jobID, at: time).id ?? 0
    }

    public func recordRunFinish(runID: Int64, at time: Date, outcome: Schedule.JobOutcome, summary: String) throws {
        let stored = Store.JobOutcome(rawValue: outcome.rawValue) ?? .failed
        try store.recordRunFinish(runID: runID, outcome: stored, summary: summary, at: time)
    }

    /// Takes the job's cross-process run lock (see `JobRunLock`) for the scheduler.
    public func claimRun(jobID: Int64) throws -> JobRunClaim {
        try Self.claimRun(jobID: jobID, database: store.database)
    }

    /// The claim behind every run of a stored job, from the scheduler or `runNow`.
    /// - Throws: `JobBusyError` naming the other process when it runs the job now.
    static func claimRun(jobID: Int64, database: NetScouterDatabase) throws -> JobRunClaim {
        switch try JobRunLock.acquire(jobID: jobID, forDatabaseAt: database.path) {
        case let .acquired(lock):
            return JobRunClaim { lock.release() }
        case let .heldByAnother(pid):
            let who = pid.map { $0 == getpid() ? "this NetScouter" : "another NetScouter process (pid \($0))" } ?? "another NetScouter process"
            throw JobBusyError("job \(jobID) is already running in \(who); only one run of a job at a time. Wait for that run to finish, or stop it.")
        }
    }

    /// A store row as a scheduler job; throws when the row's trigger or kind cannot be read.
    public static func job(from record: ScheduleRecord) throws -> ScheduledJob {
        guard let kind = JobKind(rawValue: record.kind) else {
            throw JobRepositoryError("Job \(record.id ?? 0) has an unknown kind \"\(record.kind)\".")
        }
        let trigger: Trigger
        do { trigger = try Trigger(storageText: record.trigger, timeZoneIdentifier: record.timeZone.isEmpty ? nil : record.timeZone) } catch {
            throw JobRepositoryError("Job \(record.id ?? 0) has an unreadable trigger: \(error.message)")
        }
        let options = (try? JSONDecoder().decode([String: String].self, from: Data(record.options.utf8))) ?? [:]
        return ScheduledJob(id: record.id ?? 0, name: record.name, kind: kind, trigger: trigger, options: options,
                            enabled: record.enabled, nextRunAt: record.nextRunAt, lastRunAt: record.lastRunAt)
    }

    /// A new store row for a job the user defined.
    public static func record(name: String, kind: JobKind, trigger: Trigger, options: [String: String], enabled: Bool = true, at time: Date) -> ScheduleRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let optionsText = (try? encoder.encode(options)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ScheduleRecord(name: name, kind: kind.rawValue, trigger: trigger.storageText, timeZone: trigger.timeZoneIdentifier ?? "",
                              options: optionsText, enabled: enabled, nextRunAt: nil, createdAt: time)
    }
}
