import Firewall
import Foundation
import NetScouterTestSupport
import Store
import XCTest

/// End to end in namespaces: A runs the nftables backend, B's pings and TCP connections stop
/// and are counted while banned, and flow again after unblock or expiry; a restart re-applies.
final class NamespaceBlockTests: XCTestCase {
    private var lab: FirewallLab!

    override func setUpWithError() throws {
        lab = try FirewallLab()
        try lab.listen(FirewallLab.addressA, port: 8080)
        try lab.listen(FirewallLab.addressA6, port: 8080)
    }

    override func tearDown() {
        lab?.remove()
        lab = nil
    }

    func testBlockDropsAndCountsThenUnblockLetsTrafficThrough() throws {
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
        XCTAssertTrue(try lab.connects(FirewallLab.addressA, port: 8080))

        let service = lab.service()
        let outcome = try service.block([FirewallLab.addressB], duration: .permanent, reason: "test ban", origin: .user)
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(outcome.blocked.map(\.target.description), [FirewallLab.addressB])

        XCTAssertFalse(try lab.pings(FirewallLab.addressA), "B's echo request is dropped")
        XCTAssertFalse(try lab.connects(FirewallLab.addressA, port: 8080), "B's SYN is dropped")
        let ban = try XCTUnwrap(try lab.kernelBans()[BlockTarget(parsing: FirewallLab.addressB)])
        XCTAssertGreaterThanOrEqual(ban.packets ?? 0, 2, "the element's counter saw the ping and the SYN(s)")
        let status = try service.backend.status()
        XCTAssertTrue(status.installed)
        XCTAssertEqual(status.action, .drop)
        XCTAssertGreaterThanOrEqual(status.droppedPackets, 2)
        let listed = try service.activeBans()
        XCTAssertEqual(listed.map(\.target), [FirewallLab.addressB])
        XCTAssertEqual(listed.first?.record.reason, "test ban")
        XCTAssertNil(listed.first?.secondsLeft, "permanent")
        XCTAssertGreaterThanOrEqual(listed.first?.packets ?? 0, 2)

        let lifted = try service.unblock(FirewallLab.addressB)
        XCTAssertEqual(lifted.liftedRecords, 1)
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
        XCTAssertTrue(try lab.connects(FirewallLab.addressA, port: 8080))
        XCTAssertEqual(try service.activeBans(), [])
        let actions = try lab.audit().map { "\($0.actor) \($0.action) \($0.subject)" }
        XCTAssertEqual(actions, ["user unblock \(FirewallLab.addressB)", "user block \(FirewallLab.addressB)"])
        let blockDetail = try lab.audit().last!.detail
        XCTAssertTrue(blockDetail.contains("manual"), blockDetail)
    }

    func testThreeSecondBanExpiresInKernelAndStore() throws {
        let service = lab.service()
        let started = Date()
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(3), reason: "short", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertEqual(try service.activeBans().first?.secondsLeft.map { $0 <= 3 }, true)
        // Wait until the kernel's timeout has passed.
        Thread.sleep(forTimeInterval: max(0, 3.3 - Date().timeIntervalSince(started)))
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "the kernel dropped the element when its timeout ran out")
        XCTAssertEqual(try lab.kernelBans().count, 0)
        XCTAssertEqual(try service.sweepExpired(), 1)
        XCTAssertEqual(try service.activeBans(), [])
        XCTAssertEqual(try lab.audit().first?.action, "expire")
    }

    func testRestartReappliesPersistedBansWithTheirRemainingTime() throws {
        do {
            let service = lab.service()
            XCTAssertNil(try service.block([FirewallLab.addressB], duration: .permanent, reason: "p", origin: .user).failure)
            XCTAssertNil(try service.block([FirewallLab.addressB6], duration: .seconds(3600), reason: "t", origin: .user).failure)
        }
        try lab.dropKernelTable()
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "nothing in the kernel any more")
        try lab.reopenDatabase()

        let restarted = lab.service()
        let outcome = try restarted.reapply()
        XCTAssertEqual(outcome.reapplied, 2)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
        let kernel = try lab.kernelBans()
        XCTAssertNil(kernel[try BlockTarget(parsing: FirewallLab.addressB)]?.expiresInSeconds, "still permanent")
        let left = try XCTUnwrap(kernel[try BlockTarget(parsing: FirewallLab.addressB6)]?.expiresInSeconds)
        XCTAssertTrue((3500...3600).contains(left), "the IPv6 ban keeps its remaining time, not a new hour: \(left)")
        XCTAssertEqual(try restarted.reapply().alreadyPresent, 2, "a second start adds nothing twice")
        XCTAssertEqual(try lab.audit().first?.action, "reapply")
    }

    func testCIDRBlocksEveryAddressInsideAndUnblocksAsOne() throws {
        let service = lab.service()
        // 10.213.0.0/30 holds A's own 10.213.0.1: refused, nothing applied.
        XCTAssertEqual(try service.block(["10.213.0.0/30"], duration: .permanent, reason: "net", origin: .user).refused.first?.kind, .ownAddress)
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
        // B also gets 10.213.1.2 in its own /30 so a CIDR can hold B without holding A.
        try Command.check(["ip", "-n", lab.a, "address", "add", "10.213.1.1/24", "dev", "\(lab.network.tag)a"])
        try Command.check(["ip", "-n", lab.b, "address", "add", "10.213.1.2/24", "dev", "\(lab.network.tag)b"])
        XCTAssertTrue(try lab.pings("10.213.1.1"))
        let outcome = try service.block(["10.213.1.0/30"], duration: .permanent, reason: "net", origin: .user)
        XCTAssertEqual(outcome.refused.first?.kind, .ownAddress, "10.213.1.1 (A's) is in it too")
        let narrow = try service.block(["10.213.1.2/31"], duration: .permanent, reason: "net", origin: .user)
        XCTAssertNil(narrow.failure)
        XCTAssertEqual(narrow.blocked.map(\.target.description), ["10.213.1.2/31"])
        XCTAssertFalse(try lab.pings("10.213.1.1"), "B's 10.213.1.2 is inside the /31")
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "B's 10.213.0.2 is not")
        XCTAssertEqual(try service.block(["10.213.1.3"], duration: .permanent, reason: "x", origin: .user).skipped.first?.reason,
                       "already blocked by 10.213.1.2/31")
        // A wider ban replaces the narrower one inside it (one ban per address, so its hits count once).
        let wider = try service.block(["10.213.1.2/31", "10.213.1.2"], duration: .permanent, reason: "again", origin: .user)
        XCTAssertEqual(wider.skipped.map(\.target), ["10.213.1.2"], "inside 10.213.1.2/31 of the same request")
        XCTAssertEqual(wider.blocked.map(\.target.description), ["10.213.1.2/31"], "blocking it again renews it")
        XCTAssertEqual(try service.activeBans().map(\.target), ["10.213.1.2/31"])
        try service.unblock("10.213.1.2/31")
        XCTAssertTrue(try lab.pings("10.213.1.1"))
        XCTAssertNil(try service.block(["10.213.1.2"], duration: .permanent, reason: "narrow", origin: .user).failure)
        // A wider temporary ban must not lift a permanent one inside it: when it expired, the
        // permanent ban would be gone too.
        let temporary = try service.block(["10.213.1.2/31"], duration: .seconds(60), reason: "wide", origin: .user)
        XCTAssertEqual(temporary.blocked, [])
        XCTAssertEqual(temporary.refused.map(\.kind), [.longerBanInside])
        XCTAssertEqual(temporary.refused.first?.reason, "10.213.1.2 is banned permanently; unblock it first or block the network permanently")
        XCTAssertEqual(try service.activeBans().map(\.target), ["10.213.1.2"])
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), ["10.213.1.2"])
        XCTAssertTrue(try lab.audit().contains { $0.action == "block.refused" && $0.subject == "10.213.1.2/31" })
        // A permanent wider ban outlasts it: it replaces the /32.
        let replacing = try service.block(["10.213.1.2/31"], duration: .permanent, reason: "wide", origin: .user)
        XCTAssertNil(replacing.failure)
        XCTAssertEqual(try service.activeBans().map(\.target), ["10.213.1.2/31"], "the /32 was lifted in favour of the /31")
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), ["10.213.1.2/31"])
        XCTAssertFalse(try lab.pings("10.213.1.1"))
        XCTAssertTrue(try lab.audit().contains { $0.action == "unblock" && $0.subject == "10.213.1.2" && $0.detail == "replaced by a wider ban" })
        try service.unblock("10.213.1.2/31")
        // Temporary inside temporary: only a wider ban that ends no earlier replaces the narrower one.
        XCTAssertNil(try service.block(["10.213.1.2"], duration: .seconds(600), reason: "narrow", origin: .user).failure)
        let shorter = try service.block(["10.213.1.2/31"], duration: .seconds(60), reason: "wide", origin: .user)
        XCTAssertEqual(shorter.refused.map(\.kind), [.longerBanInside])
        XCTAssertTrue(shorter.refused.first?.reason.hasPrefix("10.213.1.2 is banned for another 10m") == true, shorter.refused.first?.reason ?? "")
        XCTAssertNil(try service.block(["10.213.1.2/31"], duration: .seconds(3600), reason: "wide", origin: .user).failure)
        XCTAssertEqual(try service.activeBans().map(\.target), ["10.213.1.2/31"])
    }

    /// Re-blocking what the kernel holds replaces its element: a temporary ban made permanent
    /// stays, a renewed one gets its new timeout (a plain `add element` keeps the old one on
    /// kernels before 6.12, Debian 12's 6.1 among them, and never removes a timeout).
    func testReblockMakesPermanentAndRenewsTimeoutInKernel() throws {
        let service = lab.service()
        let single = try BlockTarget(parsing: FirewallLab.addressB), network = try BlockTarget(parsing: "fd13::2/127")
        XCTAssertNil(try service.block([FirewallLab.addressB, "fd13::2/127"], duration: .seconds(60), reason: "short", origin: .user).failure)
        XCTAssertEqual(try lab.kernelBans()[single]?.expiresInSeconds.map { $0 <= 60 }, true)

        let renewed = try service.block([FirewallLab.addressB, "fd13::2/127"], duration: .seconds(7200), reason: "longer", origin: .user)
        XCTAssertNil(renewed.failure)
        XCTAssertEqual(renewed.blocked.map(\.replacesExisting), [true, true])
        for target in [single, network] {
            let left = try XCTUnwrap(try lab.kernelBans()[target]?.expiresInSeconds, "\(target) still temporary")
            XCTAssertTrue((7100...7200).contains(left), "\(target) has the new timeout in the kernel: \(left)")
        }
        XCTAssertNil(try service.block([FirewallLab.addressB, "fd13::2/127"], duration: .permanent, reason: "for good", origin: .user).failure)
        let kernel = try lab.kernelBans()
        XCTAssertEqual(Set(kernel.keys), [single, network])
        XCTAssertNil(kernel[single]?.expiresInSeconds, "permanent in the kernel, as the store says")
        XCTAssertNil(kernel[network]?.expiresInSeconds, "permanent in the kernel, as the store says")
        XCTAssertEqual(try service.activeBans().map(\.secondsLeft), [nil, nil])
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
        // Replacing an element the kernel already dropped (reboot, flush) must not fail the batch.
        try lab.dropKernelTable()
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(30), reason: "again", origin: .user).failure)
        XCTAssertEqual(try lab.kernelBans()[single]?.expiresInSeconds.map { $0 <= 30 }, true)
    }

    func testIPv6AddressAndNetworkAndRejectAction() throws {
        let service = lab.service(action: .reject)
        XCTAssertTrue(try lab.connects(FirewallLab.addressA6, port: 8080))
        XCTAssertNil(try service.block(["fd13::2/127"], duration: .seconds(60), reason: "v6", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
        XCTAssertFalse(try lab.connects(FirewallLab.addressA6, port: 8080))
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "IPv4 is untouched")
        XCTAssertEqual(try service.backend.status().action, .reject)
        XCTAssertGreaterThanOrEqual(try lab.kernelBans()[BlockTarget(parsing: "fd13::2/127")]?.packets ?? 0, 2)
        try service.unblock("fd13::2/127")
        XCTAssertTrue(try lab.pings(FirewallLab.addressA6))
        XCTAssertTrue(try lab.connects(FirewallLab.addressA6, port: 8080))
    }

    func testRejectAnswersAtOnceInsteadOfTimingOut() throws {
        let service = lab.service(action: .reject)
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .permanent, reason: "r", origin: .user).failure)
        XCTAssertEqual(try lab.connect(FirewallLab.addressA, port: 8080), .refused, "B is told at once (TCP reset), it does not time out")
        XCTAssertEqual(try lab.connect(FirewallLab.addressA6, port: 8080), .established, "B's IPv6 address is not banned")
        try service.unblock(FirewallLab.addressB)
        let drop = lab.service(action: .drop)
        XCTAssertNil(try drop.block([FirewallLab.addressB], duration: .permanent, reason: "d", origin: .user).failure)
        XCTAssertEqual(try drop.backend.status().action, .drop, "changing the setting rewrites the chains")
        XCTAssertEqual(try lab.connect(FirewallLab.addressA, port: 8080), .timedOut, "a drop is silent")
    }

    func testCommandLineInsideNamespace() throws {
        let executable = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("netscouter is not built at \(executable)") }
        func netscouter(_ arguments: [String]) throws -> Command.Output {
            try Command.run(["ip", "netns", "exec", lab.a, executable] + arguments + ["--data-dir", lab.directory.path])
        }
        let blocked = try netscouter(["block", FirewallLab.addressB, "--for", "1h", "--reason", "cli"])
        XCTAssertEqual(blocked.status, 0, blocked.standardError)
        XCTAssertEqual(blocked.standardOutput, "blocked \(FirewallLab.addressB) for 1h (nftables)\n")
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        let listed = try netscouter(["blocks", "--json"])
        XCTAssertEqual(listed.status, 0, listed.standardError)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listed.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.first?["target"] as? String, FirewallLab.addressB)
        XCTAssertEqual(rows.first?["reason"] as? String, "cli")
        XCTAssertGreaterThanOrEqual(rows.first?["packets"] as? Int ?? 0, 1)
        XCTAssertTrue((3590...3600).contains(rows.first?["seconds_left"] as? Int ?? 0))

        let refused = try netscouter(["block", FirewallLab.addressA, "1.2.3.4; reboot"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.standardError.contains("this machine's address"), refused.standardError)
        XCTAssertTrue(refused.standardError.contains("nothing was blocked"), refused.standardError)

        let unblocked = try netscouter(["unblock", FirewallLab.addressB])
        XCTAssertEqual(unblocked.status, 0, unblocked.standardError)
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
        let empty = try netscouter(["blocks"])
        XCTAssertEqual(empty.standardOutput, "No active bans.\n")
    }

    func testDaemonReappliesPersistedBansAtStartUp() throws {
        let executable = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("netscouter is not built at \(executable)") }
        XCTAssertNil(try lab.service().block([FirewallLab.addressB, "fd13::2"], duration: .seconds(600), reason: "d", origin: .user).failure)
        try lab.dropKernelTable()
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: try Command.locate("ip"))
        daemon.arguments = ["netns", "exec", lab.a, executable, "daemon", "--data-dir", lab.directory.path]
        let errors = Pipe()
        daemon.standardError = errors
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer {
            if daemon.isRunning { daemon.terminate() }
            daemon.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(10)
        while try lab.kernelBans().count < 2 && Date() < deadline { usleep(100_000) }
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), [FirewallLab.addressB, "fd13::2"])
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
        daemon.terminate()
        daemon.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("firewall: 2 ban(s) re-applied"), log)
    }

    /// Hit counters live in dynamic sets the rules fill; when one is full the counting fails
    /// but the ban must still drop (the counting chain falls through to the verdict).
    func testFullHitSetStillDrops() throws {
        // A hit set made elsewhere with room for one element, already taken; `add set` keeps it as it is.
        let script = """
            add table inet netscouter
            add set inet netscouter hit4 { type ipv4_addr; flags dynamic; size 1; }
            add element inet netscouter hit4 { 192.0.2.99 }

            """
        try lab.runnerA.check(FirewallCommand("nft", ["-f", "-"], standardInput: script))
        let service = lab.service()
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .permanent, reason: "full", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA), "dropped although its hit could not be counted")
        XCTAssertFalse(try lab.connects(FirewallLab.addressA, port: 8080))
        XCTAssertEqual(try lab.kernelBans()[BlockTarget(parsing: FirewallLab.addressB)]?.packets, 0, "no room for its counter")
        XCTAssertGreaterThanOrEqual(try service.backend.status().droppedPackets, 2, "the verdict rule counted them")
    }

    /// A ban the kernel expired leaves its hit counter behind; a new ban on the same address
    /// must start from zero, not from the old ban's hits.
    func testNewBanAfterExpiryCountsFromZero() throws {
        let service = lab.service()
        let started = Date()
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(2), reason: "first", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertGreaterThanOrEqual(try lab.kernelBans()[BlockTarget(parsing: FirewallLab.addressB)]?.packets ?? 0, 1)
        Thread.sleep(forTimeInterval: max(0, 2.3 - Date().timeIntervalSince(started)))
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "expired in the kernel")
        // Not swept yet: the new ban sweeps first.
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .permanent, reason: "second", origin: .user).failure)
        XCTAssertEqual(try lab.kernelBans()[BlockTarget(parsing: FirewallLab.addressB)]?.packets, 0, "the first ban's hits are gone")
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertEqual(try service.activeBans().map(\.packets), [1])
        XCTAssertEqual(try lab.audit().map(\.action), ["block", "expire", "block"])
    }

    /// A table written by an earlier version (interval sets with per-element counters) moves
    /// to the new sets with the next change; its bans stay enforced and keep their time left.
    func testEarlierVersionTableMovesToNewSets() throws {
        let old = """
            add table inet netscouter
            add set inet netscouter blocked4 { type ipv4_addr; flags timeout; counter; }
            add set inet netscouter blocked4net { type ipv4_addr; flags interval, timeout; counter; }
            add set inet netscouter blocked6 { type ipv6_addr; flags timeout; counter; }
            add set inet netscouter blocked6net { type ipv6_addr; flags interval, timeout; counter; }
            add chain inet netscouter input { type filter hook input priority -10; policy accept; }
            add rule inet netscouter input ip saddr @blocked4 counter drop
            add rule inet netscouter input ip saddr @blocked4net counter drop
            add rule inet netscouter input ip6 saddr @blocked6 counter drop
            add rule inet netscouter input ip6 saddr @blocked6net counter drop
            add element inet netscouter blocked4 { \(FirewallLab.addressB) timeout 600s }
            add element inet netscouter blocked6net { fd13::2/127 }

            """
        try lab.runnerA.check(FirewallCommand("nft", ["-f", "-"], standardInput: old))
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), [FirewallLab.addressB, "fd13::2/127"], "listed before the move")

        XCTAssertNil(try lab.service().block(["198.51.100.0/24"], duration: .permanent, reason: "new", origin: .user).failure)
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), [FirewallLab.addressB, "fd13::2/127", "198.51.100.0/24"])
        let sets = try lab.runnerA.check(FirewallCommand("nft", ["list", "sets", "table", "inet", "netscouter"])).standardOutput
        XCTAssertFalse(sets.contains("blocked"), sets)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA), "still dropped after the move")
        XCTAssertFalse(try lab.pings(FirewallLab.addressA6))
        let kernel = try lab.kernelBans()
        XCTAssertTrue((590...600).contains(kernel[try BlockTarget(parsing: FirewallLab.addressB)]?.expiresInSeconds ?? 0), "kept its time left")
        XCTAssertNil(kernel[try BlockTarget(parsing: "fd13::2/127")]?.expiresInSeconds, "still permanent")
        XCTAssertGreaterThanOrEqual(kernel[try BlockTarget(parsing: FirewallLab.addressB)]?.packets ?? 0, 2,
                                    "the hit before the move came along and the one after it was counted")
        try lab.service().backend.unblock([try BlockTarget(parsing: FirewallLab.addressB)])
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
    }

    /// Ban changes from several services at once (the Block dialog, auto-block and the tab's
    /// sweep in one window) run one at a time: blocking the same address from two threads again
    /// and again leaves one active ban in the store, and the address banned in the kernel.
    func testConcurrentBlocksOfOneAddressLeaveOneBan() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        let first = lab.service(), second = lab.service()
        for round in 0..<4 {
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let service = index == 0 ? first : second
                let outcome = try? service.block([FirewallLab.addressB], duration: .seconds(index == 0 ? 600 : 900), reason: "race \(round)", origin: .user)
                XCTAssertNil(outcome?.failure, "round \(round), service \(index)")
            }
            let active = try BlockStore(database: lab.database).active(at: Date()).filter { $0.address == FirewallLab.addressB }
            XCTAssertEqual(active.count, 1, "round \(round): \(active.map(\.reason))")
            XCTAssertEqual(try first.backend.list().map(\.target.description), [FirewallLab.addressB], "round \(round)")
        }
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
    }

}
