/// Writes tables as RFC 4180 CSV: UTF-8, CRLF after every record (the last one too), fields
/// quoted when they contain a comma, a double quote, CR or LF, with embedded quotes doubled.
///
/// Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`,
/// `-` or `@` as a formula, and TAB or CR at the start can hide such a cell's real start. Every
/// *string* cell (and header) that starts with one of those six characters is prefixed with a
/// single quote `'`, which spreadsheets show as text and do not evaluate. Number cells
/// (`.integer`, `.unsigned`, `.double`) are never touched, so `-12` stays a number; that is why
/// builders must put numbers in number cells, not in strings. The quote is visible to programs
/// reading the file; turn `neutralizesFormulas` off for files meant only for programs.
public struct CSVWriter: Sendable {
    public enum Header: Sendable {
        /// Column titles, for people (the default).
        case titles
        /// Column keys, the same names JSON uses, for programs.
        case keys
        case none
    }

    public var header: Header
    /// Starts the file with U+FEFF. Excel on Windows needs it to read UTF-8 (otherwise it guesses
    /// a legacy code page and mangles "Zürich"); most other tools prefer the file without it.
    public var byteOrderMark: Bool
    public var neutralizesFormulas: Bool

    public init(header: Header = .titles, byteOrderMark: Bool = false, neutralizesFormulas: Bool = true) {
        self.header = header
        self.byteOrderMark = byteOrderMark
        self.neutralizesFormulas = neutralizesFormulas
    }

    /// Streams the table into `sink` one record at a time.
    public func write(_ table: ExportTable, to sink: some ExportSink) throws(ExportError) {
        if byteOrderMark { try sink.write("\u{FEFF}") }
        if let headerRecord = headerRecord(table.columns) { try sink.write(headerRecord) }
        for row in table.rows { try sink.write(record(row)) }
    }

    /// The whole file as one string (for the clipboard and small tables).
    public func string(for table: ExportTable) -> String {
        let sink = MemorySink()
        // A MemorySink never fails.
        try? write(table, to: sink)
        return sink.text
    }

    /// The header record with its CRLF, or nil for `.none`.
    public func headerRecord(_ columns: [ExportColumn]) -> String? {
        switch header {
        case .titles: record(columns.map { .string($0.title) })
        case .keys: record(columns.map { .string($0.key) })
        case .none: nil
        }
    }

    /// One record, CRLF included.
    public func record(_ cells: [ExportValue]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { line += "," }
            line += Self.quoted(fieldText(cell))
        }
        line += "\r\n"
        return line
    }

    /// A cell's text before quoting, neutralised when it is text that could run as a formula.
    public func fieldText(_ cell: ExportValue) -> String {
        let text = Self.plainText(cell)
        return neutralizesFormulas && Self.isTextual(cell) ? Self.neutralized(text) : text
    }

    /// A cell's text: numbers as Swift prints them (shortest round-trip form for doubles),
    /// booleans as true/false, null as nothing, arrays joined with "; ".
    public static func plainText(_ cell: ExportValue) -> String {
        switch cell {
        case let .string(text): text
        case let .integer(value): String(value)
        case let .unsigned(value): String(value)
        case let .double(value): value.description
        case let .bool(value): value ? "true" : "false"
        case .null: ""
        case let .array(elements): elements.map(plainText).joined(separator: "; ")
        }
    }

    /// Whether a cell's text comes from a string, so a leading `-` or `+` is not a number's sign.
    /// An array's text starts with its first element's, so the first element decides.
    static func isTextual(_ cell: ExportValue) -> Bool {
        switch cell {
        case .string: true
        case let .array(elements): elements.first.map(isTextual) ?? false
        case .integer, .unsigned, .double, .bool, .null: false
        }
    }

    /// `text` with a `'` in front when it starts with =, +, -, @, TAB or CR.
    public static func neutralized(_ text: String) -> String {
        guard let first = text.utf8.first else { return text }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: return "'" + text
        default: return text
        }
    }

    /// `text` as an RFC 4180 field: unchanged unless it contains a comma, a double quote, CR or LF;
    /// then wrapped in double quotes with each embedded double quote doubled.
    public static func quoted(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        guard needsQuotes else { return text }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            if scalar == "\"" { result += "\"\"" } else { result.unicodeScalars.append(scalar) }
        }
        result += "\""
        return result
    }
}
