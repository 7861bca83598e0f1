import UISDL
import XCTest

final class FramePacerTests: XCTestCase {
    let pacer = FramePacer(maxFramesPerSecond: 60, idleTimeout: 0.5)

    func testIdleBlocksForTheIdleTimeout() {
        let plan = pacer.plan(now: 10.1, lastFrameStart: 10, activity: .idle)
        XCTAssertEqual(plan, FramePacer.Plan(sleep: 0, waitForEvents: 0.5))
    }

    func testIdleRightAfterAFrameStillRespectsTheFrameInterval() {
        let plan = pacer.plan(now: 10.004, lastFrameStart: 10, activity: .idle)
        XCTAssertEqual(plan.sleep, 1.0 / 60 - 0.004, accuracy: 1e-9)
        XCTAssertEqual(plan.waitForEvents, 0.5)
    }

    func testLiveDataIsCappedAtSixtyFramesPerSecond() {
        let plan = pacer.plan(now: 10.006, lastFrameStart: 10, activity: FramePacer.Activity(hasLiveData: true))
        XCTAssertEqual(plan.sleep, 1.0 / 60 - 0.006, accuracy: 1e-9)
        XCTAssertEqual(plan.waitForEvents, 0)
        // A frame that took longer than the interval: draw again at once, no extra sleep.
        let late = pacer.plan(now: 10.040, lastFrameStart: 10, activity: FramePacer.Activity(hasLiveData: true))
        XCTAssertEqual(late, FramePacer.Plan(sleep: 0, waitForEvents: 0))
    }

    func testInputAndAnimationAskForAnotherCappedFrame() {
        for activity in [FramePacer.Activity(isAnimating: true), FramePacer.Activity(hadInput: true)] {
            let plan = pacer.plan(now: 5.001, lastFrameStart: 5, activity: activity)
            XCTAssertEqual(plan.waitForEvents, 0)
            XCTAssertEqual(plan.sleep, 1.0 / 60 - 0.001, accuracy: 1e-9)
        }
    }

    func testDeadlinesShortenTheIdleWait() {
        let caret = pacer.plan(now: 1.0, lastFrameStart: 0.9, activity: FramePacer.Activity(nextDeadline: 1.2))
        XCTAssertEqual(caret.sleep, 0)
        XCTAssertEqual(caret.waitForEvents, 0.2, accuracy: 1e-9)
        let far = pacer.plan(now: 1.0, lastFrameStart: 0.9, activity: FramePacer.Activity(nextDeadline: 30))
        XCTAssertEqual(far.waitForEvents, 0.5)
        let passed = pacer.plan(now: 1.0, lastFrameStart: 0.995, activity: FramePacer.Activity(nextDeadline: 0.5))
        XCTAssertEqual(passed.waitForEvents, 0)
        XCTAssertGreaterThan(passed.sleep, 0, "a stale deadline must not turn into a busy loop")
    }

    func testNeverPlansABusyLoop() {
        // Simulate a loop with instant frames: each frame starts when the previous plan ends.
        for activity in [FramePacer.Activity.idle, FramePacer.Activity(hasLiveData: true), FramePacer.Activity(nextDeadline: 0)] {
            var now = 100.0
            var frames = 0
            while now < 101 {
                let start = now
                frames += 1
                let plan = pacer.plan(now: now, lastFrameStart: start, activity: activity)
                XCTAssertGreaterThan(plan.sleep + plan.waitForEvents, 0)
                now += plan.sleep + plan.waitForEvents
            }
            XCTAssertLessThanOrEqual(frames, 61, "\(activity)")
        }
    }

    func testAClockGoingBackwardsSleepsAtMostOneInterval() {
        let plan = pacer.plan(now: 5, lastFrameStart: 9, activity: FramePacer.Activity(hasLiveData: true))
        XCTAssertEqual(plan.sleep, 1.0 / 60, accuracy: 1e-12)
    }
}
