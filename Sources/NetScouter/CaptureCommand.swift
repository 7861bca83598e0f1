import ArgumentParser
import Capture
import Foundation
import Packets
import Traffic

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture live traffic or read a pcap/pcapng file, then print totals, protocols, top hosts and top flows.",
        discussion: """
            Examples:
              netscouter capture --interface eth0 --duration 10
              netscouter capture --interface lo --filter "udp port 53" --count 100 --json
              netscouter capture --read trace.pcapng --json

            A file that is truncated or damaged part-way is reported up to the damage, with a
            warning on stderr saying where and why reading stopped, "complete": false and "error"
            in the JSON, and exit status 3.
            """
    )

    @OptionGroup var source: SourceOptions

    @Option(parsing: .unconditional, help: "Stop a live capture after this many seconds (0.001 to 31536000).",
            transform: { try NumericOption.decimal($0, option: "--duration", range: 0.001...31_536_000, unit: "seconds", note: "(365 days)") })
    var duration: Double?

    @Option(name: [.short, .long], parsing: .unconditional, help: "Stop after this many packets.",
            transform: { try NumericOption.integer($0, option: "--count", range: 1...Int.max, unit: "packets") })
    var count: Int?

    @Option(parsing: .unconditional, help: "How many top hosts and flows to list (0 to 100000).",
            transform: { try NumericOption.integer($0, option: "--top", range: 0...100_000, unit: "entries") })
    var top = 10

    @Flag(help: "Do not put the interface into promiscuous mode.")
    var noPromiscuous = false

    @Option(parsing: .unconditional, help: "Bytes to capture per packet (1 to 262144).",
            transform: { try NumericOption.integer($0, option: "--snaplen", range: 1...262_144, unit: "bytes") })
    var snaplen: Int32 = 262_144

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(name: [.short, .long], help: "Also save the packets to this pcap file (opens in Wireshark and tcpdump).")
    var write: String?

    @Option(parsing: .unconditional,
            help: "With --write: start a new numbered file (NAME-0000.pcap, NAME-0001.pcap, …) after this many megabytes (1 to 1048576).",
            transform: { try NumericOption.integer($0, option: "--rotate-mb", range: 1...1_048_576, unit: "megabytes") })
    var rotateMb: Int?

    var interface: String? { source.interface }
    var read: String? { source.read }
    var filter: String? { source.filter }
    var replay: Bool { source.replay }

    func validate() throws {
        if (interface == nil) == (read == nil) {
            throw ValidationError("Give exactly one of --interface IF (live) or --read FILE.")
        }
        if read != nil, duration != nil, !replay { throw ValidationError("--duration applies to live capture (or --read with --replay).") }
        if rotateMb != nil && write == nil { throw ValidationError("--rotate-mb goes with --write FILE.") }
    }

    func run() throws {
        let source: CaptureSource
        if let read {
            source = .file(path: read, replayAtRecordedSpeed: replay)
        } else {
            var options = LiveCaptureOptions(interface: interface!)
            options.promiscuous = !noPromiscuous
            options.snapLength = snaplen
            source = .live(options)
        }
        let session: CaptureSession
        do {
            let recording = write.map { PcapRecordingOptions(path: $0, rotateBytes: rotateMb.map { Int64($0) << 20 }) }
            session = try CaptureSession(source: source, filter: filter, ringCapacity: 1 << 16, packetLimit: count, recording: recording)
        } catch {
            throw fail(error)
        }

        let interrupted = InterruptFlag.install()
        // A file's report counts every conversation in it; a live capture keeps a bounded history.
        let aggregator = TrafficAggregator(configuration: read != nil ? .unboundedHistory : TrafficConfiguration())
        let deadline = duration.map { monotonicNanoseconds() + Int64($0 * 1e9) }
        session.start()
        // Long reads show progress on a terminal (never in pipes or logs, where it would be noise).
        let progress = isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
        // This thread is the ring's single consumer: drain, and sleep briefly when it is empty.
        while true {
            let drained = session.ring.drain { aggregator.ingest($0) }
            progress?.update(session: session, packets: aggregator.totals.packets)
            if drained == 0 {
                if session.isFinished && session.ring.count == 0 { break }
                if interrupted.isSet { break }
                if let deadline, monotonicNanoseconds() >= deadline { break }
                usleep(2_000)
            }
        }
        progress?.finish()
        session.stop()
        session.ring.drain { aggregator.ingest($0) }
        // A damaged file still reports what was read before the damage, then exits with its own status.
        if let error = session.error, !session.isPartialFile { throw fail(error) }

        let statistics = session.statistics
        var report = TrafficReport(
            aggregator: aggregator, source: source.displayName, filter: session.filter, linkType: session.linkType,
            counters: .init(kernelDrops: statistics.kernelDrops, interfaceDrops: statistics.interfaceDrops,
                            ringOverflows: statistics.ringOverflows),
            top: top)
        if session.isPartialFile, let error = session.error { report.markIncomplete(error.description) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.renderTable())
        }
        if !session.recordedFiles.isEmpty {
            var standardError = StandardError()
            print("Saved \(statistics.recordedPackets) packets to \(session.recordedFiles.joined(separator: ", "))", to: &standardError)
            if statistics.unrecordedPackets > 0 {
                print("Not saved: \(statistics.unrecordedPackets) packets of interfaces whose link type differs from the first "
                      + "interface's (\(session.linkType)); a pcap file holds one link type.", to: &standardError)
            }
        }
        if session.isPartialFile, let error = session.error { throw partialFileExit(error) }
    }
}

/// Turns the first SIGINT into a flag the capture loop checks, so Ctrl+C still prints the report.
final class InterruptFlag: @unchecked Sendable {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    var isSet: Bool { Self.raised != 0 }

    static func install() -> InterruptFlag {
        signal(SIGINT) { _ in
            InterruptFlag.raised = 1
            signal(SIGINT, SIG_DFL)  // a second Ctrl+C quits at once
        }
        return InterruptFlag()
    }
}

/// "Reading trace.pcap  42 %  1,234,567 packets" rewritten in place on stderr, at most 5 times a
/// second, shown only after the first half second so quick reads stay quiet.
final class ProgressLine {
    private let started = monotonicNanoseconds()
    private var lastDrawn: Int64 = 0
    private var drawn = false

    func update(session: CaptureSession, packets: UInt64) {
        let now = monotonicNanoseconds()
        guard now - started > 500_000_000, now - lastDrawn > 200_000_000 else { return }
        lastDrawn = now
        drawn = true
        let what: String
        if let fraction = session.fileProgress {
            what = "Reading \(session.source.displayName)  \(Int((fraction * 100).rounded())) %"
        } else {
            what = "Capturing on \(session.source.displayName)  \(Int(Double(now - started) / 1e9)) s"
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(what)  \(packets) packets".utf8))
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
