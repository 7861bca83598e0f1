import Foundation
import GRDB

/// A scheduled job (recurring scan, report, purge): a row of `schedules`.
public struct ScheduleRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "schedules"

    public var id: Int64?
    public var name: String
    /// What runs, e.g. "port-scan", "discovery", "purge-cache". Owned by the Schedule module.
    public var kind: String
    /// "every 1800" (seconds) or "cron */5 * * * *". Parsed by the Schedule module.
    public var trigger: String
    /// IANA name ("Europe/Berlin") that cron fields are evaluated in.
    public var timeZone: String
    /// Job-specific options as a JSON object; see `decodeOptions` / `setOptions`.
    public var options: String
    public var enabled: Bool
    public var nextRunAt: Date?
    public var lastRunAt: Date?
    public var createdAt: Date

    public init(
        id: Int64? = nil, name: String, kind: String, trigger: String, timeZone: String,
        options: String = "{}", enabled: Bool = true, nextRunAt: Date? = nil, lastRunAt: Date? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.trigger = trigger
        self.timeZone = timeZone
        self.options = options
        self.enabled = enabled
        self.nextRunAt = nextRunAt
        self.lastRunAt = lastRunAt
        self.createdAt = createdAt
    }

    /// Decodes `options` into the job's own options type.
    public func decodeOptions<Options: Decodable>(as type: Options.Type) throws -> Options {
        do {
            return try JSONDecoder().decode(Options.self, from: Data(options.utf8))
        } catch {
            throw StoreError.invalidJSON(what: "options of schedule \"\(name)\"", detail: "\(error)")
        }
    }

    /// Encodes `value` (which must encode as a JSON object) into `options`.
    public mutating func setOptions(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        options = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kind, trigger, options, enabled
        case timeZone = "time_zone"
        case nextRunAt = "next_run_at"
        case lastRunAt = "last_run_at"
        case createdAt = "created_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let enabled = Column(CodingKeys.enabled)
        public static let nextRunAt = Column(CodingKeys.nextRunAt)
        public static let lastRunAt = Column(CodingKeys.lastRunAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// How a job run ended.
public enum JobOutcome: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Started and not finished yet (or its process died meanwhile: see `markInterruptedRuns`).
    case running
    case succeeded
    case failed
    /// Not run, e.g. because the previous run was still going.
    case skipped
    /// Ended early on request; the summary says what it did until then.
    case stopped
    /// The process running it died; see `markInterruptedRuns`.
    case interrupted
}

/// One execution of a scheduled job: a row of `job_runs`.
public struct JobRunRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "job_runs"

    public var id: Int64?
    public var jobID: Int64
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: JobOutcome
    public var summary: String

    public init(
        id: Int64? = nil, jobID: Int64, startedAt: Date, finishedAt: Date? = nil,
        outcome: JobOutcome = .running, summary: String = ""
    ) {
        self.id = id
        self.jobID = jobID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case id, outcome, summary
        case jobID = "job_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let jobID = Column(CodingKeys.jobID)
        public static let startedAt = Column(CodingKeys.startedAt)
        public static let finishedAt = Column(CodingKeys.finishedAt)
        public static let outcome = Column(CodingKeys.outcome)
        public static let summary = Column(CodingKeys.summary)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// Scheduled jobs and their run history. Deleting a job deletes its runs (ON DELETE CASCADE).
public struct ScheduleStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    // MARK: Jobs

    /// Inserts a job; returns it with its id.
    @discardableResult
    public func insert(_ schedule: ScheduleRecord) throws -> ScheduleRecord {
        try database.write { db in
            var schedule = schedule
            try schedule.insert(db)
            return schedule
        }
    }

    /// Saves every column of an existing job.
    /// - Throws: `StoreError.notFound` if it was deleted meanwhile.
    public func update(_ schedule: ScheduleRecord) throws {
        try database.write { db in
            guard let id = schedule.id, try ScheduleRecord.exists(db, key: id) else {
                throw StoreError.notFound(what: "Schedule", id: schedule.id ?? 0)
            }
            try schedule.update(db)
        }
    }

    /// Deletes a job and its runs. Returns false if it did not exist.
    @discardableResult
    public func delete(id: Int64) throws -> Bool {
        try database.write { db in try ScheduleRecord.deleteOne(db, key: id) }
    }

    /// Every job, by name.
    public func all() throws -> [ScheduleRecord] {
        try database.read { db in
            try ScheduleRecord.order(ScheduleRecord.Columns.name, ScheduleRecord.Columns.id).fetchAll(db)
        }
    }

    public func schedule(id: Int64) throws -> ScheduleRecord? {
        try database.read { db in try ScheduleRecord.fetchOne(db, key: id) }
    }

    /// Enabled jobs whose `next_run_at` is at or before `time`, earliest first.
    public func due(at time: Date) throws -> [ScheduleRecord] {
        try database.read { db in
            try ScheduleRecord
                .filter(ScheduleRecord.Columns.enabled == true)
                .filter(ScheduleRecord.Columns.nextRunAt <= time.timeIntervalSince1970)
                .order(ScheduleRecord.Columns.nextRunAt)
                .fetchAll(db)
        }
    }

    /// Stores the next time the runner computed for a job (nil: not scheduled).
    public func setNextRun(jobID: Int64, at time: Date?) throws {
        try database.write { db in
            _ = try ScheduleRecord
                .filter(ScheduleRecord.Columns.id == jobID)
                .updateAll(db, ScheduleRecord.Columns.nextRunAt.set(to: time?.timeIntervalSince1970))
        }
    }

    // MARK: Runs

    /// Records that a run started (outcome "running") and sets the job's `last_run_at`.
    /// - Throws: `StoreError.notFound` if the job was deleted meanwhile.
    @discardableResult
    public func recordRunStart(jobID: Int64, at time: Date) throws -> JobRunRecord {
        try database.write { db in try Self.recordRunStart(jobID: jobID, at: time, in: db) }
    }

    @discardableResult
    public static func recordRunStart(jobID: Int64, at time: Date, in db: Database) throws -> JobRunRecord {
        let updated = try ScheduleRecord
            .filter(ScheduleRecord.Columns.id == jobID)
            .updateAll(db, ScheduleRecord.Columns.lastRunAt.set(to: time.timeIntervalSince1970))
        guard updated == 1 else { throw StoreError.notFound(what: "Schedule", id: jobID) }
        var run = JobRunRecord(jobID: jobID, startedAt: time)
        try run.insert(db)
        return run
    }

    /// Records how a run ended. `outcome` must not be `.running`.
    /// - Throws: `StoreError.notFound` if the run no longer exists (its job was deleted).
    public func recordRunFinish(runID: Int64, outcome: JobOutcome, summary: String, at time: Date) throws {
        try database.write { db in
            try Self.recordRunFinish(runID: runID, outcome: outcome, summary: summary, at: time, in: db)
        }
    }

    public static func recordRunFinish(
        runID: Int64, outcome: JobOutcome, summary: String, at time: Date, in db: Database
    ) throws {
        precondition(outcome != .running, "a finished run needs a final outcome")
        let updated = try JobRunRecord
            .filter(JobRunRecord.Columns.id == runID)
            .updateAll(db, [
                JobRunRecord.Columns.outcome.set(to: outcome),
                JobRunRecord.Columns.summary.set(to: summary),
                JobRunRecord.Columns.finishedAt.set(to: time.timeIntervalSince1970),
            ])
        guard updated == 1 else { throw StoreError.notFound(what: "Job run", id: runID) }
    }

    /// Runs of one job, newest first.
    public func runs(forJob jobID: Int64, limit: Int = 50) throws -> [JobRunRecord] {
        try database.read { db in
            try JobRunRecord
                .filter(JobRunRecord.Columns.jobID == jobID)
                .order(JobRunRecord.Columns.startedAt.desc, JobRunRecord.Columns.id.desc)
                .limit(limit)
                .fetchAll(db)
        }
    }

    /// The latest run of one job, finished or not.
    public func lastRun(forJob jobID: Int64) throws -> JobRunRecord? {
        try runs(forJob: jobID, limit: 1).first
    }

    /// Closes the runs left "running" by a process that died (killed, crashed, power cut): each
    /// is marked `interrupted`. A run still in progress is left alone — the process running a
    /// job holds its `JobRunLock` for the whole run, so a "running" row whose lock can be taken
    /// has no process behind it any more. Opening the database calls this, so the next
    /// NetScouter to start (any command) tidies up. Returns how many runs were closed.
    @discardableResult
    public func markInterruptedRuns(at time: Date) throws -> Int {
        let running = try database.read { db in
            try JobRunRecord.filter(JobRunRecord.Columns.outcome == JobOutcome.running).fetchAll(db)
        }
        var closed = 0
        for run in running {
            guard let runID = run.id,
                  case let .acquired(lock) = try JobRunLock.acquire(jobID: run.jobID, forDatabaseAt: database.path, recordingOwner: false)
            else { continue }
            defer { lock.release() }
            // Still "running" now that the lock is ours: its owner records the end before releasing
            // the lock, so this run's owner really is gone.
            closed += try database.write { db in
                try JobRunRecord
                    .filter(JobRunRecord.Columns.id == runID && JobRunRecord.Columns.outcome == JobOutcome.running)
                    .updateAll(db, [
                        JobRunRecord.Columns.outcome.set(to: JobOutcome.interrupted),
                        JobRunRecord.Columns.summary.set(to: Self.interruptedSummary),
                        JobRunRecord.Columns.finishedAt.set(to: time.timeIntervalSince1970),
                    ])
            }
        }
        return closed
    }

    public static let interruptedSummary =
        "Interrupted: the NetScouter process running this job ended (killed, crashed or the machine stopped) before the run finished."
}
