/// Writes a table as one JSON document with a small envelope:
///
/// ```
/// {"exportedAt":"2024-05-01T12:00:00.000Z","kind":"flows","count":2,"columns":["protocol",…],"records":[
/// {"protocol":"TCP",…},
/// {"protocol":"UDP",…}
/// ]}
/// ```
///
/// - `exportedAt`: when the export was made, ISO 8601 UTC with milliseconds.
/// - `kind`: what the records are ("flows", "hosts", "packets", …), so a file explains itself.
/// - `count`: the number of records, so a reader can check the file is complete.
/// - `columns`: the record keys in column order (JSON objects are unordered, and an empty export
///   still says what it would have held).
/// - `records`: one object per row, keys in column order.
/// - `complete` and `error` (only for exports read from a capture file, before `records`):
///   `"complete": false` and the reason when the file could not be read to its end, so the
///   records cover only the packets before the damage; `"complete": true` otherwise.
///
/// One record per line keeps the document valid JSON while making files diff line by line.
public struct JSONExport: Sendable {
    public init() {}

    public func write(_ table: ExportTable, kind: String, exportedAt: Int64, completeness: ExportCompleteness? = nil,
                      to sink: some ExportSink) throws(ExportError) {
        var head = "{\"exportedAt\":"
        JSONText.appendString(ISO8601.string(nanosecondsSinceEpoch: exportedAt), to: &head)
        head += ",\"kind\":"
        JSONText.appendString(kind, to: &head)
        head += ",\"count\":\(table.count),\"columns\":["
        head += table.columns.map { JSONText.quoted($0.key) }.joined(separator: ",")
        head += "]"
        if let completeness {
            head += ",\"complete\":\(completeness.isComplete)"
            if let error = completeness.error {
                head += ",\"error\":"
                JSONText.appendString(error, to: &head)
            }
        }
        head += ",\"records\":["
        try sink.write(head)
        let keys = JSONText.quotedKeys(table.columns)
        for (index, row) in table.rows.enumerated() {
            try sink.write((index == 0 ? "\n" : ",\n") + JSONText.object(row, quotedKeys: keys))
        }
        try sink.write(table.rows.isEmpty ? "]}\n" : "\n]}\n")
    }

    public func string(for table: ExportTable, kind: String, exportedAt: Int64) -> String {
        let sink = MemorySink()
        try? write(table, kind: kind, exportedAt: exportedAt, to: sink)
        return sink.text
    }
}

/// Whether the rows of an export made from a capture file cover the whole file.
public struct ExportCompleteness: Sendable, Equatable {
    public var isComplete: Bool
    /// Where and why reading stopped, when it stopped early.
    public var error: String?

    public static let complete = ExportCompleteness(isComplete: true, error: nil)
    public static func stopped(_ error: String) -> ExportCompleteness { ExportCompleteness(isComplete: false, error: error) }
}
