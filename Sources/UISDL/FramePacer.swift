/// Decides how long the UI loop may sleep before the next frame. Pure logic, no SDL.
///
/// The loop is: `plan` → sleep `plan.sleep` (unconditionally: this is the frame-rate cap, and
/// input arriving meanwhile waits in SDL's queue) → wait for events up to `plan.waitForEvents`
/// (returns early on input) → build and present a frame.
///
/// - Idle (no live data, no animation, no input last frame): wait up to `idleTimeout` (or until
///   the next scheduled animation tick), so an idle window costs about nothing.
/// - Live data, continuous animation, or input last frame (immediate-mode UIs need one more
///   frame for hover state to settle): draw again as soon as the frame interval is over, which
///   caps the rate at `maxFramesPerSecond`.
///
/// Never plans a busy loop: when the last frame started less than one interval ago the plan
/// sleeps the remainder, and an idle plan always waits.
public struct FramePacer: Sendable, Equatable {
    /// What the last frame reported.
    public struct Activity: Sendable, Equatable {
        /// Packets or results keep arriving: the screen changes without input.
        public var hasLiveData: Bool
        /// Something moves every frame (a transition, a progress spinner).
        public var isAnimating: Bool
        /// The last frame handled input.
        public var hadInput: Bool
        /// When a timed change is due (caret blink, tooltip delay, toast expiry), in the same
        /// clock as `now`.
        public var nextDeadline: Double?

        public init(hasLiveData: Bool = false, isAnimating: Bool = false, hadInput: Bool = false, nextDeadline: Double? = nil) {
            self.hasLiveData = hasLiveData
            self.isAnimating = isAnimating
            self.hadInput = hadInput
            self.nextDeadline = nextDeadline
        }

        public static let idle = Activity()
    }

    /// How long to sleep, then how long to block waiting for events (both in seconds).
    public struct Plan: Sendable, Equatable {
        public var sleep: Double
        public var waitForEvents: Double

        public init(sleep: Double, waitForEvents: Double) {
            self.sleep = sleep
            self.waitForEvents = waitForEvents
        }
    }

    public var maxFramesPerSecond: Double
    public var idleTimeout: Double

    public init(maxFramesPerSecond: Double = 60, idleTimeout: Double = 0.5) {
        precondition(maxFramesPerSecond > 0 && idleTimeout > 0, "FramePacer needs a positive rate and idle timeout")
        self.maxFramesPerSecond = maxFramesPerSecond
        self.idleTimeout = idleTimeout
    }

    public var frameInterval: Double { 1 / maxFramesPerSecond }

    /// - Parameters:
    ///   - now: the current time.
    ///   - lastFrameStart: when the last frame began (same clock).
    public func plan(now: Double, lastFrameStart: Double, activity: Activity) -> Plan {
        let interval = frameInterval
        let remainder = min(max(lastFrameStart + interval - now, 0), interval)
        if activity.hasLiveData || activity.isAnimating || activity.hadInput {
            return Plan(sleep: remainder, waitForEvents: 0)
        }
        var wait = idleTimeout
        if let deadline = activity.nextDeadline {
            wait = min(wait, max(0, deadline - (now + remainder)))
        }
        // A deadline already passed means drawing right after the sleep: even a UI that keeps
        // reporting stale deadlines is held to the capped rate, never a busy loop.
        return Plan(sleep: remainder, waitForEvents: wait)
    }
}
