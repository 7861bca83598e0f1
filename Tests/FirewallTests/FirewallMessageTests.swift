import Firewall
import Foundation
import GRDB
import NetScouterTestSupport
import Store
import XCTest

/// Messages that tell the user what actually happened: an unblock inside a wider ban, an
/// allowlist entry that active bans overlap, a list import next to a refused address, and a
/// settings table that cannot be read.
final class FirewallMessageTests: XCTestCase {
    private var database: NetScouterDatabase!
    private var folder: URL!

    override func setUpWithError() throws {
        (database, folder) = try temporaryDatabase()
    }

    override func tearDown() {
        try? database?.close()
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Nothing may reach a backend in these tests.
    private func service() -> FirewallService {
        FirewallService(backend: NftablesBackend(runner: CountingRunner()), database: database, facts: { HostFacts() }, privilegeCheck: {})
    }

    private func storeBans(_ addresses: [String]) throws {
        try database.write { db in
            _ = try BlockStore.addMany(addresses: addresses, reason: "t", source: .manual, duration: nil, at: Date(), in: db)
        }
    }

    func testUnblockInsideAWiderBanNamesIt() throws {
        try storeBans(["1.2.3.0/24"])
        XCTAssertThrowsError(try service().unblock("1.2.3.4")) { error in
            XCTAssertEqual("\(error)", "1.2.3.4 has no ban of its own: it is inside the ban on 1.2.3.0/24. Unblock 1.2.3.0/24 to let it through (and block the rest again if needed).")
        }
        XCTAssertEqual(try BlockStore(database: database).active(at: Date()).count, 1, "the /24 stays")
    }

    func testAllowlistingSaysWhichActiveBansOverlap() throws {
        try storeBans(["1.2.3.0/24", "198.51.100.7"])
        let result = try service().allow("1.2.3.4")
        XCTAssertTrue(result.added)
        XCTAssertEqual(result.overlappingBans, ["1.2.3.0/24"])
        XCTAssertEqual(try service().allow("203.0.113.0/24").overlappingBans, [])
        XCTAssertEqual(try service().allow("198.51.100.0/24").overlappingBans, ["198.51.100.7"])
    }

    func testUnreadableSettingsAreReportedNotGuessed() throws {
        try database.write { db in try db.execute(sql: "DROP TABLE settings") }
        XCTAssertThrowsError(try FirewallService.configured(database: database)) { error in
            XCTAssertTrue("\(error)".hasPrefix("The settings could not be read, so the firewall action (drop or reject) is unknown"), "\(error)")
        }
        // An explicit action needs no settings.
        guard ProcessCommandRunner().locate("nft") != nil else { return }
        XCTAssertEqual(try FirewallService.configured(database: database, action: .reject).backend.name, "nftables")
    }

    func testFromFileWithARefusedExplicitAddressExitsNonZero() throws {
        let executable = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("netscouter is not built at \(executable)") }
        let lab = try FirewallLab()
        defer { lab.remove() }
        let list = lab.directory.appendingPathComponent("list.txt")
        try "203.0.113.9\n".write(to: list, atomically: true, encoding: .utf8)
        let result = try Command.run(["ip", "netns", "exec", lab.a, executable, "block", "--from-file", list.path, "127.0.0.1",
                                      "--data-dir", lab.directory.path])
        XCTAssertEqual(result.status, 1, result.standardOutput)
        XCTAssertTrue(result.standardError.contains("127.0.0.1 refused (loopback)"), result.standardError)
        XCTAssertTrue(result.standardError.contains("none of the addresses given on the command line was blocked"), result.standardError)
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), ["203.0.113.9"], "the list itself went in")
    }

    /// Time left is whole seconds rounded up, without the sub-millisecond noise of timestamps
    /// stored as REAL (a 30-day ban read back at once showed one second more).
    func testTimeLeftIgnoresStorageNoise() {
        XCTAssertEqual(FirewallService.wholeSecondsLeft(2_592_000.000_000_4), 2_592_000)
        XCTAssertEqual(FirewallService.wholeSecondsLeft(2_591_999.999_999_6), 2_592_000)
        XCTAssertEqual(FirewallService.wholeSecondsLeft(59.2), 60)
        XCTAssertEqual(FirewallService.wholeSecondsLeft(0.2), 1)
        XCTAssertEqual(FirewallService.wholeSecondsLeft(-3), 0)
    }

}
