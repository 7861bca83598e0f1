import Foundation
import Synchronization

/// Where the scheduler gets the time, so tests can drive it without waiting.
public protocol SchedulerClock: Sendable {
    func now() -> Date
}

/// The real time.
public struct SystemClock: SchedulerClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to; safe to move from one thread while others read it.
public final class ManualClock: SchedulerClock {
    private let current: Mutex<Date>

    public init(_ start: Date) {
        current = Mutex(start)
    }

    public func now() -> Date {
        current.withLock { $0 }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
