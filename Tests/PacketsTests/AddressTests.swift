import XCTest
@testable import Packets

final class AddressTests: XCTestCase {
    // MARK: IPAddress parsing and printing

    func testIPv4ParseAndPrint() throws {
        let address = try XCTUnwrap(IPAddress("192.168.1.10"))
        XCTAssertTrue(address.isIPv4)
        XCTAssertEqual(address.ipv4Value, 0xC0A8_010A)
        XCTAssertEqual(address, IPAddress(192, 168, 1, 10))
        XCTAssertEqual(address, IPAddress(ipv4: 0xC0A8_010A))
        XCTAssertEqual(address.high, 0)
        XCTAssertEqual(address.low, 0x0000_FFFF_C0A8_010A, "stored IPv4-mapped")
        XCTAssertEqual(address.description, "192.168.1.10")
        XCTAssertEqual(address.bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 168, 1, 10])
        for text in ["0.0.0.0", "255.255.255.255", "8.8.8.8", "10.0.0.1", "127.0.0.1", "1.2.3.4"] {
            XCTAssertEqual(IPAddress(text)?.description, text)
            XCTAssertEqual(IPAddress(text)?.isIPv4, true, text)
        }
    }

    func testIPv6ParseAndPrint() throws {
        let loopback = try XCTUnwrap(IPAddress("::1"))
        XCTAssertEqual(loopback.high, 0)
        XCTAssertEqual(loopback.low, 1)
        XCTAssertFalse(loopback.isIPv4)
        XCTAssertEqual(loopback.description, "::1")

        let linkLocal = try XCTUnwrap(IPAddress("fe80::1"))
        XCTAssertEqual(linkLocal.high, 0xFE80_0000_0000_0000)
        XCTAssertEqual(linkLocal.low, 1)
        XCTAssertEqual(linkLocal.description, "fe80::1")

        let documentation = try XCTUnwrap(IPAddress("2001:db8::"))
        XCTAssertEqual(documentation.high, 0x2001_0DB8_0000_0000)
        XCTAssertEqual(documentation.low, 0)
        XCTAssertEqual(documentation.description, "2001:db8::")

        // Long, upper-case and zero-padded forms print in RFC 5952 canonical form.
        XCTAssertEqual(IPAddress("2001:0DB8:0000:0000:0000:0000:0000:0001")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress("2001:db8:0:0:1:0:0:1")?.description, "2001:db8::1:0:0:1")
        XCTAssertEqual(IPAddress("::")?.description, "::")
        XCTAssertEqual(IPAddress("ff02::1:ff00:2")?.bytes,
                       [0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xFF, 0, 0, 0x02])
        let full = try XCTUnwrap(IPAddress("1234:5678:9abc:def0:fedc:ba98:7654:3210"))
        XCTAssertEqual(full.high, 0x1234_5678_9ABC_DEF0)
        XCTAssertEqual(full.low, 0xFEDC_BA98_7654_3210)
        XCTAssertEqual(full.description, "1234:5678:9abc:def0:fedc:ba98:7654:3210")
        // IPv4-mapped text parses to the same value as the dotted quad.
        XCTAssertEqual(IPAddress("::ffff:10.0.0.1"), IPAddress(10, 0, 0, 1))
    }

    func testParseRoundTripsThroughDescription() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let address = IPAddress(high: rng.next(), low: rng.next())
            XCTAssertEqual(IPAddress(address.description), address, address.description)
            let v4 = IPAddress(ipv4: UInt32(truncatingIfNeeded: rng.next()))
            XCTAssertEqual(IPAddress(v4.description), v4, v4.description)
        }
    }

    func testInvalidIPAddressTextIsRejected() {
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ",
                     ":::", "1::2::3", "12345::", "fe80::1%eth0", "2001:db8::g", "::ffff:1.2.3", "localhost"] {
            XCTAssertNil(IPAddress(text), "\"\(text)\" must not parse")
        }
    }

    func testLoopbackAndPrivateClassification() {
        // (text, isLoopback, isPrivateOrLocal)
        let table: [(String, Bool, Bool)] = [
            ("127.0.0.1", true, true), ("127.255.255.254", true, true),
            ("10.0.0.1", false, true), ("10.255.255.255", false, true), ("11.0.0.1", false, false),
            ("172.16.0.1", false, true), ("172.31.255.255", false, true),
            ("172.15.255.255", false, false), ("172.32.0.0", false, false),
            ("192.168.0.1", false, true), ("192.169.0.1", false, false), ("192.167.255.255", false, false),
            ("169.254.10.20", false, true), ("169.253.0.1", false, false),
            ("100.64.0.1", false, true), ("100.127.255.255", false, true),
            ("100.63.255.255", false, false), ("100.128.0.0", false, false),
            ("0.0.0.0", false, true),
            ("8.8.8.8", false, false), ("93.184.216.34", false, false), ("1.1.1.1", false, false),
            ("::1", true, true), ("::", false, true), ("::2", false, false),
            ("fe80::1", false, true), ("febf:ffff::1", false, true), ("fec0::1", false, false),
            ("fc00::1", false, true), ("fd12:3456:789a::1", false, true), ("fe00::1", false, false), ("fb00::1", false, false),
            ("2001:db8::", false, false), ("2606:4700::1111", false, false), ("ff02::1", false, false),
            ("::ffff:192.168.1.1", false, true), ("::ffff:8.8.8.8", false, false),
        ]
        for (text, loopback, privateOrLocal) in table {
            guard let address = IPAddress(text) else { XCTFail("\(text) did not parse"); continue }
            XCTAssertEqual(address.isLoopback, loopback, "\(text).isLoopback")
            XCTAssertEqual(address.isPrivateOrLocal, privateOrLocal, "\(text).isPrivateOrLocal")
        }
    }

    func testUnspecifiedMulticastAndBroadcast() {
        XCTAssertTrue(IPAddress.unspecified.isUnspecified)
        XCTAssertTrue(ip("0.0.0.0").isUnspecified)
        XCTAssertTrue(ip("::").isUnspecified)
        XCTAssertFalse(ip("::1").isUnspecified)
        XCTAssertFalse(ip("0.0.0.1").isUnspecified)
        for text in ["224.0.0.1", "239.255.255.250", "255.255.255.255", "ff02::1", "ff05::1:3"] {
            XCTAssertTrue(ip(text).isMulticastOrBroadcast, text)
        }
        for text in ["223.255.255.255", "240.0.0.1", "10.0.0.255", "fe80::1", "2001:db8::"] {
            XCTAssertFalse(ip(text).isMulticastOrBroadcast, text)
        }
    }

    func testOrderingAndHashing() {
        let sorted = ["0.0.0.1", "10.0.0.1", "10.0.0.2", "255.255.255.255", "2001:db8::", "fe80::1"].map { ip($0) }
        XCTAssertEqual(sorted.shuffled().sorted(), sorted)
        XCTAssertEqual(Set(sorted + sorted).count, sorted.count)
        XCTAssertEqual(ip("10.0.0.1").mixedHash, IPAddress(10, 0, 0, 1).mixedHash)
        XCTAssertEqual(Set(sorted.map(\.mixedHash)).count, sorted.count)
        XCTAssertNotEqual(fastMix(1), fastMix(2))
        XCTAssertEqual(fastMix(0), 0, "Murmur3's finaliser maps 0 to 0")
    }

    // MARK: MACAddress

    func testMACParseAndPrint() throws {
        let address = try XCTUnwrap(MACAddress("00:1B:21:3a:4f:5E"))
        XCTAssertEqual(address.value, 0x001B_213A_4F5E)
        XCTAssertEqual(address.description, "00:1b:21:3a:4f:5e")
        XCTAssertEqual(address.oui, 0x001B21)
        XCTAssertFalse(address.isMulticast)
        XCTAssertEqual(MACAddress("00-1b-21-3a-4f-5e"), address)
        XCTAssertEqual(MACAddress([0x00, 0x1B, 0x21, 0x3A, 0x4F, 0x5E]), address)
        XCTAssertEqual(MACAddress.broadcast.description, "ff:ff:ff:ff:ff:ff")
        XCTAssertEqual(MACAddress.zero.description, "00:00:00:00:00:00")
        XCTAssertTrue(MACAddress.broadcast.isMulticast)
        XCTAssertTrue(try XCTUnwrap(MACAddress("33:33:00:00:00:01")).isMulticast)
        XCTAssertTrue(try XCTUnwrap(MACAddress("01:00:5e:7f:ff:fa")).isMulticast)
        XCTAssertEqual(MACAddress(value: 0xFFFF_0011_2233_4455).value, 0x0011_2233_4455, "masked to 48 bits")
        XCTAssertLessThan(MACAddress.zero, MACAddress.broadcast)
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let random = MACAddress(value: rng.next())
            XCTAssertEqual(MACAddress(random.description), random)
        }
    }

    func testInvalidMACTextIsRejected() {
        for text in ["", "00:11:22:33:44", "00:11:22:33:44:55:66", "0:11:22:33:44:55", "000:11:22:33:44:55",
                     "00:11:22:33:44:gg", "00.11.22.33.44.55", "001122334455", "00:11:22:33:44:5"] {
            XCTAssertNil(MACAddress(text), "\"\(text)\" must not parse")
        }
    }

    func testMACTextWithEmptyGroupsOrSignsIsRejected() {
        // Six groups of exactly two hex digits, nothing else. These have an empty group, a
        // stray separator or a sign character standing in for a digit.
        for text in ["00::11:22:33:44:55", ":00:11:22:33:44:55", "00:11:22:33:44:55:", "00:11:22:33:44:55::",
                     "+0:11:22:33:44:55", "-0:11:22:33:44:55", "00:+1:22:33:44:55"] {
            XCTAssertNil(MACAddress(text), "\"\(text)\" must not parse")
        }
    }
}
