import XCTest
@testable import Packets

/// One hand-written frame per link type, decoded field by field.
final class LinkLayerDecoderTests: XCTestCase {
    func testEveryFixtureDecodesToItsExpectedSummary() {
        let fixtures = Fixtures.all
        XCTAssertGreaterThanOrEqual(fixtures.count, 30)
        for fixture in fixtures {
            decodeAndAssert(fixture.bytes, fixture.linkType, fixture.expected, fixture.name)
        }
    }

    func testFixtureChecksumsAreValid() {
        // IPv4 header offsets inside each literal that carries one.
        let headers: [([UInt8], Int)] = [
            (Fixtures.ethernetIPv4TCP, 14), (Fixtures.ethernetVLANIPv4UDP, 18), (Fixtures.linuxSLLIPv4ICMP, 16),
            (Fixtures.nullLittleEndianIPv4UDP, 4), (Fixtures.nullBigEndianIPv4TCP, 4), (Fixtures.loopIPv4ICMP, 4),
            (Fixtures.rawIPv4TCP, 0), (Fixtures.ipv4DHCP, 0), (Fixtures.ethernetIPv4OptionsUDP, 14),
            (Fixtures.ethernetIPv4FirstFragment, 14), (Fixtures.ethernetIPv4MiddleFragment, 14),
            (Fixtures.ethernetIPv4LastFragment, 14), (Fixtures.rawIPv4ICMPPortUnreachable, 0),
            (Fixtures.rawIPv4ICMPPortUnreachable, 28),
        ]
        for (frame, offset) in headers { assertValidIPv4Checksum(frame, headerAt: offset) }
        // ICMP checksums cover the whole message.
        XCTAssertEqual(FrameBuilder.internetChecksum(Array(Fixtures.linuxSLLIPv4ICMP[36...])), 0)
        XCTAssertEqual(FrameBuilder.internetChecksum(Array(Fixtures.loopIPv4ICMP[24...])), 0)
        XCTAssertEqual(FrameBuilder.internetChecksum(Array(Fixtures.rawIPv4ICMPPortUnreachable[20...])), 0)
    }

    // MARK: Ethernet

    func testEthernetIPv4TCP() {
        let summary = decodeAndAssert(Fixtures.ethernetIPv4TCP, .ethernet, Expected(
            network: .ipv4, transport: .tcp, source: ip("192.168.1.10"), destination: ip("93.184.216.34"),
            sourceMAC: mac("66:77:88:99:aa:bb"), destinationMAC: mac("00:11:22:33:44:55"),
            sourcePort: 54321, destinationPort: 443, ipProtocol: 6, tcpFlags: .syn, ttl: 64))
        XCTAssertEqual(summary.protocolClass, .tcp)
        XCTAssertFalse(summary.isMalformed)
    }

    func testEthernet8021QTagGivesVLANIDWithoutPriorityBits() {
        // TCI 0xA064: priority 5 in the top bits must not leak into the VLAN ID.
        let summary = PacketDecoder.decode(Fixtures.ethernetVLANIPv4UDP, linkType: .ethernet)
        XCTAssertEqual(summary.vlanID, 100)
        XCTAssertEqual(summary.flags, .vlanTagged)
        XCTAssertEqual(summary.sourcePort, 50000)
        XCTAssertEqual(summary.destinationPort, 53)
        XCTAssertEqual(summary.ttl, 128)
        XCTAssertEqual(summary.protocolClass, .udp)
    }

    func testQinQReportsOuterServiceVLANAndDecodesInnerIPv6() {
        let summary = PacketDecoder.decode(Fixtures.ethernetQinQIPv6ICMPv6, linkType: .ethernet)
        XCTAssertEqual(summary.vlanID, 200, "the outer (802.1ad) tag is the one reported")
        XCTAssertTrue(summary.flags.contains(.vlanTagged))
        XCTAssertFalse(summary.isMalformed)
        XCTAssertEqual(summary.network, .ipv6)
        XCTAssertEqual(summary.transport, .icmpv6)
        XCTAssertEqual(summary.icmpType, 128)
        XCTAssertEqual(summary.protocolClass, .icmp)
        XCTAssertEqual(summary.destinationMAC, MACAddress(value: 0x3333_0000_0001))
    }

    func testPreStandardQinQTPID0x9100() {
        var frame = Fixtures.ethernetQinQIPv6ICMPv6
        frame[12] = 0x91; frame[13] = 0x00  // outer TPID 0x9100 instead of 0x88A8
        let summary = PacketDecoder.decode(frame, linkType: .ethernet)
        XCTAssertEqual(summary.vlanID, 200)
        XCTAssertEqual(summary.flags, .vlanTagged)
        XCTAssertEqual(summary.icmpType, 128)
    }

    func testEightStackedVLANTagsDecodeAndNineAreMalformed() {
        let ipPayload = Array(Fixtures.ethernetIPv4TCP[14...])
        let eight = FrameBuilder.ethernet(source: .zero, destination: .broadcast, etherType: 0x0800,
                                          vlanIDs: [7, 1, 2, 3, 4, 5, 6, 8], payload: ipPayload)
        let ok = PacketDecoder.decode(eight, linkType: .ethernet)
        XCTAssertEqual(ok.flags, .vlanTagged)
        XCTAssertEqual(ok.vlanID, 7)
        XCTAssertEqual(ok.destinationPort, 443)

        let nine = FrameBuilder.ethernet(source: .zero, destination: .broadcast, etherType: 0x0800,
                                         vlanIDs: [7, 1, 2, 3, 4, 5, 6, 8, 9], payload: ipPayload)
        let bad = PacketDecoder.decode(nine, linkType: .ethernet)
        XCTAssertEqual(bad.flags, [.vlanTagged, .malformed])
        XCTAssertEqual(bad.network, .none)
        XCTAssertEqual(bad.destinationPort, 0)

        // A frame that is nothing but VLAN tags must stop at the limit, not walk all of it.
        var tags: [UInt8] = Array(repeating: 0, count: 12)
        for _ in 0..<1000 { tags += [0x81, 0x00, 0x00, 0x01] }
        XCTAssertTrue(PacketDecoder.decode(tags, linkType: .ethernet).isMalformed)
    }

    func testEthernetNonIPEtherTypesAreOtherButNotMalformed() {
        for etherType: UInt16 in [0x88CC /* LLDP */, 0x888E /* EAPOL */, 0x8864 /* PPPoE session */, 0x002E /* 802.3 length */] {
            let frame = FrameBuilder.ethernet(source: MACAddress(value: 1), destination: MACAddress(value: 2),
                                              etherType: etherType, payload: Array(repeating: 0x45, count: 46))
            let summary = PacketDecoder.decode(frame, linkType: .ethernet)
            assertSummary(summary, Expected(sourceMAC: MACAddress(value: 1), destinationMAC: MACAddress(value: 2)),
                          "EtherType \(etherType)")
            XCTAssertEqual(summary.protocolClass, .other)
        }
    }

    func testEthernetARPRequestAndReply() {
        let request = decodeAndAssert(Fixtures.ethernetARPRequest, .ethernet, Expected(
            network: .arp, source: ip("192.168.1.10"), destination: ip("192.168.1.1"),
            sourceMAC: mac("00:11:22:33:44:55"), destinationMAC: .zero, arpOperation: 1), "request")
        XCTAssertEqual(request.protocolClass, .arp)

        // Ethernet source 0a:0a:…: the ARP sender MAC must win, the link header must not leak through.
        let reply = decodeAndAssert(Fixtures.ethernetARPReply, .ethernet, Expected(
            network: .arp, source: ip("192.168.1.1"), destination: ip("192.168.1.10"),
            sourceMAC: mac("66:77:88:99:aa:bb"), destinationMAC: mac("00:11:22:33:44:55"), arpOperation: 2), "reply")
        XCTAssertEqual(reply.protocolClass, .arp)
    }

    func testNonEthernetARPKeepsOperationButNoAddresses() {
        var frame = Fixtures.ethernetARPRequest
        frame[14] = 0x00; frame[15] = 0x06  // hardware type 6 (IEEE 802)
        decodeAndAssert(frame, .ethernet, Expected(
            network: .arp, sourceMAC: mac("00:11:22:33:44:55"), destinationMAC: .broadcast, arpOperation: 1),
            "hardware type 6")
        frame = Fixtures.ethernetARPRequest
        frame[16] = 0x86; frame[17] = 0xDD  // protocol type IPv6 with 4-byte addresses: not representable
        decodeAndAssert(frame, .ethernet, Expected(
            network: .arp, sourceMAC: mac("00:11:22:33:44:55"), destinationMAC: .broadcast, arpOperation: 1),
            "protocol type 0x86DD")
    }

    // MARK: Linux cooked captures

    func testLinuxSLLIPv4ICMP() {
        decodeAndAssert(Fixtures.linuxSLLIPv4ICMP, .linuxSLL, Expected(
            network: .ipv4, transport: .icmp, source: ip("1.1.1.1"), destination: ip("192.168.0.2"),
            sourceMAC: mac("52:54:00:12:34:56"), ipProtocol: 1, icmpType: 0, icmpCode: 0, ttl: 55))
    }

    func testLinuxSLLNonEthernetHardwareHasNoMAC() {
        var frame = Fixtures.linuxSLLIPv4ICMP
        frame[2] = 0x03; frame[3] = 0x04  // ARPHRD_LOOPBACK (772)
        XCTAssertEqual(PacketDecoder.decode(frame, linkType: .linuxSLL).sourceMAC, .zero)
        frame = Fixtures.linuxSLLIPv4ICMP
        frame[5] = 0x08  // Ethernet hardware type but an 8-byte address: not a MAC
        let summary = PacketDecoder.decode(frame, linkType: .linuxSLL)
        XCTAssertEqual(summary.sourceMAC, .zero)
        XCTAssertEqual(summary.icmpType, 0)
        XCTAssertEqual(summary.transport, .icmp)
    }

    func testLinuxSLLARP() {
        decodeAndAssert(Fixtures.linuxSLLARP, .linuxSLL, Expected(
            network: .arp, source: ip("10.1.2.3"), destination: ip("10.1.2.1"),
            sourceMAC: mac("00:11:22:33:44:55"), arpOperation: 1))
    }

    func testLinuxSLL2IPv6UDP() {
        decodeAndAssert(Fixtures.linuxSLL2IPv6UDP, .linuxSLL2, Expected(
            network: .ipv6, transport: .udp, source: ip("2001:db8::1"), destination: ip("2001:db8::2"),
            sourceMAC: mac("02:42:ac:11:00:02"), sourcePort: 40000, destinationPort: 443, ipProtocol: 17, ttl: 64))
    }

    func testLinuxSLL2IsNotReadAsSLL() {
        // The same bytes under the wrong cooked header version must not yield the SLL2 fields.
        let summary = PacketDecoder.decode(Fixtures.linuxSLL2IPv6UDP, linkType: .linuxSLL)
        XCTAssertNotEqual(summary.sourcePort, 40000)
        XCTAssertNotEqual(summary.source, ip("2001:db8::1"))
    }

    // MARK: Loopback

    func testNullLittleAndBigEndianIPv4() {
        decodeAndAssert(Fixtures.nullLittleEndianIPv4UDP, .null, Expected(
            network: .ipv4, transport: .udp, source: ip("127.0.0.1"), destination: ip("127.0.0.1"),
            sourcePort: 12345, destinationPort: 5353, ipProtocol: 17, ttl: 64), "little-endian family")
        decodeAndAssert(Fixtures.nullBigEndianIPv4TCP, .null, Expected(
            network: .ipv4, transport: .tcp, source: ip("127.0.0.1"), destination: ip("127.0.0.1"),
            sourcePort: 8080, destinationPort: 49152, ipProtocol: 6, tcpFlags: [.fin, .ack], ttl: 64), "big-endian family")
    }

    func testNullIPv6FamilyValuesInBothByteOrders() {
        for family: UInt32 in [24, 28, 30, 10] {
            for bigEndian in [false, true] {
                let header = withUnsafeBytes(of: bigEndian ? family.bigEndian : family.littleEndian) { Array($0) }
                let summary = PacketDecoder.decode(header + Fixtures.ipv6LoopbackTCP, linkType: .null)
                XCTAssertEqual(summary.network, .ipv6, "family \(family) bigEndian \(bigEndian)")
                XCTAssertEqual(summary.source, ip("::1"))
                XCTAssertEqual(summary.sourcePort, 58799)
                XCTAssertEqual(summary.destinationPort, 8080)
                XCTAssertEqual(summary.tcpFlags, [.psh, .ack])
                XCTAssertEqual(summary.flags, [])
            }
        }
    }

    func testNullUnknownFamilyIsOtherNotMalformed() {
        // AF_APPLETALK (16) and garbage: counted, not decoded, not an error.
        for header: [UInt8] in [[0x10, 0, 0, 0], [0, 0, 0, 0x10], [0x07, 0x07, 0x07, 0x07]] {
            let summary = PacketDecoder.decode(header + Fixtures.rawIPv4TCP, linkType: .null)
            assertSummary(summary, Expected(), "family bytes \(header)")
        }
    }

    func testLoopFamilyIsAlwaysBigEndian() {
        decodeAndAssert(Fixtures.loopIPv4ICMP, .loop, Expected(
            network: .ipv4, transport: .icmp, source: ip("10.0.0.1"), destination: ip("10.0.0.2"),
            ipProtocol: 1, icmpType: 8, icmpCode: 0, ttl: 255))
        // A little-endian AF_INET under DLT_LOOP is family 0x02000000: not IPv4.
        var littleEndian = Fixtures.loopIPv4ICMP
        littleEndian[0] = 0x02; littleEndian[3] = 0x00
        assertSummary(PacketDecoder.decode(littleEndian, linkType: .loop), Expected(), "LE family under DLT_LOOP")
        // …while DLT_NULL accepts both orders for the same bytes.
        XCTAssertEqual(PacketDecoder.decode(littleEndian, linkType: .null).icmpType, 8)
        for family: [UInt8] in [[0, 0, 0, 24], [0, 0, 0, 28], [0, 0, 0, 30]] {
            let summary = PacketDecoder.decode(family + Fixtures.ipv6LoopbackTCP, linkType: .loop)
            XCTAssertEqual(summary.network, .ipv6, "DLT_LOOP family \(family[3])")
            XCTAssertEqual(summary.destinationPort, 8080)
        }
    }

    // MARK: Raw IP

    func testRawIPLinkTypesDecodeBothVersions() {
        let v4 = Expected(
            network: .ipv4, transport: .tcp, source: ip("172.16.5.5"), destination: ip("203.0.113.7"),
            sourcePort: 80, destinationPort: 58988, ipProtocol: 6, tcpFlags: [.rst, .ack], ttl: 128)
        let v6 = Expected(
            network: .ipv6, transport: .udp, source: ip("2001:db8::1"), destination: ip("2001:db8::2"),
            sourcePort: 40000, destinationPort: 443, ipProtocol: 17, ttl: 64)
        let ipv6Packet = Array(Fixtures.linuxSLL2IPv6UDP[20...])
        for linkType in [LinkType(rawValue: 12), LinkType(rawValue: 101), LinkType(rawValue: 14)] {
            decodeAndAssert(Fixtures.rawIPv4TCP, linkType, v4, "DLT \(linkType.rawValue) IPv4")
            decodeAndAssert(ipv6Packet, linkType, v6, "DLT \(linkType.rawValue) IPv6")
        }
    }

    func testRawIPWithUnknownVersionIsMalformed() {
        for version: UInt8 in [0, 5, 7, 15] {
            var packet = Fixtures.rawIPv4TCP
            packet[0] = version << 4 | 5
            let summary = PacketDecoder.decode(packet, linkType: .raw)
            assertSummary(summary, Expected(flags: .malformed), "version \(version)")
        }
    }

    func testDLTIPv4AndIPv6AcceptOnlyTheirVersion() {
        decodeAndAssert(Fixtures.ipv4DHCP, .ipv4, Expected(
            network: .ipv4, transport: .udp, source: ip("198.51.100.1"), destination: ip("198.51.100.2"),
            sourcePort: 68, destinationPort: 67, ipProtocol: 17, ttl: 17))
        decodeAndAssert(Fixtures.ipv6NeighborSolicitation, .ipv6, Expected(
            network: .ipv6, transport: .icmpv6, source: ip("fe80::1"), destination: ip("ff02::1:ff00:2"),
            ipProtocol: 58, icmpType: 135, icmpCode: 0, ttl: 255))
        // Swap them: each is a version mismatch for the other link type.
        assertSummary(PacketDecoder.decode(Fixtures.ipv6NeighborSolicitation, linkType: .ipv4),
                      Expected(network: .ipv4, flags: .malformed), "IPv6 bytes as DLT_IPV4")
        assertSummary(PacketDecoder.decode(Fixtures.ipv4DHCP + Array(repeating: 0, count: 20), linkType: .ipv6),
                      Expected(network: .ipv6, flags: .malformed), "IPv4 bytes as DLT_IPV6")
    }

    func testUnknownLinkTypeIsFlaggedAndNothingIsDecoded() {
        for raw: Int32 in [105, 127, 147, -1, 2, 1000] {
            let summary = PacketDecoder.decode(Fixtures.ethernetIPv4TCP, linkType: LinkType(rawValue: raw))
            assertSummary(summary, Expected(flags: .unknownLinkType), "link type \(raw)")
            XCTAssertEqual(summary.capturedLength, 58)
            XCTAssertFalse(LinkType(rawValue: raw).isSupported)
        }
    }

    func testLinkTypeNamesAndSupport() {
        let supported: [LinkType] = [.null, .ethernet, .raw, .rawOpenBSD, .rawLinktype, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2]
        XCTAssertEqual(supported.map(\.rawValue), [0, 1, 12, 14, 101, 108, 113, 228, 229, 276])
        for linkType in supported {
            XCTAssertTrue(linkType.isSupported, "\(linkType)")
            XCTAssertFalse(linkType.description.hasPrefix("link type"), "\(linkType.rawValue) has a name")
        }
        XCTAssertEqual(LinkType.ethernet.description, "Ethernet")
        XCTAssertEqual(LinkType(rawValue: 105).description, "link type 105")
    }
}
