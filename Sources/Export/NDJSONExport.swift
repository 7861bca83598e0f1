/// Writes a table as NDJSON (newline-delimited JSON, also called JSON Lines): one object per row
/// and line, keys in column order, no envelope, "\n" after every record. `jq -c`, `jq -s` and log
/// shippers (Vector, Fluent Bit, Filebeat) read it line by line; an empty table is an empty file.
public struct NDJSONExport: Sendable {
    public init() {}

    public func write(_ table: ExportTable, to sink: some ExportSink) throws(ExportError) {
        let keys = JSONText.quotedKeys(table.columns)
        for row in table.rows {
            try sink.write(JSONText.object(row, quotedKeys: keys) + "\n")
        }
    }

    public func string(for table: ExportTable) -> String {
        let sink = MemorySink()
        try? write(table, to: sink)
        return sink.text
    }
}
