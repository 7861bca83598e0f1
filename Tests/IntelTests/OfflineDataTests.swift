import Foundation
import Intel
import Packets
import XCTest

/// libloc against the installed Debian database, the IEEE registries of ieee-data, and the risk
/// rules file.
final class OfflineDataTests: XCTestCase {
    private func database() throws -> LocationDatabase {
        switch LocationDatabase.openDefault(environment: [:]) {
        case let .success(database): return database
        case let .failure(error): throw XCTSkip("\(error) — `make test` installs libloc-database.")
        }
    }

    func testGoogleDNSIsUSAndAS15169() throws {
        let database = try database()
        let info = database.lookup(IPAddress("8.8.8.8")!)
        XCTAssertEqual(info.countryCode, "US")
        XCTAssertEqual(info.asn, 15169)
        XCTAssertEqual(info.asName?.lowercased().contains("google"), true, String(describing: info.asName))
        XCTAssertNotNil(info.network)
        XCTAssertNil(info.local)
        let v6 = database.lookup(IPAddress("2001:4860:4860::8888")!)
        XCTAssertEqual(v6.asn, 15169)
    }

    func testPrivateAddressesAreLocal() throws {
        let database = try database()
        for address in ["10.0.0.1", "192.168.1.20", "127.0.0.1", "fe80::1"] {
            let info = database.lookup(IPAddress(address)!)
            XCTAssertNotNil(info.local, address)
            XCTAssertEqual(info.countryText, "local", address)
            XCTAssertNil(info.asn, address)
        }
    }

    func testMissingDatabaseIsANoticeNotAFailure() {
        guard case let .failure(error) = LocationDatabase.openDefault(environment: ["NETSCOUTER_LOCATION_DB": "/nonexistent/location.db"]) else {
            return XCTFail("a missing file cannot open")
        }
        XCTAssertEqual(error.message, "No location database at /nonexistent/location.db: country and AS columns stay empty. Install it with `sudo apt-get install libloc-database` (or set NETSCOUTER_LOCATION_DB to a location.db file).")
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-location-\(UUID().uuidString).db")
        _ = FileManager.default.createFile(atPath: garbage.path, contents: Data(repeating: 0x41, count: 4096))
        defer { try? FileManager.default.removeItem(at: garbage) }
        XCTAssertThrowsError(try LocationDatabase(path: garbage.path)) { error in
            XCTAssertTrue("\(error)".contains("is not a libloc location database"), "\(error)")
        }
    }

    func testRaspberryPiPrefixAndLocallyAdministeredMAC() throws {
        let vendors: MACVendors
        do { vendors = try MACVendors() } catch { throw XCTSkip("\(error)") }
        XCTAssertEqual(vendors.lookup(MACAddress("b8:27:eb:12:34:56")!), .vendor(organization: "Raspberry Pi Foundation", registry: "MA-L", prefix: "B827EB"))
        XCTAssertEqual(vendors.lookup(MACAddress("dc:a6:32:00:00:01")!), .vendor(organization: "Raspberry Pi Trading Ltd", registry: "MA-L", prefix: "DCA632"))
        // 0x02 bit of the first octet: randomised Wi-Fi MACs, VMs, containers.
        XCTAssertEqual(vendors.lookup(MACAddress("da:a1:19:5c:2e:01")!), .locallyAdministered)
        XCTAssertEqual(vendors.lookup(MACAddress("02:42:ac:11:00:02")!), .locallyAdministered)
        XCTAssertEqual(vendors.lookup(MACAddress("01:00:5e:00:00:fb")!), .group)
        XCTAssertEqual(vendors.lookup(MACAddress("ff:ff:ff:ff:ff:ff")!), .group)
        XCTAssertEqual(MACVendors.parse("b827.eb12.3456"), MACAddress("b8:27:eb:12:34:56"))
        XCTAssertEqual(MACVendors.parse("B827EB123456"), MACAddress("b8:27:eb:12:34:56"))
        XCTAssertNil(MACVendors.parse("b8:27:eb"))
    }

    func testLongestPrefixWins() throws {
        let vendors: MACVendors
        do { vendors = try MACVendors() } catch { throw XCTSkip("\(error)") }
        // 70:B3:D5 is an MA-L the IEEE keeps and sells in 36-bit MA-S blocks; 70B3D5F2F is one.
        XCTAssertEqual(vendors.lookup(MACAddress("70:b3:d5:f2:f1:23")!), .vendor(organization: "TELEPLATFORMS", registry: "MA-S", prefix: "70B3D5F2F"))
        // An MA-M block: 28 bits.
        XCTAssertEqual(vendors.lookup(MACAddress("20:85:93:b1:23:45")!), .vendor(organization: "IOG Products LLC", registry: "MA-M", prefix: "208593B"))
        if case let .vendor(parent, _, _) = vendors.lookup(MACAddress("20:85:93:01:23:45")!) {
            XCTAssertNotEqual(parent, "IOG Products LLC", "outside the MA-M block the MA-L owner answers")
        }
    }

    func testRegistryDirectoryMissingIsANotice() {
        XCTAssertThrowsError(try MACVendors(directory: "/nonexistent")) { error in
            XCTAssertEqual("\(error)", "No IEEE registry files in /nonexistent: MAC vendors stay unknown. Install them with `sudo apt-get install ieee-data`.")
        }
    }
}

final class RiskRulesTests: XCTestCase {
    func testBuiltInRulesAreTheAssetsFile() throws {
        let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Assets/risk-rules.json")
        let text = try String(contentsOf: assets, encoding: .utf8)
        let decoded = try JSONDecoder().decode(RiskRules.self, from: Data(text.utf8))
        XCTAssertEqual(decoded, RiskRules.builtIn)
        XCTAssertFalse(RiskRules.builtIn.keywords.isEmpty)
    }

    func testKeywordsMatchWholeWordsOnly() {
        let rules = RiskRules(keywords: [.init(word: "tor", reason: "Tor network"), .init(word: "bulletproof hosting", reason: "BPH")])
        func hits(_ name: String) -> [String] { rules.evaluate(.init(names: [name])).map(\.rule) }
        XCTAssertEqual(hits("Toronto Hydro Telecom"), [])
        XCTAssertEqual(hits("Storage Networks Inc"), [])
        XCTAssertEqual(hits("Victor Hosting"), [])
        XCTAssertEqual(hits("TOR exit relay"), ["keyword:tor"])
        XCTAssertEqual(hits("tor-exit.example.net"), ["keyword:tor"])
        XCTAssertEqual(hits("Example (Tor)"), ["keyword:tor"])
        XCTAssertEqual(hits("Bulletproof Hosting Ltd"), ["keyword:bulletproof hosting"])
        XCTAssertEqual(hits("Bulletproof vests and hosting"), [])
    }

    func testCountriesPortsAndFlagsCarryTheirReasons() {
        let rules = RiskRules.builtIn
        let hits = rules.evaluate(.init(countryCode: "kp", names: ["Star Joint Venture"], ports: [443, 23], locationFlags: ["drop"]))
        XCTAssertEqual(hits.map(\.rule), ["country:KP", "port:23", "flag:drop"])
        XCTAssertTrue(hits[1].reason.hasPrefix("Telnet (23)"))
        XCTAssertEqual(rules.evaluate(.init(countryCode: "US", names: ["Google LLC"], ports: [443])), [])
    }

    func testUserFileOverridesAndABrokenOneIsAnError() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-risk-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: config) }
        let environment = ["XDG_CONFIG_HOME": config.path]
        XCTAssertEqual(try RiskRules.load(environment: environment).source, "built-in rules")
        try FileManager.default.createDirectory(at: config.appendingPathComponent("netscouter"), withIntermediateDirectories: true)
        let file = config.appendingPathComponent("netscouter/risk-rules.json")
        try Data(#"{"version":1,"ports":[{"port":8080,"reason":"Our policy: no 8080."}]}"#.utf8).write(to: file)
        let (rules, source) = try RiskRules.load(environment: environment)
        XCTAssertEqual(source, file.path)
        XCTAssertEqual(rules.evaluate(.init(ports: [8080])).map(\.reason), ["Our policy: no 8080."])
        XCTAssertEqual(rules.evaluate(.init(ports: [23])), [], "the user's file replaces the built-in rules")
        try Data("{ports: oops".utf8).write(to: file)
        XCTAssertThrowsError(try RiskRules.load(environment: environment)) { error in
            XCTAssertTrue("\(error)".hasPrefix("The risk rules file \(file.path) is not valid JSON"), "\(error)")
        }
    }

    func testSanitiserDropsControlAndBidiCharacters() {
        XCTAssertEqual(TextSanitizer.clean("a\u{202E}b\u{2066}c\u{200F}d\r\n e\u{0000}f\u{009B}g"), "abcd efg")
        XCTAssertEqual(TextSanitizer.clean("  spaced\t\tout  "), "spaced out")
        XCTAssertEqual(TextSanitizer.clean("one\u{2028}two\u{2029}three"), "one two three")
        XCTAssertEqual(TextSanitizer.clean(String(repeating: "x", count: 2000)).count, TextSanitizer.maximumLength)
    }
}
