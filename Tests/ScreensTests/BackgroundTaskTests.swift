import Foundation
import Synchronization
import Screens
import UI
import XCTest

/// `BackgroundTask` on real threads: the work runs on its queue, and everything it reports comes
/// back through the inbox, drained here as a frame drains it.
final class BackgroundTaskTests: XCTestCase {
    /// Drains the inbox (as a frame does) until `condition` holds; bounded so a broken task cannot hang.
    @discardableResult
    private func drain(_ inbox: UIInbox, until condition: () -> Bool) -> Bool {
        for _ in 0..<5000 {
            inbox.drain()
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    func testCancelStopsTheWorkMidWayAndDeliversCancelledNotAFailure() {
        let inbox = UIInbox(), toasts = ToastCenter()
        let steps = Atomic(0)
        let task = BackgroundTask<Int, Int, Int>("count", inbox: inbox, toasts: toasts) { total, context in
            for step in 1...total {
                try context.checkCancellation()
                steps.add()
                context.report(step)
                usleep(1000)
            }
            return total
        }
        var outcome: TaskOutcome<Int>?
        task.start(10_000) { outcome = $0; return .unhandled }
        XCTAssertTrue(task.isRunning)
        XCTAssertTrue(drain(inbox) { (task.progress ?? 0) >= 20 }, "progress arrives while it runs")
        task.cancel()
        XCTAssertTrue(drain(inbox) { !task.isRunning })
        guard case .cancelled? = outcome else { return XCTFail("expected .cancelled, got \(String(describing: outcome))") }
        XCTAssertGreaterThanOrEqual(steps.value, 20)
        XCTAssertLessThan(steps.value, 10_000, "the work stopped mid-way")
        XCTAssertNil(task.progress)
        XCTAssertTrue(toasts.pending.isEmpty, "a cancellation is not an error to show")
    }

    /// Work blocked in a call of its own is stopped by its cancel handler, not by polling.
    func testACancelHandlerStopsWorkThatBlocksInItsOwnWait() {
        let inbox = UIInbox()
        let task = BackgroundTask<Int, Never, Bool>("blocking", inbox: inbox) { _, context in
            let wake = DispatchSemaphore(value: 0)
            context.onCancel { wake.signal() }
            // Stands in for a sweep waiting in poll: only the handler ends the wait early.
            let stoppedEarly = wake.wait(timeout: .now() + 30) == .success
            try context.checkCancellation()
            return stoppedEarly
        }
        var outcome: TaskOutcome<Bool>?
        task.start(1) { outcome = $0; return .unhandled }
        usleep(20_000)
        task.cancel()
        XCTAssertTrue(drain(inbox) { !task.isRunning }, "the blocked work ended well before its 30 s wait")
        guard case .cancelled? = outcome else { return XCTFail("expected .cancelled, got \(String(describing: outcome))") }
    }

    func testRequestsWhileRunningAreCoalescedIntoOneMoreRunWithTheLatest() {
        let inbox = UIInbox()
        let gate = DispatchSemaphore(value: 0)
        let runs = Mutex<[Int]>([])
        let task = BackgroundTask<Int, Never, Int>("coalesce", policy: .coalesce, inbox: inbox) { request, _ in
            if request == 0 { gate.wait() }  // hold the first run until the others were asked for
            runs.withLock { $0.append(request) }
            return request
        }
        var answers: [Int] = []
        task.start(0) { answers.append($0.value ?? -1); return .shown }
        for request in 1...50 { task.start(request) { answers.append($0.value ?? -1); return .shown } }
        XCTAssertEqual(task.waitingCount, 1, "fifty requests wait as one")
        gate.signal()
        XCTAssertTrue(drain(inbox) { !task.isRunning })
        XCTAssertEqual(runs.withLock { $0 }, [0, 50], "the work ran twice: the first request and then the latest")
        XCTAssertEqual(task.runCount, 2)
        XCTAssertEqual(answers, [0] + Array(repeating: 50, count: 50), "every caller got the answer of the run that covered it")
    }

    func testSerialRunsEveryRequestInOrder() {
        let inbox = UIInbox()
        let task = BackgroundTask<Int, Never, Int>("serial", policy: .serial, inbox: inbox) { request, _ in request * 2 }
        var results: [Int] = []
        for request in 1...20 { task.start(request) { results.append($0.value ?? -1); return .shown } }
        XCTAssertTrue(drain(inbox) { !task.isRunning })
        XCTAssertEqual(results, (1...20).map { $0 * 2 })
    }

    func testProgressArrivesInOrderOnTheDrainingThread() {
        let inbox = UIInbox()
        let task = BackgroundTask<Int, Int, String>("progress", inbox: inbox) { total, context in
            for step in 1...total { context.report(step) }
            return "done"
        }
        var seen: [Int] = []
        let drainingThread = pthread_self()
        var progressOnDrainingThread = true
        var resultOnDrainingThread = false
        task.onProgress = { step in
            seen.append(step)
            progressOnDrainingThread = progressOnDrainingThread && pthread_equal(pthread_self(), drainingThread) != 0
        }
        var result: String?
        task.start(2000) { outcome in
            result = outcome.value
            resultOnDrainingThread = pthread_equal(pthread_self(), drainingThread) != 0
            return .shown
        }
        // Nothing is delivered before the UI thread drains the inbox, however long the work took.
        usleep(50_000)
        XCTAssertTrue(seen.isEmpty)
        XCTAssertNil(result)
        XCTAssertTrue(drain(inbox) { result != nil })
        XCTAssertEqual(seen, Array(1...2000), "every report, in the order made")
        XCTAssertEqual(result, "done")
        XCTAssertTrue(progressOnDrainingThread)
        XCTAssertTrue(resultOnDrainingThread, "the result is delivered on the thread that drains the inbox (the UI thread)")
    }

    func testAFailureReachesTheUsersErrorPresentation() {
        let inbox = UIInbox()
        let shell = AppShell(capture: CaptureController(), inbox: inbox)
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        let task = BackgroundTask<String, Never, Void>("fail", inbox: inbox, toasts: shell.toasts) { path, _ in
            throw UserError("Could not read \(path)", remedy: "Check that the file exists and is readable.")
        }
        task.start("/nonexistent/list.txt")
        XCTAssertTrue(runFrames(harness) { !task.isRunning })
        harness.frame()
        XCTAssertEqual(harness.toastContaining("Could not read /nonexistent/list.txt"),
                       "Could not read /nonexistent/list.txt. Check that the file exists and is readable.",
                       "the message and what to do, as a toast")
    }

    func testAFailureShownInlineIsNotToastedAgain() {
        let inbox = UIInbox(), toasts = ToastCenter()
        let task = BackgroundTask<Void, Never, Void>("inline", inbox: inbox, toasts: toasts) { _, _ in throw UserError("Name is taken.") }
        var inline: UserError?
        task.start(()) { inline = $0.error; return .shown }
        XCTAssertTrue(drain(inbox) { !task.isRunning })
        XCTAssertEqual(inline?.message, "Name is taken.")
        XCTAssertTrue(toasts.pending.isEmpty)
    }

    func testIgnoreWhileRunningDropsASecondPress() {
        let inbox = UIInbox()
        let gate = DispatchSemaphore(value: 0)
        let task = BackgroundTask<Int, Never, Int>("once", policy: .ignoreWhileRunning, inbox: inbox) { request, _ in
            gate.wait()
            return request
        }
        XCTAssertTrue(task.start(1))
        XCTAssertFalse(task.start(2))
        gate.signal()
        XCTAssertTrue(drain(inbox) { !task.isRunning })
        XCTAssertEqual(task.runCount, 1)
    }
}

/// A counter shared between a worker and the test.
private final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var count: Int
    init(_ value: Int) { count = value }
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
