/// The one call the command line and every GUI table use to save a table.
public enum Exporter {
    /// Writes `table` to `path` in `format`. A regular file is replaced atomically (see
    /// `AtomicFileWriter`): only once it is complete, and a failure leaves any previous file
    /// unchanged. A character device or FIFO is written in place (see `InPlaceFileWriter`), never
    /// replaced; a folder, disk or socket is refused.
    ///
    /// - Parameters:
    ///   - kind: what the rows are ("flows", "hosts", "packets"); goes into the JSON envelope.
    ///   - csv: CSV options (header style, byte order mark for Excel, formula neutralisation).
    ///   - exportedAt: the JSON envelope's time in nanoseconds since the epoch (default: now).
    ///   - completeness: for exports read from a capture file: whether it was read to its end
    ///     (JSON envelope `complete` and `error`; CSV and NDJSON have no place for it).
    /// - Returns: the number of rows written.
    @discardableResult
    public static func write(_ table: ExportTable, format: ExportFormat, to path: String, kind: String,
                             csv: CSVWriter = CSVWriter(), exportedAt: Int64? = nil, completeness: ExportCompleteness? = nil,
                             permissions: UInt32 = 0o644) throws(ExportError) -> Int {
        switch try ExportDestination.of(path) {
        case .replaceFile:
            try AtomicFileWriter.replace(path, permissions: permissions) { (file) throws(ExportError) in
                try write(table, format: format, kind: kind, csv: csv, exportedAt: exportedAt, completeness: completeness, to: file)
            }
        case .writeInPlace:
            try write(table, format: format, kind: kind, csv: csv, exportedAt: exportedAt, completeness: completeness,
                      committing: try InPlaceFileWriter(path: path))
        }
        return table.count
    }

    /// Writes finished bytes (a PNG) to `path` the way tables are written: a regular file is
    /// replaced atomically, a character device or FIFO written in place, anything else refused.
    public static func write(bytes: [UInt8], to path: String, permissions: UInt32 = 0o644) throws(ExportError) {
        switch try ExportDestination.of(path) {
        case .replaceFile:
            try AtomicFileWriter.replace(path, permissions: permissions) { (file) throws(ExportError) in try file.write(bytes: bytes) }
        case .writeInPlace:
            let file = try InPlaceFileWriter(path: path)
            do throws(ExportError) {
                try file.write(bytes: bytes)
                try file.commit()
            } catch {
                file.discard()
                throw error
            }
        }
    }

    /// Streams `table` into a writer that writes in place (a device, a FIFO, standard output) and
    /// commits it, so every write error — including the last buffered chunk's — is reported.
    public static func write(_ table: ExportTable, format: ExportFormat, kind: String, csv: CSVWriter = CSVWriter(),
                             exportedAt: Int64? = nil, completeness: ExportCompleteness? = nil,
                             committing writer: InPlaceFileWriter) throws(ExportError) {
        do throws(ExportError) {
            try write(table, format: format, kind: kind, csv: csv, exportedAt: exportedAt, completeness: completeness, to: writer)
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
    }

    /// Streams `table` in `format` into any sink (a file, memory).
    public static func write(_ table: ExportTable, format: ExportFormat, kind: String, csv: CSVWriter = CSVWriter(),
                             exportedAt: Int64? = nil, completeness: ExportCompleteness? = nil,
                             to sink: some ExportSink) throws(ExportError) {
        switch format {
        case .csv: try csv.write(table, to: sink)
        case .json: try JSONExport().write(table, kind: kind, exportedAt: exportedAt ?? ISO8601.nowNanoseconds(),
                                           completeness: completeness, to: sink)
        case .ndjson: try NDJSONExport().write(table, to: sink)
        }
    }

    /// The export as a string, for the clipboard and small previews.
    public static func string(_ table: ExportTable, format: ExportFormat, kind: String, csv: CSVWriter = CSVWriter(),
                              exportedAt: Int64? = nil, completeness: ExportCompleteness? = nil) -> String {
        let sink = MemorySink()
        try? write(table, format: format, kind: kind, csv: csv, exportedAt: exportedAt, completeness: completeness, to: sink)
        return sink.text
    }
}
