import Export
import Foundation
import Jobs
import Schedule
import Store
import UI

/// The Scheduler tab (the view of `SchedulerModel`): an Add/Edit job form, the jobs with their
/// next run, last run and outcome, and per-job Run now, Enable/Disable, Edit and Delete.
public final class SchedulerScreen: TabScreen {
    public static let title = "Scheduler"
    public let model: SchedulerModel
    /// The jobs: sorted, filtered, selected (by job ID, across reloads and re-sorts) and exported
    /// from the one list of columns in `jobColumns`.
    public private(set) var jobsTable: DataTable<JobListEntry, Int64>!
    /// The jobs table's row filter.
    public var rowFilter = ""
    public var exportBar: ExportBar { jobsTable.exportBar! }
    var deleteCandidate: (id: Int64, name: String)?
    var isDeleteDialogShown = false
    private let timeFormatter: DateFormatter

    public init(model: SchedulerModel, inbox: UIInbox, toasts: ToastCenter, exportDirectory: String = "") {
        self.model = model
        timeFormatter = DateFormatter()
        timeFormatter.locale = Locale(identifier: "en_US_POSIX")
        timeFormatter.timeZone = .current
        timeFormatter.dateFormat = "yyyy-MM-dd HH:mm"
        jobsTable = DataTable("Jobs", columns: jobColumns(), key: \.job.id)
        jobsTable.refreshInterval = 0
        jobsTable.enableExport("jobs", singular: "job", inbox: inbox, toasts: toasts, directory: exportDirectory, placement: .manual)
        self.exportDirectory = exportDirectory
    }

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        guard let services = environment.services else {
            return UnavailableScreen(title: title, reason: "Scheduled jobs need the NetScouter database, which could not be opened.",
                                     lines: ["Scheduled port scans, LAN discovery, capture windows and reputation refreshes,",
                                             "every N minutes or by cron expression, with a history of runs."])
        }
        let backend = ServiceSchedulerBackend(service: services.scheduleService, scheduler: services.scheduler)
        return SchedulerScreen(model: SchedulerModel(backend: backend, inbox: environment.inbox, toasts: environment.toasts),
                               inbox: environment.inbox, toasts: environment.toasts)
    }

    public var hasPendingWork: Bool { model.hasPendingWork || jobsTable.isExporting }
    public var hasLongRunningWork: Bool { model.hasRunsInFlight }

    public func apply(_ settings: AppSettings) { exportDirectory = settings.exportDirectory }

    public var exportDirectory: String = "" {
        didSet { jobsTable.setExportDirectory(exportDirectory) }
    }

    // Read by tests and the shell.
    /// The jobs as the table shows them: filtered and sorted.
    public var rows: [JobListEntry] {
        refreshRows(now: lastFrameTime)
        return jobsTable.rows
    }
    /// The selected job's row, wherever sorting put it.
    public var selectedJobID: Int64? {
        get { jobsTable.selectedKey }
        set { jobsTable.selectedKey = newValue }
    }
    private var lastFrameTime = 0.0
    public var hasLoaded: Bool { model.hasLoaded }
    public var formError: String? { model.formError?.userText }
    public var enginesAvailable: Set<JobKind> { model.enginesAvailable }
    public var form: JobForm {
        get { model.form }
        set { model.form = newValue }
    }
    public func status(of entry: JobListEntry) -> SchedulerModel.Status { model.status(of: entry) }

    func color(_ status: SchedulerModel.Status, _ theme: Theme) -> Color {
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

    /// Every column of the jobs table, once: what it draws, how it sorts, what exports write.
    /// The file keeps the fields a `netscouter schedule` user needs (ID, time zone, options, the
    /// last summary) in `exportOnly` columns, and times in ISO 8601 UTC like every other export.
    func jobColumns() -> [DataColumn<JobListEntry>] {
        func utc(_ date: Date?) -> ExportValue {
            date.map { .string(ISO8601.string(nanosecondsSinceEpoch: Int64(($0.timeIntervalSince1970 * 1e9).rounded()))) } ?? .null
        }
        func lastRun(_ entry: JobListEntry) -> Date? { entry.lastRun?.startedAt ?? entry.job.lastRunAt }
        // Ties go by job ID, so a re-sort is repeatable.
        func by<Value: Comparable>(_ value: @escaping (JobListEntry) -> Value) -> (JobListEntry, JobListEntry) -> Bool {
            { (value($0), $0.job.id) < (value($1), $1.job.id) }
        }
        return [
            .exportOnly("ID", key: "id") { .number($0.job.id) },
            DataColumn("Name", width: 150, exportKey: "name", text: { $0.job.name }, less: by { $0.job.name.lowercased() }),
            DataColumn("Kind", width: 124, exportKey: "kind", text: { $0.job.kind.title }, less: by { $0.job.kind.title },
                       export: { .string($0.job.kind.rawValue) },
                       color: { [unowned self] entry, theme in model.enginesAvailable.contains(entry.job.kind) ? nil : theme.mutedText }),
            DataColumn("Trigger", width: 186, exportKey: "trigger", text: { $0.job.trigger.description }, less: by { $0.job.trigger.description },
                       export: { .string($0.job.trigger.storageText) }),
            .exportOnly("Time zone", key: "time_zone") { .text($0.job.trigger.timeZoneIdentifier) },
            .exportOnly("Options", key: "options") { entry in
                let options = entry.job.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                return options.isEmpty ? .null : .string(options)
            },
            DataColumn("Enabled", width: 64, exportKey: "enabled", text: { $0.job.enabled ? "Yes" : "No" }, less: by { $0.job.enabled ? 1 : 0 },
                       export: { .bool($0.job.enabled) }, color: { entry, theme in entry.job.enabled ? nil : theme.mutedText }),
            DataColumn("Next run (local)", width: 140, exportKey: "next_run", exportTitle: "Next run (UTC)",
                       text: { [unowned self] in $0.job.enabled ? localTime($0.nextRun) : "—" },
                       less: by { $0.job.enabled ? $0.nextRun ?? .distantFuture : .distantFuture },
                       export: { $0.job.enabled ? utc($0.nextRun) : .null },
                       color: { entry, theme in entry.job.enabled ? nil : theme.mutedText }),
            DataColumn("Last run", width: 140, exportKey: "last_run", exportTitle: "Last run (UTC)",
                       text: { [unowned self] in localTime(lastRun($0)) }, less: by { lastRun($0) ?? .distantPast },
                       export: { utc(lastRun($0)) }),
            DataColumn("Last outcome", width: 104, exportKey: "last_outcome", text: { [unowned self] in model.status(of: $0).text },
                       less: by { [unowned self] in model.status(of: $0).text },
                       export: { .text($0.lastRun?.outcome.rawValue) },
                       color: { [unowned self] entry, theme in color(model.status(of: entry), theme) }),
            .exportOnly("Last summary", key: "last_summary") { .text($0.lastRun.flatMap { $0.summary.isEmpty ? nil : $0.summary }) },
            .control("Run now", width: 84) { [unowned self] row, column, entry in
                let status = model.status(of: entry)
                if row.button(column, "Run now##\(entry.job.id)", enabled: status != .running && status != .queued) { model.runNow(entry.job) }
            },
            .control("On/off", width: 80) { [unowned self] row, column, entry in
                let job = entry.job
                if row.button(column, (job.enabled ? "Disable" : "Enable") + "##\(job.id)") { model.setEnabled(job, !job.enabled) }
            },
            .control("Edit", width: 56) { [unowned self] row, column, entry in
                if row.button(column, "Edit##\(entry.job.id)") { model.startEditing(entry.job) }
            },
            .control("Delete", width: 72) { [unowned self] row, column, entry in
                if row.button(column, "Delete##\(entry.job.id)", style: .danger) {
                    deleteCandidate = (entry.job.id, entry.job.name)
                    isDeleteDialogShown = true
                }
            },
            .spacer(),
        ]
    }

    // MARK: Frame

    public func build(_ ui: UIContext, in area: Rect) {
        ui.withID("Scheduler") {
            let errorLines = model.formError.map { ui.wrap($0.userText, width: max(200, area.width - 300)) } ?? []
            let formHeight = formPanelHeight(ui, errorLines: errorLines.count)
            let parts = ui.rows(area, [.fixed(formHeight), .flex(1)])
            formPanel(ui, in: parts[0], errorLines: errorLines)
            jobsPanel(ui, in: parts[1])
            deleteDialog(ui)
        }
    }

    private var showsCaptureFields: Bool { model.form.kind == .captureWindow }

    func formPanelHeight(_ ui: UIContext, errorLines: Int) -> Float {
        let row = ui.theme.rowHeight + ui.theme.spacing
        var height = 2 * ui.theme.padding + 24 + ui.theme.spacing  // heading
        height += row * 2  // trigger row, options row
        if !showsCaptureFields || !model.enginesAvailable.contains(model.form.kind) { height += 20 + ui.theme.spacing }
        if model.problem != nil { height += 20 + ui.theme.spacing }
        height += max(row, Float(errorLines) * 18 + ui.theme.spacing + 8)  // buttons and error
        return height
    }

    func formPanel(_ ui: UIContext, in rect: Rect, errorLines: [String]) {
        ui.panel(nil, rect: rect) {
            let editing = model.form.editingJobID != nil
            ui.row([.fill], height: .fixed(24))
            ui.label(editing ? "Edit job “\(model.form.name)”" : "Add a job", role: .heading)
            if let problem = model.problem {
                ui.row([.fill], height: .fixed(20))
                ui.label("⚠ " + problem.userText, color: ui.theme.danger, role: .small)
            }

            // Name, kind, trigger.
            ui.row([.fixed(42), .flex(1), .fixed(32), .fixed(170), .fixed(66), .fixed(62), .fixed(150), .fixed(70), .fixed(150)])
            ui.label("Name", color: ui.theme.mutedText)
            var entered = ui.textField("Name", text: &model.form.name, placeholder: "optional, e.g. Nightly capture").contains(.submitted)
            ui.label("Kind", color: ui.theme.mutedText)
            if editing {
                ui.label(model.form.kind.title)
            } else {
                var kindIndex = JobKind.allCases.firstIndex(of: model.form.kind) ?? 0
                if ui.dropdown("Kind", options: JobKind.allCases.map(\.title), selection: &kindIndex).contains(.changed) {
                    model.form.kind = JobKind.allCases[kindIndex]
                    model.dismissFormError()
                }
            }
            ui.radio("Every", value: JobForm.TriggerMode.every, selection: &model.form.mode)
            ui.radio("Cron", value: JobForm.TriggerMode.cron, selection: &model.form.mode)
            if model.form.mode == .every {
                entered = ui.textField("Trigger", text: &model.form.every, placeholder: "30m, 2h, 1d").contains(.submitted) || entered
                _ = ui.nextRect()
                _ = ui.nextRect()
            } else {
                entered = ui.textField("Trigger", text: &model.form.cron, placeholder: "*/15 * * * *").contains(.submitted) || entered
                ui.label("Time zone", color: ui.theme.mutedText)
                entered = ui.textField("Time zone", text: &model.form.timeZone, placeholder: "local (\(TimeZone.current.identifier))").contains(.submitted) || entered
            }

            // Options.
            if showsCaptureFields {
                ui.row([.fixed(70), .fixed(110), .fixed(64), .fixed(56), .fixed(40), .flex(1), .fixed(84), .flex(1)])
                ui.label("Interface", color: ui.theme.mutedText)
                entered = ui.textField("Interface", text: &model.form.interface, placeholder: "eth0").contains(.submitted) || entered
                ui.label("Seconds", color: ui.theme.mutedText)
                entered = ui.textField("Seconds", text: &model.form.seconds, placeholder: "60").contains(.submitted) || entered
                ui.label("Filter", color: ui.theme.mutedText)
                entered = ui.textField("Filter", text: &model.form.filter, placeholder: "optional BPF, e.g. tcp port 443").contains(.submitted) || entered
                ui.label("Pcap folder", color: ui.theme.mutedText)
                entered = ui.textField("Pcap folder", text: &model.form.pcapFolder, placeholder: "optional: save packets here").contains(.submitted) || entered
            } else {
                ui.row([.fixed(64), .flex(1)])
                ui.label("Options", color: ui.theme.mutedText)
                entered = ui.textField("Options", text: &model.form.otherOptions, placeholder: "key=value key=value").contains(.submitted) || entered
            }
            if !showsCaptureFields || !model.enginesAvailable.contains(model.form.kind) {
                ui.row([.fill], height: .fixed(20))
                let help = JobCatalog.optionHelp(model.form.kind)
                ui.label(model.enginesAvailable.contains(model.form.kind) ? "Options: \(help)"
                         : "Runs of \(model.form.kind.title.lowercased()) jobs fail until their engine lands (no engine in this build). Options: \(help)",
                         color: model.enginesAvailable.contains(model.form.kind) ? ui.theme.mutedText : ui.theme.warning, role: .small)
            }

            // Buttons, and the service's message when the input was refused.
            ui.row([.fixed(124), .fixed(104), .flex(1)], height: .fixed(max(ui.theme.rowHeight, Float(errorLines.count) * 18 + 8)))
            let submitLabel = editing ? "Save changes" : "Add job"
            if ui.button(model.isSubmitting ? (editing ? "Saving…###Save changes" : "Adding…###Add job") : submitLabel, style: .primary,
                         enabled: !model.isSubmitting).contains(.pressed) || (entered && !model.isSubmitting) {
                model.submitForm()
            }
            if editing {
                if ui.button("Cancel edit", enabled: !model.isSubmitting).contains(.pressed) { model.cancelEditing() }
            } else {
                _ = ui.nextRect()
            }
            let messageRect = ui.nextRect()
            if !errorLines.isEmpty, let formError = model.formError {
                ui.itemAdd(messageRect, id: 0, label: "error:" + formError.userText, kind: "error")
                for (index, line) in errorLines.enumerated() {
                    ui.drawText(line, in: Rect(x: messageRect.x, y: messageRect.y + 4 + Float(index) * 18, width: messageRect.width, height: 18),
                                color: ui.theme.danger)
                }
            } else {
                ui.drawText(model.form.mode == .every ? "Every: a number with s, m, h or d (at least 1 minute)."
                                : "Cron: minute hour day-of-month month day-of-week, in the time zone given.",
                            in: messageRect, color: ui.theme.mutedText, role: .small)
            }
        }
    }

    func jobsPanel(_ ui: UIContext, in rect: Rect) {
        lastFrameTime = ui.input.time
        refreshRows(now: ui.input.time)
        ui.panel(nil, rect: rect) {
            ui.row([.flex(1), .flex(1), .fixed(84), .fixed(86), .flex(1.2), .fixed(84)])
            let count = model.entries.count
            let title = !model.hasLoaded ? "Jobs (loading…)"
                : rowFilter.isEmpty ? "Jobs (\(count))" : "Jobs (\(jobsTable.rows.count) of \(count))"
            ui.label(title, role: .heading)
            if ui.textField("Filter jobs", text: &rowFilter, placeholder: "Filter by name, kind, trigger, outcome…").contains(.changed) {
                refreshRows(now: ui.input.time)
            }
            // Jobs added elsewhere (`netscouter schedule add`) show up on Reload.
            if ui.button("Reload", enabled: !model.isRefreshing).contains(.pressed) { model.reload() }
            jobsTable.buildExportBar(ui)
            let detailHeight: Float = 22
            let tableRect = Rect(x: ui.remainingRect.x, y: ui.remainingRect.y, width: ui.remainingRect.width,
                                 height: max(0, ui.remainingRect.height - detailHeight - ui.theme.spacing))
            table(ui, in: tableRect)
            let detail = Rect(x: tableRect.x, y: tableRect.maxY + ui.theme.spacing, width: tableRect.width, height: detailHeight)
            ui.drawText(model.detailText(selected: jobsTable.selectedRow, localTime: localTime), in: detail, color: ui.theme.mutedText, role: .small)
        }
    }

    /// Re-sorts and re-filters the jobs when the list was read again (every action re-reads it).
    private func refreshRows(now: Double) {
        let model = model
        jobsTable.update(generation: model.listGeneration, filter: rowFilter, now: now, streaming: false, source: { model.entries })
    }

    func table(_ ui: UIContext, in rect: Rect) {
        jobsTable.build(ui, in: rect) { [model] row, entry in
            let job = entry.job
            let status = model.status(of: entry)
            ui.itemAdd(row.rect, id: 0, label: "job:\(job.id) \(job.name) | \(status.text) | \(job.enabled ? "enabled" : "disabled")", kind: "jobrow",
                       role: .row("job \(job.id)"), value: status.text)
            if ui.recordsItems {
                let key = "job \(job.id)"
                ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Name"), value: job.name)
                ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Enabled"), value: job.enabled ? "Yes" : "No")
                if row.isSelected { ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Selected"), value: "Yes") }
            }
        }
    }

    func deleteDialog(_ ui: UIContext) {
        guard let candidate = deleteCandidate else { return }
        let result = ui.confirmDialog("Delete job", message: "Delete “\(candidate.name)” and its run history? This cannot be undone.",
                                      confirmLabel: "Delete", destructive: true, isPresented: &isDeleteDialogShown)
        switch result {
        case .confirmed:
            deleteCandidate = nil
            if let entry = model.entries.first(where: { $0.job.id == candidate.id }) { model.delete(entry.job) }
        case .cancelled:
            deleteCandidate = nil
        case .none:
            if !isDeleteDialogShown { deleteCandidate = nil }
        }
    }

    // MARK: Export

    /// The columns a jobs export writes (CSV headers, JSON keys), in order.
    public var exportColumns: [ExportColumn] { jobsTable.exportColumns }
}
