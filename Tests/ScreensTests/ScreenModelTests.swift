import Capture
import Foundation
import Jobs
import Schedule
import Screens
import Store
import Traffic
import UI
import XCTest

/// The screens' models driven without any UI context: intents in, state and toasts out, with
/// the inbox drained by hand as a frame would. Real store, real capture files.
final class ScreenModelTests: XCTestCase {
    private var fixture: ServicesFixture!

    override func setUpWithError() throws {
        fixture = try ServicesFixture()
    }

    override func tearDown() {
        fixture.tearDown()
    }

    @discardableResult
    private func drain(_ inbox: UIInbox, until condition: () -> Bool) -> Bool {
        for _ in 0..<3000 {
            inbox.drain()
            if condition() { return true }
            usleep(2000)
        }
        return condition()
    }

    private func settingsModel(_ inbox: UIInbox, _ toasts: ToastCenter) -> SettingsModel {
        let backend = StoreSettingsBackend(database: fixture.database, writer: fixture.writer, secrets: fixture.secrets, environment: [:])
        return SettingsModel(backend: backend, inbox: inbox, toasts: toasts)
    }

    // MARK: Settings

    func testSettingsModelSavesThroughTheStoreAndAppliesOnlyWhenSaved() throws {
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = settingsModel(inbox, toasts)
        var appliedTheme: String?
        model.onApplied = { settings, _ in appliedTheme = settings.theme }
        model.numberDrafts["captureSnapLength"] = "96"
        model.draft.theme = "light"
        XCTAssertTrue(model.hasChanges)
        XCTAssertTrue(model.apply())
        XCTAssertTrue(model.isSaving)
        XCTAssertEqual(model.applied.captureSnapLength, AppSettings.defaults.captureSnapLength, "nothing is in force before the save is confirmed")
        XCTAssertTrue(drain(inbox) { !model.isSaving })
        XCTAssertEqual(model.applied.captureSnapLength, 96)
        XCTAssertEqual(appliedTheme, "light")
        XCTAssertFalse(model.hasChanges)
        XCTAssertEqual(toasts.pending.map(\.message), ["Settings applied"])
        fixture.writer.flush()
        XCTAssertEqual(try SettingsStore(database: try fixture.freshDatabase()).load().captureSnapLength, 96)
    }

    func testSettingsModelAttachesEachProblemToItsField() throws {
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = settingsModel(inbox, toasts)
        model.numberDrafts["consensusThreshold"] = "7"
        model.numberDrafts["scanConcurrency"] = "lots"
        model.draft.exportDirectory = "relative/exports"
        XCTAssertFalse(model.apply())
        XCTAssertFalse(model.isSaving)
        XCTAssertEqual(Set(model.fieldErrors.keys), ["consensusThreshold", "scanConcurrency", "exportDirectory"])
        XCTAssertTrue(try XCTUnwrap(model.fieldErrors["consensusThreshold"]).message.contains("1, 2 or 3"))
        XCTAssertEqual(model.fieldErrors["scanConcurrency"]?.message, "\"lots\" is not a whole number.")
        XCTAssertNotNil(model.fieldErrors["scanConcurrency"]?.remedy, "says what to type")
        XCTAssertTrue(try XCTUnwrap(model.fieldErrors["exportDirectory"]).message.contains("absolute path"))
        XCTAssertEqual(model.firstFieldError?.hasPrefix("Auto-block when this many providers flag an address (1–3): "), true,
                       "the first problem in form order, with its field's title")
        model.discard()
        XCTAssertTrue(model.fieldErrors.isEmpty)
        XCTAssertEqual(model.applied, AppSettings.defaults)
    }

    /// The form is declared once: every number and text field sits in it exactly once, and the
    /// first problem reported is the first in the order drawn (a later section's field is not
    /// reported before an earlier one's).
    func testTheSettingsFormHoldsEveryFieldOnceInTheOrderItIsDrawn() {
        var keys: [String] = []
        for section in SettingsModel.form {
            for item in section.items {
                switch item {
                case let .number(field): keys.append(field.key)
                case let .text(field): keys.append(field.key)
                default: break
                }
            }
        }
        XCTAssertEqual(keys.sorted(), (SettingsModel.numberFields.map(\.key) + SettingsModel.textFields.map(\.key)).sorted())
        XCTAssertEqual(Set(keys).count, keys.count)

        let model = settingsModel(UIInbox(), ToastCenter())
        model.numberDrafts["otxPerDay"] = "x"          // flag rules and rate limits
        model.numberDrafts["captureSnapLength"] = "y"  // capture and export, after it
        model.draft.mmdbPath = "relative.mmdb"         // reputation and scanning, before both
        XCTAssertFalse(model.apply())
        XCTAssertEqual(Set(model.fieldErrors.keys), ["otxPerDay", "captureSnapLength", "mmdbPath"])
        XCTAssertEqual(model.firstFieldError?.hasPrefix("MaxMind .mmdb for country/AS (optional): "), true, model.firstFieldError ?? "nil")
        model.draft.mmdbPath = ""
        XCTAssertFalse(model.apply())
        XCTAssertEqual(model.firstFieldError?.hasPrefix("OTX requests per day (0 = no limit): "), true, model.firstFieldError ?? "nil")
    }

    func testASettingsSaveThatFailsReachesTheUserAndAppliesNothing() throws {
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = settingsModel(inbox, toasts)
        fixture.writer.stop()  // a store that refuses writes
        model.numberDrafts["captureSnapLength"] = "128"
        XCTAssertTrue(model.apply())
        XCTAssertTrue(drain(inbox) { !model.isSaving })
        XCTAssertEqual(model.applied.captureSnapLength, AppSettings.defaults.captureSnapLength)
        let error = try XCTUnwrap(model.formError)
        XCTAssertTrue(error.message.hasPrefix("Settings were not saved: "), error.message)
        XCTAssertEqual(toasts.pending.map(\.kind), [.error])
        XCTAssertEqual(toasts.pending.first?.message, error.userText)
        XCTAssertTrue(model.hasChanges, "the typed value is kept to try again")
    }

    func testSettingsModelNamesTheSecretsFileItUses() {
        let model = settingsModel(UIInbox(), ToastCenter())
        XCTAssertEqual(model.secretsLocation, fixture.secrets.url.path, "the fixture's XDG_CONFIG_HOME, not ~/.config")
    }

    // MARK: Scheduler

    private func schedulerModel(_ inbox: UIInbox, _ toasts: ToastCenter) -> SchedulerModel {
        SchedulerModel(backend: ServiceSchedulerBackend(service: fixture.service, scheduler: nil), inbox: inbox, toasts: toasts)
    }

    func testSchedulerModelAddsEditsDisablesAndDeletesJobs() throws {
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = schedulerModel(inbox, toasts)
        XCTAssertTrue(drain(inbox) { model.hasLoaded && !model.hasPendingWork })
        XCTAssertEqual(model.entries.count, 0)

        model.form.name = "Nightly"
        model.form.interface = "lo"
        model.form.seconds = "5"
        model.form.every = "2h"
        model.submitForm()
        XCTAssertTrue(model.isSubmitting)
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork && model.entries.count == 1 })
        let job = try XCTUnwrap(model.entries.first?.job)
        XCTAssertEqual(job.name, "Nightly")
        XCTAssertEqual(job.trigger, .interval(seconds: 7200))
        XCTAssertEqual(job.options, ["interface": "lo", "seconds": "5"])
        XCTAssertEqual(model.form, { var form = JobForm(); form.kind = .captureWindow; return form }(), "the form is cleared for the next job")
        XCTAssertEqual(toasts.pending.last?.message, "Added “Nightly” (every 2 h)")

        // A refused trigger goes to the form, and nothing is added.
        model.form.name = "Broken"
        model.form.every = "5x"
        model.submitForm()
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork })
        XCTAssertNotNil(model.formError)
        XCTAssertEqual(model.entries.count, 1)

        model.startEditing(job)
        model.form.every = "3h"
        model.submitForm()
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork && model.entries.first?.job.trigger == .interval(seconds: 10_800) })
        XCTAssertNil(model.formError)

        model.setEnabled(job, false)
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork && model.entries.first?.job.enabled == false })
        XCTAssertNil(model.entries.first?.nextRun, "a disabled job has no next run")

        model.delete(job)
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork && model.entries.isEmpty })
        XCTAssertEqual(toasts.pending.last?.message, "Deleted “Nightly”")
        XCTAssertEqual(try fixture.service.list().count, 0)
    }

    func testSchedulerModelRunsAJobWithoutASchedulerAndAnnouncesTheOutcome() throws {
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = schedulerModel(inbox, toasts)
        let job = try fixture.service.add(name: "Bad interface", kind: .captureWindow, trigger: .interval(seconds: 3600),
                                          options: ["interface": "netscouter-none0", "seconds": "1"])
        model.refresh()
        XCTAssertTrue(drain(inbox) { model.entries.count == 1 })
        model.runNow(job)
        XCTAssertEqual(model.status(of: model.entries[0]), .running)
        XCTAssertTrue(drain(inbox) { !model.hasRunsInFlight && !model.hasPendingWork })
        let announcement = try XCTUnwrap(toasts.pending.last)
        XCTAssertTrue(announcement.message.hasPrefix("“Bad interface” failed: "), announcement.message)
        XCTAssertEqual(announcement.kind, .error)
        XCTAssertEqual(model.status(of: model.entries[0]), .failed)
    }

    /// A scheduler that cannot reload after a change: the change is saved and said so, and the
    /// failure is shown with what to do (it used to be dropped with `try?`).
    func testASchedulerReloadFailureAfterAChangeIsShown() throws {
        let inbox = UIInbox(), toasts = ToastCenter()
        let backend = ReloadFailingBackend(ServiceSchedulerBackend(service: fixture.service, scheduler: nil))
        let model = SchedulerModel(backend: backend, inbox: inbox, toasts: toasts)
        model.form.interface = "lo"
        model.submitForm()
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork && model.entries.count == 1 })
        XCTAssertEqual(toasts.pending.last?.kind, .success, "the job was added")
        let problem = try XCTUnwrap(model.problem)
        XCTAssertEqual(problem.message, "The change is saved, but the running scheduler could not reload the jobs: database is locked")
        XCTAssertNotNil(problem.remedy)

        model.setEnabled(try XCTUnwrap(model.entries.first?.job), false)
        model.refresh()
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork && model.entries.first?.job.enabled == false })
        XCTAssertNotNil(model.problem, "a list refresh does not hide it")
    }

    /// A scheduler lock that cannot be taken is not "held by another process": nobody runs the
    /// jobs, and the window says so as an error with what to do.
    func testASchedulerLockThatCannotBeTakenIsAnErrorNotHeld() throws {
        // The lock file's path is taken by a directory: open(2) fails with EISDIR.
        let lockPath = fixture.dataDirectory.appendingPathComponent("scheduler.lock")
        try FileManager.default.createDirectory(at: lockPath, withIntermediateDirectories: true)
        let (scheduler, lock, problem) = AppServices.schedulerForWindow(database: fixture.database)
        XCTAssertNil(scheduler)
        XCTAssertNil(lock)
        let reported = try XCTUnwrap(problem)
        XCTAssertEqual(reported.kind, .error)
        XCTAssertTrue(reported.message.hasPrefix("Scheduled jobs are not running: the scheduler lock could not be taken: Cannot create \(lockPath.path): "),
                      reported.message)
        XCTAssertTrue(reported.message.hasSuffix("Check that the data directory is writable, then restart NetScouter; `netscouter daemon` runs them too."))
        XCTAssertFalse(reported.message.contains("run by another"))
    }

    func testASchedulerLockHeldByAnotherProcessIsInformation() throws {
        guard case let .acquired(held) = try SchedulerLock.acquire(forDatabaseAt: fixture.database.path) else { return XCTFail("lock not free") }
        // flock locks belong to the open file description: a second open in this process is refused like another process.
        let (scheduler, lock, problem) = AppServices.schedulerForWindow(database: fixture.database)
        withExtendedLifetime(held) {}
        XCTAssertNil(scheduler)
        XCTAssertNil(lock)
        XCTAssertEqual(problem?.kind, .info)
        XCTAssertEqual(problem?.message, "Scheduled jobs are run by another NetScouter (pid \(getpid())); this window shows them and can run them now.")
    }

    // MARK: Dashboard

    func testDashboardModelReadsAFileAndReportsItWithoutAUIContext() throws {
        let directory = fixture.directory
        let path = try writeDashboardFixture(in: directory)
        let capture = CaptureController()
        let model = DashboardModel(capture: capture)
        XCTAssertTrue(model.openFile(path))
        for _ in 0..<2000 where !capture.finishedReadingFile {
            if capture.drain() == 0 { usleep(1000) }
        }
        XCTAssertTrue(capture.finishedReadingFile)
        let counters = Dictionary(uniqueKeysWithValues: model.counterValues().map { ($0.title, $0.value) })
        // 236 packets 10 ms apart: the first at +10 ms, the last at +2.36 s.
        XCTAssertEqual(counters["File"], "236 packets in 2.35 s")
        XCTAssertNil(counters["Packets/s"], "no rate of the file's last second")
        let bits = Double(capture.traffic.totals.bytes) * 8 / 2.35
        XCTAssertEqual(counters["Average Bit/s"], ChartUnit.bitsPerSecond.format(bits))
        XCTAssertEqual(counters["Packets"], "236")
        XCTAssertTrue(capture.statusText.hasPrefix("Finished reading \(path) · 236 packets"), capture.statusText)
    }

    /// The finished-file summary against capinfos (Wireshark's): the same packet count and span.
    func testFinishedFileSummaryMatchesCapinfos() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/capinfos") else {
            throw XCTSkip("capinfos is not installed (Debian package tshark / wireshark-common)")
        }
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/corpus/dpkt").standardizedFileURL
        let files = ["http.pcap", "dns_icmp.pcap", "nb6-http.pcap"].map { corpus.appendingPathComponent($0).path }
        guard files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { throw XCTSkip("no ../shared/corpus") }
        let capinfos = Process()
        capinfos.executableURL = URL(fileURLWithPath: "/usr/bin/capinfos")
        capinfos.arguments = ["-T", "-M", "-r", "-c", "-u"] + files  // table, exact numbers, no header: packets, duration
        let output = Pipe()
        capinfos.standardOutput = output
        try capinfos.run()
        let table = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        capinfos.waitUntilExit()
        let rows = table.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.count, files.count)
        for row in rows {
            let path = row[0], packets = try XCTUnwrap(Int(row[1])), seconds = try XCTUnwrap(Double(row[2]))
            let capture = CaptureController()
            let model = DashboardModel(capture: capture)
            XCTAssertTrue(model.openFile(path))
            for _ in 0..<5000 where !capture.finishedReadingFile {
                if capture.drain() == 0 { usleep(1000) }
            }
            let shown = model.counterValues().first { $0.title == "File" }?.value
            let span = seconds < 10 ? String(format: "%.2f s", seconds) : String(format: "%.1f s", seconds)
            XCTAssertEqual(shown, "\(packets) packets in \(span)", path)
        }
    }

    func testDashboardModelRefusesABadFilterBeforeStarting() {
        let capture = CaptureController()
        let model = DashboardModel(capture: capture)
        model.filterText = "tcp port banana"
        XCTAssertFalse(model.openFile("/nonexistent.pcap"))
        XCTAssertNil(capture.session, "nothing started")
        XCTAssertNotNil(model.filterError)
        XCTAssertEqual(model.bannerText, model.filterError?.userText)
        model.filterEdited()
        XCTAssertNil(model.bannerText)
    }

    func testStoppingAFileMidWaySaysStoppedNotFinished() throws {
        let path = try writeDashboardFixture(in: fixture.directory)
        let capture = CaptureController()
        let model = DashboardModel(capture: capture)
        XCTAssertTrue(model.openFile(path, replay: true))  // at recorded speed: 2.4 s, so Stop lands mid-way
        usleep(100_000)
        capture.drain()
        model.stop()
        XCTAssertFalse(capture.finishedReadingFile)
        XCTAssertTrue(capture.statusText.hasPrefix("Stopped reading \(path)"), capture.statusText)
        XCTAssertNotNil(model.counterValues().first { $0.title == "Packets/s" }, "a stopped file keeps the live figures")
    }
}

/// The real service, with a scheduler whose reload fails.
private final class ReloadFailingBackend: SchedulerBackend {
    let real: ServiceSchedulerBackend
    init(_ real: ServiceSchedulerBackend) { self.real = real }
    func listJobs() throws -> [JobListEntry] { try real.listJobs() }
    func add(name: String?, kind: JobKind, trigger: Trigger, options: [String: String]) throws -> ScheduledJob {
        try real.add(name: name, kind: kind, trigger: trigger, options: options)
    }
    func update(id: Int64, name: String, trigger: Trigger, options: [String: String]) throws {
        try real.update(id: id, name: name, trigger: trigger, options: options)
    }
    func setEnabled(id: Int64, _ enabled: Bool) throws { try real.setEnabled(id: id, enabled) }
    func remove(id: Int64) throws { try real.remove(id: id) }
    func reloadScheduler() throws { throw UserError("database is locked") }
    var hasScheduler: Bool { false }
    func requestRun(jobID: Int64) -> Bool { false }
    func runManually(id: Int64) throws -> (outcome: String, summary: String) { try real.runManually(id: id) }
    func runState(jobID: Int64) -> Scheduler.RunState { .idle }
    var enginesAvailable: Set<JobKind> { real.enginesAvailable }
    func observe(_ handler: @escaping @Sendable (SchedulerEvent) -> Void) {}
}
