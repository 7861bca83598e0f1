import Capture
import Foundation
import Packets
import Traffic

/// A capture window: capture on an interface for N seconds, optionally into pcap files, and keep
/// the aggregates. Used by scheduled `capture-window` jobs and by the daemon.
public struct CaptureWindowOptions: Sendable, Equatable {
    public var interface: String
    public var seconds: Double
    public var filter: String?
    /// Where to save the packets (`…/capture-YYYYMMDD-HHMMSS.pcap`), or nil to keep only aggregates.
    public var pcapDirectory: String?
    public var rotateMegabytes: Int?

    public init(interface: String, seconds: Double, filter: String? = nil, pcapDirectory: String? = nil, rotateMegabytes: Int? = nil) {
        self.interface = interface
        self.seconds = seconds
        self.filter = filter
        self.pcapDirectory = pcapDirectory
        self.rotateMegabytes = rotateMegabytes
    }

    /// Reads the options of a scheduled job (`interface`, `seconds`, `filter`, `pcap-dir`, `rotate-mb`).
    public init(jobOptions options: [String: String]) throws(JobOptionError) {
        guard let interface = options["interface"], !interface.isEmpty else {
            throw .missing("interface", example: "--option interface=eth0")
        }
        let seconds = try Self.number(options["seconds"] ?? "60", name: "seconds")
        guard seconds > 0, seconds <= 86_400 else { throw .invalid("seconds", value: options["seconds"] ?? "", expected: "1 to 86400") }
        var rotate: Int?
        if let text = options["rotate-mb"] {
            // Checked as a whole number in range before use: Int(Double) would trap on "inf" or "1e300".
            guard let megabytes = Int(text), (1...1_048_576).contains(megabytes) else {
                throw .invalid("rotate-mb", value: text, expected: "a whole number from 1 to 1048576")
            }
            rotate = megabytes
        }
        self.init(interface: interface, seconds: seconds, filter: options["filter"].flatMap { $0.isEmpty ? nil : $0 },
                  pcapDirectory: options["pcap-dir"].flatMap { $0.isEmpty ? nil : $0 }, rotateMegabytes: rotate)
    }

    private static func number(_ text: String, name: String) throws(JobOptionError) -> Double {
        guard let value = Double(text) else { throw .invalid(name, value: text, expected: "a number") }
        return value
    }
}

/// A job option that is missing or wrong, phrased for the person who scheduled the job.
public enum JobOptionError: Error, Equatable, CustomStringConvertible {
    case missing(String, example: String)
    case invalid(String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .missing(name, example): "The job needs the option \(name) (for example \(example))."
        case let .invalid(name, value, expected): "The job option \(name)=\(value) is not valid: expected \(expected)."
        }
    }
}

public struct CaptureWindowResult: Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    public var flows: [FlowStats]
    public var hosts: [HostStats]
    public var kernelDrops: UInt64
    public var ringOverflows: Int
    public var pcapFiles: [String]

    public var summary: String {
        var text = "Captured \(packets) packets (\(formatBytes(bytes))), \(hosts.count) hosts, \(flows.count) flows"
        if kernelDrops > 0 || ringOverflows > 0 { text += ", drops: kernel \(kernelDrops), ring \(ringOverflows)" }
        if !pcapFiles.isEmpty { text += " → " + pcapFiles.joined(separator: ", ") }
        return text
    }
}

public enum CaptureWindowJob {
    /// Runs the window on the calling thread (a job worker), which is the ring's consumer.
    /// `isCancelled` ends it early (daemon shutdown); what was captured so far is still returned.
    public static func run(_ options: CaptureWindowOptions, isCancelled: @Sendable () -> Bool = { false }) throws -> CaptureWindowResult {
        var recording: PcapRecordingOptions?
        if let directory = options.pcapDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            recording = .timestamped(in: directory, prefix: "capture-\(options.interface)", rotateBytes: options.rotateMegabytes.map { Int64($0) << 20 })
        }
        let session = try CaptureSession(source: .live(LiveCaptureOptions(interface: options.interface)), filter: options.filter,
                                         ringCapacity: 1 << 16, recording: recording)
        let traffic = TrafficAggregator()
        let deadline = monotonicNanoseconds() + Int64(options.seconds * 1e9)
        session.start()
        while monotonicNanoseconds() < deadline && !isCancelled() && !session.isFinished {
            if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(5_000) }
        }
        session.stop()
        session.ring.drain { traffic.ingest($0) }
        if let error = session.error { throw error }
        let statistics = session.statistics
        return CaptureWindowResult(packets: traffic.totals.packets, bytes: traffic.totals.bytes, flows: traffic.flows.all,
                                   hosts: traffic.hosts.all, kernelDrops: statistics.kernelDrops,
                                   ringOverflows: statistics.ringOverflows, pcapFiles: session.recordedFiles)
    }
}
