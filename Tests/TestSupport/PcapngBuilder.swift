import Foundation

/// Writes pcapng bytes block by block, in either byte order, for tests that need files libpcap
/// and tshark can also read (mixed interfaces, odd timestamp resolutions, extreme timestamps)
/// or hostile ones (lying lengths).
public struct PcapngBuilder {
    public private(set) var bytes: [UInt8] = []
    public let bigEndian: Bool

    public init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    public mutating func sectionHeader(major: UInt16 = 1, minor: UInt16 = 0) {
        var body: [UInt8] = []
        append32(0x1A2B_3C4D, to: &body)
        append16(major, to: &body); append16(minor, to: &body)
        append64(UInt64.max, to: &body)  // section length: unknown
        block(0x0A0D_0D0A, body)
    }

    /// `timestampResolution`: the `if_tsresol` byte (nil: the default, microseconds).
    public mutating func interface(linkType: UInt16, snapLength: UInt32 = 0, timestampResolution: UInt8? = nil,
                                   timestampOffsetSeconds: Int64? = nil) {
        var body: [UInt8] = []
        append16(linkType, to: &body); append16(0, to: &body)
        append32(snapLength, to: &body)
        if let timestampResolution {
            append16(9, to: &body); append16(1, to: &body)
            body += [timestampResolution, 0, 0, 0]
        }
        if let timestampOffsetSeconds {
            append16(14, to: &body); append16(8, to: &body)
            append64(UInt64(bitPattern: timestampOffsetSeconds), to: &body)
        }
        if timestampResolution != nil || timestampOffsetSeconds != nil { append32(0, to: &body) }  // opt_endofopt
        block(1, body)
    }

    public mutating func enhancedPacket(interface: UInt32, ticks: UInt64, data: [UInt8], originalLength: UInt32? = nil) {
        var body: [UInt8] = []
        append32(interface, to: &body)
        append32(UInt32(ticks >> 32), to: &body); append32(UInt32(truncatingIfNeeded: ticks), to: &body)
        append32(UInt32(data.count), to: &body); append32(originalLength ?? UInt32(data.count), to: &body)
        body += data
        block(6, body)
    }

    public mutating func simplePacket(data: [UInt8]) {
        var body: [UInt8] = []
        append32(UInt32(data.count), to: &body)
        body += data
        block(3, body)
    }

    /// A block of any type and body (padded to 4 bytes), e.g. a custom or unknown block.
    public mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count)
        append32(type, to: &bytes); append32(length, to: &bytes)
        bytes += padded
        append32(length, to: &bytes)
    }

    /// Raw bytes (garbage, a lying header).
    public mutating func raw(_ extra: [UInt8]) { bytes += extra }

    public func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private func append16(_ value: UInt16, to out: inout [UInt8]) {
        let v = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: v) { out += $0 }
    }
    private func append32(_ value: UInt32, to out: inout [UInt8]) {
        let v = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: v) { out += $0 }
    }
    private func append64(_ value: UInt64, to out: inout [UInt8]) {
        let v = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: v) { out += $0 }
    }
}

/// Capture files whose timestamps sit at the edges: 0, just past the year 2262 (where
/// nanoseconds since 1970 leave `Int64`), the largest 63- and 64-bit tick counts, in every
/// timestamp resolution a reader converts differently. Every read path must take them without
/// a trap.
public enum ExtremeTimestampFiles {
    /// Ethernet / IPv4 / TCP SYN 10.0.0.1:40000 → 10.0.0.2:443.
    public static let frame: [UInt8] = [
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
        0x9C, 0x40, 0x01, 0xBB, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0,
    ]

    /// Tick counts: 0, 1, the first microsecond past 2262-04-11, 2^63, and 2^64 − 1.
    public static let ticks: [UInt64] = [0, 1, 9_223_372_036_854_776, 1 << 63, .max]

    /// Writes the files into `directory` and returns their paths.
    public static func write(into directory: URL) throws -> [String] {
        var paths: [String] = []
        func save(_ name: String, _ bytes: [UInt8]) throws {
            let path = directory.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        // One interface each (libpcap reads these): microseconds, nanoseconds, seconds, 2^-30 s.
        for (name, resolution) in [("us", nil), ("ns", 9), ("s", 0), ("binary", 0x80 | 30)] as [(String, UInt8?)] {
            for bigEndian in [false, true] {
                var file = PcapngBuilder(bigEndian: bigEndian)
                file.sectionHeader()
                file.interface(linkType: 1, timestampResolution: resolution)
                for tick in ticks { file.enhancedPacket(interface: 0, ticks: tick, data: frame) }
                try save("extreme-\(name)-\(bigEndian ? "be" : "le").pcapng", file.bytes)
            }
        }
        // Mixed link types (our pcapng reader), with the largest timestamp offsets either way.
        var mixed = PcapngBuilder()
        mixed.sectionHeader()
        mixed.interface(linkType: 1, timestampResolution: 9, timestampOffsetSeconds: .min)
        mixed.interface(linkType: 0, timestampResolution: 0, timestampOffsetSeconds: .max)
        for tick in ticks {
            mixed.enhancedPacket(interface: 0, ticks: tick, data: frame)
            mixed.enhancedPacket(interface: 1, ticks: tick, data: [2, 0, 0, 0] + Array(frame[14...]))
        }
        try save("extreme-mixed.pcapng", mixed.bytes)
        // Every time before 1970, down to the smallest nanosecond count (the offset saturates).
        var early = PcapngBuilder(bigEndian: true)
        early.sectionHeader()
        early.interface(linkType: 1, timestampOffsetSeconds: .min)
        early.interface(linkType: 101, timestampResolution: 9, timestampOffsetSeconds: .min)
        for tick in ticks {
            early.enhancedPacket(interface: 0, ticks: tick, data: frame)
            early.enhancedPacket(interface: 1, ticks: tick, data: Array(frame[14...]))
        }
        try save("extreme-mixed-negative.pcapng", early.bytes)
        // Classic pcap, microsecond and nanosecond: the largest 32-bit seconds and fractions.
        for (magic, name) in [(UInt32(0xA1B2_C3D4), "us"), (0xA1B2_3C4D, "ns")] {
            var bytes: [UInt8] = []
            func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
            put32(magic); bytes += [2, 0, 4, 0]; put32(0); put32(0); put32(65_535); put32(1)
            for (seconds, fraction) in [(UInt32(0), UInt32(0)), (.max, 999_999_999), (.max, .max), (1 << 31, 0)] {
                put32(seconds); put32(fraction); put32(UInt32(frame.count)); put32(UInt32(frame.count))
                bytes += frame
            }
            try save("extreme-\(name).pcap", bytes)
        }
        return paths
    }
}
