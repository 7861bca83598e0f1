import Foundation
import Intel
import NetScouterTestSupport
import Packets
import XCTest

final class MaxMindTests: XCTestCase {
    func testUserChosenMMDBAnswersAndLibLocFillsTheRest() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-test-\(UUID().uuidString).mmdb")
        defer { try? FileManager.default.removeItem(at: file) }
        let bytes = MMDBWriter.database([
            (0x0808_0800, 24, .map([("country", .map([("iso_code", .string("ZZ"))])),
                                    ("autonomous_system_number", .uint32(64_512)),
                                    ("autonomous_system_organization", .string("Test\u{202E}Net"))])),
            (0x0101_0000, 16, .map([("registered_country", .map([("iso_code", .string("AU"))]))])),
        ])
        try Data(bytes).write(to: file)
        let database = try MaxMindDatabase(path: file.path)
        XCTAssertEqual(database.databaseType, "NetScouter-Test-ASN-Country")
        XCTAssertEqual(database.lookup(IPAddress("8.8.8.8")!), LocationInfo(countryCode: "ZZ", asn: 64_512, asName: "TestNet"))
        XCTAssertEqual(database.lookup(IPAddress("1.1.1.1")!).countryCode, "AU")
        XCTAssertNil(database.lookup(IPAddress("1.1.1.1")!).asn)
        XCTAssertEqual(database.lookup(IPAddress("9.9.9.9")!), LocationInfo())
        XCTAssertNotNil(database.lookup(IPAddress("192.168.0.1")!).local)

        let (combined, notices) = LocationSources.open(mmdbPath: file.path, environment: [:])
        let source = try XCTUnwrap(combined)
        let one = source.lookup(IPAddress("1.1.1.1")!)
        XCTAssertEqual(one.countryCode, "AU", "the .mmdb answers first")
        if notices.isEmpty {
            XCTAssertEqual(one.asn, 13335, "libloc fills in the AS the .mmdb lacks")
        }
    }

    func testAFileThatIsNotAnMMDBIsAClearNotice() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-test-\(UUID().uuidString).mmdb")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("not a database".utf8).write(to: file)
        XCTAssertThrowsError(try MaxMindDatabase(path: file.path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("Cannot use the MaxMind database \(file.path): "), "\(error)")
        }
        let (source, notices) = LocationSources.open(mmdbPath: file.path, environment: [:])
        XCTAssertTrue(notices.first?.hasPrefix("Cannot use the MaxMind database") ?? false)
        XCTAssertEqual(source == nil, notices.count == 2, "without libloc either, there is no source at all")
    }
}
