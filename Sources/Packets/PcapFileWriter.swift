#if canImport(Glibc)
import Glibc
#endif

/// Writes classic pcap files (the format every tool reads) without libpcap, so tests and
/// benchmarks can generate fixtures quickly. Live captures are saved with libpcap's own dumper.
public final class PcapFileWriter {
    public enum WriterError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        case writeFailed(path: String, reason: String)

        public var description: String {
            switch self {
            case let .cannotOpen(path, reason): "Cannot create \(path): \(reason). Check that the folder exists and is writable."
            case let .writeFailed(path, reason): "Writing \(path) failed: \(reason). Check free disk space."
            }
        }
    }

    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private let nanosecond: Bool
    public private(set) var packetCount = 0

    /// - Parameters:
    ///   - nanosecond: write the nanosecond-resolution magic (0xA1B23C4D) instead of microseconds.
    public init(path: String, linkType: LinkType, snapLength: UInt32 = 262_144, nanosecond: Bool = false) throws {
        guard let file = fopen(path, "wb") else {
            throw WriterError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        self.path = path
        self.file = file
        self.nanosecond = nanosecond
        buffer.reserveCapacity(1 << 20)
        append32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        append16(2)
        append16(4)
        append32(0)  // thiszone
        append32(0)  // sigfigs
        append32(snapLength)
        // DLT_RAW differs per platform (12, 14); files always carry LINKTYPE_RAW (101).
        let isRaw = linkType == .raw || linkType == .rawOpenBSD || linkType == .rawLinktype
        append32(UInt32(bitPattern: isRaw ? 101 : linkType.rawValue))
    }

    deinit {
        // Nothing lost: records still buffered are written even if `close()` was not called.
        try? flush()
        fclose(file)
    }

    /// Appends one record. `timestamp` is nanoseconds since the epoch; `wireLength` defaults to
    /// the captured length.
    public func write(_ frame: UnsafeRawBufferPointer, timestamp: Int64, wireLength: Int? = nil) throws {
        let seconds = timestamp / 1_000_000_000
        let fraction = timestamp % 1_000_000_000
        append32(UInt32(truncatingIfNeeded: seconds))
        append32(UInt32(truncatingIfNeeded: nanosecond ? fraction : fraction / 1000))
        append32(UInt32(clamping: frame.count))
        append32(UInt32(clamping: wireLength ?? frame.count))
        buffer.append(contentsOf: frame)
        packetCount += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func write(_ frame: [UInt8], timestamp: Int64, wireLength: Int? = nil) throws {
        try frame.withUnsafeBytes { try write($0, timestamp: timestamp, wireLength: wireLength) }
    }

    /// Flushes buffered records and closes nothing; call `close()` when done.
    public func flush() throws {
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if written != buffer.count {
            throw WriterError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        try flush()
        if fflush(file) != 0 { throw WriterError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    // pcap headers are written in the writer's native byte order (readers detect it by the magic).
    private func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) } }
    private func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) } }
}
