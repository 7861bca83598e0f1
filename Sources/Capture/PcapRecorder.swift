#if canImport(Glibc)
import Glibc
#endif
import Packets

/// Where and how a capture session saves the packets it captures.
public struct PcapRecordingOptions: Sendable, Equatable {
    /// The file to write, for example `/var/tmp/capture.pcap`.
    public var path: String
    /// Start a new file before the current one would grow past this many bytes (nil: one file).
    public var rotateBytes: Int64?

    public init(path: String, rotateBytes: Int64? = nil) {
        self.path = path
        self.rotateBytes = rotateBytes
    }

    /// `<directory>/<prefix>-20261125-171500.pcap` (UTC start time), so recordings of different
    /// runs never overwrite each other and sort by time.
    public static func timestamped(in directory: String, prefix: String, rotateBytes: Int64? = nil) -> PcapRecordingOptions {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y%m%d-%H%M%S", &parts)
        let stamp = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let folder = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return PcapRecordingOptions(path: "\(folder)/\(prefix)-\(stamp).pcap", rotateBytes: rotateBytes)
    }

    /// The name of file number `index` (from 0).
    ///
    /// Without rotation there is one file, `path` itself. With rotation every file is numbered,
    /// the first one too: `capture.pcap` becomes `capture-0000.pcap`, `capture-0001.pcap`, … (the
    /// number goes before the extension; past 9999 it simply grows a digit). Numbering the first
    /// file keeps `ls` and shell globs (`mergecap capture-*.pcap`) in capture order, which an
    /// unnumbered first file would break ("capture-0001.pcap" sorts before "capture.pcap").
    public func fileName(at index: Int) -> String {
        guard rotateBytes != nil else { return path }
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let number = String(index)
        let suffix = "-" + String(repeating: "0", count: max(0, 4 - number.count)) + number
        // A dot that starts the name (".hidden") is not an extension.
        if let dot = path[slash...].lastIndex(of: "."), dot != slash {
            return String(path[..<dot]) + suffix + String(path[dot...])
        }
        return path + suffix
    }
}

/// Saves captured frames as pcap files that tcpdump and Wireshark open, rotating to a new file by
/// size. Uses libpcap's own dumper on the capture's handle, so link type, snapshot length and
/// timestamp precision are the capture's.
///
/// Files are written in place (not to a temporary name): a recording can run for hours, a file
/// in progress can be opened while it grows, and after a crash everything up to the last flush
/// is on disk. A file is complete once the recorder has moved past it (rotation) or finished.
///
/// Rotation happens *before* a record would take the current file past `rotateBytes`, so no
/// file is larger than the limit unless a single packet is (each file holds at least one).
///
/// Not thread-safe: the thread that owns the handle (the capture thread) records.
public final class PcapRecorder {
    public let options: PcapRecordingOptions
    /// Every file written so far, the current one last.
    public private(set) var files: [String] = []
    /// Packets written, over all files.
    public private(set) var packetCount = 0
    private let handle: PcapHandle
    private var current: PcapDumper

    /// Opens the first file at once, so a path that cannot be written is reported before
    /// anything is captured.
    public init(handle: PcapHandle, options: PcapRecordingOptions) throws(PcapError) {
        if let limit = options.rotateBytes, limit <= 0 { throw .invalidRotationSize(bytes: limit) }
        self.options = options
        self.handle = handle
        let first = options.fileName(at: 0)
        current = try handle.openDumper(path: first)
        files.append(first)
        // Put the file header on disk now: a file that is listed is always a valid pcap file,
        // even before its first packet (stdio would otherwise hold the header back).
        try current.flush()
    }

    deinit {
        try? current.close()
    }

    public var isFinished: Bool { !current.isOpen }

    /// Writes one frame as read from the handle.
    @inline(__always)
    public func record(_ frame: UnsafeRawBufferPointer, timestamp: Int64, wireLength: Int) throws(PcapError) {
        guard current.isOpen else {
            throw .recordingFailed(path: current.path, message: "the recording was already finished or failed")
        }
        if let limit = options.rotateBytes, current.packetCount > 0, current.byteCount + 16 + Int64(frame.count) > limit {
            try rotate()
        }
        current.write(frame, timestamp: timestamp, wireLength: wireLength)
        packetCount += 1
    }

    /// Makes everything recorded so far visible in the current file.
    public func flush() throws(PcapError) { try current.flush() }

    /// Flushes and closes the current file. Safe to call more than once.
    public func finish() throws(PcapError) { try current.close() }

    private func rotate() throws(PcapError) {
        try current.close()
        let next = options.fileName(at: files.count)
        current = try handle.openDumper(path: next)
        files.append(next)
        try current.flush()
    }
}
