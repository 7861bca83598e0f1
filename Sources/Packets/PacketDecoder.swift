/// Decodes captured frames into `PacketSummary` values.
///
/// Every read is bounds-checked against the captured bytes before it happens: a frame that is cut
/// short or lies about its lengths yields a summary flagged `.malformed` with whatever was decoded
/// up to that point, never a trap. The decoder allocates nothing.
public enum PacketDecoder {
    /// Highest number of stacked VLAN tags or IPv6 extension headers we walk before calling the
    /// frame malformed, so a hostile frame cannot make us loop over its whole length.
    static let maximumNestedHeaders = 8

    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        linkType: LinkType,
        timestamp: Int64,
        wireLength: Int
    ) -> PacketSummary {
        var summary = PacketSummary()
        summary.timestamp = timestamp
        summary.capturedLength = UInt32(clamping: bytes.count)
        summary.wireLength = UInt32(clamping: max(wireLength, bytes.count))
        if bytes.count < wireLength { summary.flags.insert(.truncated) }
        let frame = Frame(bytes: bytes)
        switch linkType {
        case .ethernet: decodeEthernet(frame, &summary)
        case .linuxSLL: decodeSLL(frame, &summary)
        case .linuxSLL2: decodeSLL2(frame, &summary)
        case .null: decodeNull(frame, &summary, bigEndianFamily: false)
        case .loop: decodeNull(frame, &summary, bigEndianFamily: true)
        case .raw, .rawOpenBSD, .rawLinktype: decodeRawIP(frame, at: 0, &summary)
        case .ipv4: decodeIPv4(frame, at: 0, &summary)
        case .ipv6: decodeIPv6(frame, at: 0, &summary)
        default: summary.flags.insert(.unknownLinkType)
        }
        return summary
    }

    /// Convenience for tests and tools holding a byte array.
    public static func decode(_ bytes: [UInt8], linkType: LinkType, timestamp: Int64 = 0, wireLength: Int? = nil) -> PacketSummary {
        bytes.withUnsafeBytes { decode($0, linkType: linkType, timestamp: timestamp, wireLength: wireLength ?? bytes.count) }
    }

    // MARK: Link layers

    static func decodeEthernet(_ frame: Frame, _ summary: inout PacketSummary) {
        guard frame.has(14, at: 0) else { return summary.markMalformed() }
        summary.destinationMAC = frame.mac(at: 0)
        summary.sourceMAC = frame.mac(at: 6)
        var offset = 12
        var etherType = frame.u16(at: offset)
        var tags = 0
        // 802.1Q (0x8100), 802.1ad QinQ (0x88A8) and the pre-standard 0x9100 all carry a 2-byte
        // tag control field followed by the next EtherType.
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            tags += 1
            guard tags <= maximumNestedHeaders, frame.has(4, at: offset + 2) else {
                return summary.markMalformed()
            }
            if tags == 1 { summary.vlanID = frame.u16(at: offset + 2) & 0x0FFF }
            summary.flags.insert(.vlanTagged)
            offset += 4
            etherType = frame.u16(at: offset)
        }
        decodeEtherType(etherType, frame, at: offset + 2, &summary)
    }

    static func decodeEtherType(_ etherType: UInt16, _ frame: Frame, at offset: Int, _ summary: inout PacketSummary) {
        switch etherType {
        case 0x0800: decodeIPv4(frame, at: offset, &summary)
        case 0x86DD: decodeIPv6(frame, at: offset, &summary)
        case 0x0806: decodeARP(frame, at: offset, &summary)
        case 0x8864: decodePPPoESession(frame, at: offset, &summary)
        default: break  // 802.3 length field, LLDP, EAPOL, …: counted as "other"
        }
    }

    /// PPPoE session stage (RFC 2516), as DSL links carry IP: version/type, code 0, session id,
    /// length, then the 2-byte PPP protocol (0x0021 IPv4, 0x0057 IPv6). Discovery (0x8863) and
    /// PPP control protocols (LCP, IPCP) stay "other".
    static func decodePPPoESession(_ frame: Frame, at offset: Int, _ summary: inout PacketSummary) {
        guard frame.has(8, at: offset) else { return summary.markMalformed() }
        guard frame.u8(at: offset) == 0x11, frame.u8(at: offset + 1) == 0 else { return }
        summary.flags.insert(.pppoe)
        switch frame.u16(at: offset + 6) {
        case 0x0021: decodeIPv4(frame, at: offset + 8, &summary)
        case 0x0057: decodeIPv6(frame, at: offset + 8, &summary)
        default: break
        }
    }

    /// Linux cooked capture v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
    static func decodeSLL(_ frame: Frame, _ summary: inout PacketSummary) {
        guard frame.has(16, at: 0) else { return summary.markMalformed() }
        let hardwareType = frame.u16(at: 2)
        let addressLength = frame.u16(at: 4)
        if hardwareType == 1, addressLength == 6 { summary.sourceMAC = frame.mac(at: 6) }
        decodeEtherType(frame.u16(at: 14), frame, at: 16, &summary)
    }

    /// Linux cooked capture v2: protocol first, then interface index, ARPHRD type, packet type,
    /// address length and 8 address bytes.
    static func decodeSLL2(_ frame: Frame, _ summary: inout PacketSummary) {
        guard frame.has(20, at: 0) else { return summary.markMalformed() }
        let hardwareType = frame.u16(at: 8)
        let addressLength = frame.u8(at: 11)
        if hardwareType == 1, addressLength == 6 { summary.sourceMAC = frame.mac(at: 12) }
        decodeEtherType(frame.u16(at: 0), frame, at: 20, &summary)
    }

    /// BSD loopback (DLT_NULL, host byte order of the capturing machine) and OpenBSD DLT_LOOP
    /// (network byte order). The IPv6 family value differs per BSD: 24, 28 or 30; Linux uses 10.
    static func decodeNull(_ frame: Frame, _ summary: inout PacketSummary, bigEndianFamily: Bool) {
        guard frame.has(4, at: 0) else { return summary.markMalformed() }
        var family = bigEndianFamily ? frame.u32(at: 0) : frame.u32LE(at: 0)
        // A DLT_NULL file written on a big-endian host reads as a value ≥ 2^16 here.
        if !bigEndianFamily && family > 0xFFFF { family = family.byteSwapped }
        switch family {
        case 2: decodeIPv4(frame, at: 4, &summary)
        case 10, 24, 28, 30: decodeIPv6(frame, at: 4, &summary)
        default: break
        }
    }

    static func decodeRawIP(_ frame: Frame, at offset: Int, _ summary: inout PacketSummary) {
        guard frame.has(1, at: offset) else { return summary.markMalformed() }
        switch frame.u8(at: offset) >> 4 {
        case 4: decodeIPv4(frame, at: offset, &summary)
        case 6: decodeIPv6(frame, at: offset, &summary)
        default: summary.flags.insert(.malformed)
        }
    }

    // MARK: Network layer

    static func decodeIPv4(_ frame: Frame, at offset: Int, _ summary: inout PacketSummary) {
        summary.network = .ipv4
        guard frame.has(20, at: offset) else { return summary.markMalformed() }
        let versionAndLength = frame.u8(at: offset)
        let headerLength = Int(versionAndLength & 0x0F) * 4
        // A total length of 0 comes from TCP segmentation offload: the NIC fills it in after the
        // capture point. Like Wireshark, take the captured bytes as the datagram then.
        let statedLength = Int(frame.u16(at: offset + 2))
        let totalLength = statedLength == 0 ? frame.count - offset : statedLength
        guard versionAndLength >> 4 == 4, headerLength >= 20, totalLength >= headerLength,
              frame.has(headerLength, at: offset)
        else { return summary.markMalformed() }
        summary.source = IPAddress(ipv4: frame.u32(at: offset + 12))
        summary.destination = IPAddress(ipv4: frame.u32(at: offset + 16))
        summary.ttl = frame.u8(at: offset + 8)
        let proto = frame.u8(at: offset + 9)
        summary.ipProtocol = proto
        let fragmentField = frame.u16(at: offset + 6)
        let moreFragments = fragmentField & 0x2000 != 0
        let fragmentOffset = fragmentField & 0x1FFF
        if moreFragments || fragmentOffset != 0 { summary.flags.insert(.fragment) }
        // The transport header is only in the first fragment; later ones still count by protocol.
        // The IP total length bounds the payload, so Ethernet padding is never read as transport.
        let payloadEnd = min(offset + totalLength, frame.count)
        decodeTransport(proto, frame.limited(to: payloadEnd), at: offset + headerLength, &summary,
                        headerPresent: fragmentOffset == 0, isIPv6: false)
    }

    static func decodeIPv6(_ frame: Frame, at offset: Int, _ summary: inout PacketSummary) {
        summary.network = .ipv6
        guard frame.has(40, at: offset), frame.u8(at: offset) >> 4 == 6 else {
            return summary.markMalformed()
        }
        summary.source = IPAddress(high: frame.u64(at: offset + 8), low: frame.u64(at: offset + 16))
        summary.destination = IPAddress(high: frame.u64(at: offset + 24), low: frame.u64(at: offset + 32))
        summary.ttl = frame.u8(at: offset + 7)
        let payloadLength = Int(frame.u16(at: offset + 4))
        // A payload length of 0 means a jumbogram (hop-by-hop option); then the frame bounds it.
        let payloadEnd = payloadLength == 0 ? frame.count : min(offset + 40 + payloadLength, frame.count)
        let limited = frame.limited(to: payloadEnd)
        var next = frame.u8(at: offset + 6)
        var cursor = offset + 40
        var headerPresent = true
        var walked = 0
        // Walk the extension-header chain to the upper-layer protocol. Each header must fit
        // completely; a later fragment stops the walk, because what follows its fragment header
        // is the middle of the original payload, not another header.
        extensionWalk: while headerPresent {
            let headerLength: Int
            switch next {
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                guard limited.has(2, at: cursor) else { summary.ipProtocol = next; return summary.markMalformed() }
                headerLength = (Int(limited.u8(at: cursor + 1)) + 1) * 8
            case 44:  // fragment header: fixed 8 bytes
                headerLength = 8
            case 51:  // authentication header: length in 4-byte units, minus 2
                guard limited.has(2, at: cursor) else { summary.ipProtocol = next; return summary.markMalformed() }
                headerLength = (Int(limited.u8(at: cursor + 1)) + 2) * 4
            default:
                break extensionWalk
            }
            guard limited.has(headerLength, at: cursor) else { summary.ipProtocol = next; return summary.markMalformed() }
            walked += 1
            if walked > maximumNestedHeaders { summary.ipProtocol = next; return summary.markMalformed() }
            if next == 44 {
                summary.flags.insert(.fragment)
                if limited.u16(at: cursor + 2) & 0xFFF8 != 0 {
                    // A later fragment: report the protocol the fragment header names.
                    headerPresent = false
                }
            }
            next = limited.u8(at: cursor)
            cursor += headerLength
        }
        summary.ipProtocol = next
        decodeTransport(next, limited, at: cursor, &summary, headerPresent: headerPresent, isIPv6: true)
    }

    static func decodeARP(_ frame: Frame, at offset: Int, _ summary: inout PacketSummary) {
        summary.network = .arp
        guard frame.has(8, at: offset) else { return summary.markMalformed() }
        let hardwareLength = Int(frame.u8(at: offset + 4))
        let protocolLength = Int(frame.u8(at: offset + 5))
        summary.arpOperation = frame.u16(at: offset + 6)
        guard frame.has(8 + 2 * (hardwareLength + protocolLength), at: offset) else {
            return summary.markMalformed()
        }
        // Only Ethernet/IPv4 ARP carries addresses we can represent.
        guard frame.u16(at: offset) == 1, frame.u16(at: offset + 2) == 0x0800,
              hardwareLength == 6, protocolLength == 4 else { return }
        summary.sourceMAC = frame.mac(at: offset + 8)
        summary.source = IPAddress(ipv4: frame.u32(at: offset + 14))
        summary.destinationMAC = frame.mac(at: offset + 18)
        summary.destination = IPAddress(ipv4: frame.u32(at: offset + 24))
    }

    // MARK: Transport layer

    static func decodeTransport(
        _ proto: UInt8, _ frame: Frame, at offset: Int, _ summary: inout PacketSummary,
        headerPresent: Bool, isIPv6: Bool
    ) {
        switch proto {
        case 6:
            summary.transport = .tcp
            guard headerPresent else { return }
            guard frame.has(20, at: offset) else { return summary.markMalformed() }
            let dataOffset = Int(frame.u8(at: offset + 12) >> 4) * 4
            guard dataOffset >= 20, frame.has(dataOffset, at: offset) else { return summary.markMalformed() }
            summary.sourcePort = frame.u16(at: offset)
            summary.destinationPort = frame.u16(at: offset + 2)
            summary.tcpFlags = TCPFlags(rawValue: frame.u8(at: offset + 13))
            summary.tcpSequence = frame.u32(at: offset + 4)
        case 17, 136:  // UDP and UDP-Lite share the port layout
            summary.transport = .udp
            guard headerPresent else { return }
            guard frame.has(8, at: offset) else { return summary.markMalformed() }
            summary.sourcePort = frame.u16(at: offset)
            summary.destinationPort = frame.u16(at: offset + 2)
        case 1 where !isIPv6, 58 where isIPv6:
            summary.transport = isIPv6 ? .icmpv6 : .icmp
            guard headerPresent else { return }
            guard frame.has(4, at: offset) else { return summary.markMalformed() }
            summary.icmpType = frame.u8(at: offset)
            summary.icmpCode = frame.u8(at: offset + 1)
        case 59:  // IPv6 "no next header"
            summary.transport = .none
        default:
            summary.transport = .other
        }
    }
}

/// A bounds-aware view of captured bytes. Callers check `has(_:at:)` before reading; the readers
/// themselves do not re-check, which keeps the hot path to one comparison per header.
struct Frame {
    let bytes: UnsafeRawBufferPointer
    let count: Int

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        count = bytes.count
    }

    private init(bytes: UnsafeRawBufferPointer, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    /// The same bytes with the readable end moved in to `end` (never out).
    func limited(to end: Int) -> Frame { Frame(bytes: bytes, count: max(0, min(end, count))) }

    @inline(__always) func has(_ length: Int, at offset: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count &- length
    }

    @inline(__always) func u8(at offset: Int) -> UInt8 { bytes.load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func u16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inline(__always) func u32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func u32LE(at offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func u64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) func mac(at offset: Int) -> MACAddress {
        MACAddress(value: UInt64(u16(at: offset)) << 32 | UInt64(u32(at: offset + 2)))
    }
}

extension PacketSummary {
    @inline(__always) mutating func markMalformed() { flags.insert(.malformed) }
}
