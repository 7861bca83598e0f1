import Firewall
import Foundation
import Jobs
import Schedule
import Store
import UI

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
/// - `firewall`: makes the ban service the Firewall tab, the Block dialog and the window's
///   auto-block use (called on workers only: it reads the settings and looks for `nft`). Nil
///   (`.none`, the default: screenshots, tests): this session changes no firewall, so no Block
///   action and no auto-block; the window passes `.system`.
public struct AppServices: Sendable {
    public let database: NetScouterDatabase
    public let writer: StoreWriter
    public let secrets: SecretsFile?
    public let scheduleService: ScheduleService
    public let scheduler: Scheduler?
    public let environment: [String: String]
    public let firewall: (@Sendable () throws -> FirewallService)?

    public init(database: NetScouterDatabase, writer: StoreWriter, secrets: SecretsFile?, scheduleService: ScheduleService,
                scheduler: Scheduler?, environment: [String: String] = ProcessInfo.processInfo.environment,
                firewall: FirewallFactory = .none) {
        self.database = database
        switch firewall {
        case .system:
            let configured = ConfiguredFirewall(database: database)
            self.firewall = { try configured.service() }
        case let .custom(make): self.firewall = make
        case .none: self.firewall = nil
        }
        self.writer = writer
        self.secrets = secrets
        self.scheduleService = scheduleService
        self.scheduler = scheduler
        self.environment = environment
    }
}

/// Where a window's ban service comes from.
public enum FirewallFactory: Sendable {
    /// This machine's firewall: nftables, else iptables + ipset, with the settings' action.
    case system
    /// Tests: a backend in a network namespace.
    case custom(@Sendable () throws -> FirewallService)
    /// No firewall changes from this session.
    case none
}

extension AppServices {
    /// The scheduler a window runs, if no daemon (or other window) runs the jobs already: it
    /// takes the scheduler lock next to the database. A lock that is held is an answer (this
    /// window then only shows the jobs); a lock that cannot be taken at all is a problem the user
    /// must see, because then nobody runs the jobs.
    public static func schedulerForWindow(database: NetScouterDatabase)
        -> (scheduler: Scheduler?, lock: SchedulerLock?, problem: (message: String, kind: ToastKind)?) {
        do {
            switch try SchedulerLock.acquire(forDatabaseAt: database.path) {
            case let .acquired(lock):
                let scheduler = Scheduler(repository: StoreJobRepository(database: database), executors: JobCatalog.executors(database: database))
                return (scheduler, lock, nil)
            case let .heldByAnother(pid):
                return (nil, nil, ("Scheduled jobs are run by another NetScouter\(pid.map { " (pid \($0))" } ?? ""); this window shows them and can run them now.", .info))
            }
        } catch {
            let problem = UserError("Scheduled jobs are not running: the scheduler lock could not be taken", underlying: error,
                                    remedy: "Check that the data directory is writable, then restart NetScouter; `netscouter daemon` runs them too.")
            return (nil, nil, (problem.userText, .error))
        }
    }
}
