import Foundation
import Jobs
import Schedule
import Store

/// What the persistent screens (Settings, Scheduler) need, built once by the executable.
///
/// - `database` / `writer`: the SQLite store and its off-thread writer (settings are saved
///   through the writer, never on the UI thread).
/// - `secrets`: where API keys typed in Settings are saved (nil: keys only from the environment).
/// - `scheduleService`: adds, edits, lists and removes jobs; the Scheduler tab calls it on a
///   background queue only.
/// - `scheduler`: the running scheduler, or nil (tests, or a build without one): Run now then
///   runs the job through `ScheduleService.runNow` on a worker thread. The Scheduler tab installs
///   `scheduler.onChange` (calling any observer set before `AppShell` was created first), so set
///   your own observer before constructing the shell, not after.
/// - `environment`: where API keys from environment variables are looked up (tests pass `[:]`).
public struct AppServices: Sendable {
    public let database: NetScouterDatabase
    public let writer: StoreWriter
    public let secrets: SecretsFile?
    public let scheduleService: ScheduleService
    public let scheduler: Scheduler?
    public let environment: [String: String]

    public init(database: NetScouterDatabase, writer: StoreWriter, secrets: SecretsFile?, scheduleService: ScheduleService,
                scheduler: Scheduler?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.database = database
        self.writer = writer
        self.secrets = secrets
        self.scheduleService = scheduleService
        self.scheduler = scheduler
        self.environment = environment
    }
}
