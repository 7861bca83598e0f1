import Firewall
import Foundation
import Packets
import Store
import XCTest

/// Every protected category is refused with its reason; hostile text never reaches a backend.
final class SafetyTests: XCTestCase {
    private let facts = HostFacts(
        ownAddresses: [.init(address: IPAddress("192.168.1.20")!, interface: "eth0"), .init(address: IPAddress("2001:db8:1::20")!, interface: "eth0")],
        gateways: [IPAddress("192.168.1.1")!, IPAddress("2001:db8:1::1")!],
        resolvers: [IPAddress("9.9.9.9")!, IPAddress("2620:fe::fe")!])

    private func policy(allowlist: [String] = []) throws -> SafetyPolicy {
        SafetyPolicy(facts: facts, allowlist: try allowlist.map { try BlockTarget(parsing: $0) })
    }

    func testEveryProtectedCategoryIsRefusedWithItsReason() throws {
        let cases: [(String, Refusal.Kind, String)] = [
            ("127.0.0.1", .loopback, "loopback"),
            ("127.0.0.0/8", .loopback, "loopback"),
            ("::1", .loopback, "loopback"),
            ("192.168.1.20", .ownAddress, "192.168.1.20 is this machine's address on eth0"),
            ("192.168.1.0/24", .ownAddress, "192.168.1.20 is this machine's address on eth0"),
            ("2001:db8:1::20", .ownAddress, "this machine's address"),
            ("192.168.1.1", .gateway, "192.168.1.1 is a default gateway"),
            ("2001:db8:1::1", .gateway, "default gateway"),
            ("9.9.9.9", .resolver, "9.9.9.9 is a configured DNS resolver (resolv.conf)"),
            ("9.9.0.0/16", .resolver, "DNS resolver"),
            ("2620:fe::fe", .resolver, "DNS resolver"),
            ("169.254.10.10", .linkLocal, "link-local"),
            ("fe80::1", .linkLocal, "link-local"),
            ("224.0.0.251", .multicast, "multicast"),
            ("ff02::1", .multicast, "multicast"),
            ("255.255.255.255", .multicast, "broadcast"),
            ("0.0.0.0", .unspecified, "this network"),
            ("::", .unspecified, "unspecified"),
            ("0.0.0.0/0", .overBroad, "/0 is wider than the /8"),
            ("::/0", .overBroad, "/0 is wider than the /16"),
            ("64.0.0.0/2", .overBroad, "/2 is wider"),
            ("2000::/3", .overBroad, "/3 is wider"),
        ]
        let policy = try policy()
        for (text, kind, reason) in cases {
            let refusal = policy.check(try BlockTarget(parsing: text))
            XCTAssertEqual(refusal?.kind, kind, text)
            XCTAssertTrue(refusal?.reason.contains(reason) == true, "\(text): \(refusal?.reason ?? "accepted")")
        }
        XCTAssertNil(policy.check(try BlockTarget(parsing: "203.0.113.9")))
        XCTAssertNil(policy.check(try BlockTarget(parsing: "10.0.0.0/8")), "a /8 is accepted")
        XCTAssertNil(policy.check(try BlockTarget(parsing: "2a00:1450::/32")))
    }

    func testAllowlistAddressesAndNetworksAreRefused() throws {
        let policy = try policy(allowlist: ["203.0.113.7", "198.51.100.0/24", "2a00:1450::/32"])
        XCTAssertEqual(policy.check(try BlockTarget(parsing: "203.0.113.7"))?.kind, .allowlisted)
        XCTAssertEqual(policy.check(try BlockTarget(parsing: "203.0.113.0/24"))?.kind, .allowlisted, "a network holding an allowlisted address")
        XCTAssertEqual(policy.check(try BlockTarget(parsing: "198.51.100.77"))?.kind, .allowlisted, "an address inside an allowlisted network")
        XCTAssertEqual(policy.check(try BlockTarget(parsing: "2a00:1450:4001::1"))?.kind, .allowlisted)
        XCTAssertTrue(policy.check(try BlockTarget(parsing: "198.51.100.77"))!.reason.contains("198.51.100.0/24"))
        XCTAssertNil(policy.check(try BlockTarget(parsing: "203.0.113.8")))
    }

    func testHostileTextDoesNotParse() {
        let hostile = ["1.2.3.4; reboot", "$(reboot)", "`reboot`", "1.2.3.4 && rm -rf /", "1.2.3.4\nadd rule", "1.2.3.4 }",
                       String(repeating: "1", count: 10_000), String(repeating: "a:", count: 40), "fe80::1%eth0", "fe80::1%25eth0",
                       "1.2.3.4/33", "::/129", "1.2.3.4/-1", "1.2.3.4/", "1.2.3.4/8/8", "1.2.3", "01.2.3.4", "1.2.3.256", "", " ",
                       "１.２.３.４", "1.2.3.4\u{0}", "::ffff:1.2.3.0/120", "10.0.0.1/8"]
        for text in hostile {
            XCTAssertThrowsError(try BlockTarget(parsing: text), text.debugDescription) { error in
                XCTAssertTrue("\(error)".contains("is not a blockable address or CIDR"), "\(error)")
                XCTAssertLessThan("\(error)".count, 300, "long input is cut in the message")
            }
        }
        XCTAssertTrue("\((try? BlockTarget(parsing: "10.0.0.1/8")) as Any)" == "nil")
        XCTAssertThrowsError(try BlockTarget(parsing: "10.0.0.1/8")) { XCTAssertTrue("\($0)".contains("the network is 10.0.0.0/8")) }
    }

    func testCanonicalRendering() throws {
        XCTAssertEqual(try BlockTarget(parsing: " 203.0.113.9 ").description, "203.0.113.9")
        XCTAssertEqual(try BlockTarget(parsing: "203.0.113.9/32").description, "203.0.113.9")
        XCTAssertEqual(try BlockTarget(parsing: "2001:DB8:0:0::/48").description, "2001:db8::/48")
        XCTAssertEqual(try BlockTarget(parsing: "::ffff:203.0.113.9").description, "203.0.113.9")
        XCTAssertTrue(try BlockTarget(parsing: "10.0.0.0/8").contains(try BlockTarget(parsing: "10.1.0.0/16")))
        XCTAssertFalse(try BlockTarget(parsing: "10.0.0.0/8").overlaps(try BlockTarget(parsing: "11.0.0.0/8")))
        XCTAssertFalse(try BlockTarget(parsing: "::/16").contains(IPAddress("10.0.0.1")!), "families never mix")
    }

    func testHostileInputIsRejectedBeforeAnyBackendCall() throws {
        let (database, directory) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runner = CountingRunner()
        let facts = self.facts
        let service = FirewallService(backend: NftablesBackend(runner: runner), database: database, facts: { facts }, privilegeCheck: {})
        let hostile = ["1.2.3.4; reboot", "$(curl evil)", String(repeating: "9", count: 100_000), "fe80::1%eth0", "0.0.0.0/0",
                       "127.0.0.1", "192.168.1.1", "9.9.9.9"]
        let outcome = try service.block(hostile, duration: .permanent, reason: "x", origin: .user)
        XCTAssertEqual(runner.ran, [], "no backend command ran")
        XCTAssertEqual(outcome.blocked, [])
        XCTAssertEqual(outcome.invalid.count, 4)
        XCTAssertEqual(outcome.refused.map(\.kind), [.overBroad, .loopback, .gateway, .resolver])
        XCTAssertEqual(try BlockStore(database: database).active(at: Date()), [])
        XCTAssertEqual(try AuditLog(database: database).recent().map(\.action), Array(repeating: "block.refused", count: 4),
                       "refusals are audited")

        // With one good target among them, a list still blocks nothing when asked to be all or nothing.
        let mixed = try service.block(["203.0.113.9", "1.2.3.4; reboot"], duration: .permanent, reason: "x", origin: .user, allOrNothing: true)
        XCTAssertEqual(mixed.blocked, [])
        XCTAssertEqual(runner.ran, [])
    }

    func testDryRunShowsExactlyWhatWouldRunAndChangesNothing() throws {
        let (database, directory) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runner = CountingRunner()
        let facts = self.facts
        let service = FirewallService(backend: NftablesBackend(runner: runner), database: database, facts: { facts }, privilegeCheck: {})
        let outcome = try service.block(["203.0.113.9", "2a00:1450::/32"], duration: .seconds(3600), reason: "x", origin: .user, dryRun: true)
        XCTAssertEqual(runner.ran, [])
        XCTAssertEqual(outcome.commands.count, 1)
        XCTAssertEqual(outcome.commands[0].argv, ["nft", "-f", "-"])
        XCTAssertTrue(outcome.commands[0].standardInput!.hasSuffix("""
            add element inet netscouter ban4 { 203.0.113.9 timeout 3600s }
            add element inet netscouter ban6_32 { 2a00:1450:: timeout 3600s }

            """))
        XCTAssertEqual(try BlockStore(database: database).active(at: Date()), [])
        XCTAssertEqual(try AuditLog(database: database).recent(), [])
    }

    func testDurations() throws {
        XCTAssertEqual(try BanDuration(parsing: "30s"), .seconds(30))
        XCTAssertEqual(try BanDuration(parsing: "5m"), .seconds(300))
        XCTAssertEqual(try BanDuration(parsing: "1h"), .seconds(3600))
        XCTAssertEqual(try BanDuration(parsing: "7d"), .seconds(604_800))
        XCTAssertEqual(try BanDuration(parsing: "30d"), .seconds(2_592_000))
        XCTAssertEqual(try BanDuration(parsing: "permanent"), .permanent)
        for bad in ["31d", "0s", "-5m", "1y", "h", "1.5h", "99999999999999999d", "1h; reboot"] {
            XCTAssertThrowsError(try BanDuration(parsing: bad), bad)
        }
        XCTAssertEqual(BanDuration.seconds(5400).description, "1h30m")
    }

    func testResolvConfAndIPOutputParsing() throws {
        XCTAssertEqual(HostFacts.parseResolvConf("# x\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nsearch lan\n"),
                       [IPAddress("10.255.255.53")!, IPAddress("fe80::1")!])
        let runner = ProcessCommandRunner()
        guard runner.locate("ip") != nil else { throw XCTSkip("iproute2 is not installed") }
        let gathered = try HostFacts.gather(runner: runner)
        XCTAssertTrue(gathered.ownAddresses.contains { $0.address == IPAddress("127.0.0.1")! && $0.interface == "lo" })
    }

    /// Multipath defaults name their gateways under `nexthops`; output that is not `ip`'s JSON
    /// throws instead of leaving the lock-out protection without this machine's facts.
    func testGatewaysFromNexthopsAndUnreadableOutputThrows() throws {
        let multipath = #"[{"dst":"default","flags":[],"nexthops":[{"gateway":"192.0.2.1","dev":"eth0","weight":1,"flags":[]},{"gateway":"fe80::1%eth1","dev":"eth1","weight":1,"flags":[]}]},{"dst":"default","gateway":"198.51.100.1","dev":"eth2","flags":[]}]"#
        XCTAssertEqual(try HostFacts.parseGateways(multipath), [IPAddress("192.0.2.1")!, IPAddress("fe80::1")!, IPAddress("198.51.100.1")!])
        XCTAssertEqual(try HostFacts.parseGateways("[]\n"), [])
        XCTAssertEqual(try HostFacts.parseGateways(""), [])
        XCTAssertThrowsError(try HostFacts.parseGateways("default via 192.0.2.1 dev eth0\n"))
        XCTAssertThrowsError(try HostFacts.parseAddresses("{\"truncated\": "))
    }

    /// A resolver file that is there but cannot be read stops the gathering (its resolvers would
    /// otherwise go unprotected); one that is absent is skipped.
    func testAnUnreadableResolverFileThrowsAnAbsentOneIsSkipped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-resolv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ip = directory.appendingPathComponent("ip").path
        try "#!/bin/sh\necho '[]'\n".write(toFile: ip, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ip)
        let runner = ProcessCommandRunner(searchPath: [directory.path])
        let resolv = directory.appendingPathComponent("resolv.conf").path
        try "nameserver 192.0.2.53\n".write(toFile: resolv, atomically: true, encoding: .utf8)
        XCTAssertEqual(try HostFacts.gather(runner: runner, resolvConfFiles: [resolv, directory.appendingPathComponent("absent").path]).resolvers,
                       [IPAddress("192.0.2.53")!])
        // A directory where the file should be: there, but not readable as text (root reads any file).
        XCTAssertThrowsError(try HostFacts.gather(runner: runner, resolvConfFiles: [directory.path])) { error in
            XCTAssertTrue("\(error)".hasPrefix("Cannot read \(directory.path)"), "\(error)")
        }
    }

    /// A fake `ip` that prints plain text instead of JSON: gathering throws, and a block is
    /// not attempted (nothing reaches the backend).
    func testUnreadableIPOutputStopsTheBlock() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-fakeip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ip = directory.appendingPathComponent("ip").path
        try "#!/bin/sh\necho '1: lo: <LOOPBACK,UP> mtu 65536'\n".write(toFile: ip, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ip)
        let fakeIP = ProcessCommandRunner(searchPath: [directory.path])
        XCTAssertThrowsError(try HostFacts.gather(runner: fakeIP, resolvConfFiles: [])) { error in
            XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
        }
        let (database, folder) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let counting = CountingRunner()
        let service = FirewallService(backend: NftablesBackend(runner: counting), database: database,
                                      facts: { try HostFacts.gather(runner: fakeIP, resolvConfFiles: []) }, privilegeCheck: {})
        XCTAssertThrowsError(try service.block(["203.0.113.9"], duration: .permanent, reason: "", origin: .user))
        XCTAssertEqual(counting.ran, [])
    }

    /// Without explicit facts, the service gathers them through its backend's runner: a
    /// namespaced backend is checked against the namespace's addresses, not the host's.
    func testDefaultFactsComeThroughTheBackendsRunner() throws {
        let (database, folder) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let counting = CountingRunner(inner: ProcessCommandRunner())
        let service = FirewallService(backend: NftablesBackend(runner: counting), database: database, privilegeCheck: {})
        _ = try service.block(["203.0.113.9"], duration: .permanent, reason: "", origin: .user, dryRun: true)
        XCTAssertEqual(counting.ran.map(\.argv).filter { $0.first == "ip" }, [
            ["ip", "-j", "address", "show"],
            ["ip", "-j", "-4", "route", "show", "default", "table", "all"],
            ["ip", "-j", "-6", "route", "show", "default", "table", "all"],
        ])
    }
}
