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
            "add element inet netscouter ban4 { 203.0.113.9 }",
            "delete element inet netscouter ban4 { 203.0.113.9 }",
            "add element inet netscouter ban4_24 { 198.51.100.0 }",
            "delete element inet netscouter ban4_24 { 198.51.100.0 }",
            "add element inet netscouter ban4 { 203.0.113.9, 203.0.113.10 timeout 30s }",
            "add element inet netscouter ban4_24 { 198.51.100.0 timeout 60s }",
        ])
    }

    func testNftablesScriptIsOneTransaction() throws {
        let backend = NftablesBackend()
        let commands = backend.blockCommands(try entries([("203.0.113.9", 30), ("198.51.100.0/24", nil), ("2001:db8:bad::/48", 604_800),
                                                          ("203.0.113.10", nil)]))
        XCTAssertEqual(commands.map(\.argv), [["nft", "-f", "-"]], "one nft process, one atomic transaction")
        XCTAssertEqual(commands[0].standardInput, """
            add table inet netscouter
            add set inet netscouter ban4 { type ipv4_addr; flags timeout; }
            add set inet netscouter hit4 { type ipv4_addr; flags dynamic; }
            add set inet netscouter ban4_24 { type ipv4_addr; flags timeout; }
            add set inet netscouter hit4_24 { type ipv4_addr; flags dynamic; }
            add set inet netscouter ban6_48 { type ipv6_addr; flags timeout; }
            add set inet netscouter hit6_48 { type ipv6_addr; flags dynamic; }
            add chain inet netscouter input { type filter hook input priority -10; policy accept; }
            flush chain inet netscouter input
            add chain inet netscouter output { type filter hook output priority -10; policy accept; }
            flush chain inet netscouter output
            add chain inet netscouter forward { type filter hook forward priority -10; policy accept; }
            flush chain inet netscouter forward
            add chain inet netscouter ban4_saddr
            flush chain inet netscouter ban4_saddr
            add rule inet netscouter ban4_saddr update @hit4 { ip saddr counter }
            add rule inet netscouter ban4_saddr counter drop
            add chain inet netscouter ban4_daddr
            flush chain inet netscouter ban4_daddr
            add rule inet netscouter ban4_daddr update @hit4 { ip daddr counter }
            add rule inet netscouter ban4_daddr counter drop
            add chain inet netscouter ban4_24_saddr
            flush chain inet netscouter ban4_24_saddr
            add rule inet netscouter ban4_24_saddr update @hit4_24 { ip saddr & 255.255.255.0 counter }
            add rule inet netscouter ban4_24_saddr counter drop
            add chain inet netscouter ban4_24_daddr
            flush chain inet netscouter ban4_24_daddr
            add rule inet netscouter ban4_24_daddr update @hit4_24 { ip daddr & 255.255.255.0 counter }
            add rule inet netscouter ban4_24_daddr counter drop
            add chain inet netscouter ban6_48_saddr
            flush chain inet netscouter ban6_48_saddr
            add rule inet netscouter ban6_48_saddr update @hit6_48 { ip6 saddr & ffff:ffff:ffff:: counter }
            add rule inet netscouter ban6_48_saddr counter drop
            add chain inet netscouter ban6_48_daddr
            flush chain inet netscouter ban6_48_daddr
            add rule inet netscouter ban6_48_daddr update @hit6_48 { ip6 daddr & ffff:ffff:ffff:: counter }
            add rule inet netscouter ban6_48_daddr counter drop
            add rule inet netscouter input ip saddr @ban4 jump ban4_saddr
            add rule inet netscouter input ip saddr & 255.255.255.0 @ban4_24 jump ban4_24_saddr
            add rule inet netscouter input ip6 saddr & ffff:ffff:ffff:: @ban6_48 jump ban6_48_saddr
            add rule inet netscouter output ip daddr @ban4 jump ban4_daddr
            add rule inet netscouter output ip daddr & 255.255.255.0 @ban4_24 jump ban4_24_daddr
            add rule inet netscouter output ip6 daddr & ffff:ffff:ffff:: @ban6_48 jump ban6_48_daddr
            add rule inet netscouter forward ip saddr @ban4 jump ban4_saddr
            add rule inet netscouter forward ip saddr & 255.255.255.0 @ban4_24 jump ban4_24_saddr
            add rule inet netscouter forward ip6 saddr & ffff:ffff:ffff:: @ban6_48 jump ban6_48_saddr
            add rule inet netscouter forward ip daddr @ban4 jump ban4_daddr
            add rule inet netscouter forward ip daddr & 255.255.255.0 @ban4_24 jump ban4_24_daddr
            add rule inet netscouter forward ip6 daddr & ffff:ffff:ffff:: @ban6_48 jump ban6_48_daddr
            add element inet netscouter ban4 { 203.0.113.9 timeout 30s, 203.0.113.10 }
            add element inet netscouter ban4_24 { 198.51.100.0 }
            add element inet netscouter ban6_48 { 2001:db8:bad:: timeout 604800s }

            """)
        XCTAssertEqual(backend.unblockCommands([try BlockTarget(parsing: "198.51.100.0/24")]).map(\.standardInput),
                       ["delete element inet netscouter ban4_24 { 198.51.100.0 }\n"])
        XCTAssertEqual(NftablesBackend.listCommand.argv, ["nft", "-j", "list", "table", "inet", "netscouter"])
        let reject = try XCTUnwrap(NftablesBackend(action: .reject).blockCommands(try entries([("198.51.100.0/24", nil)])).first?.standardInput)
        XCTAssertTrue(reject.contains("add rule inet netscouter output ip daddr & 255.255.255.0 @ban4_24 ct state new jump ban4_24_daddr\n"), reject)
        XCTAssertTrue(reject.contains("add rule inet netscouter ban4_24_daddr counter reject\n"), reject)
    }

    /// Every prefix length gets its mask; networks are keyed by their network address.
    func testNftablesMasksPerPrefixLength() throws {
        func script(_ target: String) throws -> String {
            try XCTUnwrap(NftablesBackend().blockCommands(try entries([(target, nil)])).first?.standardInput)
        }
        for (target, key, element) in [("10.0.0.0/8", "ip saddr & 255.0.0.0 @ban4_8", "ban4_8 { 10.0.0.0 }"),
                                       ("192.0.2.128/25", "ip saddr & 255.255.255.128 @ban4_25", "ban4_25 { 192.0.2.128 }"),
                                       ("192.0.2.2/31", "ip saddr & 255.255.255.254 @ban4_31", "ban4_31 { 192.0.2.2 }"),
                                       ("2001:db8::/32", "ip6 saddr & ffff:ffff:: @ban6_32", "ban6_32 { 2001:db8:: }"),
                                       ("2001:db8:1:2::/64", "ip6 saddr & ffff:ffff:ffff:ffff:: @ban6_64", "ban6_64 { 2001:db8:1:2:: }"),
                                       ("2001:db8::2/127", "ip6 saddr & ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe @ban6_127", "ban6_127 { 2001:db8::2 }"),
                                       ("2001:db8::1", "ip6 saddr @ban6", "ban6 { 2001:db8::1 }")] {
            let text = try script(target)
            XCTAssertTrue(text.contains("add rule inet netscouter input \(key) jump "), "\(target): \(text)")
            XCTAssertTrue(text.contains("add element inet netscouter \(element)\n"), "\(target): \(text)")
        }
    }

    func testDryRunTextQuotesArguments() {
        XCTAssertEqual(FirewallCommand("netsh", ["advfirewall", "name=NetScouter block 1.2.3.4"]).description,
                       "netsh advfirewall 'name=NetScouter block 1.2.3.4'")
    }
}
