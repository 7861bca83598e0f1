/// A host's bytes and packets over the last minute, five minutes and hour, in a fixed 120 bytes
/// per host (no allocation on the packet path).
///
/// Each window keeps two buckets, the current one and the one before it (a bucket is one window
/// long, aligned to packet time), and estimates the last `window` seconds as the current bucket
/// plus the share of the previous one that still lies inside the window (the sliding-window
/// counter: exact at bucket boundaries, and at most the difference between the two buckets'
/// rates off in between).
public struct RecentTraffic: Sendable, Equatable {
    /// The windows the dashboard offers, in seconds.
    public static let windows: [Int64] = [60, 300, 3600]

    struct Buckets: Sendable, Equatable {
        var index: Int64 = .min
        /// The current bucket's seconds, [start, end): a packet inside them is counted without a
        /// division (this runs twice per packet; three divisions each cost a quarter of the
        /// aggregation's time in the pipeline benchmark).
        var start: Int64 = .max
        var end: Int64 = .min
        var bytes: UInt64 = 0
        var packets: UInt64 = 0
        var previousBytes: UInt64 = 0
        var previousPackets: UInt64 = 0

        @inline(__always)
        mutating func add(bytes length: UInt64, second: Int64, window: Int64) {
            if second >= start && second < end {
                bytes &+= length
                packets &+= 1
                return
            }
            add(bytes: length, packets: 1, bucket: second.floorDivided(by: window), window: window)
        }

        mutating func add(bytes length: UInt64, packets count: UInt64, bucket: Int64, window: Int64) {
            if bucket != index {
                guard bucket > index else {
                    // An out-of-order packet from the previous bucket still counts there.
                    if bucket == index &- 1 { previousBytes &+= length; previousPackets &+= count }
                    return
                }
                let adjacent = index != .min && bucket == index + 1
                previousBytes = adjacent ? bytes : 0
                previousPackets = adjacent ? packets : 0
                bytes = 0
                packets = 0
                index = bucket
                start = bucket.multipliedReportingOverflow(by: window).overflow ? .max : bucket * window
                end = start == .max ? .min : start.saturatingAdding(window)
            }
            bytes &+= length
            packets &+= count
        }
    }

    var minute = Buckets(), fiveMinutes = Buckets(), hour = Buckets()

    public init() {}

    /// Counts a packet of `length` bytes at `second` (seconds since the epoch, packet time).
    ///
    /// Only the minute is counted per packet; a finished minute is folded into the five-minute
    /// and hour buckets (minutes nest exactly in both), so the packet path costs one range
    /// check and two additions per host.
    @inline(__always)
    public mutating func add(bytes length: UInt64, second: Int64) {
        if second >= minute.start && second < minute.end {
            minute.bytes &+= length
            minute.packets &+= 1
            return
        }
        addToAnotherMinute(bytes: length, second: second)
    }

    @inline(never)
    mutating func addToAnotherMinute(bytes length: UInt64, second: Int64) {
        let bucket = second.floorDivided(by: 60)
        if bucket > minute.index {
            if minute.index != .min && minute.packets > 0 {
                foldIntoLongerWindows(bytes: minute.bytes, packets: minute.packets, second: minute.start)
            }
            minute.add(bytes: length, packets: 1, bucket: bucket, window: 60)
        } else {
            // An older packet: its minute was folded already, so it goes straight into the
            // longer windows too.
            minute.add(bytes: length, packets: 1, bucket: bucket, window: 60)
            foldIntoLongerWindows(bytes: length, packets: 1, second: second)
        }
    }

    mutating func foldIntoLongerWindows(bytes: UInt64, packets: UInt64, second: Int64) {
        fiveMinutes.add(bytes: bytes, packets: packets, bucket: second.floorDivided(by: 300), window: 300)
        hour.add(bytes: bytes, packets: packets, bucket: second.floorDivided(by: 3600), window: 3600)
    }

    /// Estimated bytes and packets in the `window` seconds ending with second `now` (inclusive);
    /// `window` is one of `windows`.
    public func estimate(window: Int64, now: Int64) -> (bytes: Double, packets: Double) {
        var buckets: Buckets
        switch window {
        case 60: buckets = minute
        case 300: buckets = fiveMinutes
        case 3600: buckets = hour
        default: preconditionFailure("RecentTraffic keeps 60, 300 and 3600 s windows, not \(window)")
        }
        // The minute being counted is not folded yet.
        if window != 60, minute.index != .min, minute.packets > 0 {
            buckets.add(bytes: minute.bytes, packets: minute.packets, bucket: minute.start.floorDivided(by: window), window: window)
        }
        let currentBucket = now.floorDivided(by: window)
        // How much of the bucket before `now`'s is still inside the window.
        let elapsed = Double(now - currentBucket * window + 1) / Double(window)
        let carried = max(0, 1 - elapsed)
        if buckets.index == currentBucket {
            return (Double(buckets.bytes) + Double(buckets.previousBytes) * carried,
                    Double(buckets.packets) + Double(buckets.previousPackets) * carried)
        }
        if buckets.index == currentBucket - 1 {
            return (Double(buckets.bytes) * carried, Double(buckets.packets) * carried)
        }
        return (0, 0)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (bucket numbers for times before 1970 too).
    @inline(__always)
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
