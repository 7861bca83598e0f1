import Firewall
import Foundation
import XCTest

/// The exact argument arrays each backend would run.
final class BackendCommandTests: XCTestCase {
    private func entries(_ items: [(String, Int?)]) throws -> [BanEntry] {
        try items.map { BanEntry(target: try BlockTarget(parsing: $0.0), timeoutSeconds: $0.1) }
    }

    func testWindowsNetshArguments() throws {
        let backend = NetshBackend()
        XCTAssertEqual(backend.blockCommands(try entries([("203.0.113.9", 3600), ("2001:db8:bad::/48", nil)])).map(\.argv), [
            ["netsh", "advfirewall", "firewall", "add", "rule", "name=NetScouter block 203.0.113.9", "dir=in", "action=block", "remoteip=203.0.113.9", "enable=yes"],
            ["netsh", "advfirewall", "firewall", "add", "rule", "name=NetScouter block 203.0.113.9", "dir=out", "action=block", "remoteip=203.0.113.9", "enable=yes"],
            ["netsh", "advfirewall", "firewall", "add", "rule", "name=NetScouter block 2001:db8:bad::/48", "dir=in", "action=block", "remoteip=2001:db8:bad::/48", "enable=yes"],
            ["netsh", "advfirewall", "firewall", "add", "rule", "name=NetScouter block 2001:db8:bad::/48", "dir=out", "action=block", "remoteip=2001:db8:bad::/48", "enable=yes"],
        ])
        XCTAssertEqual(backend.unblockCommands([try BlockTarget(parsing: "203.0.113.9")]).map(\.argv), [
            ["netsh", "advfirewall", "firewall", "delete", "rule", "name=NetScouter block 203.0.113.9"],
        ])
        XCTAssertFalse(backend.expiresEntriesItself, "netsh has no timeouts: the expiry sweep removes rules")
    }

    func testMacOSPfArguments() throws {
        let backend = PfBackend()
        let commands = backend.blockCommands(try entries([("203.0.113.9", 60), ("198.51.100.0/24", nil), ("2001:db8:bad::/48", nil)]))
        XCTAssertEqual(commands.map(\.argv), [
            ["pfctl", "-a", "netscouter", "-f", "-"],
            ["pfctl", "-a", "netscouter", "-t", "netscouter", "-T", "add", "203.0.113.9", "198.51.100.0/24", "2001:db8:bad::/48"],
        ])
        XCTAssertEqual(commands[0].standardInput, """
            table <netscouter> persist
            block drop in quick from <netscouter> to any
            block drop out quick from any to <netscouter>

            """)
        XCTAssertEqual(PfBackend(action: .reject).anchorRules.split(separator: "\n")[1], "block return in quick from <netscouter> to any")
        XCTAssertEqual(backend.unblockCommands([try BlockTarget(parsing: "198.51.100.0/24")]).map(\.argv), [
            ["pfctl", "-a", "netscouter", "-t", "netscouter", "-T", "delete", "198.51.100.0/24"],
        ])
        XCTAssertEqual(PfBackend.showCommand.argv, ["pfctl", "-a", "netscouter", "-t", "netscouter", "-T", "show"])
    }

    func testIptablesIpsetArguments() throws {
        let backend = IptablesIpsetBackend()
        let commands = backend.blockCommands(try entries([("203.0.113.9", 30), ("2001:db8:bad::/48", nil)]))
        XCTAssertEqual(commands.map(\.argv), [
            ["ipset", "create", "netscouter4", "hash:net", "family", "inet", "timeout", "0", "counters", "-exist"],
            ["ipset", "create", "netscouter6", "hash:net", "family", "inet6", "timeout", "0", "counters", "-exist"],
            ["iptables", "-w", "5", "-I", "INPUT", "1", "-m", "set", "--match-set", "netscouter4", "src", "-j", "DROP"],
            ["iptables", "-w", "5", "-I", "OUTPUT", "1", "-m", "set", "--match-set", "netscouter4", "dst", "-j", "DROP"],
            ["iptables", "-w", "5", "-I", "FORWARD", "1", "-m", "set", "--match-set", "netscouter4", "src", "-j", "DROP"],
            ["iptables", "-w", "5", "-I", "FORWARD", "1", "-m", "set", "--match-set", "netscouter4", "dst", "-j", "DROP"],
            ["ip6tables", "-w", "5", "-I", "INPUT", "1", "-m", "set", "--match-set", "netscouter6", "src", "-j", "DROP"],
            ["ip6tables", "-w", "5", "-I", "OUTPUT", "1", "-m", "set", "--match-set", "netscouter6", "dst", "-j", "DROP"],
            ["ip6tables", "-w", "5", "-I", "FORWARD", "1", "-m", "set", "--match-set", "netscouter6", "src", "-j", "DROP"],
            ["ip6tables", "-w", "5", "-I", "FORWARD", "1", "-m", "set", "--match-set", "netscouter6", "dst", "-j", "DROP"],
            ["ipset", "restore", "-exist"],
        ])
        XCTAssertEqual(commands.last?.standardInput, "add netscouter4 203.0.113.9 timeout 30\nadd netscouter6 2001:db8:bad::/48 timeout 0\n")
        XCTAssertEqual(backend.unblockCommands([try BlockTarget(parsing: "203.0.113.9")]).map(\.standardInput), ["del netscouter4 203.0.113.9\n"])
        XCTAssertEqual(IptablesIpsetBackend(action: .reject).insertRuleCommands().first?.argv.last, "REJECT")
    }

    func testNftablesReblockReplacesElementInTheSameTransaction() throws {
        var entries = try entries([("203.0.113.9", nil), ("198.51.100.0/24", 60), ("203.0.113.10", 30)])
        entries[0].replacesExisting = true
        entries[1].replacesExisting = true
        let commands = NftablesBackend().blockCommands(entries)
        XCTAssertEqual(commands.count, 1, "one nft -f: the delete and the add are one transaction")
        let lines = (commands.first?.standardInput ?? "").split(separator: "\n").filter { $0.contains("element") }
        XCTAssertEqual(lines, [
            "add element inet netscouter blocked4 { 203.0.113.9 }",
            "delete element inet netscouter blocked4 { 203.0.113.9 }",
            "add element inet netscouter blocked4net { 198.51.100.0/24 }",
            "delete element inet netscouter blocked4net { 198.51.100.0/24 }",
            "add element inet netscouter blocked4 { 203.0.113.9, 203.0.113.10 timeout 30s }",
            "add element inet netscouter blocked4net { 198.51.100.0/24 timeout 60s }",
        ])
    }

    func testNftablesScriptIsOneTransaction() throws {
        let backend = NftablesBackend()
        let commands = backend.blockCommands(try entries([("203.0.113.9", 30), ("198.51.100.0/24", nil), ("2001:db8:bad::/48", 604_800),
                                                          ("203.0.113.10", nil)]))
        XCTAssertEqual(commands.map(\.argv), [["nft", "-f", "-"]], "one nft process, one atomic transaction")
        XCTAssertEqual(commands[0].standardInput, """
            add table inet netscouter
            add set inet netscouter blocked4 { type ipv4_addr; flags timeout; counter; }
            add set inet netscouter blocked4net { type ipv4_addr; flags interval, timeout; counter; }
            add set inet netscouter blocked6 { type ipv6_addr; flags timeout; counter; }
            add set inet netscouter blocked6net { type ipv6_addr; flags interval, timeout; counter; }
            add chain inet netscouter input { type filter hook input priority -10; policy accept; }
            flush chain inet netscouter input
            add chain inet netscouter output { type filter hook output priority -10; policy accept; }
            flush chain inet netscouter output
            add chain inet netscouter forward { type filter hook forward priority -10; policy accept; }
            flush chain inet netscouter forward
            add rule inet netscouter input ip saddr @blocked4 counter drop
            add rule inet netscouter input ip saddr @blocked4net counter drop
            add rule inet netscouter input ip6 saddr @blocked6 counter drop
            add rule inet netscouter input ip6 saddr @blocked6net counter drop
            add rule inet netscouter output ip daddr @blocked4 counter drop
            add rule inet netscouter output ip daddr @blocked4net counter drop
            add rule inet netscouter output ip6 daddr @blocked6 counter drop
            add rule inet netscouter output ip6 daddr @blocked6net counter drop
            add rule inet netscouter forward ip saddr @blocked4 counter drop
            add rule inet netscouter forward ip saddr @blocked4net counter drop
            add rule inet netscouter forward ip6 saddr @blocked6 counter drop
            add rule inet netscouter forward ip6 saddr @blocked6net counter drop
            add rule inet netscouter forward ip daddr @blocked4 counter drop
            add rule inet netscouter forward ip daddr @blocked4net counter drop
            add rule inet netscouter forward ip6 daddr @blocked6 counter drop
            add rule inet netscouter forward ip6 daddr @blocked6net counter drop
            add element inet netscouter blocked4 { 203.0.113.9 timeout 30s, 203.0.113.10 }
            add element inet netscouter blocked4net { 198.51.100.0/24 }
            add element inet netscouter blocked6net { 2001:db8:bad::/48 timeout 604800s }

            """)
        XCTAssertEqual(backend.unblockCommands([try BlockTarget(parsing: "198.51.100.0/24")]).map(\.standardInput),
                       ["delete element inet netscouter blocked4net { 198.51.100.0/24 }\n"])
        XCTAssertEqual(NftablesBackend.listCommand.argv, ["nft", "-j", "list", "table", "inet", "netscouter"])
        XCTAssertTrue(NftablesBackend(action: .reject).setupScript(chains: true).contains("add rule inet netscouter output ip daddr @blocked4net ct state new counter reject"))
    }

    func testDryRunTextQuotesArguments() {
        XCTAssertEqual(FirewallCommand("netsh", ["advfirewall", "name=NetScouter block 1.2.3.4"]).description,
                       "netsh advfirewall 'name=NetScouter block 1.2.3.4'")
    }
}
