import XCTest
@testable import Packets

/// A hand-written frame, what it must decode to, and where its last header ends: every prefix
/// shorter than `headerEnd` cuts a header (must be `.malformed`), every longer prefix cuts at
/// most payload (must decode exactly like the whole frame).
struct Fixture {
    var name: String
    var linkType: LinkType
    var bytes: [UInt8]
    var expected: Expected
    var headerEnd: Int
}

/// Byte-exact frames, written out by hand with every field named. IPv4 header checksums are real
/// (`testFixtureChecksumsAreValid` verifies them); TCP/UDP/ICMPv6 checksums, which need a
/// pseudo-header, are left as placeholders since no decoder under test verifies them.
enum Fixtures {
    // MARK: Ethernet

    /// Ethernet II / IPv4 / TCP SYN with an MSS option.
    static let ethernetIPv4TCP: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC 00:11:22:33:44:55
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // source MAC 66:77:88:99:aa:bb
        0x08, 0x00,                          // EtherType 0x0800 IPv4
        // IPv4 (offset 14)
        0x45,                                // version 4, IHL 5 (20 bytes)
        0x00,                                // DSCP 0, ECN 0
        0x00, 0x2C,                          // total length 44 = 20 IP + 24 TCP
        0x1C, 0x46,                          // identification
        0x40, 0x00,                          // flags DF, fragment offset 0
        0x40,                                // TTL 64
        0x06,                                // protocol 6 TCP
        0x26, 0xF9,                          // header checksum
        0xC0, 0xA8, 0x01, 0x0A,              // source 192.168.1.10
        0x5D, 0xB8, 0xD8, 0x22,              // destination 93.184.216.34
        // TCP (offset 34)
        0xD4, 0x31,                          // source port 54321
        0x01, 0xBB,                          // destination port 443
        0x00, 0x00, 0x00, 0x01,              // sequence number
        0x00, 0x00, 0x00, 0x00,              // acknowledgement number
        0x60,                                // data offset 6 (24 bytes), reserved 0
        0x02,                                // flags SYN
        0xFA, 0xF0,                          // window 64240
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00,                          // urgent pointer
        0x02, 0x04, 0x05, 0xB4,              // option: MSS 1460
    ]

    /// Ethernet II / 802.1Q VLAN 100 (priority 5) / IPv4 / UDP to port 53 with 4 payload bytes.
    static let ethernetVLANIPv4UDP: [UInt8] = [
        // Ethernet II
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination MAC 02:00:00:00:00:02
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source MAC 02:00:00:00:00:01
        // 802.1Q tag
        0x81, 0x00,                          // TPID 0x8100
        0xA0, 0x64,                          // TCI: PCP 5, DEI 0, VLAN ID 100
        0x08, 0x00,                          // EtherType 0x0800 IPv4
        // IPv4 (offset 18)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x20,                          // total length 32 = 20 IP + 8 UDP + 4 data
        0xAB, 0xCD,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0x80,                                // TTL 128
        0x11,                                // protocol 17 UDP
        0x74, 0xEB,                          // header checksum
        0x0A, 0x00, 0x00, 0x05,              // source 10.0.0.5
        0x08, 0x08, 0x08, 0x08,              // destination 8.8.8.8
        // UDP (offset 38)
        0xC3, 0x50,                          // source port 50000
        0x00, 0x35,                          // destination port 53
        0x00, 0x0C,                          // length 12
        0x00, 0x00,                          // checksum (none)
        0xDE, 0xAD, 0xBE, 0xEF,              // payload
    ]

    /// Ethernet II / 802.1ad S-tag 200 / 802.1Q C-tag 300 / IPv6 / ICMPv6 echo request.
    static let ethernetQinQIPv6ICMPv6: [UInt8] = [
        // Ethernet II
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // destination MAC 33:33:00:00:00:01 (IPv6 all-nodes)
        0x00, 0x1B, 0x21, 0x3A, 0x4F, 0x5E,  // source MAC 00:1b:21:3a:4f:5e
        // 802.1ad service tag
        0x88, 0xA8,                          // TPID 0x88A8
        0x00, 0xC8,                          // TCI: PCP 0, DEI 0, VLAN ID 200
        // 802.1Q customer tag
        0x81, 0x00,                          // TPID 0x8100
        0x31, 0x2C,                          // TCI: PCP 1, DEI 1, VLAN ID 300
        0x86, 0xDD,                          // EtherType 0x86DD IPv6
        // IPv6 (offset 22)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x08,                          // payload length 8
        0x3A,                                // next header 58 ICMPv6
        0xFF,                                // hop limit 255
        0xFE, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // source fe80::21b:21ff:fe3a:4f5e
        0x02, 0x1B, 0x21, 0xFF, 0xFE, 0x3A, 0x4F, 0x5E,
        0xFF, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // destination ff02::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        // ICMPv6 (offset 62)
        0x80,                                // type 128 echo request
        0x00,                                // code 0
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x2A,                          // identifier 42
        0x00, 0x01,                          // sequence 1
    ]

    /// Ethernet II / ARP request "who has 192.168.1.1? tell 192.168.1.10", padded to 60 bytes.
    static let ethernetARPRequest: [UInt8] = [
        // Ethernet II
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // destination MAC broadcast
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // source MAC 00:11:22:33:44:55
        0x08, 0x06,                          // EtherType 0x0806 ARP
        // ARP (offset 14)
        0x00, 0x01,                          // hardware type 1 Ethernet
        0x08, 0x00,                          // protocol type IPv4
        0x06,                                // hardware address length 6
        0x04,                                // protocol address length 4
        0x00, 0x01,                          // operation 1 request
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // sender MAC 00:11:22:33:44:55
        0xC0, 0xA8, 0x01, 0x0A,              // sender IP 192.168.1.10
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC unknown
        0xC0, 0xA8, 0x01, 0x01,              // target IP 192.168.1.1
        // Ethernet padding to the 60-byte minimum
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    /// Ethernet II / ARP reply "192.168.1.1 is at 66:77:88:99:aa:bb", sent by a switch whose own
    /// MAC (0a:0a:0a:0a:0a:0a) differs from the ARP sender, so the fields must come from the ARP body.
    static let ethernetARPReply: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC 00:11:22:33:44:55
        0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A,  // source MAC 0a:0a:0a:0a:0a:0a
        0x08, 0x06,                          // EtherType 0x0806 ARP
        // ARP (offset 14)
        0x00, 0x01,                          // hardware type 1 Ethernet
        0x08, 0x00,                          // protocol type IPv4
        0x06,                                // hardware address length 6
        0x04,                                // protocol address length 4
        0x00, 0x02,                          // operation 2 reply
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // sender MAC 66:77:88:99:aa:bb
        0xC0, 0xA8, 0x01, 0x01,              // sender IP 192.168.1.1
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // target MAC 00:11:22:33:44:55
        0xC0, 0xA8, 0x01, 0x0A,              // target IP 192.168.1.10
    ]

    // MARK: Linux cooked captures

    /// Linux SLL (DLT 113) / IPv4 / ICMP echo reply.
    static let linuxSLLIPv4ICMP: [UInt8] = [
        // SLL header
        0x00, 0x00,                          // packet type 0: addressed to us
        0x00, 0x01,                          // ARPHRD_ETHER
        0x00, 0x06,                          // link-layer address length 6
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56,  // source MAC 52:54:00:12:34:56
        0x00, 0x00,                          // address padding to 8 bytes
        0x08, 0x00,                          // protocol 0x0800 IPv4
        // IPv4 (offset 16)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x1C,                          // total length 28 = 20 IP + 8 ICMP
        0x00, 0x01,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0x37,                                // TTL 55
        0x01,                                // protocol 1 ICMP
        0xC1, 0x34,                          // header checksum
        0x01, 0x01, 0x01, 0x01,              // source 1.1.1.1
        0xC0, 0xA8, 0x00, 0x02,              // destination 192.168.0.2
        // ICMP (offset 36)
        0x00,                                // type 0 echo reply
        0x00,                                // code 0
        0xED, 0xCA,                          // checksum
        0x12, 0x34,                          // identifier
        0x00, 0x01,                          // sequence 1
    ]

    /// Linux SLL (DLT 113) / ARP request, as captured on the "any" device.
    static let linuxSLLARP: [UInt8] = [
        // SLL header
        0x00, 0x01,                          // packet type 1: broadcast
        0x00, 0x01,                          // ARPHRD_ETHER
        0x00, 0x06,                          // link-layer address length 6
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // source MAC 00:11:22:33:44:55
        0x00, 0x00,                          // address padding
        0x08, 0x06,                          // protocol 0x0806 ARP
        // ARP (offset 16)
        0x00, 0x01,                          // hardware type Ethernet
        0x08, 0x00,                          // protocol type IPv4
        0x06, 0x04,                          // address lengths 6 and 4
        0x00, 0x01,                          // operation 1 request
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // sender MAC
        0x0A, 0x01, 0x02, 0x03,              // sender IP 10.1.2.3
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC unknown
        0x0A, 0x01, 0x02, 0x01,              // target IP 10.1.2.1
    ]

    /// Linux SLL2 (DLT 276) / IPv6 / UDP (QUIC-like, 2 payload bytes).
    static let linuxSLL2IPv6UDP: [UInt8] = [
        // SLL2 header
        0x86, 0xDD,                          // protocol 0x86DD IPv6
        0x00, 0x00,                          // reserved
        0x00, 0x00, 0x00, 0x02,              // interface index 2
        0x00, 0x01,                          // ARPHRD_ETHER
        0x04,                                // packet type 4: outgoing
        0x06,                                // link-layer address length 6
        0x02, 0x42, 0xAC, 0x11, 0x00, 0x02,  // source MAC 02:42:ac:11:00:02
        0x00, 0x00,                          // address padding to 8 bytes
        // IPv6 (offset 20)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x0A,                          // payload length 10
        0x11,                                // next header 17 UDP
        0x40,                                // hop limit 64
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // source 2001:db8::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // destination 2001:db8::2
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        // UDP (offset 60)
        0x9C, 0x40,                          // source port 40000
        0x01, 0xBB,                          // destination port 443
        0x00, 0x0A,                          // length 10
        0x12, 0x34,                          // checksum (placeholder)
        0xC0, 0x00,                          // payload
    ]

    // MARK: BSD and OpenBSD loopback

    /// DLT_NULL / IPv4 / UDP, family written little-endian (x86 or ARM capture host).
    static let nullLittleEndianIPv4UDP: [UInt8] = [
        0x02, 0x00, 0x00, 0x00,              // address family AF_INET (2), little-endian
        // IPv4 (offset 4)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x1C,                          // total length 28 = 20 IP + 8 UDP
        0x12, 0x34,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0x40,                                // TTL 64
        0x11,                                // protocol 17 UDP
        0x6A, 0x9B,                          // header checksum
        0x7F, 0x00, 0x00, 0x01,              // source 127.0.0.1
        0x7F, 0x00, 0x00, 0x01,              // destination 127.0.0.1
        // UDP (offset 24)
        0x30, 0x39,                          // source port 12345
        0x14, 0xE9,                          // destination port 5353
        0x00, 0x08,                          // length 8
        0x00, 0x00,                          // checksum (none)
    ]

    /// DLT_NULL / IPv4 / TCP FIN+ACK, family written big-endian (PowerPC or SPARC capture host).
    static let nullBigEndianIPv4TCP: [UInt8] = [
        0x00, 0x00, 0x00, 0x02,              // address family AF_INET (2), big-endian
        // IPv4 (offset 4)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x28,                          // total length 40 = 20 IP + 20 TCP
        0x00, 0x00,                          // identification
        0x40, 0x00,                          // flags DF, fragment offset 0
        0x40,                                // TTL 64
        0x06,                                // protocol 6 TCP
        0x3C, 0xCE,                          // header checksum
        0x7F, 0x00, 0x00, 0x01,              // source 127.0.0.1
        0x7F, 0x00, 0x00, 0x01,              // destination 127.0.0.1
        // TCP (offset 24)
        0x1F, 0x90,                          // source port 8080
        0xC0, 0x00,                          // destination port 49152
        0x00, 0x00, 0x00, 0x04,              // sequence number
        0x00, 0x00, 0x00, 0x04,              // acknowledgement number
        0x50,                                // data offset 5 (20 bytes)
        0x11,                                // flags FIN, ACK
        0x01, 0x00,                          // window 256
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00,                          // urgent pointer
    ]

    /// An IPv6/TCP packet on ::1 (no link header), used behind the loopback family values.
    static let ipv6LoopbackTCP: [UInt8] = [
        // IPv6
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x14,                          // payload length 20
        0x06,                                // next header 6 TCP
        0x40,                                // hop limit 64
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // source ::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // destination ::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        // TCP (offset 40)
        0xE5, 0xAF,                          // source port 58799
        0x1F, 0x90,                          // destination port 8080
        0x08, 0x97, 0x16, 0x66,              // sequence number
        0x0A, 0x65, 0x66, 0xEF,              // acknowledgement number
        0x50,                                // data offset 5 (20 bytes)
        0x18,                                // flags PSH, ACK
        0x28, 0xE9,                          // window
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00,                          // urgent pointer
    ]

    /// DLT_LOOP (108, OpenBSD) / IPv4 / ICMP echo request; the family is always big-endian.
    static let loopIPv4ICMP: [UInt8] = [
        0x00, 0x00, 0x00, 0x02,              // address family AF_INET (2), big-endian
        // IPv4 (offset 4)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x1C,                          // total length 28 = 20 IP + 8 ICMP
        0x00, 0x02,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0xFF,                                // TTL 255
        0x01,                                // protocol 1 ICMP
        0xA7, 0xDC,                          // header checksum
        0x0A, 0x00, 0x00, 0x01,              // source 10.0.0.1
        0x0A, 0x00, 0x00, 0x02,              // destination 10.0.0.2
        // ICMP (offset 24)
        0x08,                                // type 8 echo request
        0x00,                                // code 0
        0xF7, 0xF7,                          // checksum
        0x00, 0x07,                          // identifier 7
        0x00, 0x01,                          // sequence 1
    ]

    // MARK: Raw IP

    /// A bare IPv4/TCP RST+ACK packet: raw IP (DLT 12, LINKTYPE 101, OpenBSD 14) and DLT_IPV4 (228).
    static let rawIPv4TCP: [UInt8] = [
        // IPv4 (offset 0)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x28,                          // total length 40 = 20 IP + 20 TCP
        0x00, 0x04,                          // identification
        0x40, 0x00,                          // flags DF, fragment offset 0
        0x80,                                // TTL 128
        0x06,                                // protocol 6 TCP
        0x0D, 0xAF,                          // header checksum
        0xAC, 0x10, 0x05, 0x05,              // source 172.16.5.5
        0xCB, 0x00, 0x71, 0x07,              // destination 203.0.113.7
        // TCP (offset 20)
        0x00, 0x50,                          // source port 80
        0xE6, 0x6C,                          // destination port 58988
        0x00, 0x00, 0x10, 0x00,              // sequence number
        0x00, 0x00, 0x20, 0x00,              // acknowledgement number
        0x50,                                // data offset 5 (20 bytes)
        0x14,                                // flags RST, ACK
        0x00, 0x00,                          // window 0
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00,                          // urgent pointer
    ]

    /// DLT_IPV4 (228) / IPv4 / UDP DHCP (68 → 67), TTL 17.
    static let ipv4DHCP: [UInt8] = [
        // IPv4 (offset 0)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x1C,                          // total length 28 = 20 IP + 8 UDP
        0x00, 0x05,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0x11,                                // TTL 17
        0x11,                                // protocol 17 UDP
        0x55, 0x62,                          // header checksum
        0xC6, 0x33, 0x64, 0x01,              // source 198.51.100.1
        0xC6, 0x33, 0x64, 0x02,              // destination 198.51.100.2
        // UDP (offset 20)
        0x00, 0x44,                          // source port 68
        0x00, 0x43,                          // destination port 67
        0x00, 0x08,                          // length 8
        0x00, 0x00,                          // checksum (none)
    ]

    /// DLT_IPV6 (229) / IPv6 / ICMPv6 neighbour solicitation for fe80::2.
    static let ipv6NeighborSolicitation: [UInt8] = [
        // IPv6 (offset 0)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x18,                          // payload length 24
        0x3A,                                // next header 58 ICMPv6
        0xFF,                                // hop limit 255
        0xFE, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // source fe80::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xFF, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // destination ff02::1:ff00:2
        0x00, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x00, 0x02,
        // ICMPv6 (offset 40)
        0x87,                                // type 135 neighbour solicitation
        0x00,                                // code 0
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00, 0x00, 0x00,              // reserved
        0xFE, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target fe80::2
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    ]

    // MARK: IPv4 options and fragments

    /// Ethernet II / IPv4 with a 12-byte Record Route option (IHL 8) / UDP 1234 → 5678.
    static let ethernetIPv4OptionsUDP: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // source MAC
        0x08, 0x00,                          // EtherType IPv4
        // IPv4 (offset 14)
        0x48,                                // version 4, IHL 8 (32 bytes)
        0x00,                                // DSCP/ECN 0
        0x00, 0x2C,                          // total length 44 = 32 IP + 8 UDP + 4 data
        0x00, 0x03,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0x40,                                // TTL 64
        0x11,                                // protocol 17 UDP
        0xE9, 0x5F,                          // header checksum (covers the options)
        0xC0, 0xA8, 0x01, 0x01,              // source 192.168.1.1
        0xC0, 0xA8, 0x01, 0x02,              // destination 192.168.1.2
        // IPv4 options (offset 34)
        0x07,                                // option 7 Record Route
        0x0B,                                // option length 11
        0x04,                                // pointer 4 (first free slot)
        0x00, 0x00, 0x00, 0x00,              // route slot 1
        0x00, 0x00, 0x00, 0x00,              // route slot 2
        0x00,                                // End of Options List (pads to 12 bytes)
        // UDP (offset 46)
        0x04, 0xD2,                          // source port 1234
        0x16, 0x2E,                          // destination port 5678
        0x00, 0x0C,                          // length 12
        0x00, 0x00,                          // checksum (none)
        0x01, 0x02, 0x03, 0x04,              // payload
    ]

    /// First fragment (MF set, offset 0) of an NTP datagram: carries the UDP header.
    static let ethernetIPv4FirstFragment: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // source MAC
        0x08, 0x00,                          // EtherType IPv4
        // IPv4 (offset 14)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x24,                          // total length 36 = 20 IP + 16 fragment data
        0x77, 0x77,                          // identification 0x7777
        0x20, 0x00,                          // flags MF, fragment offset 0
        0x40,                                // TTL 64
        0x11,                                // protocol 17 UDP
        0xCF, 0x4F,                          // header checksum
        0x0A, 0x00, 0x00, 0x01,              // source 10.0.0.1
        0x0A, 0x00, 0x00, 0x02,              // destination 10.0.0.2
        // UDP (offset 34)
        0x00, 0x7B,                          // source port 123
        0x00, 0x7B,                          // destination port 123
        0x00, 0x20,                          // length 32 (whole datagram, across fragments)
        0x00, 0x00,                          // checksum (none)
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // first 8 data bytes
    ]

    /// A middle fragment (MF set, offset 1 = 8 bytes): no transport header, although its
    /// data starts with bytes that would read as ports 0xABCD → 0xEF01.
    static let ethernetIPv4MiddleFragment: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // source MAC
        0x08, 0x00,                          // EtherType IPv4
        // IPv4 (offset 14)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x24,                          // total length 36 = 20 IP + 16 fragment data
        0x77, 0x77,                          // identification 0x7777
        0x20, 0x01,                          // flags MF, fragment offset 1 (8 bytes)
        0x40,                                // TTL 64
        0x11,                                // protocol 17 UDP
        0xCF, 0x4E,                          // header checksum
        0x0A, 0x00, 0x00, 0x01,              // source 10.0.0.1
        0x0A, 0x00, 0x00, 0x02,              // destination 10.0.0.2
        // fragment data (offset 34)
        0xAB, 0xCD, 0xEF, 0x01, 0x00, 0x08, 0x00, 0x00,
        0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99,
    ]

    /// The last fragment (MF clear, offset 2 = 16 bytes) of the same datagram.
    static let ethernetIPv4LastFragment: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // source MAC
        0x08, 0x00,                          // EtherType IPv4
        // IPv4 (offset 14)
        0x45, 0x00,                          // version 4, IHL 5; DSCP/ECN 0
        0x00, 0x24,                          // total length 36 = 20 IP + 16 fragment data
        0x77, 0x77,                          // identification 0x7777
        0x00, 0x02,                          // no flags, fragment offset 2 (16 bytes)
        0x40,                                // TTL 64
        0x11,                                // protocol 17 UDP
        0xEF, 0x4D,                          // header checksum
        0x0A, 0x00, 0x00, 0x01,              // source 10.0.0.1
        0x0A, 0x00, 0x00, 0x02,              // destination 10.0.0.2
        // fragment data (offset 34)
        0xAB, 0xCD, 0xEF, 0x01, 0x00, 0x08, 0x00, 0x00,
        0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99,
    ]

    // MARK: IPv6 extension headers

    /// Ethernet II / IPv6 / hop-by-hop / routing (type 2) / destination options / TCP SYN+ACK.
    static let ethernetIPv6ExtensionChainTCP: [UInt8] = [
        // Ethernet II
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
        0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB,  // source MAC
        0x86, 0xDD,                          // EtherType IPv6
        // IPv6 (offset 14)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x3C,                          // payload length 60 = 8 + 24 + 8 + 20
        0x00,                                // next header 0 hop-by-hop options
        0x39,                                // hop limit 57
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // source 2001:db8::22
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22,
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // destination 2001:db8::99
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99,
        // hop-by-hop options (offset 54)
        0x2B,                                // next header 43 routing
        0x00,                                // header extension length 0 (8 bytes)
        0x01, 0x04, 0x00, 0x00, 0x00, 0x00,  // PadN option, 4 bytes of padding
        // routing header (offset 62)
        0x3C,                                // next header 60 destination options
        0x02,                                // header extension length 2 (24 bytes)
        0x02,                                // routing type 2 (Mobile IPv6)
        0x01,                                // segments left 1
        0x00, 0x00, 0x00, 0x00,              // reserved
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // home address 2001:db8::100
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        // destination options (offset 86)
        0x06,                                // next header 6 TCP
        0x00,                                // header extension length 0 (8 bytes)
        0x01, 0x04, 0x00, 0x00, 0x00, 0x00,  // PadN option
        // TCP (offset 94)
        0x00, 0x16,                          // source port 22
        0xC3, 0x50,                          // destination port 50000
        0x00, 0x00, 0x00, 0x10,              // sequence number
        0x00, 0x00, 0x00, 0x11,              // acknowledgement number
        0x50,                                // data offset 5 (20 bytes)
        0x12,                                // flags SYN, ACK
        0xFF, 0xFF,                          // window
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00,                          // urgent pointer
    ]

    /// Raw IPv6 / fragment header (offset 0, M set) / UDP: the first fragment carries ports.
    static let rawIPv6FirstFragmentUDP: [UInt8] = [
        // IPv6 (offset 0)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x18,                          // payload length 24 = 8 fragment + 8 UDP + 8 data
        0x2C,                                // next header 44 fragment
        0x40,                                // hop limit 64
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // source 2001:db8::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // destination 2001:db8::2
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        // fragment header (offset 40)
        0x11,                                // next header 17 UDP
        0x00,                                // reserved
        0x00, 0x01,                          // fragment offset 0, M (more fragments) set
        0xCA, 0xFE, 0xBA, 0xBE,              // identification
        // UDP (offset 48)
        0x13, 0x88,                          // source port 5000
        0x13, 0x89,                          // destination port 5001
        0x05, 0xDC,                          // length 1500 (whole datagram)
        0x00, 0x00,                          // checksum (placeholder)
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // first data bytes
    ]

    /// Raw IPv6 / fragment header (offset 2 = 16 bytes, M clear) / data that looks like ports.
    static let rawIPv6LaterFragmentUDP: [UInt8] = [
        // IPv6 (offset 0)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x10,                          // payload length 16 = 8 fragment + 8 data
        0x2C,                                // next header 44 fragment
        0x40,                                // hop limit 64
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // source 2001:db8::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // destination 2001:db8::2
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        // fragment header (offset 40)
        0x11,                                // next header 17 UDP
        0x00,                                // reserved
        0x00, 0x10,                          // fragment offset 2 (16 bytes), M clear
        0xCA, 0xFE, 0xBA, 0xBE,              // identification
        // fragment data (offset 48)
        0xAB, 0xCD, 0xEF, 0x01, 0x00, 0x08, 0x00, 0x00,
    ]

    /// Raw IPv6 / authentication header (IPsec AH, 24 bytes) / TCP ACK.
    static let rawIPv6AuthenticationHeaderTCP: [UInt8] = [
        // IPv6 (offset 0)
        0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
        0x00, 0x2C,                          // payload length 44 = 24 AH + 20 TCP
        0x33,                                // next header 51 AH
        0x40,                                // hop limit 64
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // source 2001:db8::a
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A,
        0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x00, 0x00,  // destination 2001:db8::b
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0B,
        // authentication header (offset 40)
        0x06,                                // next header 6 TCP
        0x04,                                // payload length 4: (4 + 2) × 4 = 24 bytes
        0x00, 0x00,                          // reserved
        0x00, 0x00, 0x10, 0x00,              // security parameters index
        0x00, 0x00, 0x00, 0x01,              // sequence number
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06,  // integrity check value (12 bytes, HMAC-SHA1-96)
        0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
        // TCP (offset 64)
        0x01, 0xF4,                          // source port 500
        0x11, 0x94,                          // destination port 4500
        0x00, 0x00, 0x00, 0x01,              // sequence number
        0x00, 0x00, 0x00, 0x01,              // acknowledgement number
        0x50,                                // data offset 5
        0x10,                                // flags ACK
        0x10, 0x00,                          // window
        0x00, 0x00,                          // checksum (placeholder)
        0x00, 0x00,                          // urgent pointer
    ]

    /// Raw IPv4 / ICMP destination unreachable (port), quoting the IPv4/UDP header it refers
    /// to: the decoder must report the ICMP message, not the quoted UDP ports.
    static let rawIPv4ICMPPortUnreachable: [UInt8] = [
        // IPv4 (offset 0)
        0x45, 0x00,                          // version 4, IHL 5
        0x00, 0x38,                          // total length 56 = 20 + 8 ICMP + 28 quoted
        0x00, 0x09,                          // identification
        0x00, 0x00,                          // no flags, fragment offset 0
        0x40,                                // TTL 64
        0x01,                                // protocol 1 ICMP
        0xF7, 0x60,                          // header checksum
        0xC0, 0xA8, 0x01, 0x01,              // source 192.168.1.1
        0xC0, 0xA8, 0x01, 0x0A,              // destination 192.168.1.10
        // ICMP (offset 20)
        0x03,                                // type 3 destination unreachable
        0x03,                                // code 3 port unreachable
        0x28, 0x86,                          // checksum
        0x00, 0x00, 0x00, 0x00,              // unused
        // quoted IPv4 header (offset 28)
        0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xF7, 0x6C,
        0xC0, 0xA8, 0x01, 0x0A,              // quoted source 192.168.1.10
        0xC0, 0xA8, 0x01, 0x01,              // quoted destination 192.168.1.1
        // quoted UDP header (offset 48)
        0xD4, 0x31,                          // quoted source port 54321
        0x00, 0x35,                          // quoted destination port 53
        0x00, 0x10, 0x00, 0x00,              // quoted length and checksum
    ]

    // MARK: The table the prefix and fuzz tests walk

    static var all: [Fixture] {
        let macA = MACAddress(value: 0x00_11_22_33_44_55)
        let macB = MACAddress(value: 0x66_77_88_99_AA_BB)
        var list: [Fixture] = [
            Fixture(name: "Ethernet/IPv4/TCP", linkType: .ethernet, bytes: ethernetIPv4TCP, expected: Expected(
                network: .ipv4, transport: .tcp, source: IPAddress(192, 168, 1, 10), destination: IPAddress(93, 184, 216, 34),
                sourceMAC: macB, destinationMAC: macA, sourcePort: 54321, destinationPort: 443, ipProtocol: 6,
                tcpFlags: .syn, ttl: 64), headerEnd: 58),
            Fixture(name: "Ethernet/802.1Q/IPv4/UDP", linkType: .ethernet, bytes: ethernetVLANIPv4UDP, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(10, 0, 0, 5), destination: IPAddress(8, 8, 8, 8),
                sourceMAC: MACAddress(value: 0x02_00_00_00_00_01), destinationMAC: MACAddress(value: 0x02_00_00_00_00_02),
                sourcePort: 50000, destinationPort: 53, ipProtocol: 17, ttl: 128, vlanID: 100, flags: .vlanTagged),
                headerEnd: 46),
            Fixture(name: "Ethernet/QinQ/IPv6/ICMPv6", linkType: .ethernet, bytes: ethernetQinQIPv6ICMPv6, expected: Expected(
                network: .ipv6, transport: .icmpv6, source: IPAddress("fe80::21b:21ff:fe3a:4f5e")!, destination: IPAddress("ff02::1")!,
                sourceMAC: MACAddress(value: 0x00_1B_21_3A_4F_5E), destinationMAC: MACAddress(value: 0x33_33_00_00_00_01),
                ipProtocol: 58, icmpType: 128, icmpCode: 0, ttl: 255, vlanID: 200, flags: .vlanTagged), headerEnd: 66),
            Fixture(name: "Ethernet/ARP request", linkType: .ethernet, bytes: ethernetARPRequest, expected: Expected(
                network: .arp, source: IPAddress(192, 168, 1, 10), destination: IPAddress(192, 168, 1, 1),
                sourceMAC: macA, destinationMAC: .zero, arpOperation: 1), headerEnd: 42),
            Fixture(name: "Ethernet/ARP reply", linkType: .ethernet, bytes: ethernetARPReply, expected: Expected(
                network: .arp, source: IPAddress(192, 168, 1, 1), destination: IPAddress(192, 168, 1, 10),
                sourceMAC: macB, destinationMAC: macA, arpOperation: 2), headerEnd: 42),
            Fixture(name: "SLL/IPv4/ICMP", linkType: .linuxSLL, bytes: linuxSLLIPv4ICMP, expected: Expected(
                network: .ipv4, transport: .icmp, source: IPAddress(1, 1, 1, 1), destination: IPAddress(192, 168, 0, 2),
                sourceMAC: MACAddress(value: 0x52_54_00_12_34_56), ipProtocol: 1, icmpType: 0, icmpCode: 0, ttl: 55),
                headerEnd: 40),
            Fixture(name: "SLL/ARP", linkType: .linuxSLL, bytes: linuxSLLARP, expected: Expected(
                network: .arp, source: IPAddress(10, 1, 2, 3), destination: IPAddress(10, 1, 2, 1),
                sourceMAC: macA, arpOperation: 1), headerEnd: 44),
            Fixture(name: "SLL2/IPv6/UDP", linkType: .linuxSLL2, bytes: linuxSLL2IPv6UDP, expected: Expected(
                network: .ipv6, transport: .udp, source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::2")!,
                sourceMAC: MACAddress(value: 0x02_42_AC_11_00_02), sourcePort: 40000, destinationPort: 443, ipProtocol: 17,
                ttl: 64), headerEnd: 68),
            Fixture(name: "NULL(LE)/IPv4/UDP", linkType: .null, bytes: nullLittleEndianIPv4UDP, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(127, 0, 0, 1), destination: IPAddress(127, 0, 0, 1),
                sourcePort: 12345, destinationPort: 5353, ipProtocol: 17, ttl: 64), headerEnd: 32),
            Fixture(name: "NULL(BE)/IPv4/TCP", linkType: .null, bytes: nullBigEndianIPv4TCP, expected: Expected(
                network: .ipv4, transport: .tcp, source: IPAddress(127, 0, 0, 1), destination: IPAddress(127, 0, 0, 1),
                sourcePort: 8080, destinationPort: 49152, ipProtocol: 6, tcpFlags: [.fin, .ack], ttl: 64), headerEnd: 44),
            Fixture(name: "LOOP/IPv4/ICMP", linkType: .loop, bytes: loopIPv4ICMP, expected: Expected(
                network: .ipv4, transport: .icmp, source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                ipProtocol: 1, icmpType: 8, icmpCode: 0, ttl: 255), headerEnd: 28),
            Fixture(name: "IPV4/UDP", linkType: .ipv4, bytes: ipv4DHCP, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(198, 51, 100, 1), destination: IPAddress(198, 51, 100, 2),
                sourcePort: 68, destinationPort: 67, ipProtocol: 17, ttl: 17), headerEnd: 28),
            Fixture(name: "IPV6/ICMPv6", linkType: .ipv6, bytes: ipv6NeighborSolicitation, expected: Expected(
                network: .ipv6, transport: .icmpv6, source: IPAddress("fe80::1")!, destination: IPAddress("ff02::1:ff00:2")!,
                ipProtocol: 58, icmpType: 135, icmpCode: 0, ttl: 255), headerEnd: 44),
            Fixture(name: "Ethernet/IPv4 options/UDP", linkType: .ethernet, bytes: ethernetIPv4OptionsUDP, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(192, 168, 1, 1), destination: IPAddress(192, 168, 1, 2),
                sourceMAC: macB, destinationMAC: macA, sourcePort: 1234, destinationPort: 5678, ipProtocol: 17, ttl: 64),
                headerEnd: 54),
            Fixture(name: "Ethernet/IPv4 first fragment", linkType: .ethernet, bytes: ethernetIPv4FirstFragment, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                sourceMAC: macB, destinationMAC: macA, sourcePort: 123, destinationPort: 123, ipProtocol: 17, ttl: 64,
                flags: .fragment), headerEnd: 42),
            Fixture(name: "Ethernet/IPv4 middle fragment", linkType: .ethernet, bytes: ethernetIPv4MiddleFragment, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                sourceMAC: macB, destinationMAC: macA, ipProtocol: 17, ttl: 64, flags: .fragment), headerEnd: 34),
            Fixture(name: "Ethernet/IPv4 last fragment", linkType: .ethernet, bytes: ethernetIPv4LastFragment, expected: Expected(
                network: .ipv4, transport: .udp, source: IPAddress(10, 0, 0, 1), destination: IPAddress(10, 0, 0, 2),
                sourceMAC: macB, destinationMAC: macA, ipProtocol: 17, ttl: 64, flags: .fragment), headerEnd: 34),
            Fixture(name: "Ethernet/IPv6 HBH+RH+DO/TCP", linkType: .ethernet, bytes: ethernetIPv6ExtensionChainTCP, expected: Expected(
                network: .ipv6, transport: .tcp, source: IPAddress("2001:db8::22")!, destination: IPAddress("2001:db8::99")!,
                sourceMAC: macB, destinationMAC: macA, sourcePort: 22, destinationPort: 50000, ipProtocol: 6,
                tcpFlags: [.syn, .ack], ttl: 57), headerEnd: 114),
            Fixture(name: "Raw IPv6 first fragment/UDP", linkType: .ipv6, bytes: rawIPv6FirstFragmentUDP, expected: Expected(
                network: .ipv6, transport: .udp, source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::2")!,
                sourcePort: 5000, destinationPort: 5001, ipProtocol: 17, ttl: 64, flags: .fragment), headerEnd: 56),
            Fixture(name: "Raw IPv6 later fragment", linkType: .ipv6, bytes: rawIPv6LaterFragmentUDP, expected: Expected(
                network: .ipv6, transport: .udp, source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::2")!,
                ipProtocol: 17, ttl: 64, flags: .fragment), headerEnd: 48),
            Fixture(name: "Raw IPv6 AH/TCP", linkType: .ipv6, bytes: rawIPv6AuthenticationHeaderTCP, expected: Expected(
                network: .ipv6, transport: .tcp, source: IPAddress("2001:db8::a")!, destination: IPAddress("2001:db8::b")!,
                sourcePort: 500, destinationPort: 4500, ipProtocol: 6, tcpFlags: .ack, ttl: 64), headerEnd: 84),
            Fixture(name: "Raw IPv4 ICMP port unreachable", linkType: .raw, bytes: rawIPv4ICMPPortUnreachable, expected: Expected(
                network: .ipv4, transport: .icmp, source: IPAddress(192, 168, 1, 1), destination: IPAddress(192, 168, 1, 10),
                ipProtocol: 1, icmpType: 3, icmpCode: 3, ttl: 64), headerEnd: 24),
        ]
        // The raw IPv4 packet under each of the raw-IP link types.
        let rawTCP = Expected(
            network: .ipv4, transport: .tcp, source: IPAddress(172, 16, 5, 5), destination: IPAddress(203, 0, 113, 7),
            sourcePort: 80, destinationPort: 58988, ipProtocol: 6, tcpFlags: [.rst, .ack], ttl: 128)
        for linkType in [LinkType.raw, .rawLinktype, .rawOpenBSD, .ipv4] {
            list.append(Fixture(name: "\(linkType.rawValue)/IPv4/TCP", linkType: linkType, bytes: rawIPv4TCP, expected: rawTCP, headerEnd: 40))
        }
        // The IPv6 loopback packet behind every loopback encoding that means IPv6.
        let loopbackV6 = Expected(
            network: .ipv6, transport: .tcp, source: IPAddress("::1")!, destination: IPAddress("::1")!,
            sourcePort: 58799, destinationPort: 8080, ipProtocol: 6, tcpFlags: [.psh, .ack], ttl: 64)
        let families: [(String, LinkType, [UInt8])] = [
            ("NULL(LE) family 24 (NetBSD/OpenBSD)", .null, [0x18, 0x00, 0x00, 0x00]),
            ("NULL(LE) family 28 (FreeBSD)", .null, [0x1C, 0x00, 0x00, 0x00]),
            ("NULL(LE) family 30 (macOS)", .null, [0x1E, 0x00, 0x00, 0x00]),
            ("NULL(BE) family 30 (macOS/PowerPC)", .null, [0x00, 0x00, 0x00, 0x1E]),
            ("NULL(BE) family 24", .null, [0x00, 0x00, 0x00, 0x18]),
            ("NULL(LE) family 10 (Linux)", .null, [0x0A, 0x00, 0x00, 0x00]),
            ("LOOP family 24", .loop, [0x00, 0x00, 0x00, 0x18]),
        ]
        for (name, linkType, family) in families {
            list.append(Fixture(name: "\(name)/IPv6/TCP", linkType: linkType, bytes: family + ipv6LoopbackTCP, expected: loopbackV6, headerEnd: 64))
        }
        for linkType in [LinkType.raw, .rawLinktype, .ipv6] {
            list.append(Fixture(name: "\(linkType.rawValue)/IPv6/TCP", linkType: linkType, bytes: ipv6LoopbackTCP, expected: loopbackV6, headerEnd: 60))
        }
        return list
    }
}
