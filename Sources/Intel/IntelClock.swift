import Foundation
import Synchronization

/// Time for the cache and the rate limiters: real by default, injected in tests so a day of
/// quota can be checked in milliseconds.
public protocol IntelClock: Sendable {
    func now() -> Date
    /// Waits `seconds` (the limiter's "next slot"); a test clock just advances.
    func sleep(seconds: TimeInterval)
}

public struct SystemIntelClock: IntelClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: TimeInterval) {
        guard seconds > 0 else { return }
        Thread.sleep(forTimeInterval: seconds)
    }
}

/// A clock that only moves when told to (or when someone sleeps on it).
public final class ManualIntelClock: IntelClock {
    private let current: Mutex<Date>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func sleep(seconds: TimeInterval) { advance(by: max(0, seconds)) }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
