import Dispatch
import Export
import Foundation
import UI

/// What an export writes: the number of rows and a builder for the table.
///
/// The caller captures the rows the table shows (an array snapshot: copy-on-write, so O(1) on
/// the UI thread) and the builder turns them into an `ExportTable` on the export worker, so even
/// 100,000 flows never cost the UI thread more than taking the array.
public struct ExportSource: Sendable {
    public var count: Int
    public var makeTable: @Sendable () -> ExportTable

    public init(count: Int, makeTable: @escaping @Sendable () -> ExportTable) {
        self.count = count
        self.makeTable = makeTable
    }
}

/// A format drop-down, a file path field and an Export button for one table. Screens do not
/// make these: a `DataTable` gets one from `enableExport` and draws it.
///
/// The path starts as `<export folder>/netscouter-<table>.<ext>` and follows the format (and the
/// export folder from Settings) until the user edits it. The file is written with
/// `Exporter.write` (atomic replace) by a `BackgroundTask`; the result comes back through the
/// inbox as a toast: "Exported 1,234 flows to /path/file.csv", or the error's message.
///
/// IDs: "Export <table>/Format", "Export <table>/Path", "Export <table>/Export".
public final class ExportBar {
    /// What the rows are ("flows", "hosts", "packets", "jobs"): the file name, the JSON `kind`
    /// and the toast's noun.
    public let table: String
    let singular: String
    public private(set) var format: ExportFormat = .csv
    public var path: String
    /// True once the user typed a path of their own; it then no longer follows the format.
    public private(set) var pathEdited = false
    public var isExporting: Bool { writer.isRunning }
    /// The last result, for the status line and tests.
    public private(set) var lastResult: (message: String, succeeded: Bool)?
    /// The folder default paths go in (already resolved: absolute).
    public var directory: String {
        didSet { if !pathEdited { path = defaultPath } }
    }
    let inbox: UIInbox
    let toasts: ToastCenter

    /// One serial queue for all exports: they are disk-bound, and running them one after the
    /// other keeps two exports to the same file from racing.
    static let queue = DispatchQueue(label: "netscouter.export", qos: .userInitiated)

    struct Job: Sendable {
        let source: ExportSource
        let format: ExportFormat
        let destination: String
    }

    /// Writes one export; a second press while it runs is ignored.
    private let writer: BackgroundTask<Job, Never, Int>

    public init(table: String, singular: String, directory: String, inbox: UIInbox, toasts: ToastCenter) {
        self.table = table
        self.singular = singular
        self.directory = directory
        self.inbox = inbox
        self.toasts = toasts
        let kind = table
        writer = BackgroundTask("export-\(table)", policy: .ignoreWhileRunning, queue: Self.queue, inbox: inbox, toasts: nil) { job, _ in
            try Exporter.write(job.source.makeTable(), format: job.format, to: job.destination, kind: kind)
        }
        path = ""
        path = defaultPath
    }

    public var defaultPath: String {
        let name = "netscouter-\(table).\(format.fileExtension)"
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    public static let formatTitles = ExportFormat.allCases.map { $0.rawValue.uppercased() }

    public func setFormat(_ newFormat: ExportFormat) {
        format = newFormat
        if !pathEdited { path = defaultPath }
    }

    static let home = FileManager.default.homeDirectoryForCurrentUser.path

    /// The export folder a setting names: empty means the home directory, "~" is expanded.
    public static func resolveDirectory(_ setting: String) -> String {
        let home = Self.home
        let trimmed = setting.trimmingCharacters(in: " ")
        if trimmed.isEmpty { return home }
        return expandingTilde(trimmed, home: home)
    }

    static func expandingTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }

    /// The file the next export writes: "~" expanded, a relative path taken inside `directory`.
    public var resolvedPath: String {
        let trimmed = path.trimmingCharacters(in: " ")
        guard !trimmed.isEmpty else { return "" }
        let expanded = Self.expandingTilde(trimmed, home: Self.home)
        if expanded.hasPrefix("/") { return expanded }
        return directory.hasSuffix("/") ? directory + expanded : directory + "/" + expanded
    }

    // MARK: Frame

    /// Draws the bar into the next three cells of the current row (format, path, button).
    /// `source` is called only when Export is pressed.
    public func build(_ ui: UIContext, source: () -> ExportSource) {
        ui.withID("Export \(table)") {
            var selection = ExportFormat.allCases.firstIndex(of: format) ?? 0
            if ui.dropdown("Format", options: Self.formatTitles, selection: &selection).contains(.changed) {
                setFormat(ExportFormat.allCases[selection])
            }
            var text = path
            let field = ui.textField("Path", text: &text, placeholder: "File to export to, e.g. ~/\(table).csv")
            if field.contains(.changed) {
                path = text
                pathEdited = text != defaultPath
            }
            let button = ui.button("Export", enabled: !isExporting && !resolvedPath.isEmpty)
            if button.contains(.hovered) {
                ui.showTooltip(isExporting ? "Exporting…" : "Write the \(table) shown, sorted and filtered as shown, to \(resolvedPath) as \(format.rawValue.uppercased())")
            }
            if button.contains(.pressed) || (field.contains(.submitted) && !isExporting) { export(source()) }
        }
    }

    // MARK: Exporting

    /// Starts writing `source` to `resolvedPath` in `format` on the export queue.
    public func export(_ source: ExportSource) {
        guard !isExporting else { return }
        let destination = resolvedPath
        guard !destination.isEmpty else {
            finish("Enter a file path to export the \(table) to.", succeeded: false)
            return
        }
        writer.start(Job(source: source, format: format, destination: destination)) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(count):
                finish("Exported \(groupedNumber(count)) \(count == 1 ? singular : table) to \(destination)", succeeded: true)
            case let .failure(error):
                finish(error.userText, succeeded: false)
            case .cancelled: break
            }
            return .shown
        }
    }

    private func finish(_ message: String, succeeded: Bool) {
        lastResult = (message, succeeded)
        toasts.post(message, kind: succeeded ? .success : .error)
    }
}
