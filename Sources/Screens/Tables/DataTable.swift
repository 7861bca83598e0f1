import Export
import Store
import UI

/// One column of a `DataTable`, declared once: the same value draws the header and the cells,
/// sorts, filters and exports, so reordering columns cannot split a title from its comparator.
///
/// Most columns are shown and exported. Two kinds are not both:
/// - `DataColumn.control(...)`: shown only (buttons such as "Run now"): never sorted, searched
///   or exported.
/// - `DataColumn.exportOnly(...)`: a field the file carries but the screen has no room for
///   (an ID, raw options); it is exported in its declared position among the exported columns.
public struct DataColumn<Row> {
    public var title: String
    public var width: Float
    public var minimumWidth: Float
    public var alignment: TextAlignment
    /// The cell text; also what the row filter searches.
    public var text: (Row) -> String
    /// The sort order; nil makes the column unsortable.
    public var less: ((Row, Row) -> Bool)?
    /// The rows' indices in ascending (true) or descending order, from keys computed once per
    /// row (`sortKey:`); when set, tables sort with it instead of calling `less` per comparison.
    public var sortedIndices: (([Row], Bool) -> [Int])?
    /// The exported field (`key` for JSON, `title` for CSV) and its typed value.
    public var exportColumn: ExportColumn
    public var export: (Row) -> ExportValue
    /// A cell colour other than the theme's text colour.
    public var color: ((Row, Theme) -> Color?)?
    /// Draws the cell itself instead of `text` (given the row and the cell's column index).
    public var draw: ((TableRow, Int, Row) -> Void)?
    /// Whether the column is drawn; false for `exportOnly` columns.
    public var isShown = true
    /// Whether the column is written by exports; false for `control` columns.
    public var isExported = true

    /// `exportKey` (JSON field) defaults to the title in snake case, `exportTitle` (CSV header)
    /// to the title; `export` defaults to the cell text.
    public init(_ title: String, width: Float, minimumWidth: Float = 40, alignment: TextAlignment = .left,
                exportKey: String? = nil, exportTitle: String? = nil,
                text: @escaping (Row) -> String, less: ((Row, Row) -> Bool)? = nil,
                export: ((Row) -> ExportValue)? = nil, color: ((Row, Theme) -> Color?)? = nil) {
        self.title = title
        self.width = width
        self.minimumWidth = minimumWidth
        self.alignment = alignment
        self.text = text
        self.less = less
        self.exportColumn = ExportColumn(exportKey ?? Self.snakeCase(exportTitle ?? title), title: exportTitle ?? title)
        self.export = export ?? { .string(text($0)) }
        self.color = color
    }

    /// A sort order from a comparable property.
    public init<Value: Comparable>(_ title: String, width: Float, minimumWidth: Float = 40, alignment: TextAlignment = .left,
                                   exportKey: String? = nil, exportTitle: String? = nil,
                                   text: @escaping (Row) -> String, sortBy value: @escaping (Row) -> Value,
                                   export: ((Row) -> ExportValue)? = nil, color: ((Row, Theme) -> Color?)? = nil) {
        self.init(title, width: width, minimumWidth: minimumWidth, alignment: alignment, exportKey: exportKey, exportTitle: exportTitle,
                  text: text, less: { value($0) < value($1) }, export: export, color: color)
    }

    /// A sort order from a value that costs a lookup (a locked dictionary, the offline location
    /// data, a model): a sort computes it once per row instead of twice per comparison
    /// (100,000 rows: about 3.4 million comparisons).
    public init<Value: Comparable>(_ title: String, width: Float, minimumWidth: Float = 40, alignment: TextAlignment = .left,
                                   exportKey: String? = nil, exportTitle: String? = nil,
                                   text: @escaping (Row) -> String, sortKey value: @escaping (Row) -> Value,
                                   export: ((Row) -> ExportValue)? = nil, color: ((Row, Theme) -> Color?)? = nil) {
        self.init(title, width: width, minimumWidth: minimumWidth, alignment: alignment, exportKey: exportKey, exportTitle: exportTitle,
                  text: text, less: { value($0) < value($1) }, export: export, color: color)
        sortedIndices = { rows, ascending in
            let keys = rows.map(value)
            return ascending ? keys.indices.sorted { keys[$0] < keys[$1] } : keys.indices.sorted { keys[$1] < keys[$0] }
        }
    }

    /// The same with the keys of all rows computed at once (`sortKeys(rows)[i]` is row i's key):
    /// for values read under a lock, taken once for the whole table.
    public init<Value: Comparable>(_ title: String, width: Float, minimumWidth: Float = 40, alignment: TextAlignment = .left,
                                   exportKey: String? = nil, exportTitle: String? = nil,
                                   text: @escaping (Row) -> String, sortKey value: @escaping (Row) -> Value,
                                   sortKeys values: @escaping ([Row]) -> [Value],
                                   export: ((Row) -> ExportValue)? = nil, color: ((Row, Theme) -> Color?)? = nil) {
        self.init(title, width: width, minimumWidth: minimumWidth, alignment: alignment, exportKey: exportKey, exportTitle: exportTitle,
                  text: text, less: { value($0) < value($1) }, export: export, color: color)
        sortedIndices = { rows, ascending in
            let keys = values(rows)
            return ascending ? keys.indices.sorted { keys[$0] < keys[$1] } : keys.indices.sorted { keys[$1] < keys[$0] }
        }
    }

    /// A column of controls (buttons) drawn by `draw(row, column, item)`, e.g.
    /// `row.button(column, "Block##\(item.id)")`. Not sorted, filtered or exported.
    public static func control(_ title: String, width: Float, minimumWidth: Float = 40,
                               draw: @escaping (TableRow, Int, Row) -> Void) -> DataColumn {
        var column = DataColumn(title, width: width, minimumWidth: minimumWidth, text: { _ in "" })
        column.draw = draw
        column.isExported = false
        return column
    }

    /// An empty column that takes the width left over, so the last real column keeps its width.
    public static func spacer() -> DataColumn {
        var column = DataColumn("", width: 10, minimumWidth: 0, text: { _ in "" })
        column.isExported = false
        return column
    }

    /// A field only exports carry (`title` is the CSV header).
    public static func exportOnly(_ title: String, key: String? = nil, export: @escaping (Row) -> ExportValue) -> DataColumn {
        var column = DataColumn(title, width: 0, exportKey: key, text: { _ in "" }, export: export)
        column.isShown = false
        return column
    }

    static func snakeCase(_ title: String) -> String {
        var key = ""
        for character in title.lowercased() {
            if character.isLetter || character.isNumber { key.append(character) } else if !key.hasSuffix("_") && !key.isEmpty { key.append("_") }
        }
        while key.hasSuffix("_") { key.removeLast() }
        return key
    }
}

/// Which column sorts the table, by title: it follows its column wherever the column moves.
public struct DataSort: Equatable, Sendable {
    public var column: String
    public var ascending: Bool
    public init(column: String, ascending: Bool) {
        self.column = column
        self.ascending = ascending
    }
}

/// Where a table's export bar goes.
public enum ExportBarPlacement: Sendable {
    /// In a row of its own above the table, drawn by `build` (the usual choice).
    case aboveTable
    /// Wherever the screen calls `buildExportBar` (a toolbar it shares with other controls).
    case manual
}

/// A sortable, filterable, exportable table of `Row`s, selected by row key.
///
/// It owns the sorted and filtered rows (rebuilt only when the sort, the filter or the data
/// changed, see `RowCache`), the selection as a key (so a refresh, a re-sort or rows streaming in
/// keep the same item selected, and rows of another capture select nothing), keyboard navigation
/// and sideways scrolling (`UIContext.table`), and the export of exactly the rows and values
/// shown.
///
/// A new tab's table, in full:
///
///     let results = DataTable<ScanResult, Int>("Results", columns: [
///         DataColumn("Port", width: 70, alignment: .right, text: { "\($0.port)" }, sortBy: { $0.port }, export: { .number($0.port) }),
///         DataColumn("State", width: 90, text: { $0.state.description }, sortBy: { $0.state.rawValue }),
///     ], key: \.port, sort: DataSort(column: "Port", ascending: true))
///     results.enableExport("ports", singular: "port", inbox: environment.inbox, toasts: environment.toasts)
///     // every frame:
///     results.update(generation: model.generation, filter: filterText, now: ui.input.time, source: { model.results })
///     results.build(ui, in: rect)            // the export bar, then the table
///     // in the screen: hasPendingWork includes results.isExporting; apply(settings) calls results.apply(settings)
public final class DataTable<Row, Key: Hashable> {
    public let label: String
    public var columns: [DataColumn<Row>] {
        didSet {
            shownColumns = columns.filter(\.isShown)
            cache.invalidate()
        }
    }
    /// The columns drawn, in order (the ones `exportOnly` left out).
    public private(set) var shownColumns: [DataColumn<Row>]
    public let key: (Row) -> Key
    public var sort: DataSort?
    public var selectedKey: Key?
    private let cache = RowCache<Row>()
    private var indexByKey: [Key: Int] = [:]
    private var indexedRebuild = -1
    /// The rows in view at the last frame (for tests and the "Flow → packets" hand-off).
    public private(set) var visibleRows: Range<Int> = 0..<0

    public init(_ label: String, columns: [DataColumn<Row>], key: @escaping (Row) -> Key, sort: DataSort? = nil) {
        self.label = label
        self.columns = columns
        shownColumns = columns.filter(\.isShown)
        self.key = key
        self.sort = sort
    }

    /// The rows as shown: filtered and sorted.
    public var rows: [Row] { cache.rows }
    public var refreshInterval: Double {
        get { cache.refreshInterval }
        set { cache.refreshInterval = newValue }
    }
    public var rebuildCount: Int { cache.rebuildCount }

    /// The shown index of the selected row, if it is shown.
    public var selectedIndex: Int? {
        guard let selectedKey else { return nil }
        reindexIfNeeded()
        return indexByKey[selectedKey]
    }

    public var selectedRow: Row? { selectedIndex.map { rows[$0] } }

    /// The column index `sort` names in the current order of the shown columns.
    var tableSort: TableSort? {
        guard let sort, let index = shownColumns.firstIndex(where: { $0.title == sort.column }) else { return nil }
        return TableSort(column: index, ascending: sort.ascending)
    }

    /// Rebuilds the shown rows when stale. `matches` replaces the default filter (any shown
    /// cell's text contains the lower-cased needle).
    public func update(generation: Int, filter: String, now: Double, streaming: Bool = true, source: () -> [Row],
                       matches: ((Row, String) -> Bool)? = nil) {
        let columns = shownColumns
        let sortColumn = tableSort
        cache.update(generation: generation, sort: sortColumn, filter: filter, now: now, streaming: streaming, source: source,
                     matches: matches ?? { row, needle in columns.contains { $0.text(row).lowercased().contains(needle) } },
                     less: { a, b, index in columns[index].less?(a, b) ?? false },
                     sortedIndices: { rows, sort in columns[sort.column].sortedIndices?(rows, sort.ascending) })
    }

    /// A new source (another file, another capture): the old rows and selection no longer apply.
    public func reset() {
        cache.invalidate()
        selectedKey = nil
    }

    public func invalidate() { cache.invalidate() }

    private func reindexIfNeeded() {
        guard indexedRebuild != cache.rebuildCount else { return }
        indexByKey.removeAll(keepingCapacity: true)
        for (index, row) in cache.rows.enumerated() { indexByKey[key(row)] = index }
        indexedRebuild = cache.rebuildCount
    }

    /// Draws the export bar (with `.aboveTable` placement) and the table into `rect`; `.changed`
    /// when the selection moved, `.submitted` on Enter or a double click. `cell` runs once per
    /// drawn row after its columns (extra drawing, harness records).
    @discardableResult
    public func build(_ ui: UIContext, in rect: Rect, cell: ((TableRow, Row) -> Void)? = nil) -> Interaction {
        var tableRect = rect
        if exportBar != nil, exportPlacement == .aboveTable {
            let parts = ui.rows(rect, [.fixed(ui.theme.rowHeight), .flex(1)])
            tableRect = parts[1]
            ui.group(parts[0]) {
                ui.row([.flex(1), .fixed(86), .flex(1.3), .fixed(84)])
                let count = groupedNumber(cache.rows.count)
                ui.label(exportNoun.map { "\(count) \(cache.rows.count == 1 ? $0.singular : $0.plural)" } ?? count, color: ui.theme.mutedText)
                buildExportBar(ui)
            }
        }
        let rows = cache.rows
        let columns = shownColumns
        var tableSort = tableSort
        var selection = selectedIndex
        let before = tableSort
        var first = Int.max, last = -1
        let theme = ui.theme
        let result = ui.table(label, columns: columns.map { TableColumn($0.title, width: $0.width, minimumWidth: $0.minimumWidth, alignment: $0.alignment, sortable: $0.less != nil) },
                              rowCount: rows.count, sort: &tableSort, selection: &selection, rect: tableRect) { tableRow in
            let row = rows[tableRow.index]
            first = min(first, tableRow.index)
            last = max(last, tableRow.index)
            for (index, column) in columns.enumerated() {
                if let draw = column.draw {
                    draw(tableRow, index, row)
                } else {
                    tableRow.text(index, column.text(row), color: column.color?(row, theme))
                }
            }
            cell?(tableRow, row)
        }
        visibleRows = last >= first ? first..<(last + 1) : 0..<0
        if tableSort != before, let tableSort {
            sort = DataSort(column: columns[tableSort.column].title, ascending: tableSort.ascending)
        }
        if let selection, rows.indices.contains(selection) {
            selectedKey = key(rows[selection])
        }
        return result
    }

    // MARK: Export

    /// The exported columns, in declared order (shown ones and `exportOnly` ones; no controls).
    public var exportColumns: [ExportColumn] { columns.filter(\.isExported).map(\.exportColumn) }

    /// The rows shown, with the exported columns, in the order shown.
    public func exportTable(_ rows: [Row]? = nil) -> ExportTable {
        let columns = columns.filter(\.isExported)
        return ExportTable(columns: columns.map(\.exportColumn), rows: rows ?? cache.rows) { row in columns.map { $0.export(row) } }
    }

    /// What the export bar writes: a snapshot of the shown rows, turned into a table on the worker.
    public func exportSource() -> ExportSource where Row: Sendable {
        let rows = cache.rows
        let columns = UncheckedColumns(columns: columns.filter(\.isExported))
        return ExportSource(count: rows.count) {
            ExportTable(columns: columns.columns.map(\.exportColumn), rows: rows) { row in columns.columns.map { $0.export(row) } }
        }
    }

    /// The table's export bar, once `enableExport` gave it one.
    public private(set) var exportBar: ExportBar?
    public private(set) var exportPlacement = ExportBarPlacement.aboveTable
    private var exportNoun: (plural: String, singular: String)?
    private var makeExportSource: (() -> ExportSource)?

    /// Gives the table an export bar: a format drop-down (CSV, JSON, NDJSON), a path and an
    /// Export button that writes exactly the rows shown, filtered and sorted, on a worker, and
    /// reports in a toast ("Exported 12 ports to …"). `noun` names the rows (file name
    /// `netscouter-<noun>.<ext>`, JSON `kind`, IDs "Export <noun>/Format|Path|Export").
    ///
    /// By default the file has the exported columns' values; `records` replaces that with a
    /// record format shared with the command line (`TrafficExports.flows`), built on the worker.
    /// `directory` is the Settings export folder (empty: home); keep it current with `apply`.
    public func enableExport(_ noun: String, singular: String, inbox: UIInbox, toasts: ToastCenter, directory: String = "",
                             placement: ExportBarPlacement = .aboveTable,
                             records: (@Sendable ([Row]) -> ExportTable)? = nil) where Row: Sendable {
        exportBar = ExportBar(table: noun, singular: singular, directory: ExportBar.resolveDirectory(directory), inbox: inbox, toasts: toasts)
        exportPlacement = placement
        exportNoun = (noun, singular)
        makeExportSource = { [unowned self] in
            guard let records else { return exportSource() }
            let rows = cache.rows
            return ExportSource(count: rows.count) { records(rows) }
        }
    }

    /// `records` (a record format shared with the command line) followed by the exported values
    /// of this table's columns titled `titles`, for `enableExport(records:)`: what the window
    /// shows beside the shared fields (the Intel columns: consensus, country, AS) reaches the
    /// file too, while the command line's format stays as it is. Columns are taken now; the
    /// values are read on the export worker.
    public func records(_ records: @escaping @Sendable ([Row]) -> ExportTable, adding titles: [String]) -> @Sendable ([Row]) -> ExportTable
    where Row: Sendable {
        let added = UncheckedColumns(columns: titles.compactMap { title in columns.first { $0.title == title && $0.isExported } })
        guard !added.columns.isEmpty else { return records }
        return { rows in
            let base = records(rows)
            return ExportTable(columns: base.columns + added.columns.map(\.exportColumn), rows: zip(base.rows, rows)) { pair in
                pair.0 + added.columns.map { $0.export(pair.1) }
            }
        }
    }

    /// True while an export started from this table has not reported back (a screen's
    /// `hasPendingWork` includes it, so the result shows without waiting for input).
    public var isExporting: Bool { exportBar?.isExporting ?? false }

    /// The export folder from Settings (empty: the home directory; "~" allowed).
    public func setExportDirectory(_ setting: String) {
        exportBar?.directory = ExportBar.resolveDirectory(setting)
    }

    /// Takes the settings a table uses (the export folder).
    public func apply(_ settings: AppSettings) { setExportDirectory(settings.exportDirectory) }

    /// Draws the export bar into the next three cells of the current layout row (format, path,
    /// button); for `.manual` placement. Does nothing without `enableExport`.
    public func buildExportBar(_ ui: UIContext) {
        guard let exportBar, let makeExportSource else { return }
        exportBar.build(ui, source: makeExportSource)
    }
}
/// Columns are plain closures over immutable row values; the export worker only calls them.
private struct UncheckedColumns<Row>: @unchecked Sendable {
    let columns: [DataColumn<Row>]
}
