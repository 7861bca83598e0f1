import Capture
import Foundation
import Jobs
import Schedule
import Screens
import Store
import Synchronization
import UI
import XCTest

/// The Scheduler tab against a real store: the form adds and edits jobs through the service (its
/// messages shown when input is refused), and every row can run, toggle, edit and delete its job.
/// No real captures run here: run-now goes to a kind without an engine, or to a fake executor.
final class SchedulerTabTests: XCTestCase {
    private var fixture: ServicesFixture!

    override func tearDown() {
        fixture?.tearDown()
    }

    private func makeShell(scheduler: ((NetScouterDatabase) -> Scheduler?)? = nil) throws -> (AppShell, SchedulerScreen, UIHarness) {
        fixture = try ServicesFixture(scheduler: scheduler ?? { _ in nil })
        let shell = AppShell(capture: CaptureController(), services: fixture.services)
        shell.selectedTab = .scheduler
        let screen = try XCTUnwrap(shell.schedulerScreen)
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        XCTAssertTrue(runFrames(harness) { screen.hasLoaded }, "the job list loads on a worker")
        return (shell, screen, harness)
    }

    /// The status the job's row shows; nil when the job has no row.
    private func status(_ harness: UIHarness, _ jobID: Int64) -> String? {
        harness.value(of: .row("job \(jobID)"))
    }

    private func storedJobs() throws -> [ScheduledJob] {
        try fixture.service.list().map(\.job)
    }

    /// Fills the capture-window form and presses Add job.
    private func addCaptureJob(_ harness: UIHarness, name: String, interface: String = "lo") {
        harness.replaceText(in: "Scheduler/Name", with: name)
        harness.replaceText(in: "Scheduler/Interface", with: interface)
        harness.replaceText(in: "Scheduler/Seconds", with: "1")
        harness.click("Scheduler/Add job")
    }

    func testAddRunDisableEditAndDeleteJobsFromTheTab() throws {
        let (_, screen, harness) = try makeShell()
        XCTAssertEqual(screen.rows.count, 0)
        XCTAssertTrue(harness.exists("Scheduler/Every"))
        XCTAssertTrue(harness.exists("Scheduler/Cron"))
        XCTAssertFalse(harness.exists("Scheduler/Time zone"), "a time zone only matters for cron")

        // Add a capture window every 30 minutes (the interval field starts at "30m").
        addCaptureJob(harness, name: "Loopback capture")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 1 })
        let capture = try XCTUnwrap(screen.rows.first?.job)
        XCTAssertEqual(capture.name, "Loopback capture")
        XCTAssertEqual(capture.kind, .captureWindow)
        XCTAssertEqual(capture.trigger, .interval(seconds: 1800))
        XCTAssertEqual(capture.options, ["interface": "lo", "seconds": "1"])
        harness.frame()
        XCTAssertEqual(status(harness, capture.id), "—", "not run yet")
        XCTAssertEqual(harness.value(of: .cell("job \(capture.id)", "Name")), "Loopback capture")
        XCTAssertEqual(harness.value(of: .cell("job \(capture.id)", "Enabled")), "Yes")
        XCTAssertNotNil(harness.toastContaining("Added “Loopback capture”"))
        XCTAssertNotNil(screen.rows.first?.nextRun, "an enabled job shows its next run")
        XCTAssertEqual(try storedJobs().map(\.name), ["Loopback capture"])

        // A bad cron expression: the service's message in the form, nothing added.
        harness.click("Scheduler/Cron")
        XCTAssertTrue(harness.exists("Scheduler/Time zone"))
        harness.replaceText(in: "Scheduler/Name", with: "Broken")
        harness.replaceText(in: "Scheduler/Interface", with: "lo")
        harness.replaceText(in: "Scheduler/Trigger", with: "61 * * * *")
        harness.replaceText(in: "Scheduler/Time zone", with: "UTC")
        harness.click("Scheduler/Add job")
        XCTAssertTrue(runFrames(harness) { screen.formError != nil })
        var expected = ""
        XCTAssertThrowsError(try ScheduleService.trigger(every: nil, cron: "61 * * * *", timeZone: "UTC")) { expected = String(describing: $0) }
        XCTAssertEqual(screen.formError, expected)
        harness.frame()
        XCTAssertTrue(harness.items.contains { $0.kind == "error" && $0.path.contains("Bad cron expression \"61 * * * *\"") })
        XCTAssertEqual(screen.rows.count, 1)
        XCTAssertEqual(try storedJobs().count, 1)

        // A capture window without an interface is refused with the service's message too.
        harness.replaceText(in: "Scheduler/Trigger", with: "*/15 * * * *")
        harness.click("Scheduler/Interface")
        harness.press(.character("a"), modifiers: .control)
        harness.press(.backspace)
        harness.click("Scheduler/Add job")
        XCTAssertTrue(runFrames(harness) { screen.formError?.contains("interface") == true }, screen.formError ?? "no error")
        XCTAssertEqual(try storedJobs().count, 1)

        // A reputation refresh: it takes no options.
        harness.click("Scheduler/Every")
        harness.click("Scheduler/Kind")
        harness.click("Scheduler/Kind/Reputation refresh")
        XCTAssertEqual(screen.form.kind, .reputationRefresh)
        XCTAssertFalse(harness.exists("Scheduler/Interface"))
        harness.replaceText(in: "Scheduler/Name", with: "Refresh reputation")
        harness.replaceText(in: "Scheduler/Trigger", with: "2h")
        harness.click("Scheduler/Add job")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 2 })
        let scan = try XCTUnwrap(screen.rows.first { $0.job.kind == .reputationRefresh }?.job)
        XCTAssertEqual(scan.options, [:])
        XCTAssertEqual(scan.trigger, .interval(seconds: 7200))

        // Run now without API keys: fails saying which keys to set, in the table and in a toast.
        harness.click("Run now##\(scan.id)")
        var toast: String?
        XCTAssertTrue(runFrames(harness) {
            toast = toast ?? harness.toastContaining("No reputation API key is set")
            return toast != nil && screen.rows.first { $0.job.id == scan.id }.map { screen.status(of: $0) } == .failed
        })
        XCTAssertTrue(toast?.contains("failed") == true, toast ?? "")
        harness.frame()
        XCTAssertEqual(status(harness, scan.id), "failed")
        XCTAssertEqual(try fixture.service.repository.store.lastRun(forJob: scan.id)?.outcome, .failed)

        // Disable, then enable again.
        harness.click("Disable##\(scan.id)")
        XCTAssertTrue(runFrames(harness) { screen.rows.first { $0.job.id == scan.id }?.job.enabled == false })
        XCTAssertNil(screen.rows.first { $0.job.id == scan.id }?.nextRun, "a disabled job has no next run")
        XCTAssertEqual(try storedJobs().first { $0.id == scan.id }?.enabled, false)
        harness.frame()
        XCTAssertTrue(harness.exists("Enable##\(scan.id)"))
        harness.click("Enable##\(scan.id)")
        XCTAssertTrue(runFrames(harness) { screen.rows.first { $0.job.id == scan.id }?.job.enabled == true })
        XCTAssertEqual(try storedJobs().first { $0.id == scan.id }?.enabled, true)

        // Edit: the form takes the job, the button becomes Save changes.
        harness.frame()
        harness.click("Edit##\(capture.id)")
        harness.frame()  // the form is built above the table: it shows the edit from the next frame
        XCTAssertEqual(screen.form.editingJobID, capture.id)
        XCTAssertEqual(screen.form.interface, "lo")
        XCTAssertTrue(harness.exists("Scheduler/Save changes"))
        XCTAssertTrue(harness.exists("Scheduler/Cancel edit"))
        XCTAssertFalse(harness.exists("Scheduler/Add job"))
        harness.replaceText(in: "Scheduler/Name", with: "Loopback sample")
        harness.replaceText(in: "Scheduler/Trigger", with: "45m")
        harness.click("Scheduler/Save changes")
        XCTAssertTrue(runFrames(harness) { screen.rows.contains { $0.job.name == "Loopback sample" } })
        let edited = try XCTUnwrap(try storedJobs().first { $0.id == capture.id })
        XCTAssertEqual(edited.name, "Loopback sample")
        XCTAssertEqual(edited.trigger, .interval(seconds: 2700))
        XCTAssertEqual(edited.options["interface"], "lo")
        XCTAssertNil(screen.form.editingJobID)
        XCTAssertTrue(harness.exists("Scheduler/Add job"))

        // Cancel edit leaves the job alone.
        harness.click("Edit##\(scan.id)")
        harness.frame()
        XCTAssertTrue(harness.exists("Scheduler/Cancel edit"))
        harness.click("Scheduler/Cancel edit")
        XCTAssertNil(screen.form.editingJobID)

        // Delete asks first; Cancel keeps the job, Delete removes it from the table and the store.
        harness.click("Delete##\(scan.id)")
        XCTAssertTrue(harness.exists("Delete job/Delete"))
        harness.click("Delete job/Cancel")
        harness.frames(3)
        XCTAssertEqual(screen.rows.count, 2)
        harness.click("Delete##\(scan.id)")
        harness.click("Delete job/Delete")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 1 })
        XCTAssertNil(status(harness, scan.id))
        XCTAssertEqual(try storedJobs().map(\.id), [capture.id])
        XCTAssertNil(try fixture.service.repository.store.lastRun(forJob: scan.id), "its runs went with it")
        XCTAssertNotNil(harness.toastContaining("Deleted “Refresh reputation”"))
    }

    /// With a scheduler, Run now goes through it (no overlap with scheduled runs), its events
    /// come back through the inbox, and an observer set before the shell still hears them.
    func testRunNowThroughTheSchedulerReportsTheOutcome() throws {
        let registry = JobExecutorRegistry()
        registry.register(.captureWindow) { job, _ in "fake capture on \(job.options["interface"] ?? "?"), 3 packets" }
        let observed = Mutex(0)
        let (_, screen, harness) = try makeShell { database in
            let scheduler = Scheduler(repository: StoreJobRepository(database: database), executors: registry)
            scheduler.onChange = { _ in observed.withLock { $0 += 1 } }
            return scheduler
        }
        XCTAssertTrue(screen.enginesAvailable.contains(.captureWindow))
        addCaptureJob(harness, name: "Fake capture")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 1 })
        let job = try XCTUnwrap(screen.rows.first?.job)

        harness.click("Run now##\(job.id)")
        var toast: String?
        XCTAssertTrue(runFrames(harness) {
            toast = toast ?? harness.toastContaining("fake capture on lo")
            return toast != nil && screen.rows.first.map { screen.status(of: $0) } == .succeeded
        })
        XCTAssertTrue(toast?.contains("succeeded") == true, toast ?? "")
        XCTAssertEqual(try fixture.service.repository.store.lastRun(forJob: job.id)?.summary, "fake capture on lo, 3 packets")
        XCTAssertGreaterThanOrEqual(observed.withLock { $0 }, 2, "the earlier observer still gets started and finished")
        harness.frame()
        XCTAssertEqual(status(harness, job.id), "succeeded")
    }

    func testExportingTheJobsTableWritesTheRowsShown() throws {
        let (_, screen, harness) = try makeShell()
        for name in ["b nightly", "a hourly", "c weekly"] {
            try fixture.service.add(name: name, kind: .captureWindow, trigger: .interval(seconds: 3600), options: ["interface": "lo"])
        }
        // Added behind the window's back (as `netscouter schedule add` would): Reload shows them.
        harness.frames(3)
        XCTAssertEqual(screen.rows.count, 0)
        harness.click("Scheduler/Reload")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 3 })
        // Sort by name, descending.
        harness.click("Jobs/header:Name")
        harness.click("Jobs/header:Name")
        XCTAssertEqual(screen.rows.map(\.job.name), ["c weekly", "b nightly", "a hourly"])

        let path = fixture.directory.appendingPathComponent("jobs.csv").path
        harness.replaceText(in: "Scheduler/Export jobs/Path", with: path)
        harness.click("Scheduler/Export jobs/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported 3 jobs to \(path)") != nil })
        let records = try pythonCSVRecords(path)
        // The same file as before the jobs moved onto DataTable: the command line's fields, in order.
        XCTAssertEqual(records.first, ["ID", "Name", "Kind", "Trigger", "Time zone", "Options", "Enabled", "Next run (UTC)",
                                       "Last run (UTC)", "Last outcome", "Last summary"])
        XCTAssertEqual(records.first, screen.exportColumns.map(\.title))
        XCTAssertEqual(records.dropFirst().map { $0[1] }, ["c weekly", "b nightly", "a hourly"])
        XCTAssertEqual(records.dropFirst().map { $0[2] }, ["capture-window", "capture-window", "capture-window"])
        XCTAssertEqual(records.dropFirst().map { $0[5] }, ["interface=lo", "interface=lo", "interface=lo"])
        XCTAssertEqual(records.dropFirst().map { $0[6] }, ["true", "true", "true"])
    }

    /// The jobs table is a `DataTable`: a header sorts by its column, the selection is the job
    /// (by ID) whatever the sort and however often the list is read again, and the arrow keys
    /// move it.
    func testJobsTableSortsByAColumnAndTheSelectionFollowsTheJob() throws {
        let (_, screen, harness) = try makeShell()
        var ids: [String: Int64] = [:]
        for (name, seconds) in [("b two-hourly", 7200), ("a hourly", 3600), ("c weekly", 604_800)] {
            ids[name] = try fixture.service.add(name: name, kind: .captureWindow, trigger: .interval(seconds: seconds), options: ["interface": "lo"]).id
        }
        harness.click("Scheduler/Reload")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 3 })

        // Next run, latest first: a click sorts ascending, a second reverses.
        harness.click("Jobs/header:Next run (local)")
        XCTAssertEqual(screen.rows.map(\.job.name), ["a hourly", "b two-hourly", "c weekly"])
        harness.click("Jobs/header:Next run (local)")
        harness.frame()
        XCTAssertEqual(screen.rows.map(\.job.name), ["c weekly", "b two-hourly", "a hourly"])

        // Select "b two-hourly" with the mouse (in its Name cell, away from the buttons).
        let two = try XCTUnwrap(ids["b two-hourly"])
        let row = try XCTUnwrap(harness.item(.row("job \(two)"))).rect
        harness.click(at: Point(row.x + 20, row.y + row.height / 2))
        harness.frame()
        XCTAssertEqual(screen.selectedJobID, two)
        XCTAssertEqual(harness.value(of: .cell("job \(two)", "Selected")), "Yes")

        // A job added behind the window's back sorts above it; after Reload it is still selected.
        let monthly = try fixture.service.add(name: "d monthly", kind: .captureWindow, trigger: .interval(seconds: 2_592_000), options: ["interface": "lo"]).id
        harness.click("Scheduler/Reload")
        XCTAssertTrue(runFrames(harness) { screen.rows.count == 4 })
        harness.frame()
        XCTAssertEqual(screen.rows.map(\.job.id), [monthly, ids["c weekly"], two, ids["a hourly"]])
        XCTAssertEqual(screen.selectedJobID, two)
        XCTAssertEqual(screen.jobsTable.selectedIndex, 2, "the row moved down; the selection moved with it")
        XCTAssertEqual(harness.value(of: .cell("job \(two)", "Selected")), "Yes")
        XCTAssertNil(harness.value(of: .cell("job \(monthly)", "Selected")))

        // Re-sorted by name: still the same job.
        harness.click("Jobs/header:Name")
        harness.frame()
        XCTAssertEqual(screen.rows.map(\.job.name), ["a hourly", "b two-hourly", "c weekly", "d monthly"])
        XCTAssertEqual(screen.selectedJobID, two)
        XCTAssertTrue(screen.model.detailText(selected: screen.jobsTable.selectedRow, localTime: screen.localTime).contains("b two-hourly"))

        // An action re-reads the list: disabling the job keeps it selected.
        harness.click("Disable##\(two)")
        XCTAssertTrue(runFrames(harness) { screen.rows.first { $0.job.id == two }?.job.enabled == false })
        XCTAssertEqual(screen.selectedJobID, two)

        // Keyboard: the table keeps the focus the row click gave it; Down / Up / End move the selection.
        let moved = try XCTUnwrap(harness.item(.row("job \(two)"))).rect
        harness.click(at: Point(moved.x + 20, moved.y + moved.height / 2))
        harness.press(.down)
        harness.frame()
        XCTAssertEqual(screen.selectedJobID, ids["c weekly"])
        harness.press(.up)
        harness.press(.up)
        harness.frame()
        XCTAssertEqual(screen.selectedJobID, ids["a hourly"])
        harness.press(.end)
        harness.frame()
        XCTAssertEqual(screen.selectedJobID, monthly)

        // The filter narrows the rows; the selection stays on its job while it is shown.
        harness.replaceText(in: "Scheduler/Filter jobs", with: "monthly")
        harness.frame()
        XCTAssertEqual(screen.rows.map(\.job.id), [monthly])
        XCTAssertEqual(screen.selectedJobID, monthly)
        XCTAssertEqual(screen.jobsTable.selectedIndex, 0)
    }
}
