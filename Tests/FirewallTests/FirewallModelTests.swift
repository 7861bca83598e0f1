import Firewall
import Foundation
import Screens
import Synchronization
import XCTest

/// The Firewall tab's model when the firewall cannot be opened (no nft, no iptables): one
/// failure is shown once, nothing retries in a loop, and refreshes coalesce.
final class FirewallModelTests: XCTestCase {
    private func drain(_ inbox: UIInbox, until condition: () -> Bool) -> Bool {
        for _ in 0..<500 where !condition() { _ = inbox.drain(); usleep(2_000) }
        return condition()
    }

    func testFailedRefreshIsShownOnceAndNotRetried() throws {
        let opened = Atomic(0)
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = FirewallModel(firewall: {
            opened.add(1, ordering: .relaxed)
            throw FirewallError.toolMissing(tool: "nft", package: "nftables")
        }, inbox: inbox, toasts: toasts)
        model.refresh()
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork })
        // Frames keep draining: a retry loop would open the firewall again and again.
        for _ in 0..<50 { _ = inbox.drain(); usleep(2_000) }
        XCTAssertFalse(model.hasPendingWork)
        XCTAssertEqual(opened.load(ordering: .relaxed), 1)
        XCTAssertEqual(toasts.pending.count, 1)
        XCTAssertTrue(model.problem?.contains("nft is not installed") == true, model.problem ?? "")
        // The tab's next periodic refresh fails the same way: shown inline, no second toast.
        model.refresh()
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork })
        XCTAssertEqual(opened.load(ordering: .relaxed), 2)
        XCTAssertEqual(toasts.pending.count, 1)

        // A failed change refreshes once (to show what is), and that refresh's failure stops there.
        model.allow("192.0.2.1", note: "")
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork })
        for _ in 0..<50 { _ = inbox.drain(); usleep(2_000) }
        XCTAssertFalse(model.hasPendingWork)
        XCTAssertEqual(opened.load(ordering: .relaxed), 4, "two refreshes, the change, one refresh after it")
    }

    func testRefreshesCoalesceWhileOneRuns() throws {
        let opened = Atomic(0)
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = FirewallModel(firewall: {
            opened.add(1, ordering: .relaxed)
            usleep(200_000)
            throw FirewallError.other("slow and failing")
        }, inbox: inbox, toasts: toasts)
        for _ in 0..<10 { model.refresh() }
        XCTAssertTrue(drain(inbox) { !model.hasPendingWork })
        XCTAssertEqual(opened.load(ordering: .relaxed), 2, "the running refresh and one follow-up, not ten")
    }
}
