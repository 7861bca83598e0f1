/// The file formats a table can be exported to.
public enum ExportFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// RFC 4180 comma-separated values, for spreadsheets.
    case csv
    /// One JSON document with an envelope (see `JSONExport`), for programs and archives.
    case json
    /// Newline-delimited JSON: one record per line, no envelope, for `jq` and log shippers.
    case ndjson

    /// Parses a format name as typed on the command line: "csv", "json" or "ndjson"
    /// (case-insensitive; "jsonl" is accepted for NDJSON, the other common name for it).
    public init?(name: String) {
        switch name.lowercased() {
        case "csv": self = .csv
        case "json": self = .json
        case "ndjson", "jsonl": self = .ndjson
        default: return nil
        }
    }

    /// The format a file name implies by its extension (`flows.csv` → csv), or nil.
    public init?(path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        self.init(name: String(name[name.index(after: dot)...]))
    }

    /// Like `init(name:)`, but throws an error that lists the formats there are.
    public static func parse(_ name: String) throws(ExportError) -> ExportFormat {
        guard let format = ExportFormat(name: name) else { throw .unknownFormat(name) }
        return format
    }

    /// The extension files in this format get, without the dot.
    public var fileExtension: String { rawValue }

    public var mediaType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        case .ndjson: "application/x-ndjson"
        }
    }

    public var description: String { rawValue }
}
