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
