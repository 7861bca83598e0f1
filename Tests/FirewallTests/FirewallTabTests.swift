import Firewall
import Foundation
import Screens
import Store
import UI
import XCTest

/// The Firewall tab against nftables in a test namespace: a ban shows with time left, hits and
/// reason; Unblock lifts it in the kernel; the allowlist is edited from the tab.
final class FirewallTabTests: XCTestCase {
    func testBansListUnblockAndAllowlistEdit() throws {
        let lab = try FirewallLab()
        defer { lab.remove() }
        XCTAssertNil(try lab.service().block([FirewallLab.addressB], duration: .seconds(3600), reason: "tab test", origin: .user).failure)
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))

        let inbox = UIInbox(), toasts = ToastCenter()
        let model = FirewallModel(firewall: { lab.service() }, inbox: inbox, toasts: toasts)
        let screen = FirewallScreen(model: model)
        let harness = UIHarness(size: Size(1280, 800)) { ui in
            _ = inbox.drain()
            screen.build(ui, in: Rect(x: 0, y: 0, width: 1280, height: 800))
        }
        func frames(until condition: () -> Bool) -> Bool {
            for _ in 0..<2_000 where !condition() { harness.frame(); usleep(2_000) }
            return condition()
        }
        XCTAssertTrue(frames { model.hasLoaded })
        let row = try XCTUnwrap(screen.banTable.rows.first)
        XCTAssertEqual(screen.banTable.rows.count, 1)
        XCTAssertEqual(row.target, FirewallLab.addressB)
        XCTAssertEqual(row.record.reason, "tab test")
        XCTAssertGreaterThanOrEqual(row.packets ?? 0, 1, "the ping above was counted")
        XCTAssertTrue((3590...3600).contains(model.secondsLeft(row) ?? 0))
        XCTAssertTrue(model.snapshot.status.hasPrefix("nftables: 1 entries in the firewall"), model.snapshot.status)
        XCTAssertTrue(model.snapshot.audit.contains { $0.action == "block" && $0.subject == FirewallLab.addressB })

        screen.banTable.selectedKey = FirewallLab.addressB
        harness.frame()
        harness.click("Firewall/Unblock selected")
        XCTAssertTrue(frames { model.snapshot.bans.isEmpty && !model.hasPendingWork })
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "lifted in the kernel")
        XCTAssertEqual(model.snapshot.audit.first.map { [$0.actor, $0.action, $0.subject, $0.detail] },
                       ["user", "unblock", FirewallLab.addressB, "Firewall tab"])

        harness.click("Firewall/Allow address")
        harness.type("198.51.100.0/24")
        harness.click("Firewall/Add")
        XCTAssertTrue(frames { model.snapshot.allowlist.map(\.entry) == ["198.51.100.0/24"] && !model.hasPendingWork })
        XCTAssertEqual(try lab.service().block(["198.51.100.7"], duration: .permanent, reason: "x", origin: .user).refused.first?.kind, .allowlisted)
        harness.frame()
        screen.allowTable.selectedKey = "198.51.100.0/24"
        harness.frame()
        harness.click("Firewall/Remove selected")
        XCTAssertTrue(frames { model.snapshot.allowlist.isEmpty && !model.hasPendingWork })

        harness.click("Firewall/Allow address")
        harness.type("1.2.3.4; reboot")
        harness.click("Firewall/Add")
        XCTAssertTrue(frames { model.problem != nil && !model.hasPendingWork })
        XCTAssertTrue(model.problem?.contains("is not a blockable address or CIDR") == true, model.problem ?? "")
    }
}
