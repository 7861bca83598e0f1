import Capture
import UI

/// How often a window redraws while packets arrive and nobody touches it.
///
/// The graph and the rates change once a second (their data's own granularity) and the counters
/// need not be exact between two glances, so a steady capture is drawn every `interval` seconds,
/// not at the frame-rate cap: at 60 frames a second a window under Xvfb spent about half a core
/// drawing the same picture. Input is not paced here: the frame loop draws at once on input.
///
/// The ring is what sets the limit: packets wait in it between two frames, a live capture loses
/// what does not fit and a file read stops until there is room. So the wait shrinks with the
/// packet rate: the next frame comes before the ring is a quarter full at the rate just seen,
/// and at once when the last drain left packets behind (the per-frame drain limit was hit).
public struct LiveRedrawPacing: Sendable, Equatable {
    /// Seconds between two frames while only data changes; 0 draws at the frame-rate cap
    /// whenever packets arrived (the policy before this type, kept for the benchmark).
    public var interval: Double
    /// When the last frame that drained packets ran (the input clock).
    private var lastDrainTime: Double?

    public init(interval: Double = 0.25) {
        self.interval = max(0, interval)
    }

    /// When the next frame is due after one that drained `drained` packets at `now`, given the
    /// ring as the drain left it. nil: right away, at the frame-rate cap.
    public mutating func nextFrame(drained: Int, now: Double, ringCount: Int, ringCapacity: Int) -> Double? {
        defer { lastDrainTime = now }
        guard interval > 0, ringCount == 0 else { return nil }
        var wait = interval
        if let last = lastDrainTime, now > last {
            let packetsPerSecond = Double(drained) / (now - last)
            if packetsPerSecond > 0 { wait = min(wait, Double(ringCapacity / 4) / packetsPerSecond) }
        }
        return now + wait
    }

    /// Asks `ui` for the next frame after one that drained `drained > 0` packets.
    mutating func schedule(_ ui: UIContext, drained: Int, session: CaptureSession?) {
        let now = ui.input.time
        if let due = nextFrame(drained: drained, now: now, ringCount: session?.ring.count ?? 0, ringCapacity: session?.ring.capacity ?? Int.max) {
            ui.requestWake(at: due)
        } else {
            ui.wantsAnotherFrame = true
        }
    }
}
