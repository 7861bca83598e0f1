import Firewall
import Foundation
import NetScouterTestSupport
import Store
import Synchronization
import XCTest

/// The iptables + ipset fallback in namespace A: timeouts beyond ipset's limit, re-blocks and
/// the reject action, checked in the kernel.
final class IpsetBackendTests: XCTestCase {
    private var lab: FirewallLab!

    override func setUpWithError() throws {
        lab = try FirewallLab()
        _ = try lab.ipsetService()  // skips without ipset / iptables
    }

    override func tearDown() {
        lab?.remove()
        lab = nil
    }

    private func service(action: BlockAction = .drop, clock: @escaping @Sendable () -> Date = { Date() }) -> FirewallService {
        // The tools were checked in setUp.
        try! lab.ipsetService(action: action, clock: clock)
    }

    private func kernelBans() throws -> [BlockTarget: KernelBan] {
        Dictionary(try IptablesIpsetBackend(runner: lab.runnerA).list().map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// ipset refuses timeouts above 2,147,483 s (24.8 days): a 30-day ban goes in permanent and
    /// the store's expiry sweep lifts it when its 30 days are up.
    func testThirtyDayBanGoesInPermanentAndTheSweepLiftsIt() throws {
        let now = Mutex(Date())
        let service = service(clock: { now.withLock { $0 } })
        let target = try BlockTarget(parsing: FirewallLab.addressB)
        let outcome = try service.block([FirewallLab.addressB], duration: try BanDuration(parsing: "30d"), reason: "month", origin: .user)
        XCTAssertNil(outcome.failure)
        XCTAssertEqual(try kernelBans().keys.map(\.description), [FirewallLab.addressB])
        XCTAssertNil(try kernelBans()[target]?.expiresInSeconds, "permanent in the kernel")
        XCTAssertEqual(try service.activeBans().first?.secondsLeft, 30 * 86_400, "30 days in the store")
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))

        now.withLock { $0 += 29 * 86_400 }
        XCTAssertEqual(try service.sweepExpired(), 0)
        XCTAssertNotNil(try kernelBans()[target], "still banned after 29 days")
        now.withLock { $0 += 86_400 + 1 }
        XCTAssertEqual(try service.sweepExpired(), 1)
        XCTAssertEqual(try kernelBans().count, 0, "the sweep removed it from the set")
        XCTAssertTrue(try lab.pings(FirewallLab.addressA))
        XCTAssertEqual(try service.activeBans(), [])
    }

    /// `ipset restore -exist` updates an entry already there: a re-block renews its timeout
    /// and timeout 0 makes a temporary entry permanent.
    func testReblockRenewsAndMakesPermanent() throws {
        let service = service()
        let target = try BlockTarget(parsing: FirewallLab.addressB)
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(60), reason: "short", origin: .user).failure)
        XCTAssertEqual(try kernelBans()[target]?.expiresInSeconds.map { $0 <= 60 }, true)
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .seconds(7200), reason: "longer", origin: .user).failure)
        XCTAssertEqual(try kernelBans()[target]?.expiresInSeconds.map { (7100...7200).contains($0) }, true)
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .permanent, reason: "for good", origin: .user).failure)
        XCTAssertEqual(try kernelBans().count, 1)
        XCTAssertNil(try kernelBans()[target]?.expiresInSeconds, "permanent")
    }

    /// With REJECT, the refusal A sends back leaves through OUTPUT: only new connections are
    /// stopped there, so B is told at once instead of waiting for a timeout.
    func testRejectAnswersAtOnce() throws {
        try lab.listen(FirewallLab.addressA, port: 8080)
        let service = service(action: .reject)
        XCTAssertNil(try service.block([FirewallLab.addressB], duration: .permanent, reason: "r", origin: .user).failure)
        XCTAssertEqual(try lab.connect(FirewallLab.addressA, port: 8080), .refused, "B is told at once, it does not time out")
        let rules = try Command.check(["ip", "netns", "exec", lab.a, "iptables", "-w", "-S", "OUTPUT"]).standardOutput
        XCTAssertTrue(rules.contains("--ctstate NEW -m set --match-set netscouter4 dst -j REJECT"), rules)
    }
}
