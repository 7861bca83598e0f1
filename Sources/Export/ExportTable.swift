/// One column of an export. `key` names the field in JSON and NDJSON records (snake_case, stable,
/// for programs); `title` heads the column in CSV (for people reading a spreadsheet).
public struct ExportColumn: Sendable, Equatable {
    public var key: String
    public var title: String

    public init(_ key: String, title: String? = nil) {
        self.key = key
        self.title = title ?? key
    }
}

/// One cell. Typed, so JSON keeps numbers as numbers and booleans as booleans, and so CSV can tell
/// a negative number (left alone) from text that merely starts with "-" (neutralised).
public enum ExportValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case bool(Bool)
    /// No value: an empty CSV field, JSON `null`.
    case null
    /// A list: a JSON array, or in CSV the elements joined with "; ".
    case array([ExportValue])

    /// `.string(text)`, or `.null` when there is no text.
    public static func text(_ text: String?) -> ExportValue { text.map(ExportValue.string) ?? .null }

    /// `.unsigned(value)` for any unsigned integer width.
    public static func number(_ value: some UnsignedInteger) -> ExportValue { .unsigned(UInt64(value)) }

    /// `.integer(value)` for any signed integer width.
    public static func number(_ value: some SignedInteger) -> ExportValue { .integer(Int64(value)) }
}

extension ExportValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: ExportValue...) { self = .array(elements) }
}

/// A format-neutral table: CSV, JSON and NDJSON are all written from this one model, so the three
/// exports of a screen always hold the same rows and columns.
public struct ExportTable: Sendable, Equatable {
    public let columns: [ExportColumn]
    /// Each row has exactly one cell per column, in column order.
    public private(set) var rows: [[ExportValue]]

    public init(columns: [ExportColumn], rows: [[ExportValue]] = []) {
        self.columns = columns
        self.rows = []
        self.rows.reserveCapacity(rows.count)
        for row in rows { append(row) }
    }

    /// Builds one row per element, in the sequence's order.
    public init<Element>(columns: [ExportColumn], rows elements: some Sequence<Element>, row makeRow: (Element) -> [ExportValue]) {
        self.init(columns: columns)
        rows.reserveCapacity(elements.underestimatedCount)
        for element in elements { append(makeRow(element)) }
    }

    /// Appends a row. A row with the wrong number of cells is a programming error, not bad data.
    public mutating func append(_ row: [ExportValue]) {
        precondition(row.count == columns.count, "an export row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    public mutating func reserveCapacity(_ count: Int) { rows.reserveCapacity(count) }

    public var count: Int { rows.count }
}
