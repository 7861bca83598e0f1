import Export
import UI

/// One column of a `DataTable`, declared once: the same value draws the header and the cells,
/// sorts, filters and exports, so reordering columns cannot split a title from its comparator.
public struct DataColumn<Row> {
    public var title: String
    public var width: Float
    public var alignment: TextAlignment
    /// The cell text; also what the row filter searches.
    public var text: (Row) -> String
    /// The sort order; nil makes the column unsortable.
    public var less: ((Row, Row) -> Bool)?
    /// The exported field (`key` for JSON, `title` for CSV) and its typed value.
    public var exportColumn: ExportColumn
    public var export: (Row) -> ExportValue
    /// A cell colour other than the theme's text colour.
    public var color: ((Row, Theme) -> Color?)?

    public init(_ title: String, width: Float, alignment: TextAlignment = .left, exportKey: String? = nil,
                text: @escaping (Row) -> String, less: ((Row, Row) -> Bool)? = nil,
                export: ((Row) -> ExportValue)? = nil, color: ((Row, Theme) -> Color?)? = nil) {
        self.title = title
        self.width = width
        self.alignment = alignment
        self.text = text
        self.less = less
        self.exportColumn = ExportColumn(exportKey ?? Self.snakeCase(title), title: title)
        self.export = export ?? { .string(text($0)) }
        self.color = color
    }

    /// A sort order from a comparable property.
    public init<Value: Comparable>(_ title: String, width: Float, alignment: TextAlignment = .left, exportKey: String? = nil,
                                   text: @escaping (Row) -> String, sortBy value: @escaping (Row) -> Value,
                                   export: ((Row) -> ExportValue)? = nil, color: ((Row, Theme) -> Color?)? = nil) {
        self.init(title, width: width, alignment: alignment, exportKey: exportKey, text: text,
                  less: { value($0) < value($1) }, export: export, color: color)
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

/// A sortable, filterable, exportable table of `Row`s, selected by row key.
///
/// It owns the sorted and filtered rows (rebuilt only when the sort, the filter or the data
/// changed, see `RowCache`), the selection as a key (so a refresh, a re-sort or rows streaming in
/// keep the same item selected, and rows of another capture select nothing), and the export of
/// exactly the rows and values shown.
public final class DataTable<Row, Key: Hashable> {
    public let label: String
    public var columns: [DataColumn<Row>] {
        didSet { cache.invalidate() }
    }
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

    /// The column index `sort` names in the current column order.
    var tableSort: TableSort? {
        guard let sort, let index = columns.firstIndex(where: { $0.title == sort.column }) else { return nil }
        return TableSort(column: index, ascending: sort.ascending)
    }

    /// Rebuilds the shown rows when stale. `matches` replaces the default filter (any cell's text
    /// contains the lower-cased needle).
    public func update(generation: Int, filter: String, now: Double, streaming: Bool = true, source: () -> [Row],
                       matches: ((Row, String) -> Bool)? = nil) {
        let columns = columns
        let sortColumn = tableSort
        cache.update(generation: generation, sort: sortColumn, filter: filter, now: now, streaming: streaming, source: source,
                     matches: matches ?? { row, needle in columns.contains { $0.text(row).lowercased().contains(needle) } },
                     less: { a, b, index in columns[index].less?(a, b) ?? false })
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

    /// Draws the table; `.changed` when the selection moved, `.submitted` on Enter or a double click.
    @discardableResult
    public func build(_ ui: UIContext, in rect: Rect, cell: ((TableRow, Row) -> Void)? = nil) -> Interaction {
        let rows = cache.rows
        let columns = columns
        var tableSort = tableSort
        var selection = selectedIndex
        let before = tableSort
        var first = Int.max, last = -1
        let theme = ui.theme
        let result = ui.table(label, columns: columns.map { TableColumn($0.title, width: $0.width, alignment: $0.alignment, sortable: $0.less != nil) },
                              rowCount: rows.count, sort: &tableSort, selection: &selection, rect: rect) { tableRow in
            let row = rows[tableRow.index]
            first = min(first, tableRow.index)
            last = max(last, tableRow.index)
            for (index, column) in columns.enumerated() {
                tableRow.text(index, column.text(row), color: column.color?(row, theme))
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

    /// The rows shown, with the columns shown, in the order shown.
    public func exportTable(_ rows: [Row]? = nil) -> ExportTable {
        let columns = columns
        return ExportTable(columns: columns.map(\.exportColumn), rows: rows ?? cache.rows) { row in columns.map { $0.export(row) } }
    }

    /// What the export bar writes: a snapshot of the shown rows, turned into a table on the worker.
    public func exportSource() -> ExportSource where Row: Sendable {
        let rows = cache.rows
        let columns = UncheckedColumns(columns: columns)
        return ExportSource(count: rows.count) {
            ExportTable(columns: columns.columns.map(\.exportColumn), rows: rows) { row in columns.columns.map { $0.export(row) } }
        }
    }
}

/// Columns are plain closures over immutable row values; the export worker only calls them.
private struct UncheckedColumns<Row>: @unchecked Sendable {
    let columns: [DataColumn<Row>]
}
