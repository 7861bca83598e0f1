/// Builds well-formed frames byte by byte: test fixtures, benchmark input, and (later) the probes
/// the scanner injects. Checksums are computed where receivers check them (IPv4 header).
public enum FrameBuilder {
    public struct Endpoint: Sendable {
        public var address: IPAddress
        public var port: UInt16
        public init(_ address: IPAddress, _ port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    public static func ethernet(source: MACAddress, destination: MACAddress, etherType: UInt16, vlanIDs: [UInt16] = [], payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(14 + 4 * vlanIDs.count + payload.count)
        appendMAC(destination, to: &frame)
        appendMAC(source, to: &frame)
        for (index, vlan) in vlanIDs.enumerated() {
            // Outer tags of a QinQ stack use 802.1ad (0x88A8); the innermost uses 802.1Q.
            append16(index == vlanIDs.count - 1 ? 0x8100 : 0x88A8, to: &frame)
            append16(vlan & 0x0FFF, to: &frame)
        }
        append16(etherType, to: &frame)
        frame += payload
        return frame
    }

    public static func ipv4(source: IPAddress, destination: IPAddress, protocol proto: UInt8, ttl: UInt8 = 64,
                            identification: UInt16 = 0, fragmentField: UInt16 = 0, options: [UInt8] = [], payload: [UInt8]) -> [UInt8] {
        precondition(options.count % 4 == 0 && options.count <= 40, "IPv4 options are padded to 4 bytes, at most 40")
        let headerLength = 20 + options.count
        var header: [UInt8] = [UInt8(0x40 | headerLength / 4), 0]
        append16(UInt16(headerLength + payload.count), to: &header)
        append16(identification, to: &header)
        append16(fragmentField, to: &header)
        header += [ttl, proto, 0, 0]
        append32(source.ipv4Value, to: &header)
        append32(destination.ipv4Value, to: &header)
        header += options
        let checksum = internetChecksum(header)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xFF)
        return header + payload
    }

    public static func ipv6(source: IPAddress, destination: IPAddress, nextHeader: UInt8, hopLimit: UInt8 = 64, payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0x60, 0, 0, 0]
        append16(UInt16(payload.count), to: &header)
        header += [nextHeader, hopLimit]
        header += source.bytes
        header += destination.bytes
        return header + payload
    }

    public static func tcp(sourcePort: UInt16, destinationPort: UInt16, flags: TCPFlags, sequence: UInt32 = 0,
                           acknowledgement: UInt32 = 0, options: [UInt8] = [], payload: [UInt8] = []) -> [UInt8] {
        precondition(options.count % 4 == 0, "TCP options are padded to 4 bytes")
        var segment: [UInt8] = []
        append16(sourcePort, to: &segment)
        append16(destinationPort, to: &segment)
        append32(sequence, to: &segment)
        append32(acknowledgement, to: &segment)
        segment += [UInt8((20 + options.count) / 4) << 4, flags.rawValue]
        append16(65535, to: &segment)  // window
        segment += [0, 0, 0, 0]         // checksum (unchecked by decoders), urgent pointer
        return segment + options + payload
    }

    public static func udp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = []) -> [UInt8] {
        var datagram: [UInt8] = []
        append16(sourcePort, to: &datagram)
        append16(destinationPort, to: &datagram)
        append16(UInt16(8 + payload.count), to: &datagram)
        append16(0, to: &datagram)
        return datagram + payload
    }

    public static func icmp(type: UInt8, code: UInt8, payload: [UInt8] = [0, 1, 0, 1]) -> [UInt8] {
        var message: [UInt8] = [type, code, 0, 0] + payload
        let checksum = internetChecksum(message)
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xFF)
        return message
    }

    public static func arp(operation: UInt16, senderMAC: MACAddress, senderIP: IPAddress, targetMAC: MACAddress, targetIP: IPAddress) -> [UInt8] {
        var body: [UInt8] = [0, 1, 0x08, 0x00, 6, 4]
        append16(operation, to: &body)
        appendMAC(senderMAC, to: &body)
        append32(senderIP.ipv4Value, to: &body)
        appendMAC(targetMAC, to: &body)
        append32(targetIP.ipv4Value, to: &body)
        return body
    }

    /// A whole Ethernet/IP/TCP-or-UDP frame in one call (the common fixture).
    public static func ethernetIP(from source: Endpoint, to destination: Endpoint, transport: TransportProtocol,
                                  tcpFlags: TCPFlags = [.ack], payload: [UInt8] = [],
                                  sourceMAC: MACAddress = MACAddress(value: 0x02_00_00_00_00_01),
                                  destinationMAC: MACAddress = MACAddress(value: 0x02_00_00_00_00_02)) -> [UInt8] {
        let isV6 = !source.address.isIPv4
        let segment: [UInt8]
        let proto: UInt8
        switch transport {
        case .tcp:
            segment = tcp(sourcePort: source.port, destinationPort: destination.port, flags: tcpFlags, payload: payload)
            proto = 6
        case .udp:
            segment = udp(sourcePort: source.port, destinationPort: destination.port, payload: payload)
            proto = 17
        case .icmp, .icmpv6:
            segment = icmp(type: isV6 ? 128 : 8, code: 0, payload: payload.isEmpty ? [0, 1, 0, 1] : payload)
            proto = isV6 ? 58 : 1
        case .none, .other:
            segment = payload
            proto = 47
        }
        let packet = isV6
            ? ipv6(source: source.address, destination: destination.address, nextHeader: proto, payload: segment)
            : ipv4(source: source.address, destination: destination.address, protocol: proto, payload: segment)
        return ethernet(source: sourceMAC, destination: destinationMAC, etherType: isV6 ? 0x86DD : 0x0800, payload: packet)
    }

    /// RFC 1071 one's-complement checksum.
    public static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        append16(UInt16(value >> 16), to: &bytes)
        append16(UInt16(value & 0xFFFF), to: &bytes)
    }

    static func appendMAC(_ mac: MACAddress, to bytes: inout [UInt8]) {
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: mac.value >> UInt64(shift))) }
    }
}
