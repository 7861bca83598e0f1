import Dispatch
import Export
import Foundation
import Jobs
import Schedule
import Store
import UI

/// One job as the Scheduler tab lists it.
public struct JobListEntry: Sendable, Equatable {
    public var job: ScheduledJob
    /// The latest run, finished or not.
    public var lastRun: JobRunRecord?
    /// When it runs next; nil when disabled (or a cron expression that never fires again).
    public var nextRun: Date?

    public init(job: ScheduledJob, lastRun: JobRunRecord?, nextRun: Date?) {
        self.job = job
        self.lastRun = lastRun
        self.nextRun = nextRun
    }
}

/// The "Add job" / "Edit job" form's fields, as typed.
public struct JobForm: Sendable, Equatable {
    public enum TriggerMode: String, Sendable { case every, cron }

    public var name = ""
    public var kind: JobKind = .captureWindow
    public var mode: TriggerMode = .every
    public var every = "30m"
    public var cron = "*/15 * * * *"
    public var timeZone = TimeZone.current.identifier
    // Capture-window options.
    public var interface = ""
    public var seconds = "60"
    public var filter = ""
    public var pcapFolder = ""
    /// Other kinds: "key=value key=value".
    public var otherOptions = ""
    /// The job being edited, or nil when adding.
    public var editingJobID: Int64?
    /// Options of the edited job that the form has no field for (kept on save).
    var keptOptions: [String: String] = [:]

    public init() {}

    /// The form filled with `job`, for editing.
    public init(editing job: ScheduledJob) {
        name = job.name
        kind = job.kind
        editingJobID = job.id
        switch job.trigger {
        case let .interval(seconds):
            mode = .every
            every = Self.intervalText(seconds)
        case let .cron(expression, zone):
            mode = .cron
            cron = expression.text
            timeZone = zone.identifier
        }
        var options = job.options
        if kind == .captureWindow {
            interface = options.removeValue(forKey: "interface") ?? ""
            seconds = options.removeValue(forKey: "seconds") ?? ""
            filter = options.removeValue(forKey: "filter") ?? ""
            pcapFolder = options.removeValue(forKey: "pcap-dir") ?? ""
            keptOptions = options
        } else {
            otherOptions = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    /// "30m", "2h", "1d", "90s": how an interval reads back in the field.
    static func intervalText(_ seconds: Int) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Parses the trigger fields (the service's messages on error).
    public func trigger() throws -> Trigger {
        switch mode {
        case .every: try ScheduleService.trigger(every: every, cron: nil, timeZone: nil)
        case .cron: try ScheduleService.trigger(every: nil, cron: cron, timeZone: timeZone.trimmingCharacters(in: " "))
        }
    }

    /// The job options from the fields.
    public func options() throws -> [String: String] {
        func trimmed(_ text: String) -> String { text.trimmingCharacters(in: " ") }
        if kind == .captureWindow {
            var options = keptOptions
            options["interface"] = trimmed(interface)
            for (key, value) in [("seconds", seconds), ("filter", filter), ("pcap-dir", pcapFolder)] {
                options[key] = trimmed(value).isEmpty ? nil : trimmed(value)
            }
            return options
        }
        var options: [String: String] = [:]
        for token in otherOptions.split(separator: " ", omittingEmptySubsequences: true) {
            guard let equals = token.firstIndex(of: "="), equals != token.startIndex else {
                throw ScheduleService.ServiceError.invalid(
                    "Options are key=value pairs separated by spaces (\"\(token)\" is not); \(kind.title) jobs take: \(JobCatalog.optionHelp(kind)).")
            }
            options[String(token[..<equals])] = String(token[token.index(after: equals)...])
        }
        return options
    }
}

/// The Scheduler tab: an Add/Edit job form, the jobs with their next run, last run and outcome,
/// and per-job Run now, Enable/Disable, Edit and Delete.
///
/// Nothing here touches SQLite on the UI thread: every `ScheduleService` call (and the
/// scheduler's `reload`, which reads the store) runs on one background serial queue, and results
/// come back through the inbox. The list is re-read after every action and whenever the
/// scheduler reports a run starting or finishing (`Scheduler.onChange`).
public final class SchedulerScreen {
    public let service: ScheduleService
    public let scheduler: Scheduler?
    let inbox: UIInbox
    let toasts: ToastCenter
    /// Where every service call runs, in order.
    let queue = DispatchQueue(label: "netscouter.scheduler-screen", qos: .userInitiated)

    /// The jobs as last read, in store order (by name).
    public private(set) var entries: [JobListEntry] = []
    /// The jobs as the table shows them (sorted by `sort`).
    public private(set) var rows: [JobListEntry] = []
    public var sort: TableSort? { didSet { if sort != oldValue { sortRows() } } }
    public var selection: Int?
    public private(set) var hasLoaded = false
    /// Why the list could not be read, or a problem the scheduler reported.
    public private(set) var problem: String?
    var refreshInFlight = false
    var refreshAgain = false

    public var form = JobForm()
    /// The service's message for the last rejected Add / Save, shown in the form.
    public private(set) var formError: String?
    public private(set) var isSubmitting = false
    /// Actions (enable, delete) sent to the queue and not yet answered.
    var pendingActions = 0
    /// Runs started here without a scheduler (`ScheduleService.runNow` on a worker).
    var manualRuns: Set<Int64> = []
    /// Jobs whose Run now went to the scheduler: their finished run gets a toast.
    var awaitingRuns: Set<Int64> = []
    var deleteCandidate: (id: Int64, name: String)?
    var isDeleteDialogShown = false

    public let exportBar: ExportBar
    /// Kinds with an engine in this build; the others get a note in the form.
    public let enginesAvailable: Set<JobKind>
    private let timeFormatter: DateFormatter

    public init(service: ScheduleService, scheduler: Scheduler?, inbox: UIInbox, toasts: ToastCenter = ToastCenter(), exportDirectory: String = "") {
        self.service = service
        self.scheduler = scheduler
        self.inbox = inbox
        self.toasts = toasts
        self.exportDirectory = exportDirectory
        exportBar = ExportBar(table: "jobs", singular: "job", directory: ExportBar.resolveDirectory(exportDirectory), inbox: inbox, toasts: toasts)
        enginesAvailable = Set((scheduler?.executors ?? JobCatalog.executors(database: nil)).registeredKinds)
        timeFormatter = DateFormatter()
        timeFormatter.locale = Locale(identifier: "en_US_POSIX")
        timeFormatter.timeZone = .current
        timeFormatter.dateFormat = "yyyy-MM-dd HH:mm"
        if let scheduler {
            let previous = scheduler.onChange
            let screen = UIThreadReference(self)
            scheduler.onChange = { event in
                previous?(event)
                inbox.post { screen.object?.handle(event) }
            }
        }
        refresh()
    }

    /// True while a list refresh, an action or an export started here has not reported back.
    public var hasPendingWork: Bool {
        refreshInFlight || isSubmitting || pendingActions > 0 || exportBar.isExporting
    }

    /// True while a run started with Run now has not finished.
    public var hasRunsInFlight: Bool { !manualRuns.isEmpty || !awaitingRuns.isEmpty }

    public var exportDirectory: String = "" {
        didSet { exportBar.directory = ExportBar.resolveDirectory(exportDirectory) }
    }

    // MARK: Loading

    typealias Loaded = Result<[JobListEntry], ScreenError>

    struct ScreenError: Error {
        let message: String
    }

    /// Re-reads the jobs on the queue; a refresh asked for while one is running runs after it.
    public func refresh() {
        if refreshInFlight {
            refreshAgain = true
            return
        }
        refreshInFlight = true
        let service = service, scheduler = scheduler, inbox = inbox, screen = UIThreadReference(self)
        queue.async {
            let loaded = Self.load(service, scheduler)
            inbox.post { screen.object?.finishRefresh(loaded) }
        }
    }

    /// Runs on the queue.
    static func load(_ service: ScheduleService, _ scheduler: Scheduler?) -> Loaded {
        do {
            let listed = try service.list()
            let planned = Dictionary((scheduler?.jobsSnapshot() ?? []).map { ($0.id, $0.nextRunAt) }, uniquingKeysWith: { first, _ in first })
            let now = Date()
            return .success(listed.map { item in
                var next: Date?
                if item.job.enabled {
                    next = planned[item.job.id].flatMap { $0 } ?? item.job.nextRunAt ?? item.job.trigger.nextRun(after: now)
                }
                return JobListEntry(job: item.job, lastRun: item.lastRun, nextRun: next)
            })
        } catch {
            return .failure(ScreenError(message: "The scheduled jobs could not be read: \(userMessage(error))"))
        }
    }

    private func finishRefresh(_ loaded: Loaded) {
        refreshInFlight = false
        apply(loaded)
        if refreshAgain {
            refreshAgain = false
            refresh()
        }
    }

    private func apply(_ loaded: Loaded) {
        switch loaded {
        case let .success(list):
            entries = list
            hasLoaded = true
            if problem?.hasPrefix("The scheduled jobs could not be read") == true { problem = nil }
            sortRows()
        case let .failure(error):
            problem = error.message
        }
    }

    private func sortRows() {
        guard let sort else {
            rows = entries
            clampSelection()
            return
        }
        func less(_ a: JobListEntry, _ b: JobListEntry) -> Bool {
            switch sort.column {
            case 0: return a.job.name.lowercased() < b.job.name.lowercased()
            case 1: return a.job.kind.title < b.job.kind.title
            case 2: return a.job.trigger.description < b.job.trigger.description
            case 3: return (a.nextRun ?? .distantFuture) < (b.nextRun ?? .distantFuture)
            case 4: return (a.lastRun?.startedAt ?? .distantPast) < (b.lastRun?.startedAt ?? .distantPast)
            case 5: return (a.lastRun?.outcome.rawValue ?? "") < (b.lastRun?.outcome.rawValue ?? "")
            default: return !a.job.enabled && b.job.enabled
            }
        }
        rows = entries.sorted { sort.ascending ? less($0, $1) : less($1, $0) }
        clampSelection()
    }

    private func clampSelection() {
        if let selected = selection, selected >= rows.count { selection = rows.isEmpty ? nil : rows.count - 1 }
    }

    func handle(_ event: SchedulerEvent) {
        switch event {
        case .runStarted:
            break
        case let .runFinished(jobID, _, outcome, summary):
            if awaitingRuns.remove(jobID) != nil {
                announce(jobID: jobID, outcome: outcome.rawValue, summary: summary)
            }
        case let .runSkipped(jobID, _, reason):
            if awaitingRuns.remove(jobID) != nil { toasts.post("\(jobName(jobID)): \(reason)", kind: .info) }
        case let .problem(message):
            // A broken database reports on every tick: say it once.
            if problem != message { toasts.post(message, kind: .error) }
            problem = message
        }
        refresh()
    }

    private func jobName(_ id: Int64) -> String {
        entries.first { $0.job.id == id }.map { "“\($0.job.name)”" } ?? "Job \(id)"
    }

    private func announce(jobID: Int64, outcome: String, summary: String) {
        let kind: ToastKind = outcome == "succeeded" ? .success : outcome == "failed" || outcome == "interrupted" ? .error : .info
        toasts.post("\(jobName(jobID)) \(outcome): \(summary)", kind: kind)
    }

    // MARK: Actions

    /// Adds the job in the form, or saves the job being edited. Errors go to `formError`.
    public func submitForm() {
        guard !isSubmitting else { return }
        isSubmitting = true
        formError = nil
        let form = form, service = service, scheduler = scheduler, inbox = inbox, screen = UIThreadReference(self)
        queue.async {
            let outcome: Result<String, ScreenError>
            do {
                let trigger = try form.trigger()
                let options = try form.options()
                let name = form.name.trimmingCharacters(in: " ")
                if let id = form.editingJobID {
                    let saved = name.isEmpty ? "\(form.kind.title) \(trigger)" : name
                    try service.update(id: id, name: saved, trigger: trigger, options: options)
                    outcome = .success("Saved “\(saved)” (\(trigger))")
                } else {
                    let job = try service.add(name: name.isEmpty ? nil : name, kind: form.kind, trigger: trigger, options: options)
                    outcome = .success("Added “\(job.name)” (\(job.trigger))")
                }
                try? scheduler?.reload()
            } catch {
                outcome = .failure(ScreenError(message: userMessage(error)))
            }
            let loaded = Self.load(service, scheduler)
            inbox.post { screen.object?.finishSubmit(outcome, loaded) }
        }
    }

    private func finishSubmit(_ outcome: Result<String, ScreenError>, _ loaded: Loaded) {
        isSubmitting = false
        apply(loaded)
        switch outcome {
        case let .success(message):
            formError = nil
            let kind = form.kind
            form = JobForm()
            form.kind = kind
            toasts.post(message, kind: .success)
        case let .failure(error):
            formError = error.message
        }
    }

    public func startEditing(_ job: ScheduledJob) {
        form = JobForm(editing: job)
        formError = nil
    }

    public func cancelEditing() {
        let kind = form.kind
        form = JobForm()
        form.kind = kind
        formError = nil
    }

    /// Runs a job now: through the scheduler when there is one (no overlap with its scheduled
    /// runs), otherwise with `ScheduleService.runNow` on a worker thread. A toast reports the
    /// outcome when the run finishes.
    public func runNow(_ job: ScheduledJob) {
        let id = job.id, name = job.name
        let service = service, scheduler = scheduler, inbox = inbox, screen = UIThreadReference(self)
        if let scheduler {
            guard !awaitingRuns.contains(id) else { return }
            awaitingRuns.insert(id)
            queue.async {
                guard !scheduler.runNow(jobID: id) else { return }
                let busy = scheduler.runState(jobID: id) != .idle
                inbox.post { screen.object?.runRefused(id, name: name, busy: busy) }
            }
        } else {
            guard !manualRuns.contains(id) else { return }
            manualRuns.insert(id)
            // Not the service queue: a capture window runs for minutes and must not hold up edits.
            DispatchQueue.global(qos: .utility).async {
                let outcome: String
                let summary: String
                do {
                    let result = try service.runNow(id: id)
                    (outcome, summary) = (result.outcome.rawValue, result.summary)
                } catch {
                    (outcome, summary) = ("failed", userMessage(error))
                }
                inbox.post { screen.object?.finishManualRun(id, outcome: outcome, summary: summary) }
            }
        }
        refresh()
    }

    private func runRefused(_ id: Int64, name: String, busy: Bool) {
        awaitingRuns.remove(id)
        toasts.post(busy ? "“\(name)” is already running; it was not started again."
                         : "“\(name)” could not be started: the scheduler is stopped or the job no longer exists.",
                    kind: busy ? .info : .error)
        refresh()
    }

    private func finishManualRun(_ id: Int64, outcome: String, summary: String) {
        manualRuns.remove(id)
        announce(jobID: id, outcome: outcome, summary: summary)
        refresh()
    }

    public func setEnabled(_ job: ScheduledJob, _ enabled: Bool) {
        let id = job.id, name = job.name
        perform(success: enabled ? "Enabled “\(name)”" : "Disabled “\(name)”", toast: false) { service in
            try service.setEnabled(id: id, enabled)
        }
    }

    /// Deletes without asking (the table's Delete button asks first).
    public func delete(_ job: ScheduledJob) {
        let id = job.id, name = job.name
        if form.editingJobID == id { cancelEditing() }
        perform(success: "Deleted “\(name)”", toast: true) { service in
            try service.remove(id: id)
        }
    }

    /// Runs `work` on the queue, reloads the scheduler and the list, and reports.
    private func perform(success: String, toast: Bool, _ work: @escaping @Sendable (ScheduleService) throws -> Void) {
        pendingActions += 1
        let service = service, scheduler = scheduler, inbox = inbox, screen = UIThreadReference(self)
        queue.async {
            var failure: String?
            do {
                try work(service)
                try? scheduler?.reload()
            } catch {
                failure = userMessage(error)
            }
            let loaded = Self.load(service, scheduler)
            inbox.post { [failure] in screen.object?.finishAction(success: success, toast: toast, failure: failure, loaded) }
        }
    }

    private func finishAction(success: String, toast: Bool, failure: String?, _ loaded: Loaded) {
        pendingActions -= 1
        apply(loaded)
        if let failure {
            toasts.post(failure, kind: .error)
        } else if toast {
            toasts.post(success, kind: .success)
        }
    }

    // MARK: Display

    public enum Status: Equatable, Sendable {
        case none, queued, running, succeeded, failed, skipped, stopped, interrupted

        public var text: String {
            switch self {
            case .none: "—"
            case .queued: "queued…"
            case .running: "running…"
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .skipped: "skipped"
            case .stopped: "stopped"
            case .interrupted: "interrupted"
            }
        }
    }

    /// What the "Last outcome" column shows for a job.
    public func status(of entry: JobListEntry) -> Status {
        let id = entry.job.id
        if manualRuns.contains(id) { return .running }
        switch scheduler?.runState(jobID: id) {
        case .running?: return .running
        case .queued?: return .queued
        default: break
        }
        switch entry.lastRun?.outcome {
        case nil: return .none
        case .running?: return .running
        case .succeeded?: return .succeeded
        case .failed?: return .failed
        case .skipped?: return .skipped
        case .stopped?: return .stopped
        case .interrupted?: return .interrupted
        }
    }

    func color(_ status: Status, _ theme: Theme) -> Color {
        switch status {
        case .succeeded: theme.success
        case .failed, .interrupted: theme.danger
        case .skipped, .stopped: theme.warning
        case .running, .queued: theme.accent
        case .none: theme.mutedText
        }
    }

    public func localTime(_ date: Date?) -> String {
        guard let date else { return "—" }
        return timeFormatter.string(from: date)
    }

    static let columns = [
        TableColumn("Name", width: 150), TableColumn("Kind", width: 124), TableColumn("Trigger", width: 186),
        TableColumn("Next run (local)", width: 140), TableColumn("Last run", width: 140), TableColumn("Last outcome", width: 104),
        TableColumn("Enabled", width: 64),
        TableColumn("Run now", width: 84, sortable: false), TableColumn("On/off", width: 80, sortable: false),
        TableColumn("Edit", width: 56, sortable: false), TableColumn("Delete", width: 72, sortable: false),
        TableColumn("", width: 10, minimumWidth: 0, sortable: false),
    ]

    // MARK: Frame

    public func build(_ ui: UIContext, in area: Rect) {
        ui.withID("Scheduler") {
            let errorLines = formError.map { ui.wrap($0, width: max(200, area.width - 300)) } ?? []
            let formHeight = formPanelHeight(ui, errorLines: errorLines.count)
            let parts = ui.rows(area, [.fixed(formHeight), .flex(1)])
            formPanel(ui, in: parts[0], errorLines: errorLines)
            jobsPanel(ui, in: parts[1])
            deleteDialog(ui)
        }
    }

    private var showsCaptureFields: Bool { form.kind == .captureWindow }

    func formPanelHeight(_ ui: UIContext, errorLines: Int) -> Float {
        let row = ui.theme.rowHeight + ui.theme.spacing
        var height = 2 * ui.theme.padding + 24 + ui.theme.spacing  // heading
        height += row * 2  // trigger row, options row
        if !showsCaptureFields || !enginesAvailable.contains(form.kind) { height += 20 + ui.theme.spacing }
        if problem != nil { height += 20 + ui.theme.spacing }
        height += max(row, Float(errorLines) * 18 + ui.theme.spacing + 8)  // buttons and error
        return height
    }

    func formPanel(_ ui: UIContext, in rect: Rect, errorLines: [String]) {
        ui.panel(nil, rect: rect) {
            let editing = form.editingJobID != nil
            ui.row([.fill], height: .fixed(24))
            ui.label(editing ? "Edit job “\(form.name)”" : "Add a job", role: .heading)
            if let problem {
                ui.row([.fill], height: .fixed(20))
                ui.label("⚠ " + problem, color: ui.theme.danger, role: .small)
            }

            // Name, kind, trigger.
            ui.row([.fixed(42), .flex(1), .fixed(32), .fixed(170), .fixed(66), .fixed(62), .fixed(150), .fixed(70), .fixed(150)])
            ui.label("Name", color: ui.theme.mutedText)
            var entered = ui.textField("Name", text: &form.name, placeholder: "optional, e.g. Nightly capture").contains(.submitted)
            ui.label("Kind", color: ui.theme.mutedText)
            if editing {
                ui.label(form.kind.title)
            } else {
                var kindIndex = JobKind.allCases.firstIndex(of: form.kind) ?? 0
                if ui.dropdown("Kind", options: JobKind.allCases.map(\.title), selection: &kindIndex).contains(.changed) {
                    form.kind = JobKind.allCases[kindIndex]
                    formError = nil
                }
            }
            ui.radio("Every", value: JobForm.TriggerMode.every, selection: &form.mode)
            ui.radio("Cron", value: JobForm.TriggerMode.cron, selection: &form.mode)
            if form.mode == .every {
                entered = ui.textField("Trigger", text: &form.every, placeholder: "30m, 2h, 1d").contains(.submitted) || entered
                _ = ui.nextRect()
                _ = ui.nextRect()
            } else {
                entered = ui.textField("Trigger", text: &form.cron, placeholder: "*/15 * * * *").contains(.submitted) || entered
                ui.label("Time zone", color: ui.theme.mutedText)
                entered = ui.textField("Time zone", text: &form.timeZone, placeholder: "local (\(TimeZone.current.identifier))").contains(.submitted) || entered
            }

            // Options.
            if showsCaptureFields {
                ui.row([.fixed(70), .fixed(110), .fixed(64), .fixed(56), .fixed(40), .flex(1), .fixed(84), .flex(1)])
                ui.label("Interface", color: ui.theme.mutedText)
                entered = ui.textField("Interface", text: &form.interface, placeholder: "eth0").contains(.submitted) || entered
                ui.label("Seconds", color: ui.theme.mutedText)
                entered = ui.textField("Seconds", text: &form.seconds, placeholder: "60").contains(.submitted) || entered
                ui.label("Filter", color: ui.theme.mutedText)
                entered = ui.textField("Filter", text: &form.filter, placeholder: "optional BPF, e.g. tcp port 443").contains(.submitted) || entered
                ui.label("Pcap folder", color: ui.theme.mutedText)
                entered = ui.textField("Pcap folder", text: &form.pcapFolder, placeholder: "optional: save packets here").contains(.submitted) || entered
            } else {
                ui.row([.fixed(64), .flex(1)])
                ui.label("Options", color: ui.theme.mutedText)
                entered = ui.textField("Options", text: &form.otherOptions, placeholder: "key=value key=value").contains(.submitted) || entered
            }
            if !showsCaptureFields || !enginesAvailable.contains(form.kind) {
                ui.row([.fill], height: .fixed(20))
                let help = JobCatalog.optionHelp(form.kind)
                ui.label(enginesAvailable.contains(form.kind) ? "Options: \(help)"
                         : "Runs of \(form.kind.title.lowercased()) jobs fail until their engine lands (no engine in this build). Options: \(help)",
                         color: enginesAvailable.contains(form.kind) ? ui.theme.mutedText : ui.theme.warning, role: .small)
            }

            // Buttons, and the service's message when the input was refused.
            ui.row([.fixed(124), .fixed(104), .flex(1)], height: .fixed(max(ui.theme.rowHeight, Float(errorLines.count) * 18 + 8)))
            let submitLabel = editing ? "Save changes" : "Add job"
            if ui.button(isSubmitting ? (editing ? "Saving…###Save changes" : "Adding…###Add job") : submitLabel, style: .primary,
                         enabled: !isSubmitting).contains(.pressed) || (entered && !isSubmitting) {
                submitForm()
            }
            if editing {
                if ui.button("Cancel edit", enabled: !isSubmitting).contains(.pressed) { cancelEditing() }
            } else {
                _ = ui.nextRect()
            }
            let messageRect = ui.nextRect()
            if !errorLines.isEmpty, let formError {
                ui.itemAdd(messageRect, id: 0, label: "error:" + formError, kind: "error")
                for (index, line) in errorLines.enumerated() {
                    ui.drawText(line, in: Rect(x: messageRect.x, y: messageRect.y + 4 + Float(index) * 18, width: messageRect.width, height: 18),
                                color: ui.theme.danger)
                }
            } else {
                ui.drawText(form.mode == .every ? "Every: a number with s, m, h or d (at least 1 minute)."
                                : "Cron: minute hour day-of-month month day-of-week, in the time zone given.",
                            in: messageRect, color: ui.theme.mutedText, role: .small)
            }
        }
    }

    func jobsPanel(_ ui: UIContext, in rect: Rect) {
        ui.panel(nil, rect: rect) {
            ui.row([.flex(1), .fixed(84), .fixed(86), .flex(1.2), .fixed(84)])
            let title = hasLoaded ? "Jobs (\(rows.count))" : "Jobs (loading…)"
            ui.label(title, role: .heading)
            // Jobs added elsewhere (`netscouter schedule add`) show up on Reload.
            if ui.button("Reload", enabled: !refreshInFlight).contains(.pressed) {
                problem = nil
                refresh()
            }
            let shown = rows
            exportBar.build(ui) {
                ExportSource(count: shown.count) { Self.exportTable(shown) }
            }
            let detailHeight: Float = 22
            let tableRect = Rect(x: ui.remainingRect.x, y: ui.remainingRect.y, width: ui.remainingRect.width,
                                 height: max(0, ui.remainingRect.height - detailHeight - ui.theme.spacing))
            table(ui, in: tableRect)
            let detail = Rect(x: tableRect.x, y: tableRect.maxY + ui.theme.spacing, width: tableRect.width, height: detailHeight)
            ui.drawText(detailText, in: detail, color: ui.theme.mutedText, role: .small)
        }
    }

    var detailText: String {
        guard let selected = selection, rows.indices.contains(selected) else {
            return rows.isEmpty ? "No jobs yet: add one above." : "Select a job to see its last run's result."
        }
        let entry = rows[selected]
        guard let run = entry.lastRun else { return "“\(entry.job.name)” has not run yet." }
        let summary = run.summary.isEmpty ? "" : ": " + run.summary
        return "Last run of “\(entry.job.name)” at \(localTime(run.startedAt)) \(run.outcome.rawValue)\(summary)"
    }

    func table(_ ui: UIContext, in rect: Rect) {
        var sort = self.sort
        var selection = self.selection
        let shown = rows
        ui.table("Jobs", columns: Self.columns, rowCount: shown.count, sort: &sort, selection: &selection, rect: rect) { row in
            let entry = shown[row.index]
            let job = entry.job
            let status = status(of: entry)
            ui.itemAdd(row.rect, id: 0, label: "job:\(job.id) \(job.name) | \(status.text) | \(job.enabled ? "enabled" : "disabled")", kind: "jobrow", role: .row("job \(job.id)"), value: status.text)
            if ui.recordsItems {
                let key = "job \(job.id)"
                ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Name"), value: job.name)
                ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Enabled"), value: job.enabled ? "Yes" : "No")
            }
            row.text(0, job.name)
            row.text(1, job.kind.title, color: enginesAvailable.contains(job.kind) ? nil : ui.theme.mutedText)
            row.text(2, job.trigger.description)
            row.text(3, job.enabled ? localTime(entry.nextRun) : "—", color: job.enabled ? nil : ui.theme.mutedText)
            row.text(4, localTime(entry.lastRun?.startedAt ?? job.lastRunAt))
            row.text(5, status.text, color: color(status, ui.theme))
            row.text(6, job.enabled ? "Yes" : "No", color: job.enabled ? nil : ui.theme.mutedText)
            let busy = status == .running || status == .queued
            if row.button(7, "Run now##\(job.id)", enabled: !busy) { runNow(job) }
            if row.button(8, (job.enabled ? "Disable" : "Enable") + "##\(job.id)") { setEnabled(job, !job.enabled) }
            if row.button(9, "Edit##\(job.id)") { startEditing(job) }
            if row.button(10, "Delete##\(job.id)", style: .danger) {
                deleteCandidate = (job.id, job.name)
                isDeleteDialogShown = true
            }
        }
        self.sort = sort
        self.selection = selection
    }

    func deleteDialog(_ ui: UIContext) {
        guard let candidate = deleteCandidate else { return }
        let result = ui.confirmDialog("Delete job", message: "Delete “\(candidate.name)” and its run history? This cannot be undone.",
                                      confirmLabel: "Delete", destructive: true, isPresented: &isDeleteDialogShown)
        switch result {
        case .confirmed:
            deleteCandidate = nil
            if let entry = entries.first(where: { $0.job.id == candidate.id }) { delete(entry.job) }
        case .cancelled:
            deleteCandidate = nil
        case .none:
            if !isDeleteDialogShown { deleteCandidate = nil }
        }
    }

    // MARK: Export

    public static let exportColumns: [ExportColumn] = [
        ExportColumn("id", title: "ID"),
        ExportColumn("name", title: "Name"),
        ExportColumn("kind", title: "Kind"),
        ExportColumn("trigger", title: "Trigger"),
        ExportColumn("time_zone", title: "Time zone"),
        ExportColumn("options", title: "Options"),
        ExportColumn("enabled", title: "Enabled"),
        ExportColumn("next_run", title: "Next run (UTC)"),
        ExportColumn("last_run", title: "Last run (UTC)"),
        ExportColumn("last_outcome", title: "Last outcome"),
        ExportColumn("last_summary", title: "Last summary"),
    ]

    /// The jobs as an export table (times in ISO 8601 UTC, like every other export).
    public static func exportTable(_ entries: [JobListEntry]) -> ExportTable {
        func time(_ date: Date?) -> ExportValue {
            date.map { .string(ISO8601.string(nanosecondsSinceEpoch: Int64(($0.timeIntervalSince1970 * 1e9).rounded()))) } ?? .null
        }
        return ExportTable(columns: exportColumns, rows: entries) { entry in
            let job = entry.job
            let options = job.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return [
                .number(job.id),
                .string(job.name),
                .string(job.kind.rawValue),
                .string(job.trigger.storageText),
                .text(job.trigger.timeZoneIdentifier),
                options.isEmpty ? .null : .string(options),
                .bool(job.enabled),
                job.enabled ? time(entry.nextRun) : .null,
                time(entry.lastRun?.startedAt ?? job.lastRunAt),
                .text(entry.lastRun?.outcome.rawValue),
                .text(entry.lastRun.flatMap { $0.summary.isEmpty ? nil : $0.summary }),
            ]
        }
    }
}
