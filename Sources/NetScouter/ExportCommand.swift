import ArgumentParser
import Capture
import Export
import Foundation
import Jobs
import Traffic

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export flows, hosts, scans or threats as CSV, JSON or NDJSON.",
        discussion: """
            flows and hosts come from a capture file (--read) or, without it, from the latest saved
            capture window (a scheduled capture-window job). scans and threats come from the database.
            CSV cells that look like spreadsheet formulas are prefixed with ' so they cannot run.
            A capture file damaged or truncated part-way is exported up to the damage: stderr says
            where and why reading stopped, JSON gets "complete": false and "error", exit status 3.
            Examples:
              netscouter export flows --read trace.pcap --format csv --out flows.csv
              netscouter export hosts --format ndjson --out - | jq .address
              netscouter export scans --format json --out scans.json
            """
    )

    @Argument(help: "What to export: flows, hosts, scans or threats.")
    var kind: String

    @Option(help: "csv, json or ndjson (default: from the --out file's extension, else csv).")
    var format: String?

    @Option(help: "Output file, written atomically; - for standard output.")
    var out: String

    @Option(name: [.short, .long], help: "flows/hosts: aggregate this pcap or pcapng file instead of the saved capture window.")
    var read: String?

    @Option(name: [.short, .long], help: "With --read: a BPF filter.")
    var filter: String?

    @OptionGroup var storage: StorageOptions

    var parsedKind: StoredExports.Kind? { StoredExports.Kind(rawValue: kind.lowercased()) }

    var parsedFormat: ExportFormat? {
        if let format { return ExportFormat(name: format) }
        return ExportFormat(path: out) ?? .csv
    }

    func validate() throws {
        guard let parsedKind else { throw ValidationError("Unknown export \"\(kind)\": choose flows, hosts, scans or threats.") }
        guard parsedFormat != nil else { throw ValidationError("Unknown format \"\(format ?? "")\": choose csv, json or ndjson.") }
        if read != nil && (parsedKind == .scans || parsedKind == .threats) {
            throw ValidationError("--read applies to flows and hosts; scans and threats come from the database.")
        }
    }

    func run() throws {
        let kind = parsedKind!, format = parsedFormat!
        let table: ExportTable
        var note: String?
        var completeness: ExportCompleteness?
        var partialRead: PcapError?
        if let read {
            (table, partialRead) = try aggregateFile(read, kind: kind)
            completeness = partialRead.map { .stopped($0.description) } ?? .complete
        } else {
            let database = try storage.openDatabase()
            do { (table, note) = try StoredExports.table(kind, database: database) } catch { throw fail(error.localizedDescription) }
        }
        var standardError = StandardError()
        if out == "-" {
            print(Exporter.string(table, format: format, kind: kind.rawValue, completeness: completeness), terminator: "")
        } else {
            do { try Exporter.write(table, format: format, to: out, kind: kind.rawValue, completeness: completeness) } catch { throw fail(error) }
            print("Exported \(table.count) \(kind.rawValue) to \(out) (\(format.rawValue))", to: &standardError)
        }
        if table.count == 0, let note { print("netscouter: nothing to export: \(note).", to: &standardError) }
        if let partialRead { throw partialFileExit(partialRead) }
    }

    /// The table of a capture file, and the read error when the file could be read only in part
    /// (the table then covers the packets before it).
    private func aggregateFile(_ path: String, kind: StoredExports.Kind) throws -> (ExportTable, PcapError?) {
        let session: CaptureSession
        do { session = try CaptureSession(source: .file(path: path), filter: filter) } catch { throw fail(error) }
        let traffic = TrafficAggregator()
        session.start()
        while !(session.isFinished && session.ring.count == 0) {
            if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(1000) }
        }
        session.stop()
        if let error = session.error, !session.isPartialFile { throw fail(error) }
        return (kind == .flows ? TrafficExports.flows(from: traffic) : TrafficExports.hosts(from: traffic),
                session.isPartialFile ? session.error : nil)
    }
}
