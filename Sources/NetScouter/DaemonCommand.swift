import ArgumentParser
import Capture
import Dispatch
import Firewall
import Intel
import Foundation
import Jobs
import Logging
import Schedule
import Store
import Traffic

/// `netscouter daemon`: the scheduler (and optionally a continuous capture) with no window.
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run scheduled jobs (and optionally a continuous capture) headless, until SIGTERM or Ctrl+C.",
        discussion: """
            Logs go to stderr, one plain line each. Missed runs (while nothing was running) run once at
            start-up. Stop with SIGTERM or Ctrl+C: running jobs are cancelled, finished and recorded,
            and every pending database write completes before exit. See Assets/netscouter.service.
            """
    )

    @OptionGroup var storage: StorageOptions

    @Option(help: "Also capture continuously on this interface.")
    var capture: String?

    @Option(help: "BPF filter for --capture.")
    var filter: String?

    @Option(help: "With --capture: save packets as pcap files in this folder.")
    var pcapDir: String?

    @Option(parsing: .unconditional, help: "With --pcap-dir: start a new file after this many megabytes (1 to 1048576).",
            transform: { try NumericOption.integer($0, option: "--rotate-mb", range: 1...1_048_576, unit: "megabytes") })
    var rotateMb: Int = 100

    @Option(parsing: .unconditional, help: "With --capture: save the flows and hosts (for `export`) every N seconds (10 to 604800).",
            transform: { try NumericOption.decimal($0, option: "--snapshot-every", range: 10...604_800, unit: "seconds", note: "(7 days)") })
    var snapshotEvery: Double = 300

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(parsing: .unconditional,
            help: "Seconds between re-reading the jobs, to pick up changes made with `netscouter schedule` (1 to 86400).",
            transform: { try NumericOption.decimal($0, option: "--reload-every", range: 1...86_400, unit: "seconds", note: "(1 day)") })
    var reloadEvery: Double = 15

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("Unknown --log-level \"\(logLevel)\".") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = PlainLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let log = Logger(label: "daemon")
        let database = try storage.openDatabase()
        log.info("database \(database.path)")

        // Stop requests arrive as signals; handle them on a queue, not in a signal handler.
        let stopRequested = DispatchSemaphore(value: 0)
        var signalSources: [DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                log.info("received \(number == SIGTERM ? "SIGTERM" : "SIGINT"), stopping")
                stopRequested.signal()
            }
            source.resume()
            signalSources.append(source)
        }

        let lock: SchedulerLock
        switch try SchedulerLock.acquire(forDatabaseAt: database.path) {
        case let .acquired(held): lock = held
        case let .heldByAnother(pid):
            throw fail("Another NetScouter\(pid.map { " (pid \($0))" } ?? "") already runs the scheduled jobs of \(database.path). "
                + "Stop it first (close the window or stop the other daemon), or give this daemon its own --data-dir.")
        }
        defer { withExtendedLifetime(lock) {} }
        // Opening the database closed the runs whose process had died (never one still running elsewhere).
        let interrupted = database.interruptedRunsClosedAtOpen
        if interrupted > 0 { log.warning("\(interrupted) run(s) were cut off when the process running them ended; marked as interrupted") }
        // Bans: re-applied now, expired ones lifted periodically; reputation results of refresh
        // jobs go to auto-block (which acts only when enabled in settings).
        let keeper = Self.banKeeper(database: database, log: log)
        keeper?.start()
        var onReputation: (@Sendable (AddressReputation) -> Void)?
        if let keeper {
            let blocker = AutoBlocker(firewall: keeper.firewall, onFailure: { line in log.error("\(line)") })
            onReputation = { reputation in blocker.consider(reputation) }
        }
        let executors = JobCatalog.executors(database: database, onReputation: onReputation)
        let scheduler = Scheduler(repository: StoreJobRepository(database: database), executors: executors)
        scheduler.onChange = { event in
            switch event {
            case let .runStarted(jobID, runID): log.info("job \(jobID) started", metadata: ["run": "\(runID)"])
            case let .runFinished(jobID, runID, outcome, summary):
                let line = "job \(jobID) \(outcome.rawValue): \(summary)"
                if outcome == .succeeded { log.info("\(line)", metadata: ["run": "\(runID)"]) } else { log.error("\(line)", metadata: ["run": "\(runID)"]) }
            case let .runSkipped(jobID, _, reason): log.warning("job \(jobID) skipped: \(reason)")
            case let .problem(message): log.error("\(message)")
            }
        }
        do {
            try scheduler.start()
            try scheduler.startTimer()
        } catch {
            throw fail("Cannot start the scheduler: \(error)")
        }
        let jobs = scheduler.jobsSnapshot()
        log.info("scheduler running with \(jobs.count) job(s), \(jobs.filter(\.enabled).count) enabled")
        let reloadTimer = scheduler.reloadPeriodically(every: reloadEvery)

        let continuous = try capture.map { try ContinuousCapture(interface: $0, filter: filter, pcapDirectory: pcapDir,
                                                                   rotateMegabytes: rotateMb, snapshotEvery: snapshotEvery,
                                                                   database: database, log: log) }
        continuous?.start()

        stopRequested.wait()
        reloadTimer.cancel()
        scheduler.stop(waitForRunning: true)
        continuous?.stop()
        keeper?.stop()
        signalSources.forEach { $0.cancel() }
        do { try database.close() } catch { log.error("closing the database: \(error.localizedDescription)") }
        log.info("stopped cleanly")
    }
}

extension DaemonCommand {
    /// The firewall the daemon keeps: nil (with a warning) when no backend is installed.
    static func banKeeper(database: NetScouterDatabase, log: Logger) -> BanKeeper? {
        do {
            let service = try FirewallService.configured(database: database)
            return BanKeeper(firewall: service) { line, isError in
                if isError { log.error("\(line)") } else { log.info("\(line)") }
            }
        } catch {
            log.warning("firewall: \(error); stored bans are not re-applied and auto-block is off")
            return nil
        }
    }
}

/// The daemon's optional always-on capture: a consumer thread drains the ring into aggregates
/// and saves them as the latest snapshot periodically and at stop.
final class ContinuousCapture: @unchecked Sendable {
    let session: CaptureSession
    let database: NetScouterDatabase
    let log: Logger
    let snapshotEvery: Double
    let interface: String
    private let stopping = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Saves every finished flow to the store's flow history, off the consumer thread.
    private let historyWriter: StoreWriter
    private let retentionDays: Int

    init(interface: String, filter: String?, pcapDirectory: String?, rotateMegabytes: Int, snapshotEvery: Double,
         database: NetScouterDatabase, log: Logger) throws {
        var recording: PcapRecordingOptions?
        if let pcapDirectory {
            try FileManager.default.createDirectory(atPath: pcapDirectory, withIntermediateDirectories: true)
            // Timestamped, so a restarted daemon never overwrites the previous recording.
            recording = .timestamped(in: pcapDirectory, prefix: "netscouter-\(interface)", rotateBytes: Int64(rotateMegabytes) << 20)
        }
        do {
            session = try CaptureSession(source: .live(LiveCaptureOptions(interface: interface)), filter: filter, ringCapacity: 1 << 17, recording: recording)
        } catch {
            throw fail(error)
        }
        self.database = database
        historyWriter = StoreWriter(database: database, label: "netscouter.daemon.flow-history")
        do {
            retentionDays = try SettingsStore(database: database).load().flowHistoryRetentionDays
        } catch {
            log.warning("reading settings: \(error.localizedDescription); keeping flow history for the default \(AppSettings.defaults.flowHistoryRetentionDays) days")
            retentionDays = AppSettings.defaults.flowHistoryRetentionDays
        }
        self.log = log
        self.snapshotEvery = snapshotEvery
        self.interface = interface
    }

    func start() {
        session.start()
        log.info("capturing on \(interface)\(session.filter.map { " (filter: \($0))" } ?? "")")
        Thread { [self] in consume() }.start()
    }

    func stop() {
        stopping.signal()
        finished.wait()
    }

    /// A new aggregator for the next snapshot window, whose finished flows also go to the store.
    private func makeAggregator() -> TrafficAggregator {
        let traffic = TrafficAggregator()
        traffic.flows.history.sink = historySink
        return traffic
    }

    private lazy var historySink = StoreFlowHistorySink(source: interface, writer: historyWriter, retentionDays: retentionDays)

    private func consume() {
        var traffic = makeAggregator()
        var lastSnapshot = monotonicNanoseconds()
        while stopping.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
            session.ring.drain { traffic.ingest($0) }
            if session.isFinished {
                log.error("capture on \(interface) ended: \(session.error?.description ?? "the interface went away")")
                break
            }
            if Double(monotonicNanoseconds() - lastSnapshot) / 1e9 >= snapshotEvery {
                traffic.finishCapture()
                save(traffic)
                traffic = makeAggregator()
                lastSnapshot = monotonicNanoseconds()
            }
        }
        session.stop()
        session.ring.drain { traffic.ingest($0) }
        // Everything still open ends here, so the final window and the store hold all of it.
        traffic.finishCapture()
        save(traffic)
        historySink.finish()
        historyWriter.stop()
        if let failure = historySink.failure { log.error("\(failure)") }
        let statistics = session.statistics
        let files = session.recordedFiles.isEmpty ? "" : ", pcap: " + session.recordedFiles.joined(separator: " ")
        let line = "capture stopped: \(statistics.packetsCaptured) packets, \(historySink.storedCount) finished flows in the store, "
            + "drops kernel \(statistics.kernelDrops) ring \(statistics.ringOverflows)\(files)"
        log.info("\(line)")
        finished.signal()
    }

    private func save(_ traffic: TrafficAggregator) {
        let snapshots = SnapshotStore(database: database)
        do {
            try snapshots.save(traffic.flows.allIncludingFinished.map(TrafficReport.Flow.init), kind: .flows, source: "daemon capture on \(interface)", at: Date())
            try snapshots.save(traffic.hosts.all.map(TrafficReport.Host.init), kind: .hosts, source: "daemon capture on \(interface)", at: Date())
        } catch {
            log.error("saving the capture snapshot: \(error.localizedDescription)")
        }
    }
}
