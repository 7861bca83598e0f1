import XCTest
@testable import Packets

/// Network- and transport-layer decoding: IPv4 options and fragments, IPv6 extension headers,
/// TCP, UDP, ICMP, ICMPv6, and the frames that lie about their lengths.
final class ProtocolDecoderTests: XCTestCase {
    // MARK: IPv4

    func testIPv4OptionsShiftTheTransportHeader() {
        let summary = decodeAndAssert(Fixtures.ethernetIPv4OptionsUDP, .ethernet, Expected(
            network: .ipv4, transport: .udp, source: ip("192.168.1.1"), destination: ip("192.168.1.2"),
            sourceMAC: mac("66:77:88:99:aa:bb"), destinationMAC: mac("00:11:22:33:44:55"),
            sourcePort: 1234, destinationPort: 5678, ipProtocol: 17, ttl: 64))
        // Reading at IHL 5 would have found the Record Route bytes 0x070B and 0x0400 as ports.
        XCTAssertNotEqual(summary.sourcePort, 0x070B)
    }

    func testIPv4MaximumOptionsIHL15() {
        let options = [UInt8](repeating: 0x01, count: 40)  // 40 NOPs: IHL 15, 60-byte header
        let udp = FrameBuilder.udp(sourcePort: 7, destinationPort: 9)
        let packet = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2), protocol: 17,
                                       options: options, payload: udp)
        XCTAssertEqual(packet[0], 0x4F)
        let summary = PacketDecoder.decode(packet, linkType: .raw)
        XCTAssertEqual(summary.flags, [])
        XCTAssertEqual(summary.sourcePort, 7)
        XCTAssertEqual(summary.destinationPort, 9)
    }

    func testIPv4FirstFragmentHasPortsLaterFragmentsDoNot() {
        let macs = (source: mac("66:77:88:99:aa:bb"), destination: mac("00:11:22:33:44:55"))
        decodeAndAssert(Fixtures.ethernetIPv4FirstFragment, .ethernet, Expected(
            network: .ipv4, transport: .udp, source: ip("10.0.0.1"), destination: ip("10.0.0.2"),
            sourceMAC: macs.source, destinationMAC: macs.destination, sourcePort: 123, destinationPort: 123,
            ipProtocol: 17, ttl: 64, flags: .fragment), "first fragment")
        for (name, frame) in [("middle", Fixtures.ethernetIPv4MiddleFragment), ("last", Fixtures.ethernetIPv4LastFragment)] {
            let summary = decodeAndAssert(frame, .ethernet, Expected(
                network: .ipv4, transport: .udp, source: ip("10.0.0.1"), destination: ip("10.0.0.2"),
                sourceMAC: macs.source, destinationMAC: macs.destination, ipProtocol: 17, ttl: 64, flags: .fragment),
                "\(name) fragment")
            XCTAssertEqual(summary.protocolClass, .udp, "later fragments still count by protocol")
        }
    }

    func testIPv4DontFragmentAloneIsNotAFragment() {
        // The fixture has DF set (0x4000): that is not a fragment.
        XCTAssertFalse(PacketDecoder.decode(Fixtures.ethernetIPv4TCP, linkType: .ethernet).flags.contains(.fragment))
    }

    func testIPv4LaterTCPFragmentHasNoFlagsOrPorts() {
        let data: [UInt8] = [0x00, 0x50, 0x01, 0xBB] + Array(repeating: 0xFF, count: 20)
        let packet = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2), protocol: 6,
                                       fragmentField: 0x00B9, payload: data)  // offset 185 × 8 = 1480, MF clear
        let summary = PacketDecoder.decode(packet, linkType: .raw)
        assertSummary(summary, Expected(network: .ipv4, transport: .tcp, source: IPAddress(10, 0, 0, 1),
                                        destination: IPAddress(10, 0, 0, 2), ipProtocol: 6, ttl: 64, flags: .fragment))
    }

    func testIPv4OtherProtocolsAreOther() {
        for (proto, name) in [(UInt8(47), "GRE"), (50, "ESP"), (2, "IGMP"), (58, "ICMPv6 number inside IPv4"), (132, "SCTP")] {
            let packet = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                                           protocol: proto, payload: Array(repeating: 0, count: 24))
            let summary = PacketDecoder.decode(packet, linkType: .raw)
            XCTAssertEqual(summary.transport, .other, name)
            XCTAssertEqual(summary.ipProtocol, proto, name)
            XCTAssertEqual(summary.flags, [], name)
            XCTAssertEqual(summary.sourcePort, 0, name)
            XCTAssertEqual(summary.icmpType, 0, name)
            XCTAssertEqual(summary.protocolClass, .other, name)
        }
    }

    func testUDPLiteIsCountedAsUDP() {
        let packet = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2), protocol: 136,
                                       payload: FrameBuilder.udp(sourcePort: 1111, destinationPort: 2222))
        let summary = PacketDecoder.decode(packet, linkType: .raw)
        XCTAssertEqual(summary.transport, .udp)
        XCTAssertEqual(summary.ipProtocol, 136)
        XCTAssertEqual(summary.sourcePort, 1111)
        XCTAssertEqual(summary.destinationPort, 2222)
    }

    // MARK: IPv6

    func testIPv6ExtensionHeaderChainToTCP() {
        decodeAndAssert(Fixtures.ethernetIPv6ExtensionChainTCP, .ethernet, Expected(
            network: .ipv6, transport: .tcp, source: ip("2001:db8::22"), destination: ip("2001:db8::99"),
            sourceMAC: mac("66:77:88:99:aa:bb"), destinationMAC: mac("00:11:22:33:44:55"),
            sourcePort: 22, destinationPort: 50000, ipProtocol: 6, tcpFlags: [.syn, .ack], ttl: 57))
    }

    func testIPv6FragmentHeader() {
        decodeAndAssert(Fixtures.rawIPv6FirstFragmentUDP, .ipv6, Expected(
            network: .ipv6, transport: .udp, source: ip("2001:db8::1"), destination: ip("2001:db8::2"),
            sourcePort: 5000, destinationPort: 5001, ipProtocol: 17, ttl: 64, flags: .fragment), "first fragment")
        decodeAndAssert(Fixtures.rawIPv6LaterFragmentUDP, .ipv6, Expected(
            network: .ipv6, transport: .udp, source: ip("2001:db8::1"), destination: ip("2001:db8::2"),
            ipProtocol: 17, ttl: 64, flags: .fragment), "later fragment")
    }

    func testIPv6AuthenticationHeader() {
        decodeAndAssert(Fixtures.rawIPv6AuthenticationHeaderTCP, .ipv6, Expected(
            network: .ipv6, transport: .tcp, source: ip("2001:db8::a"), destination: ip("2001:db8::b"),
            sourcePort: 500, destinationPort: 4500, ipProtocol: 6, tcpFlags: .ack, ttl: 64))
    }

    func testIPv6ChainMixingEveryExtensionKind() {
        // hop-by-hop → fragment (first) → AH → destination options → UDP.
        let hopByHop: [UInt8] = [44, 0, 0x01, 0x04, 0, 0, 0, 0]
        let fragment: [UInt8] = [51, 0, 0x00, 0x01, 0, 0, 0, 9]
        let authentication: [UInt8] = [60, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]  // (1 + 2) × 4 = 12 bytes
        let destination: [UInt8] = [17, 0, 0x01, 0x04, 0, 0, 0, 0]
        let udp = FrameBuilder.udp(sourcePort: 4789, destinationPort: 4790, payload: [1, 2, 3])
        let packet = FrameBuilder.ipv6(source: ip("fd00::1"), destination: ip("fd00::2"), nextHeader: 0, hopLimit: 3,
                                       payload: hopByHop + fragment + authentication + destination + udp)
        let summary = PacketDecoder.decode(packet, linkType: .ipv6)
        assertSummary(summary, Expected(network: .ipv6, transport: .udp, source: ip("fd00::1"), destination: ip("fd00::2"),
                                        sourcePort: 4789, destinationPort: 4790, ipProtocol: 17, ttl: 3, flags: .fragment))
    }

    func testIPv6NoNextHeader() {
        let packet = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 59, payload: [])
        let summary = PacketDecoder.decode(packet, linkType: .ipv6)
        assertSummary(summary, Expected(network: .ipv6, transport: .none, source: ip("2001:db8::1"),
                                        destination: ip("2001:db8::2"), ipProtocol: 59, ttl: 64))
        XCTAssertEqual(summary.protocolClass, .other)
    }

    func testIPv6ICMPNumberOneIsNotICMPv6() {
        let packet = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 1,
                                       payload: [8, 0, 0, 0, 0, 1, 0, 1])
        let summary = PacketDecoder.decode(packet, linkType: .ipv6)
        XCTAssertEqual(summary.transport, .other)
        XCTAssertEqual(summary.icmpType, 0)
    }

    func testIPv6JumbogramPayloadLengthZeroIsBoundedByFrame() {
        // Payload length 0 with a hop-by-hop Jumbo Payload option: the frame bounds the payload.
        let hopByHop: [UInt8] = [17, 0, 0xC2, 0x04, 0x00, 0x01, 0x00, 0x10]
        var packet = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 0,
                                       payload: hopByHop + FrameBuilder.udp(sourcePort: 9000, destinationPort: 9001))
        packet[4] = 0; packet[5] = 0
        let summary = PacketDecoder.decode(packet, linkType: .ipv6)
        XCTAssertEqual(summary.flags, [])
        XCTAssertEqual(summary.sourcePort, 9000)
        XCTAssertEqual(summary.destinationPort, 9001)
    }

    func testIPv6NonFirstFragmentDoesNotParseFragmentDataAsHeaders() {
        // Later fragments whose fragmentable part began with a destination-options header (the
        // fragment header's next header is 60 in every fragment, RFC 8200 §4.5). The bytes after
        // the fragment header are the middle of the original payload; walking them as a header
        // chain invents a protocol, or a malformation, out of payload data. Only the first
        // fragment's headers can be trusted.
        let fragment: [UInt8] = [60, 0, 0x05, 0xA8, 0, 0, 0, 1]  // next 60, offset 181 (1448 bytes), M clear
        let payloads: [(String, [UInt8])] = [
            // reads as "next header 6 (TCP), length 256 × 8"
            ("data reading as TCP", [6, 0xFF] + Array(repeating: 0x55, count: 30)),
            // reads as ten more destination-options headers: beyond the walk limit
            ("data reading as a long chain", Array([[UInt8]](repeating: [60, 0, 1, 4, 0, 0, 0, 0], count: 10).joined())),
        ]
        for (name, data) in payloads {
            let packet = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 44,
                                           payload: fragment + data)
            let summary = PacketDecoder.decode(packet, linkType: .ipv6)
            XCTAssertEqual(summary.flags, .fragment, "\(name): a well-formed later fragment is neither malformed nor anything else")
            XCTAssertEqual(summary.ipProtocol, 60, "\(name): the fragment header's next header is all this fragment tells")
            XCTAssertEqual(summary.transport, .other, name)
            XCTAssertEqual(summary.sourcePort, 0, name)
        }
    }

    // MARK: TCP, UDP, ICMP

    func testEveryTCPFlagBit() {
        let all: [(TCPFlags, UInt8, String)] = [
            (.fin, 0x01, "FIN"), (.syn, 0x02, "SYN"), (.rst, 0x04, "RST"), (.psh, 0x08, "PSH"),
            (.ack, 0x10, "ACK"), (.urg, 0x20, "URG"), (.ece, 0x40, "ECE"), (.cwr, 0x80, "CWR"),
        ]
        for (flag, bit, name) in all {
            var frame = Fixtures.ethernetIPv4TCP
            frame[47] = bit  // TCP byte 13
            let summary = PacketDecoder.decode(frame, linkType: .ethernet)
            XCTAssertEqual(summary.tcpFlags, flag, name)
            XCTAssertEqual(summary.tcpFlags.description, name)
        }
        var frame = Fixtures.ethernetIPv4TCP
        frame[47] = 0xFF
        XCTAssertEqual(PacketDecoder.decode(frame, linkType: .ethernet).tcpFlags.rawValue, 0xFF)
        frame[47] = 0x00
        XCTAssertEqual(PacketDecoder.decode(frame, linkType: .ethernet).tcpFlags.description, "-")
        XCTAssertEqual(TCPFlags([.syn, .ack]).description, "SYN,ACK")
    }

    func testICMPErrorReportsOuterMessageNotQuotedPorts() {
        let summary = decodeAndAssert(Fixtures.rawIPv4ICMPPortUnreachable, .raw, Expected(
            network: .ipv4, transport: .icmp, source: ip("192.168.1.1"), destination: ip("192.168.1.10"),
            ipProtocol: 1, icmpType: 3, icmpCode: 3, ttl: 64))
        XCTAssertEqual(summary.protocolClass, .icmp)
    }

    func testICMPv6TypesAndCodes() {
        for (type, code) in [(UInt8(1), UInt8(4)), (128, 0), (129, 0), (134, 0), (136, 0), (3, 1)] {
            let packet = FrameBuilder.ipv6(source: ip("fe80::1"), destination: ip("fe80::2"), nextHeader: 58,
                                           payload: [type, code, 0, 0, 0, 0, 0, 0])
            let summary = PacketDecoder.decode(packet, linkType: .ipv6)
            XCTAssertEqual(summary.transport, .icmpv6)
            XCTAssertEqual(summary.icmpType, type)
            XCTAssertEqual(summary.icmpCode, code)
            XCTAssertEqual(summary.protocolClass, .icmp)
        }
    }

    // MARK: Lengths that lie

    func testBadIPv4VersionIsMalformed() {
        for first: UInt8 in [0x55, 0x65, 0x05, 0xF5] {
            var frame = Fixtures.ethernetIPv4TCP
            frame[14] = first
            let summary = PacketDecoder.decode(frame, linkType: .ethernet)
            assertSummary(summary, Expected(network: .ipv4, sourceMAC: mac("66:77:88:99:aa:bb"),
                                            destinationMAC: mac("00:11:22:33:44:55"), flags: .malformed),
                          "version/IHL byte \(first)")
        }
    }

    func testIPv4HeaderLengthBelowFiveIsMalformed() {
        for ihl: UInt8 in 0..<5 {
            var packet = Fixtures.rawIPv4TCP
            packet[0] = 0x40 | ihl
            assertSummary(PacketDecoder.decode(packet, linkType: .raw), Expected(network: .ipv4, flags: .malformed), "IHL \(ihl)")
        }
    }

    func testIPv4TotalLengthBelowHeaderLengthIsMalformed() {
        // 0 is not here: it means "filled in by segmentation offload" (see the TSO test below).
        for totalLength: UInt16 in [1, 19] {
            var packet = Fixtures.rawIPv4TCP
            packet[2] = UInt8(totalLength >> 8); packet[3] = UInt8(totalLength & 0xFF)
            assertSummary(PacketDecoder.decode(packet, linkType: .raw), Expected(network: .ipv4, flags: .malformed),
                          "total length \(totalLength)")
        }
        // With options (IHL 8 = 32 bytes), a total length of 20..31 is still below the header length.
        var frame = Fixtures.ethernetIPv4OptionsUDP
        frame[16] = 0; frame[17] = 31
        XCTAssertTrue(PacketDecoder.decode(frame, linkType: .ethernet).isMalformed)
        XCTAssertEqual(PacketDecoder.decode(frame, linkType: .ethernet).sourcePort, 0)
    }

    /// TCP segmentation offload (and UDP GSO) hands the capture point a super-segment whose IPv4
    /// total length is still 0. Wireshark then takes the captured length as the datagram's; so do
    /// we: such packets count by their protocol, with ports, not as malformed.
    func testIPv4TotalLengthZeroFromSegmentationOffloadUsesTheCapturedLength() {
        let tcpPayload = [UInt8](repeating: 0x41, count: 2_896)  // two full-size segments in one
        let tcp = FrameBuilder.tcp(sourcePort: 50_000, destinationPort: 443, flags: [.ack, .psh], payload: tcpPayload)
        var tso = FrameBuilder.ethernet(source: mac("02:00:00:00:00:01"), destination: mac("02:00:00:00:00:02"), etherType: 0x0800,
                                        payload: FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                                                                   protocol: 6, payload: tcp))
        tso[16] = 0; tso[17] = 0
        let summary = PacketDecoder.decode(tso, linkType: .ethernet)
        assertSummary(summary, Expected(network: .ipv4, transport: .tcp, source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                                        sourceMAC: mac("02:00:00:00:00:01"), destinationMAC: mac("02:00:00:00:00:02"),
                                        sourcePort: 50_000, destinationPort: 443, ipProtocol: 6, tcpFlags: [.ack, .psh], ttl: 64))
        XCTAssertEqual(summary.protocolClass, .tcp)

        let udp = FrameBuilder.udp(sourcePort: 4433, destinationPort: 53_000, payload: [UInt8](repeating: 7, count: 3_000))
        var gso = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 3), destination: IPAddress(10, 0, 0, 4), protocol: 17, payload: udp)
        gso[2] = 0; gso[3] = 0
        assertSummary(PacketDecoder.decode(gso, linkType: .raw),
                      Expected(network: .ipv4, transport: .udp, source: IPAddress(10, 0, 0, 3), destination: IPAddress(10, 0, 0, 4),
                               sourcePort: 4433, destinationPort: 53_000, ipProtocol: 17, ttl: 64))

        // Total length 0 with a header that does not fit the captured bytes is still malformed.
        XCTAssertTrue(PacketDecoder.decode(Array(gso.prefix(12)), linkType: .raw).isMalformed)
    }

    func testIPv4OptionsLongerThanTheFrameAreMalformed() {
        // IHL 15 claims 60 header bytes, but only 40 bytes of packet exist.
        var packet = Fixtures.rawIPv4TCP
        packet[0] = 0x4F
        packet[2] = 0; packet[3] = 60
        assertSummary(PacketDecoder.decode(packet, linkType: .raw), Expected(network: .ipv4, flags: .malformed))
    }

    func testIPv4TotalLengthTooShortForTransportIsMalformed() {
        // Total length 24: the TCP header would end at byte 40, beyond the datagram.
        var packet = Fixtures.rawIPv4TCP
        packet[3] = 24
        let summary = PacketDecoder.decode(packet, linkType: .raw)
        XCTAssertTrue(summary.isMalformed)
        XCTAssertEqual(summary.transport, .tcp)
        XCTAssertEqual(summary.sourcePort, 0)
        XCTAssertEqual(summary.tcpFlags, [])
        XCTAssertEqual(summary.source, ip("172.16.5.5"), "the IPv4 fields decoded before the cut stay")
    }

    func testTCPDataOffsetBelowFiveIsMalformed() {
        for dataOffset: UInt8 in 0..<5 {
            var frame = Fixtures.ethernetIPv4TCP
            frame[46] = dataOffset << 4
            let summary = PacketDecoder.decode(frame, linkType: .ethernet)
            XCTAssertTrue(summary.isMalformed, "data offset \(dataOffset)")
            XCTAssertEqual(summary.transport, .tcp)
            XCTAssertEqual(summary.sourcePort, 0)
            XCTAssertEqual(summary.destinationPort, 0)
            XCTAssertEqual(summary.tcpFlags, [])
            XCTAssertEqual(summary.source, ip("192.168.1.10"))
        }
    }

    func testTCPDataOffsetBeyondSegmentIsMalformed() {
        var frame = Fixtures.ethernetIPv4TCP
        frame[46] = 0xF0  // 60-byte header in a 24-byte segment
        let summary = PacketDecoder.decode(frame, linkType: .ethernet)
        XCTAssertTrue(summary.isMalformed)
        XCTAssertEqual(summary.sourcePort, 0)
    }

    func testTooManyIPv6ExtensionHeadersIsMalformed() {
        func packet(headers count: Int) -> [UInt8] {
            var chain: [UInt8] = []
            for index in 0..<count {
                chain += [index == count - 1 ? 17 : 60, 0, 0x01, 0x04, 0, 0, 0, 0]  // destination options
            }
            return FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 60,
                                     payload: chain + FrameBuilder.udp(sourcePort: 1, destinationPort: 2))
        }
        let eight = PacketDecoder.decode(packet(headers: 8), linkType: .ipv6)
        XCTAssertEqual(eight.flags, [], "8 extension headers are within the limit")
        XCTAssertEqual(eight.destinationPort, 2)
        for count in [9, 10, 100, 1000] {
            let summary = PacketDecoder.decode(packet(headers: count), linkType: .ipv6)
            XCTAssertTrue(summary.isMalformed, "\(count) extension headers")
            XCTAssertEqual(summary.destinationPort, 0)
            XCTAssertEqual(summary.network, .ipv6)
        }
        // A self-referencing chain of zero-length-field hop-by-hop headers filling a jumbo frame.
        var loop: [UInt8] = []
        for _ in 0..<1100 { loop += [0, 0, 0, 0, 0, 0, 0, 0] }
        var jumbo = FrameBuilder.ipv6(source: .unspecified, destination: .unspecified, nextHeader: 0, payload: loop)
        jumbo[4] = 0; jumbo[5] = 0
        XCTAssertTrue(PacketDecoder.decode(jumbo, linkType: .ipv6).isMalformed)
    }

    func testIPv6ExtensionHeaderLongerThanPayloadIsMalformed() {
        // Routing header claims 24 bytes but the payload length covers only 16 of them.
        var chain = Array(Fixtures.ethernetIPv6ExtensionChainTCP[14...])
        chain[4] = 0; chain[5] = 24  // payload length 24: hop-by-hop (8) + first 16 routing bytes
        let summary = PacketDecoder.decode(chain, linkType: .ipv6)
        XCTAssertTrue(summary.isMalformed)
        XCTAssertEqual(summary.sourcePort, 0)
    }

    func testIPv6ExtensionHeaderCutShortBeforeNoNextHeaderIsMalformed() {
        // A 16-byte destination-options header (length field 1) followed by "no next header",
        // but the packet carries only its first 8 bytes: the header is cut, the frame malformed,
        // whatever the next-header value says.
        let cut: [UInt8] = [59, 1, 0x01, 0x04, 0, 0, 0, 0]
        let packet = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 60, payload: cut)
        XCTAssertTrue(PacketDecoder.decode(packet, linkType: .ipv6).isMalformed, "cut header, next header 59")
        // The same with an upper layer the decoder does not parse (GRE).
        var gre = packet
        gre[40] = 47
        XCTAssertTrue(PacketDecoder.decode(gre, linkType: .ipv6).isMalformed, "cut header, next header 47")
        // The whole 16-byte header present is fine.
        let whole = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 60,
                                      payload: cut + [0, 0, 0, 0, 0, 0, 0, 0])
        let summary = PacketDecoder.decode(whole, linkType: .ipv6)
        XCTAssertEqual(summary.flags, [])
        XCTAssertEqual(summary.ipProtocol, 59)
    }

    func testARPLengthsLargerThanFrameAreMalformed() {
        for (hardwareLength, protocolLength) in [(UInt8(0xFF), UInt8(0xFF)), (6, 200), (100, 4), (7, 4)] {
            var frame = Fixtures.ethernetARPReply  // 42 bytes, no padding
            frame[18] = hardwareLength
            frame[19] = protocolLength
            let summary = PacketDecoder.decode(frame, linkType: .ethernet)
            assertSummary(summary, Expected(network: .arp, sourceMAC: mac("0a:0a:0a:0a:0a:0a"),
                                            destinationMAC: mac("00:11:22:33:44:55"), arpOperation: 2, flags: .malformed),
                          "ARP lengths \(hardwareLength)/\(protocolLength)")
        }
    }

    func testEthernetPaddingIsNotReadAsTransport() {
        // IPv4 says total length 20 (no payload) and protocol TCP; the 26 bytes of Ethernet
        // padding that follow happen to look like a TCP header. They must not be decoded.
        let fakeTCP = FrameBuilder.tcp(sourcePort: 0xAAAA, destinationPort: 0xBBBB, flags: [.syn, .fin])
        var packet = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2), protocol: 6, payload: [])
        XCTAssertEqual(packet.count, 20)
        packet += fakeTCP + [0, 0, 0, 0, 0, 0]
        let frame = FrameBuilder.ethernet(source: MACAddress(value: 1), destination: MACAddress(value: 2), etherType: 0x0800, payload: packet)
        XCTAssertEqual(frame.count, 60)
        let summary = PacketDecoder.decode(frame, linkType: .ethernet)
        XCTAssertEqual(summary.sourcePort, 0)
        XCTAssertEqual(summary.destinationPort, 0)
        XCTAssertEqual(summary.tcpFlags, [])
        XCTAssertTrue(summary.isMalformed, "IP promises TCP but its datagram has no room for a TCP header")

        // A real 28-byte UDP datagram padded to 60 bytes decodes normally.
        let udp = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2), protocol: 17,
                                    payload: FrameBuilder.udp(sourcePort: 67, destinationPort: 68))
        let padded = FrameBuilder.ethernet(source: .zero, destination: .broadcast, etherType: 0x0800,
                                           payload: udp + Array(repeating: 0xEE, count: 18))
        let ok = PacketDecoder.decode(padded, linkType: .ethernet)
        XCTAssertEqual(ok.flags, [])
        XCTAssertEqual(ok.sourcePort, 67)
        XCTAssertEqual(ok.wireLength, 60)

        // The same for IPv6: payload length 8 cannot hold the 20-byte TCP header in the padding.
        var v6 = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 6, payload: fakeTCP)
        v6[4] = 0; v6[5] = 8
        let v6Summary = PacketDecoder.decode(v6, linkType: .ipv6)
        XCTAssertTrue(v6Summary.isMalformed)
        XCTAssertEqual(v6Summary.sourcePort, 0)
    }

    func testSnaplenTruncatedPacketIsFlaggedTruncated() {
        // Headers intact, payload cut by snaplen: truncated but not malformed.
        let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 5000), to: .init(IPAddress(10, 0, 0, 2), 80),
                                            transport: .tcp, tcpFlags: [.psh, .ack], payload: Array(repeating: 0x41, count: 1446))
        XCTAssertEqual(frame.count, 1500)
        let captured = Array(frame.prefix(96))
        let summary = PacketDecoder.decode(captured, linkType: .ethernet, timestamp: 42, wireLength: 1500)
        XCTAssertEqual(summary.flags, .truncated)
        XCTAssertEqual(summary.wireLength, 1500)
        XCTAssertEqual(summary.capturedLength, 96)
        XCTAssertEqual(summary.timestamp, 42)
        XCTAssertEqual(summary.sourcePort, 5000)
        XCTAssertEqual(summary.destinationPort, 80)
        XCTAssertEqual(summary.tcpFlags, [.psh, .ack])

        // Snaplen cutting into the TCP header: both truncated and malformed.
        let cut = PacketDecoder.decode(Array(frame.prefix(40)), linkType: .ethernet, wireLength: 1500)
        XCTAssertEqual(cut.flags, [.truncated, .malformed])
        XCTAssertEqual(cut.source, IPAddress(10, 0, 0, 1))

        // A wire length below the captured length is nonsense: it is raised to the captured length.
        let odd = PacketDecoder.decode(frame, linkType: .ethernet, wireLength: 10)
        XCTAssertEqual(odd.wireLength, 1500)
        XCTAssertFalse(odd.flags.contains(.truncated))
    }

    // MARK: FrameBuilder agrees with the literals

    func testFrameBuilderIsByteExact() {
        // Rebuild literal fixtures field by field; every byte must match.
        let udp = FrameBuilder.udp(sourcePort: 50000, destinationPort: 53, payload: [0xDE, 0xAD, 0xBE, 0xEF])
        let ipv4 = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 5), destination: IPAddress(8, 8, 8, 8), protocol: 17,
                                     ttl: 128, identification: 0xABCD, payload: udp)
        var vlanFrame = FrameBuilder.ethernet(source: MACAddress(value: 0x02_00_00_00_00_01), destination: MACAddress(value: 0x02_00_00_00_00_02),
                                              etherType: 0x0800, vlanIDs: [100], payload: ipv4)
        vlanFrame[14] |= 0xA0  // FrameBuilder writes priority 0; the literal carries PCP 5
        XCTAssertEqual(vlanFrame, Fixtures.ethernetVLANIPv4UDP)

        let options: [UInt8] = [0x07, 0x0B, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let optionsPacket = FrameBuilder.ipv4(source: IPAddress(192, 168, 1, 1), destination: IPAddress(192, 168, 1, 2), protocol: 17,
                                              identification: 3, options: options,
                                              payload: FrameBuilder.udp(sourcePort: 1234, destinationPort: 5678, payload: [1, 2, 3, 4]))
        XCTAssertEqual(optionsPacket, Array(Fixtures.ethernetIPv4OptionsUDP[14...]))

        let fragment = FrameBuilder.ipv4(source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2), protocol: 17,
                                         identification: 0x7777, fragmentField: 0x2001,
                                         payload: Array(Fixtures.ethernetIPv4MiddleFragment[34...]))
        XCTAssertEqual(fragment, Array(Fixtures.ethernetIPv4MiddleFragment[14...]))

        let arp = FrameBuilder.arp(operation: 2, senderMAC: mac("66:77:88:99:aa:bb"), senderIP: IPAddress(192, 168, 1, 1),
                                   targetMAC: mac("00:11:22:33:44:55"), targetIP: IPAddress(192, 168, 1, 10))
        XCTAssertEqual(FrameBuilder.ethernet(source: mac("0a:0a:0a:0a:0a:0a"), destination: mac("00:11:22:33:44:55"),
                                             etherType: 0x0806, payload: arp), Fixtures.ethernetARPReply)

        let echo = FrameBuilder.icmp(type: 8, code: 0, payload: [0x00, 0x07, 0x00, 0x01])
        XCTAssertEqual(echo, Array(Fixtures.loopIPv4ICMP[24...]))

        let v6 = FrameBuilder.ipv6(source: ip("2001:db8::1"), destination: ip("2001:db8::2"), nextHeader: 17,
                                   payload: Array(Fixtures.linuxSLL2IPv6UDP[60...]))
        XCTAssertEqual(v6, Array(Fixtures.linuxSLL2IPv6UDP[20...]))

        // QinQ: outer tags are 0x88A8, the innermost 0x8100.
        let qinq = FrameBuilder.ethernet(source: .zero, destination: .zero, etherType: 0x86DD, vlanIDs: [200, 300], payload: [])
        XCTAssertEqual(Array(qinq[12...]), [0x88, 0xA8, 0x00, 0xC8, 0x81, 0x00, 0x01, 0x2C, 0x86, 0xDD])
    }

    func testFrameBuilderEthernetIPRoundTripsThroughDecoder() {
        let cases: [(IPAddress, IPAddress, TransportProtocol)] = [
            (IPAddress(10, 1, 1, 1), IPAddress(10, 2, 2, 2), .tcp),
            (IPAddress(10, 1, 1, 1), IPAddress(10, 2, 2, 2), .udp),
            (IPAddress(10, 1, 1, 1), IPAddress(10, 2, 2, 2), .icmp),
            (IPAddress(10, 1, 1, 1), IPAddress(10, 2, 2, 2), .other),
            (ip("2001:db8::1"), ip("2001:db8::2"), .tcp),
            (ip("2001:db8::1"), ip("2001:db8::2"), .udp),
            (ip("2001:db8::1"), ip("2001:db8::2"), .icmpv6),
        ]
        for (source, destination, transport) in cases {
            let frame = FrameBuilder.ethernetIP(from: .init(source, 1000), to: .init(destination, 2000), transport: transport,
                                                tcpFlags: [.syn], payload: [1, 2, 3, 4])
            let summary = PacketDecoder.decode(frame, linkType: .ethernet)
            let context = "\(source) \(transport)"
            XCTAssertEqual(summary.flags, [], context)
            XCTAssertEqual(summary.source, source, context)
            XCTAssertEqual(summary.destination, destination, context)
            XCTAssertEqual(summary.transport, transport, context)
            XCTAssertEqual(summary.sourceMAC, MACAddress(value: 0x02_00_00_00_00_01), context)
            let hasPorts = transport == .tcp || transport == .udp
            XCTAssertEqual(summary.sourcePort, hasPorts ? 1000 : 0, context)
            XCTAssertEqual(summary.destinationPort, hasPorts ? 2000 : 0, context)
            XCTAssertEqual(summary.tcpFlags, transport == .tcp ? [.syn] : [], context)
        }
    }

    func testProtocolClassAndSecond() {
        var summary = PacketSummary()
        XCTAssertEqual(summary.protocolClass, .other)
        summary.network = .arp
        XCTAssertEqual(summary.protocolClass, .arp)
        summary.transport = .icmpv6
        XCTAssertEqual(summary.protocolClass, .icmp)
        XCTAssertEqual(ProtocolClass.allCases.map(\.description), ["TCP", "UDP", "ICMP", "ARP", "Other"])
        summary.timestamp = 1_500_000_000
        XCTAssertEqual(summary.second, 1)
        summary.timestamp = -1
        XCTAssertEqual(summary.second, -1, "floor, not truncation, before the epoch")
        summary.timestamp = -1_000_000_000
        XCTAssertEqual(summary.second, -1)
        summary.timestamp = -1_000_000_001
        XCTAssertEqual(summary.second, -2)
    }
}
