import Firewall
import Foundation
import Jobs
import Schedule
import NetScouterTestSupport
import Store
import XCTest

final class BlocklistFormatTests: XCTestCase {
    func testFireHOLNetset() {
        let list = Blocklist(text: """
            #
            # firehol_level1
            # ipv4 hash:net ipset
            #
            # Maintainer      : FireHOL
            #
            1.10.16.0/20
            1.19.0.0/16
            5.134.128.0/19

            """)
        XCTAssertEqual(list.entries, ["1.10.16.0/20", "1.19.0.0/16", "5.134.128.0/19"])
        XCTAssertEqual(list.unreadable, [])
    }

    func testSpamhausDropTextAndJSON() {
        let text = Blocklist(text: """
            ; Spamhaus DROP List 2024/03/26 - (c) 2024 The Spamhaus Project SLU
            ; https://www.spamhaus.org/drop/drop.txt
            ; Last-Modified: Tue, 26 Mar 2024 07:47:45 GMT
            ; Expires: Tue, 26 Mar 2024 09:41:59 GMT
            1.10.16.0/20 ; SBL256894
            1.19.0.0/16 ; SBL434604
            2001:db8:bad::/48 # IPv6 too
            1.2.3.4 extra words
            """)
        XCTAssertEqual(text.entries, ["1.10.16.0/20", "1.19.0.0/16", "2001:db8:bad::/48"])
        XCTAssertEqual(text.unreadable, ["line 8: 1.2.3.4 extra words"])
        let json = Blocklist(text: """
            {"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
            {"cidr":"2a06:e480::/29","sblid":"SBL301771","rir":"ripencc"}
            {"type":"metadata","timestamp":1711439265,"size":91264,"records":2,"copyright":"(c) 2024 The Spamhaus Project SLU"}
            """)
        XCTAssertEqual(json.entries, ["1.10.16.0/20", "2a06:e480::/29"])
    }
}

/// Imports into nftables in a test namespace: thousands of entries, one nft transaction.
final class BlocklistImportTests: XCTestCase {
    func testImportIsOneBatchSkipsBadLinesAndRefusesProtectedOnes() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        var lines = ["# test list", "10.213.0.2 ; B itself", "127.0.0.0/8", "10.213.0.0/24", "not-an-address", "1.2.3.4/33"]
        // 5,000 distinct /32s in 100.100.0.0/16 plus a duplicate and one inside a listed network.
        for index in 0..<5_000 { lines.append("100.100.\(index / 250).\(index % 250 + 1)") }
        lines += ["100.100.0.1", "203.0.113.0/24", "203.0.113.77", "2001:db8:bad::/48"]
        let file = lab.directory.appendingPathComponent("list.netset")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)

        let counting = CountingRunner(inner: lab.runnerA)
        let runnerA = lab.runnerA
        let service = FirewallService(backend: NftablesBackend(runner: counting), database: lab.database,
                                      facts: { try HostFacts.gather(runner: runnerA) }, privilegeCheck: {})
        let (list, outcome) = try service.importBlocklist(path: file.path, duration: .seconds(3600))
        XCTAssertEqual(list.unreadable, [])
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.blocked.count, 5_000 + 1 + 1 + 1, "10.213.0.2, the 5,000, 203.0.113.0/24, 2001:db8:bad::/48")
        XCTAssertEqual(Set(outcome.refused.map(\.kind)), [.loopback, .ownAddress])
        XCTAssertEqual(outcome.invalid.count, 2)
        XCTAssertEqual(outcome.skipped.map(\.target), ["203.0.113.77"])
        let writes = counting.ran.filter { $0.argv == ["nft", "-f", "-"] }
        XCTAssertEqual(writes.count, 1, "one nft transaction for the whole list")
        XCTAssertEqual(try lab.kernelBans().count, 5_003)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()).count, 5_003)
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()).first?.source, .imported)
        let events = try lab.audit()
        XCTAssertEqual(events.first?.action, "block")
        XCTAssertEqual(events.first?.actor, "import")
        XCTAssertEqual(events.first?.subject, "5003 addresses", "one audit row for the batch")
        XCTAssertTrue(events.first?.detail.contains("imported list list.netset") == true, events.first?.detail ?? "")
    }

    func testIptablesIpsetFallbackBlocksInNamespace() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        let runner = lab.runnerA
        let service = try lab.ipsetService()
        XCTAssertNil(try service.block([FirewallLab.addressB, "fd13::2"], duration: .seconds(60), reason: "ipset", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
        let bans = try service.backend.list()
        XCTAssertEqual(Set(bans.map(\.target.description)), [FirewallLab.addressB, "fd13::2"])
        XCTAssertGreaterThanOrEqual(bans.first { $0.target.description == FirewallLab.addressB }?.packets ?? 0, 1)
        XCTAssertTrue((55...60).contains(bans.first?.expiresInSeconds ?? 0))
        // A second block does not insert the rules twice.
        try IptablesIpsetBackend(runner: runner).block([])
        let rules = try Command.check(["ip", "netns", "exec", lab.a, "iptables", "-w", "-S", "INPUT"]).standardOutput
        XCTAssertEqual(rules.components(separatedBy: "--match-set netscouter4 src").count - 1, 1, rules)
        try service.unblock(FirewallLab.addressB)
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
    }

    func testScheduledImportJobBlocksAndRenews() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        let file = lab.directory.appendingPathComponent("drop.txt")
        try "; Spamhaus DROP\n45.9.0.0/16 ; SBL1\n45.8.1.1\n".write(to: file, atomically: true, encoding: .utf8)
        let backend = NftablesBackend(runner: lab.runnerA)
        let summary = try BlocklistImportJob.run(jobName: "nightly drop", options: ["file": file.path, "for": "2d"], database: lab.database, backend: backend)
        XCTAssertEqual(summary, "Blocked 2 of 2 entries from drop.txt for 2d through nftables (0 refused, 0 unreadable, 0 skipped).")
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), ["45.9.0.0/16", "45.8.1.1"])
        let bans = try BlockStore(database: lab.database).active(at: Date())
        XCTAssertEqual(Set(bans.map(\.source)), [.scheduled])
        XCTAssertEqual(try lab.audit().first?.actor, "scheduler: nightly drop (imported list drop.txt)")
        // The next run renews the same entries instead of failing on them.
        _ = try BlocklistImportJob.run(jobName: "nightly drop", options: ["file": file.path, "for": "2d"], database: lab.database, backend: backend)
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()).count, 2)

        XCTAssertThrowsError(try JobCatalog.validate(kind: .blocklistImport, options: ["file": "drop.txt"])) {
            XCTAssertTrue("\($0)".contains("absolute path"), "\($0)")
        }
        XCTAssertThrowsError(try JobCatalog.validate(kind: .blocklistImport, options: ["file": "/x", "for": "90d"]))
        XCTAssertThrowsError(try JobCatalog.validate(kind: .blocklistImport, options: [:]))
        XCTAssertNoThrow(try JobCatalog.validate(kind: .blocklistImport, options: ["file": "/etc/drop.txt", "for": "7d", "reason": "drop"]))
    }
}
