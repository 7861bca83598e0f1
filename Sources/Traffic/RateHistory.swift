import Packets

/// Per-second packet and byte counts, total and per protocol class, for the last hour.
///
/// Stored as fixed arrays indexed by `second % capacity` (a ring over time), so recording is O(1)
/// and the charts can read any window without copying. Seconds are taken from packet timestamps,
/// which makes a replayed file draw the same graph as the live capture did.
public final class RateHistory {
    public enum Metric: Sendable { case packets, bytes }

    /// Seconds kept: one hour, the longest graph window.
    public let capacity: Int
    private let classCount = ProtocolClass.allCases.count
    // Single owner, updated per packet: no dynamic exclusivity checks (see OpenHashTable).
    @exclusivity(unchecked) private var packets: [UInt64]
    @exclusivity(unchecked) private var bytes: [UInt64]
    /// The newest second recorded so far (nil before the first packet).
    @exclusivity(unchecked) public private(set) var latestSecond: Int64?
    /// Packets older than the window when they arrived (out-of-order input); still in the totals.
    @exclusivity(unchecked) public private(set) var tooOldCount = 0

    public init(capacity: Int = 3600) {
        self.capacity = capacity
        packets = Array(repeating: 0, count: capacity * ProtocolClass.allCases.count)
        bytes = packets
    }

    @inline(__always)
    public func record(second: Int64, protocolClass: ProtocolClass, bytes length: UInt64) {
        if let latest = latestSecond {
            if second > latest {
                advance(to: second)
            } else if second <= latest - Int64(capacity) {
                tooOldCount += 1
                return
            }
        } else {
            latestSecond = second
        }
        let index = bucket(second) * classCount + protocolClass.rawValue
        packets[index] &+= 1
        bytes[index] &+= length
    }

    /// Moves "now" forward, zeroing the seconds that had no traffic. The UI calls this with the
    /// wall clock while a live capture is idle so the graph keeps scrolling.
    public func advance(to second: Int64) {
        guard let latest = latestSecond else { latestSecond = second; return }
        guard second > latest else { return }
        let gap = min(second - latest, Int64(capacity))
        for offset in 1...gap {
            let base = bucket(latest + offset) * classCount
            for protocolClass in 0..<classCount {
                packets[base + protocolClass] = 0
                bytes[base + protocolClass] = 0
            }
        }
        latestSecond = second
    }

    /// The count for one class (or all classes when nil) in one second; 0 outside the window.
    public func value(at second: Int64, protocolClass: ProtocolClass? = nil, metric: Metric = .packets) -> UInt64 {
        guard let latest = latestSecond, second <= latest, second > latest - Int64(capacity) else { return 0 }
        let base = bucket(second) * classCount
        let source = metric == .packets ? packets : bytes
        if let protocolClass { return source[base + protocolClass.rawValue] }
        var sum: UInt64 = 0
        for offset in 0..<classCount { sum &+= source[base + offset] }
        return sum
    }

    /// A read-only window of the last `seconds` seconds ending at `latestSecond` (oldest first).
    public func series(seconds: Int, protocolClass: ProtocolClass? = nil, metric: Metric = .packets) -> RateSeries {
        let length = min(seconds, capacity)
        let end = latestSecond ?? 0
        return RateSeries(history: self, firstSecond: end - Int64(length) + 1, count: length, protocolClass: protocolClass, metric: metric)
    }

    @inline(__always) private func bucket(_ second: Int64) -> Int {
        let remainder = Int(second % Int64(capacity))
        return remainder < 0 ? remainder + capacity : remainder
    }
}

/// A view over `RateHistory` that charts index like an array, without copying.
public struct RateSeries: RandomAccessCollection {
    public let history: RateHistory
    public let firstSecond: Int64
    public let count: Int
    public let protocolClass: ProtocolClass?
    public let metric: RateHistory.Metric

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> UInt64 {
        history.value(at: firstSecond + Int64(position), protocolClass: protocolClass, metric: metric)
    }
}
