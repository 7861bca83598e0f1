import Foundation
import Schedule
import Synchronization
import XCTest

enum Zones {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!
}

/// "2025-03-30 02:30" (optionally ":ss") read in `timeZone`, UTC by default. Built with
/// Foundation's Calendar so the tests do not share arithmetic with the code under test.
func date(_ text: String, in timeZone: TimeZone = Zones.utc, file: StaticString = #filePath, line: UInt = #line) -> Date {
    let numbers = text.split(whereSeparator: { "- :".contains($0) }).map { Int($0)! }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let components = DateComponents(
        year: numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4],
        second: numbers.count > 5 ? numbers[5] : 0)
    guard let result = calendar.date(from: components) else {
        XCTFail("bad test date \(text)", file: file, line: line)
        return Date(timeIntervalSince1970: 0)
    }
    return result
}

/// The expression's successive run times after `start`, read back as UTC text for readable
/// failures.
func runs(_ expression: String, after start: String, count: Int, in timeZone: TimeZone = Zones.utc) throws -> [String] {
    let cron = try CronExpression(expression)
    var times: [String] = []
    var current = date(start, in: timeZone)
    for _ in 0..<count {
        guard let next = cron.nextDate(after: current, in: timeZone) else { break }
        times.append(utcText(next))
        current = next
    }
    return times
}

func utcText(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = Zones.utc
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: date)
}

/// Counts runs in progress and remembers the most seen at once.
final class ConcurrencyProbe: Sendable {
    private let current = Atomic(0)
    private let highest = Atomic(0)
    private let total = Atomic(0)

    func enter() {
        let now = current.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
        _ = total.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var seen = highest.load(ordering: .sequentiallyConsistent)
        while now > seen {
            let (exchanged, original) = highest.compareExchange(
                expected: seen, desired: now, ordering: .sequentiallyConsistent)
            if exchanged { break }
            seen = original
        }
    }

    func leave() {
        _ = current.wrappingSubtract(1, ordering: .sequentiallyConsistent)
    }

    var maximumConcurrent: Int { highest.load(ordering: .sequentiallyConsistent) }
    var runCount: Int { total.load(ordering: .sequentiallyConsistent) }
}

/// Collects scheduler events from worker threads.
final class EventLog: Sendable {
    private let events = Mutex<[SchedulerEvent]>([])

    func append(_ event: SchedulerEvent) {
        events.withLock { $0.append(event) }
    }

    var all: [SchedulerEvent] { events.withLock { $0 } }
}

/// How long a test waits for another thread before declaring it stuck. Only a safety net so a
/// broken build fails instead of hanging; nothing asserts on how long anything took.
let stuckAfter: DispatchTimeInterval = .seconds(5)

extension DispatchSemaphore {
    func waitOrFail(_ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if wait(timeout: .now() + stuckAfter) == .timedOut {
            XCTFail("timed out waiting for \(what)", file: file, line: line)
        }
    }
}
