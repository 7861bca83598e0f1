import Firewall
import Foundation
import NetScouterTestSupport
import Store
import XCTest

/// A firewall reload under a long-running NetScouter (window, daemon): the backend notices its
/// table, chains or sets are gone on the next block and puts them back instead of failing or
/// filling sets nothing looks at.
final class FirewallReloadTests: XCTestCase {
    func testNftablesRewritesChainsAfterFlushRuleset() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        let service = lab.service()
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(600), reason: "one", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        // What `systemctl restart nftables` does (in namespace A only).
        try Command.check(["ip", "netns", "exec", lab.a, "nft", "flush", "ruleset"])
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))

        XCTAssertNil(try service.block([FirewallLab.addressB6], duration: .seconds(600), reason: "two", origin: .user).failure)
        XCTAssertEqual(try service.backend.status().installed, true)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6), "the chains are back: the new ban drops")
    }

    func testIpsetRecreatesSetsAndRulesAfterTheyWereDestroyed() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        let service = try lab.ipsetService()
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(600), reason: "one", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        for command in [["iptables", "-w", "-F"], ["ip6tables", "-w", "-F"], ["ipset", "destroy"]] {
            try Command.check(["ip", "netns", "exec", lab.a] + command)
        }
        XCTAssertTrue(try lab.pings(FirewallLab.addressA6))

        let again = try service.block([FirewallLab.addressB6], duration: .seconds(600), reason: "two", origin: .user)
        XCTAssertNil(again.failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6), "sets and rules are back")
    }
}

/// netsh exits non-zero when `delete rule` finds nothing: that is an absent ban, not a failure;
/// any other failure is reported.
final class NetshUnblockTests: XCTestCase {
    private struct Scripted: CommandRunner {
        let result: CommandResult
        func run(_ command: FirewallCommand) throws -> CommandResult { result }
    }

    func testUnblockChecksTheExitStatus() throws {
        let target = try BlockTarget(parsing: "203.0.113.9")
        let missing = NetshBackend(runner: Scripted(result: CommandResult(status: 1, standardOutput: "\r\nNo rules match the specified criteria.\r\n", standardError: "")))
        XCTAssertNoThrow(try missing.unblock([target]))
        let denied = NetshBackend(runner: Scripted(result: CommandResult(status: 1, standardOutput: "The requested operation requires elevation (Run as administrator).\r\n", standardError: "")))
        XCTAssertThrowsError(try denied.unblock([target])) { error in
            XCTAssertTrue("\(error)".contains("requires elevation"), "\(error)")
        }
        XCTAssertNoThrow(try NetshBackend(runner: Scripted(result: CommandResult(status: 0, standardOutput: "Deleted 2 rule(s).\r\nOk.\r\n", standardError: ""))).unblock([target]))
    }
}
