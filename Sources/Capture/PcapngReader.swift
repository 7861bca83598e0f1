import Packets
#if canImport(Glibc)
import Glibc
#endif

/// A pcapng reader of our own, for the files libpcap refuses: libpcap 1.10 gives one link type and
/// one snapshot length per file, so it stops at the first Interface Description Block whose link
/// type or snapshot length differs from the first one's. Wireshark reads such files (a capture on
/// `any` interface with Ethernet and loopback, merged captures), and so does this reader, giving
/// every packet the link type of ITS interface.
///
/// What it reads: Section Header Blocks in either byte order (a new section resets the interface
/// list), Interface Description Blocks (link type, snapshot length, `if_tsresol` and
/// `if_tsoffset`), Enhanced, Simple and obsolete Packet Blocks. Every other block is skipped.
///
/// Hostile files: every length comes from the file, so each is checked before use; a block may
/// not exceed `maximumBlockLength` (the buffer never grows past it), arithmetic on lengths and
/// timestamps is checked or saturating, and any inconsistency ends reading with an error that
/// says what was wrong and where, after the packets already returned.
///
/// Not thread-safe: one thread reads.
public final class PcapngReader {
    /// libpcap's own ceiling for one block (16 MiB); nothing legitimate comes close.
    public static let maximumBlockLength = 16 << 20

    public struct Interface: Sendable, Equatable {
        public var linkType: LinkType
        public var snapLength: UInt32
        /// `if_tsresol`: bit 7 clear, ticks are 10^-value s; set, 2^-(value & 0x7F) s. Default 6 (µs).
        public var timestampResolution: UInt8 = 6
        /// `if_tsoffset`: seconds added to every timestamp of the interface.
        public var timestampOffsetSeconds: Int64 = 0
    }

    /// One packet. `bytes` is valid until the next call to `next()`.
    public struct Record {
        public var bytes: UnsafeRawBufferPointer
        /// Nanoseconds since the epoch, saturated to `Int64`'s range.
        public var timestamp: Int64
        public var wireLength: Int
        public var linkType: LinkType
        /// The interface's index in its section.
        public var interfaceID: Int
        /// Where the packet's block starts in the file.
        public var blockOffset: Int64
    }

    public let path: String
    /// The interfaces of the current section, in the order they were described.
    public private(set) var interfaces: [Interface] = []
    /// Bytes consumed so far: the offset of the next block (after an error, of the bad block).
    public private(set) var offset: Int64 = 0
    /// Packets returned so far.
    public private(set) var packetCount = 0
    /// Packets in blocks that start before this offset are read (their blocks checked) but not
    /// returned: how the reader takes over from libpcap at the block libpcap refused.
    public var deliverFrom: Int64 = 0

    private let file: UnsafeMutablePointer<FILE>
    private var littleEndian = true
    private var sawSection = false
    private var buffer: UnsafeMutableRawBufferPointer

    private static let sectionHeader: UInt32 = 0x0A0D_0D0A
    private static let byteOrderMagic: UInt32 = 0x1A2B_3C4D

    public init(path: String) throws(PcapError) {
        guard let file = fopen(path, "rb") else {
            throw .cannotOpenFile(path: path, message: String(cString: strerror(errno)))
        }
        self.path = path
        self.file = file
        buffer = .allocate(byteCount: 64 << 10, alignment: 8)
    }

    deinit {
        fclose(file)
        buffer.deallocate()
    }

    /// The next packet, or nil at the end of the file. Throws `.readFailed` with the reason and
    /// the block's offset when the file is damaged; everything returned before stays valid data.
    public func next() throws(PcapError) -> Record? {
        while true {
            let blockStart = offset
            var header = (UInt32(0), UInt32(0))
            let got = withUnsafeMutableBytes(of: &header) { fread($0.baseAddress, 1, 8, file) }
            if got == 0 && feof(file) != 0 { return nil }
            guard got == 8 else {
                throw fail("truncated block header: tried to read 8 bytes, only got \(got)", at: blockStart)
            }
            var type = header.0
            var length = header.1
            if type == Self.sectionHeader {
                // The block's own byte-order magic says how to read its length (and the section).
                var magic: UInt32 = 0
                guard fread(&magic, 1, 4, file) == 4 else { throw fail("truncated section header", at: blockStart) }
                switch UInt32(littleEndian: magic) {
                case Self.byteOrderMagic: littleEndian = true
                case Self.byteOrderMagic.byteSwapped: littleEndian = false
                default: throw fail("section header with an unknown byte-order magic 0x\(String(magic, radix: 16))", at: blockStart)
                }
                sawSection = true
                length = host(header.1)
                try readBody(length: length, alreadyRead: 4, at: blockStart)
                // The magic itself is part of the body.
                withUnsafeBytes(of: magic) { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 4) }
                try section(at: blockStart)
                continue
            }
            guard sawSection else { throw fail("the file does not start with a pcapng section header", at: blockStart) }
            type = host(type)
            length = host(length)
            try readBody(length: length, alreadyRead: 0, at: blockStart)
            switch type {
            case 1: try interfaceDescription(bodyLength: Int(length) - 12, at: blockStart)
            case 6, 3, 2:
                let record = switch type {
                case 6: try enhancedPacket(bodyLength: Int(length) - 12, at: blockStart)
                case 3: try simplePacket(bodyLength: Int(length) - 12, at: blockStart)
                default: try obsoletePacket(bodyLength: Int(length) - 12, at: blockStart)
                }
                if blockStart >= deliverFrom {
                    packetCount += 1
                    return record
                }
            default: continue  // statistics, name resolution, custom, decryption secrets …: not ours
            }
        }
    }

    // MARK: Blocks

    /// Reads the rest of a block of `length` bytes whose first 8 (+ `alreadyRead`) bytes are
    /// consumed: the body goes into `buffer`, the trailing length is checked.
    private func readBody(length: UInt32, alreadyRead: Int, at blockStart: Int64) throws(PcapError) {
        guard length >= 12 + UInt32(alreadyRead) else { throw fail("block length \(length) is shorter than a block header", at: blockStart) }
        guard length % 4 == 0 else { throw fail("block length \(length) is not a multiple of 4", at: blockStart) }
        guard length <= Self.maximumBlockLength else {
            throw fail("block length \(length) exceeds the \(Self.maximumBlockLength)-byte limit", at: blockStart)
        }
        let bodyLength = Int(length) - 12
        if bodyLength > buffer.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: bodyLength, alignment: 8)
            buffer.deallocate()
            buffer = grown
        }
        let toRead = bodyLength - alreadyRead
        if toRead > 0 {
            let got = fread(buffer.baseAddress! + alreadyRead, 1, toRead, file)
            guard got == toRead else {
                throw fail("truncated block: its length is \(length) bytes, but the file ends \(got + 8 + alreadyRead) bytes in", at: blockStart)
            }
        }
        var trailer: UInt32 = 0
        guard fread(&trailer, 1, 4, file) == 4 else { throw fail("truncated block: the trailing length is missing", at: blockStart) }
        guard host(trailer) == length else {
            throw fail("block lengths disagree (\(length) at the start, \(host(trailer)) at the end)", at: blockStart)
        }
        offset = blockStart + Int64(length)
    }

    private func section(at blockStart: Int64) throws(PcapError) {
        let body = UnsafeRawBufferPointer(buffer)
        guard body.count >= 16 else { throw fail("section header too short", at: blockStart) }
        let major = u16(body, 4), minor = u16(body, 6)
        guard major == 1 else { throw fail("unknown pcapng section version \(major).\(minor)", at: blockStart) }
        interfaces.removeAll(keepingCapacity: true)
    }

    private func interfaceDescription(bodyLength: Int, at blockStart: Int64) throws(PcapError) {
        let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<bodyLength])
        guard body.count >= 8 else { throw fail("interface description too short", at: blockStart) }
        var interface = Interface(linkType: LinkType(rawValue: Int32(linkTypeForDLT(u16(body, 0)))), snapLength: u32(body, 4))
        var cursor = 8
        // Options: code, length, value padded to 4 bytes; opt_endofopt (0) or the body's end stops.
        while cursor + 4 <= body.count {
            let code = u16(body, cursor), optionLength = Int(u16(body, cursor + 2))
            if code == 0 { break }
            let valueStart = cursor + 4
            guard optionLength <= body.count - valueStart else { throw fail("interface option \(code) runs past its block", at: blockStart) }
            switch code {
            case 9 where optionLength >= 1:
                interface.timestampResolution = body[valueStart]
            case 14 where optionLength >= 8:
                interface.timestampOffsetSeconds = Int64(bitPattern: u64(body, valueStart))
            default: break
            }
            cursor = valueStart + (optionLength + 3) & ~3
        }
        interfaces.append(interface)
    }

    private func enhancedPacket(bodyLength: Int, at blockStart: Int64) throws(PcapError) -> Record {
        let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<bodyLength])
        guard body.count >= 20 else { throw fail("enhanced packet block too short", at: blockStart) }
        let interfaceID = Int(u32(body, 0))
        let ticks = UInt64(u32(body, 4)) << 32 | UInt64(u32(body, 8))
        let capturedLength = Int(u32(body, 12)), originalLength = Int(u32(body, 16))
        guard capturedLength <= body.count - 20 else {
            throw fail("enhanced packet block says \(capturedLength) bytes were captured, but holds \(body.count - 20)", at: blockStart)
        }
        return try packet(interfaceID: interfaceID, ticks: ticks, data: body, dataStart: 20, capturedLength: capturedLength,
                          originalLength: originalLength, at: blockStart)
    }

    private func simplePacket(bodyLength: Int, at blockStart: Int64) throws(PcapError) -> Record {
        let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<bodyLength])
        guard body.count >= 4 else { throw fail("simple packet block too short", at: blockStart) }
        guard let first = interfaces.first else { throw fail("simple packet block before any interface description", at: blockStart) }
        let originalLength = Int(u32(body, 0))
        // The captured length is implied: the original length, cut at the snapshot length and
        // at the block's end (padding included, so the block bounds it).
        var capturedLength = min(originalLength, body.count - 4)
        if first.snapLength > 0 { capturedLength = min(capturedLength, Int(first.snapLength)) }
        return try packet(interfaceID: 0, ticks: nil, data: body, dataStart: 4, capturedLength: capturedLength,
                          originalLength: originalLength, at: blockStart)
    }

    private func obsoletePacket(bodyLength: Int, at blockStart: Int64) throws(PcapError) -> Record {
        let body = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<bodyLength])
        guard body.count >= 20 else { throw fail("packet block too short", at: blockStart) }
        let interfaceID = Int(u16(body, 0))
        let ticks = UInt64(u32(body, 4)) << 32 | UInt64(u32(body, 8))
        let capturedLength = Int(u32(body, 12)), originalLength = Int(u32(body, 16))
        guard capturedLength <= body.count - 20 else {
            throw fail("packet block says \(capturedLength) bytes were captured, but holds \(body.count - 20)", at: blockStart)
        }
        return try packet(interfaceID: interfaceID, ticks: ticks, data: body, dataStart: 20, capturedLength: capturedLength,
                          originalLength: originalLength, at: blockStart)
    }

    private func packet(interfaceID: Int, ticks: UInt64?, data body: UnsafeRawBufferPointer, dataStart: Int, capturedLength: Int,
                        originalLength: Int, at blockStart: Int64) throws(PcapError) -> Record {
        guard interfaceID < interfaces.count else {
            throw fail("a packet names interface \(interfaceID), but the section describes \(interfaces.count)", at: blockStart)
        }
        let interface = interfaces[interfaceID]
        let timestamp = ticks.map {
            Self.nanoseconds(ticks: $0, resolution: interface.timestampResolution, offsetSeconds: interface.timestampOffsetSeconds)
        } ?? 0
        return Record(bytes: UnsafeRawBufferPointer(rebasing: body[dataStart..<dataStart + capturedLength]),
                      timestamp: timestamp, wireLength: max(originalLength, capturedLength), linkType: interface.linkType,
                      interfaceID: interfaceID, blockOffset: blockStart)
    }

    // MARK: Timestamps

    /// `ticks` of 10^-r or 2^-r seconds plus `offsetSeconds`, in nanoseconds, saturated to the
    /// `Int64` range (a file may hold any 64-bit value; year 2262 is where nanoseconds run out).
    public static func nanoseconds(ticks: UInt64, resolution: UInt8, offsetSeconds: Int64) -> Int64 {
        let unsigned: UInt64
        if resolution & 0x80 == 0 {
            let exponent = Int(resolution)
            if exponent <= 9 {
                let (product, overflow) = ticks.multipliedReportingOverflow(by: power10(9 - exponent))
                unsigned = overflow ? .max : product
            } else {
                unsigned = exponent - 9 > 19 ? 0 : ticks / power10(exponent - 9)
            }
        } else {
            // ticks × 10^9 / 2^shift, in 128 bits.
            let shift = Int(resolution & 0x7F)
            let (high, low) = ticks.multipliedFullWidth(by: 1_000_000_000)
            if shift == 0 {
                unsigned = high == 0 ? low : .max
            } else if shift < 64 {
                let shifted = high >> UInt64(shift)
                unsigned = shifted != 0 ? .max : (low >> UInt64(shift)) | (high << UInt64(64 - shift))
            } else {
                unsigned = high >> UInt64(shift - 64)
            }
        }
        let base = unsigned > UInt64(Int64.max) ? Int64.max : Int64(unsigned)
        let (offset, offsetOverflow) = offsetSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        if offsetOverflow { return offsetSeconds < 0 ? .min : .max }
        let (sum, sumOverflow) = base.addingReportingOverflow(offset)
        return sumOverflow ? (offset < 0 ? .min : .max) : sum
    }

    private static func power10(_ exponent: Int) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<exponent { value &*= 10 }
        return value
    }

    // MARK: Helpers

    /// pcapng stores LINKTYPE_ values; the decoder speaks DLT_ values. They differ only for raw IP.
    private func linkTypeForDLT(_ linkType: UInt16) -> UInt16 {
        linkType == 101 ? UInt16(LinkType.raw.rawValue) : linkType
    }

    /// The error for a bad block; `offset` goes back to the block's start, so it says how far the
    /// file is readable.
    private func fail(_ reason: String, at blockStart: Int64) -> PcapError {
        offset = blockStart
        return .readFailed(message: "\(reason) (pcapng block at byte \(blockStart))")
    }

    private func host(_ value: UInt32) -> UInt32 { littleEndian ? UInt32(littleEndian: value) : UInt32(bigEndian: value) }
    private func u16(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return littleEndian ? UInt16(littleEndian: raw) : UInt16(bigEndian: raw)
    }
    private func u32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return littleEndian ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }
    private func u64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        let raw = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)
        return littleEndian ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw)
    }

    /// libpcap's messages when a pcapng file's interfaces differ in link type or snapshot length:
    /// the files this reader exists for.
    public static func isMixedInterfaceError(_ message: String) -> Bool {
        message.contains("different from the type of the first interface")
            || message.contains("different from the snapshot length of the first interface")
    }
}
