import ArgumentParser
import Capture
import Export
import Foundation
import Jobs
import Store
import Traffic

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export flows, hosts, scans or threats as CSV, JSON or NDJSON.",
        discussion: """
            flows and hosts come from a capture file (--read) or, without it, from the latest saved
            capture window (a scheduled capture-window job). flows --history exports the flow history
            that live captures (the window, the daemon) keep in the database: every finished flow, for
            as many days as the flow-history retention setting says. scans and threats come from the
            database.
            CSV cells that look like spreadsheet formulas are prefixed with ' so they cannot run.
            A capture file damaged or truncated part-way is exported up to the damage: stderr says
            where and why reading stopped, JSON gets "complete": false and "error", exit status 3.
            Examples:
              netscouter export flows --read trace.pcap --format csv --out flows.csv
              netscouter export flows --history --format csv --out all-flows.csv   # every finished flow of live captures
              netscouter export hosts --format ndjson --out - | jq .address
              netscouter export scans --format json --out scans.json
            """
    )

    @Argument(help: "What to export: flows, hosts, scans or threats.")
    var kind: String

    @Option(help: "csv, json or ndjson (default: from the --out file's extension, else csv).")
    var format: String?

    @Option(help: "Output file, replaced atomically (a device or FIFO is written in place); - for standard output.")
    var out: String

    @Option(name: [.short, .long], help: "flows/hosts: aggregate this pcap or pcapng file instead of the saved capture window.")
    var read: String?

    @Option(name: [.short, .long], help: "With --read: a BPF filter.")
    var filter: String?

    @Flag(help: "flows: every finished flow the live captures saved in the database (their flow history).")
    var history = false

    @Option(help: "With --history: only the flows of the capture with this id (`captures.id` in the database).")
    var capture: Int64?

    @OptionGroup var storage: StorageOptions

    var parsedKind: StoredExports.Kind? { StoredExports.Kind(rawValue: kind.lowercased()) }

    var parsedFormat: ExportFormat? {
        if let format { return ExportFormat(name: format) }
        return ExportFormat(path: out) ?? .csv
    }

    func validate() throws {
        guard let parsedKind else { throw ValidationError("Unknown export \"\(kind)\": choose flows, hosts, scans or threats.") }
        guard parsedFormat != nil else { throw ValidationError("Unknown format \"\(format ?? "")\": choose csv, json or ndjson.") }
        if history && parsedKind != .flows { throw ValidationError("--history applies to flows.") }
        if history && read != nil { throw ValidationError("Give either --history (the database) or --read FILE, not both.") }
        if capture != nil && !history { throw ValidationError("--capture goes with --history.") }
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
        } else if history {
            let database = try storage.openDatabase()
            do {
                let store = FlowHistoryStore(database: database)
                let rows = try store.flows(capture: capture).map(TrafficReport.Flow.init)
                table = StoredExports.flows(rows)
                if rows.isEmpty {
                    note = capture.map { "capture \($0) has no saved flows" }
                        ?? "no live capture has saved finished flows yet (start a live capture in the window, or `netscouter daemon --capture IF`)"
                }
            } catch {
                throw fail(error.localizedDescription)
            }
        } else {
            let database = try storage.openDatabase()
            do { (table, note) = try StoredExports.table(kind, database: database) } catch { throw fail(error.localizedDescription) }
        }
        var standardError = StandardError()
        if out == "-" {
            // Streamed and checked: a failed write is an error, not a silently short export.
            let standardOutput = InPlaceFileWriter(descriptor: STDOUT_FILENO, name: "standard output")
            do { try Exporter.write(table, format: format, kind: kind.rawValue, completeness: completeness,
                                             committing: standardOutput) } catch { throw fail(error) }
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
        // Every conversation of the file, however long it ran: no limit on finished flows.
        let traffic = TrafficAggregator(configuration: .unboundedHistory)
        session.start()
        while !(session.isFinished && session.ring.count == 0) {
            if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(1000) }
        }
        session.stop()
        traffic.finishCapture()
        if let error = session.error, !session.isPartialFile { throw fail(error) }
        return (kind == .flows ? TrafficExports.flows(from: traffic) : TrafficExports.hosts(from: traffic),
                session.isPartialFile ? session.error : nil)
    }
}
