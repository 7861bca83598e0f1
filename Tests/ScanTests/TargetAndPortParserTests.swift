import Packets
@testable import Scan
import XCTest

final class TargetParserTests: XCTestCase {
    private let parser = TargetParser(hostLimit: 70_000, resolve: { name in
        switch name {
        case "dual.test": [IPAddress("192.0.2.7")!, IPAddress("2001:db8::7")!]
        case "empty.test": []
        default: throw TargetError("Cannot resolve the host name \"\(name)\": Name or service not known. Check the spelling and the DNS settings, or give an IP address.")
        }
    })

    private func addresses(_ text: String) throws -> [String] { try parser.parse(text).map(\.address.description) }

    private func assertRefused(_ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parser.parse(text), file: file, line: line) { error in
            XCTAssertEqual((error as? TargetError)?.description, message, file: file, line: line)
        }
    }

    func testAddressesCIDRRangesAndLists() throws {
        XCTAssertEqual(try addresses("192.168.1.10"), ["192.168.1.10"])
        XCTAssertEqual(try addresses("2001:db8::1"), ["2001:db8::1"])
        XCTAssertEqual(try addresses("[::1]"), ["::1"])
        XCTAssertEqual(try addresses("10.0.0.0/30"), ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"])
        XCTAssertEqual(try addresses("10.0.0.77/30"), ["10.0.0.76", "10.0.0.77", "10.0.0.78", "10.0.0.79"])
        XCTAssertEqual(try addresses("10.0.0.5/32"), ["10.0.0.5"])
        XCTAssertEqual(try addresses("2001:db8::10/126"), ["2001:db8::10", "2001:db8::11", "2001:db8::12", "2001:db8::13"])
        XCTAssertEqual(try addresses("10.0.0.1-3"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        XCTAssertEqual(try addresses("10.0.1-2.1-2"), ["10.0.1.1", "10.0.1.2", "10.0.2.1", "10.0.2.2"])
        XCTAssertEqual(try addresses("10.0.0.254-10.0.1.1"), ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"])
        XCTAssertEqual(try addresses("10.0.0.1,10.0.0.2 10.0.0.1, ::1"), ["10.0.0.1", "10.0.0.2", "::1"])
        XCTAssertEqual(try parser.parse("10.0.0.0/16").count, 65536)
    }

    func testHostNamesGiveEveryAddress() throws {
        let hosts = try parser.parse("dual.test")
        XCTAssertEqual(hosts.map(\.address.description), ["192.0.2.7", "2001:db8::7"])
        XCTAssertEqual(hosts.map(\.name), ["dual.test", "dual.test"])
        // The real resolver: localhost comes from /etc/hosts, no DNS traffic.
        let local = try TargetParser().parse("localhost")
        XCTAssertTrue(local.contains { $0.address.isLoopback }, "\(local)")
    }

    func testEveryBadInputHasAMessage() {
        assertRefused("", "No targets given: write an address, host name, CIDR block or range, e.g. 192.168.1.10, example.org, 10.0.0.0/24 or 10.0.0.1-20.")
        assertRefused("  \n ", "No targets given: write an address, host name, CIDR block or range, e.g. 192.168.1.10, example.org, 10.0.0.0/24 or 10.0.0.1-20.")
        assertRefused("10.0.0.1,,10.0.0.2", "Empty item in the target list \"10.0.0.1,,10.0.0.2\": separate targets with one comma, e.g. 10.0.0.1,10.0.0.2.")
        assertRefused("10.0.0.1,", "Empty item in the target list \"10.0.0.1,\": separate targets with one comma, e.g. 10.0.0.1,10.0.0.2.")
        assertRefused("300.1.1.1", "\"300.1.1.1\" is not a valid IPv4 address: write four numbers 0–255 separated by dots, e.g. 192.168.1.10.")
        assertRefused("10.0.0", "\"10.0.0\" is not a valid IPv4 address: write four numbers 0–255 separated by dots, e.g. 192.168.1.10.")
        assertRefused("10.0.0.0/33", "\"10.0.0.0/33\": the prefix length after the slash must be a number from 0 to 32 for IPv4, e.g. 10.0.0.0/24.")
        assertRefused("10.0.0.0/", "\"10.0.0.0/\": the prefix length after the slash must be a number from 0 to 32 for IPv4, e.g. 10.0.0.0/24.")
        assertRefused("10.0.0.0/x", "\"10.0.0.0/x\": the prefix length after the slash must be a number from 0 to 32 for IPv4, e.g. 10.0.0.0/24.")
        assertRefused("2001:db8::/129", "\"2001:db8::/129\": the prefix length after the slash must be a number from 0 to 128 for IPv6, e.g. 2001:db8::/120.")
        assertRefused("example/24", "\"example/24\": a CIDR block needs an IP address before the slash, e.g. 10.0.0.0/24 or 2001:db8::/120.")
        assertRefused("10.0.0.0/8", "\"10.0.0.0/8\" holds 2^24 addresses, more than the 70000 a scan accepts: use a longer prefix (e.g. /24) or split the block.")
        assertRefused("2001:db8::/64", "\"2001:db8::/64\" holds 2^64 addresses, more than the 70000 a scan accepts: use a longer prefix (e.g. /120) or split the block.")
        assertRefused("10.0.0.20-1", "\"10.0.0.20-1\": the range 20-1 runs backwards: write the lower end first (1-20).")
        assertRefused("10.0.0.1-300", "\"10.0.0.1-300\": 300 is out of range: each octet is a number 0–255.")
        assertRefused("10.0.0.1-", "\"10.0.0.1-\": \"1-\" is not an octet or octet range: write a number 0–255 or a range like 1-20.")
        assertRefused("10.0.0-1", "\"10.0.0-1\" is not a valid IPv4 range: write it like 10.0.0.1-20 (last octet), 10.0.1-3.1-254 (per octet) or 10.0.0.1-10.0.0.20.")
        assertRefused("10.0.0.9-10.0.0.1", "\"10.0.0.9-10.0.0.1\" runs backwards: write the lower address first, e.g. 10.0.0.1-10.0.0.9.")
        assertRefused("0.0.0.0-255.255.255.255", "\"0.0.0.0-255.255.255.255\" holds 4294967296 addresses, more than the 70000 a scan accepts: narrow the range.")
        assertRefused("2001:db8::1-5", "\"2001:db8::1-5\": dash ranges work for IPv4 only; for IPv6 write a CIDR block, e.g. 2001:db8::/120.")
        assertRefused("2001:db8:::1", "\"2001:db8:::1\" is not a valid IPv6 address: write it like 2001:db8::1 or fe80::1.")
        assertRefused("bad_host!", "\"bad_host!\" is not an address, CIDR block, range or host name: write e.g. 192.168.1.10, 10.0.0.0/24, 10.0.0.1-20, 2001:db8::1 or example.org.")
        assertRefused("-start.test", "\"-start.test\" is not an address, CIDR block, range or host name: write e.g. 192.168.1.10, 10.0.0.0/24, 10.0.0.1-20, 2001:db8::1 or example.org.")
        assertRefused("nosuch.test", "Cannot resolve the host name \"nosuch.test\": Name or service not known. Check the spelling and the DNS settings, or give an IP address.")
        assertRefused("empty.test", "The host name \"empty.test\" has no addresses: check the spelling or give an IP address.")
        assertRefused("10.0.0.0/16,10.1.0.0/16", "The targets hold more than 70000 hosts: scan a smaller block (e.g. a /24) or split the list.")
    }

    func testTargetsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("targets-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "# lab hosts\n10.0.0.1\n10.0.0.2-3 # two more\n\n::1\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try parser.parseFile(path).map(\.address.description), ["10.0.0.1", "10.0.0.2", "10.0.0.3", "::1"])
        try "# nothing\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try parser.parseFile(path)) { error in
            XCTAssertEqual((error as? TargetError)?.description, "The targets file \(path) lists no targets: write one address, name, CIDR block or range per line.")
        }
        XCTAssertThrowsError(try parser.parseFile(path + ".missing")) { error in
            XCTAssertTrue((error as? TargetError)?.description.hasPrefix("Cannot read the targets file \(path).missing: ") == true, "\(error)")
        }
    }
}

final class PortParserTests: XCTestCase {
    private let parser = PortParser(services: ServiceNames(text: """
        # test services
        ssh             22/tcp
        http            80/tcp          www             # WorldWideWeb HTTP
        https           443/tcp
        domain          53/udp
        """))

    private func assertRefused(_ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parser.parse(text), file: file, line: line) { error in
            XCTAssertEqual((error as? PortError)?.description, message, file: file, line: line)
        }
    }

    func testListsRangesNamesAndAll() throws {
        XCTAssertEqual(try parser.parse("22"), [22])
        XCTAssertEqual(try parser.parse("22,80,443"), [22, 80, 443])
        XCTAssertEqual(try parser.parse("22,80,8000-8003"), [22, 80, 8000, 8001, 8002, 8003])
        XCTAssertEqual(try parser.parse("80,22,80,21-23"), [80, 22, 21, 23])
        XCTAssertEqual(try parser.parse("ssh,WWW,https"), [22, 80, 443])
        XCTAssertEqual(try parser.parse("-3"), [1, 2, 3])
        XCTAssertEqual(try parser.parse("65533-"), [65533, 65534, 65535])
        XCTAssertEqual(try parser.parse("-").count, 65535)
        XCTAssertEqual(try parser.parse(" 1-65535 ").count, 65535)
    }

    func testEveryBadInputHasAMessage() {
        assertRefused("", "No ports given: write ports like 22,80,443, a range like 8000-8100, - for all 65,535, or use --top N.")
        assertRefused("22,,80", "Empty item in the port list \"22,,80\": separate ports with one comma, e.g. 22,80,443.")
        assertRefused("22,", "Empty item in the port list \"22,\": separate ports with one comma, e.g. 22,80,443.")
        assertRefused("0", "Port 0 cannot be scanned (it is reserved): ports are 1–65535.")
        assertRefused("0-10", "Port 0 cannot be scanned (it is reserved): ports are 1–65535.")
        assertRefused("65536", "Port 65536 is out of range: ports are 1–65535.")
        assertRefused("99999999999999999999", "Port 99999999999999999999 is out of range: ports are 1–65535.")
        assertRefused("100-20", "The port range 100-20 runs backwards: write the lower port first (20-100).")
        assertRefused("1-2-3", "\"1-2-3\" is not a port range: write it as FIRST-LAST, e.g. 8000-8100.")
        assertRefused("80-x", "\"x\" in \"80-x\" is not a port number: ports are whole numbers 1–65535.")
        assertRefused("domain", "\"domain\" is neither a port number nor a TCP service name in /etc/services: write a number 1–65535 (e.g. 443) or a name such as https.")
        assertRefused("8o", "\"8o\" is neither a port number nor a TCP service name in /etc/services: write a number 1–65535 (e.g. 443) or a name such as https.")
        XCTAssertThrowsError(try PortParser.top(0)) { XCTAssertEqual(($0 as? PortError)?.description, "--top 0 is out of range: give a count from 1 to 65535 (e.g. --top 100 or --top 1000).") }
        XCTAssertThrowsError(try PortParser.top(65536)) { XCTAssertEqual(($0 as? PortError)?.description, "--top 65536 is out of range: give a count from 1 to 65535 (e.g. --top 100 or --top 1000).") }
    }

    func testTopPortsComeFromTheAssetsFileInOrder() throws {
        // The embedded list is the file in Assets/, read here from the source tree.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: repository.appendingPathComponent("Assets/top-ports.txt"), encoding: .utf8)
        let fromFile = file.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").first.flatMap { UInt16($0) } }
        XCTAssertEqual(TopPorts.ranked, fromFile, "Assets/top-ports.txt lists each port once, in rank order")
        XCTAssertGreaterThanOrEqual(TopPorts.ranked.count, 300)
        XCTAssertEqual(Array(try PortParser.top(3)), [80, 443, 22])
        let thousand = try PortParser.top(1000)
        XCTAssertEqual(thousand.count, 1000)
        XCTAssertEqual(Set(thousand).count, 1000)
        XCTAssertEqual(Array(thousand.prefix(TopPorts.ranked.count)), TopPorts.ranked)
        XCTAssertEqual(try PortParser.top(65535).count, 65535)
    }

    func testServiceNamesFromEtcServices() {
        let services = ServiceNames(text: "ssh 22/tcp\nssh 22/udp\nhttp 80/tcp www\nbogus x/tcp\n")
        XCTAssertEqual(services.name(of: 22), "ssh")
        XCTAssertEqual(services.port(named: "www"), 80)
        XCTAssertNil(services.name(of: 9))
        if FileManager.default.fileExists(atPath: "/etc/services") {
            XCTAssertEqual(ServiceNames.system.name(of: 22), "ssh")
        }
    }
}

final class BannerTextTests: XCTestCase {
    func testControlCharactersAndInvalidUTF8AreEscaped() {
        let bytes: [UInt8] = Array("SSH-2.0-Test\r\n".utf8) + [0x1B] + Array("[31mred".utf8) + [0xFF, 0xFE, 0x00, 0x07]
            + Array("\u{202E}txt\u{85}".utf8) + Array("\r\n".utf8)
        let text = BannerText.sanitise(bytes)
        XCTAssertEqual(text, "SSH-2.0-Test\\r\\n\\x1b[31mred\u{FFFD}\u{FFFD}\\x00\\x07\\u{202e}txt\\u{0085}")
        XCTAssertTrue(BannerText.isClean(text!))
        XCTAssertFalse(BannerText.isClean("a\u{1B}b"))
        XCTAssertNil(BannerText.sanitise(Array("\r\n".utf8)))
        XCTAssertEqual(BannerText.sanitise(Array("220 ftp ready\r\n".utf8)), "220 ftp ready")
    }
}
