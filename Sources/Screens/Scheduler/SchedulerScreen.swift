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
    public let exportBar: ExportBar
    var deleteCandidate: (id: Int64, name: String)?
    var isDeleteDialogShown = false
    private let timeFormatter: DateFormatter

    public init(model: SchedulerModel, inbox: UIInbox, toasts: ToastCenter, exportDirectory: String = "") {
        self.model = model
        self.exportDirectory = exportDirectory
        exportBar = ExportBar(table: "jobs", singular: "job", directory: ExportBar.resolveDirectory(exportDirectory), inbox: inbox, toasts: toasts)
        timeFormatter = DateFormatter()
        timeFormatter.locale = Locale(identifier: "en_US_POSIX")
        timeFormatter.timeZone = .current
        timeFormatter.dateFormat = "yyyy-MM-dd HH:mm"
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

    public var hasPendingWork: Bool { model.hasPendingWork || exportBar.isExporting }
    public var hasLongRunningWork: Bool { model.hasRunsInFlight }

    public func apply(_ settings: AppSettings) { exportDirectory = settings.exportDirectory }

    public var exportDirectory: String = "" {
        didSet { exportBar.directory = ExportBar.resolveDirectory(exportDirectory) }
    }

    // Read by tests and the shell.
    public var rows: [JobListEntry] { model.rows }
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
        ui.panel(nil, rect: rect) {
            ui.row([.flex(1), .fixed(84), .fixed(86), .flex(1.2), .fixed(84)])
            let title = model.hasLoaded ? "Jobs (\(model.rows.count))" : "Jobs (loading…)"
            ui.label(title, role: .heading)
            // Jobs added elsewhere (`netscouter schedule add`) show up on Reload.
            if ui.button("Reload", enabled: !model.isRefreshing).contains(.pressed) { model.reload() }
            let shown = model.rows
            exportBar.build(ui) {
                ExportSource(count: shown.count) { Self.exportTable(shown) }
            }
            let detailHeight: Float = 22
            let tableRect = Rect(x: ui.remainingRect.x, y: ui.remainingRect.y, width: ui.remainingRect.width,
                                 height: max(0, ui.remainingRect.height - detailHeight - ui.theme.spacing))
            table(ui, in: tableRect)
            let detail = Rect(x: tableRect.x, y: tableRect.maxY + ui.theme.spacing, width: tableRect.width, height: detailHeight)
            ui.drawText(model.detailText(localTime: localTime), in: detail, color: ui.theme.mutedText, role: .small)
        }
    }

    func table(_ ui: UIContext, in rect: Rect) {
        var sort = model.sort
        var selection = model.selection
        let shown = model.rows
        ui.table("Jobs", columns: Self.columns, rowCount: shown.count, sort: &sort, selection: &selection, rect: rect) { row in
            let entry = shown[row.index]
            let job = entry.job
            let status = model.status(of: entry)
            ui.itemAdd(row.rect, id: 0, label: "job:\(job.id) \(job.name) | \(status.text) | \(job.enabled ? "enabled" : "disabled")", kind: "jobrow", role: .row("job \(job.id)"), value: status.text)
            if ui.recordsItems {
                let key = "job \(job.id)"
                ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Name"), value: job.name)
                ui.itemAdd(row.rect, id: 0, label: key, kind: "jobcell", role: .cell(key, "Enabled"), value: job.enabled ? "Yes" : "No")
            }
            row.text(0, job.name)
            row.text(1, job.kind.title, color: model.enginesAvailable.contains(job.kind) ? nil : ui.theme.mutedText)
            row.text(2, job.trigger.description)
            row.text(3, job.enabled ? localTime(entry.nextRun) : "—", color: job.enabled ? nil : ui.theme.mutedText)
            row.text(4, localTime(entry.lastRun?.startedAt ?? job.lastRunAt))
            row.text(5, status.text, color: color(status, ui.theme))
            row.text(6, job.enabled ? "Yes" : "No", color: job.enabled ? nil : ui.theme.mutedText)
            let busy = status == .running || status == .queued
            if row.button(7, "Run now##\(job.id)", enabled: !busy) { model.runNow(job) }
            if row.button(8, (job.enabled ? "Disable" : "Enable") + "##\(job.id)") { model.setEnabled(job, !job.enabled) }
            if row.button(9, "Edit##\(job.id)") { model.startEditing(job) }
            if row.button(10, "Delete##\(job.id)", style: .danger) {
                deleteCandidate = (job.id, job.name)
                isDeleteDialogShown = true
            }
        }
        model.sort = sort
        model.selection = selection
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
