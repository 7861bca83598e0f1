import Foundation

/// When a job runs: every N seconds, or whenever a cron expression matches in a time zone.
public enum Trigger: Sendable, Hashable, CustomStringConvertible {
    /// Every `seconds` seconds. Values below `minimumIntervalSeconds` are treated as the minimum,
    /// so a hand-built trigger can never make the scheduler spin.
    case interval(seconds: Int)
    /// Whenever the expression matches on clocks in `timeZone` (see `CronExpression.nextDate`
    /// for daylight-saving behaviour).
    case cron(CronExpression, timeZone: TimeZone)

    /// One minute: jobs here scan networks and call rate-limited services; faster than that is a
    /// monitor, not a schedule.
    public static let minimumIntervalSeconds = 60
    /// 366 days; anything rarer is better written as a cron expression.
    public static let maximumIntervalSeconds = 366 * 86_400

    // MARK: Reading user input

    /// Reads an interval as a user types it: a whole number with an optional unit —
    /// `s` seconds, `m` minutes, `h` hours, `d` days ("90s", "30m", "2h", "1d"; any case, spaces
    /// allowed before the unit). A bare number means minutes ("45" = 45 minutes), the unit people
    /// mean most often for schedules. At least 60 s, at most 366 days.
    public static func interval(parsing text: String) throws(TriggerError) -> Trigger {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let usage = "write a whole number with s, m, h or d, e.g. \"30m\", \"2h\", \"90s\" or \"1d\" (a bare number means minutes)"
        let digits = trimmed.prefix(while: { ("0"..."9").contains($0) })
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let multipliers = ["": 60, "s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard !digits.isEmpty, let multiplier = multipliers[unit] else {
            throw TriggerError("Bad interval \"\(text)\": \(usage).")
        }
        guard let count = Int(digits), count <= maximumIntervalSeconds / multiplier else {
            throw TriggerError(
                "Interval \"\(text)\" is too long: the longest interval is 366 days; for rarer jobs use a cron expression such as \"0 0 1 1 *\".")
        }
        let seconds = count * multiplier
        guard seconds >= minimumIntervalSeconds else {
            throw TriggerError(
                "Interval \"\(text)\" is too short: the shortest interval is \(minimumIntervalSeconds) seconds (\"1m\").")
        }
        return .interval(seconds: seconds)
    }

    /// Reads a cron expression for the given time zone; the error is the `CronError` message.
    public static func cron(parsing expression: String, timeZone: TimeZone) throws(TriggerError) -> Trigger {
        do {
            return .cron(try CronExpression(expression), timeZone: timeZone)
        } catch {
            throw TriggerError(error.description)
        }
    }

    // MARK: Next run

    /// The first run strictly after `date`, or nil if a cron trigger never fires again.
    public func nextRun(after date: Date) -> Date? {
        nextRun(after: date, previousDueTime: nil)
    }

    /// Like `nextRun(after:)`, but an interval trigger stays on the grid of its previous due time
    /// (`previousDueTime + k × interval`, the first one after `date`) so that late ticks and long
    /// runs do not make "every 30 min" drift. Cron triggers ignore `previousDueTime`.
    public func nextRun(after date: Date, previousDueTime: Date?) -> Date? {
        switch self {
        case .interval:
            let step = TimeInterval(effectiveSeconds)
            guard let previous = previousDueTime, previous <= date else {
                return date.addingTimeInterval(step)
            }
            let periods = ((date.timeIntervalSince(previous)) / step).rounded(.down) + 1
            var next = previous.addingTimeInterval(periods * step)
            if next <= date { next = next.addingTimeInterval(step) }  // floating-point edge
            return next
        case let .cron(expression, timeZone):
            return expression.nextDate(after: date, in: timeZone)
        }
    }

    // MARK: Persistence

    /// The trigger as stored: "every 1800" (seconds) or "cron */5 * * * *". A cron trigger's time
    /// zone is stored separately as `timeZoneIdentifier`.
    public var storageText: String {
        switch self {
        case .interval: return "every \(effectiveSeconds)"
        case let .cron(expression, _): return "cron \(expression.text)"
        }
    }

    /// The IANA identifier of a cron trigger's time zone; nil for intervals.
    public var timeZoneIdentifier: String? {
        if case let .cron(_, timeZone) = self { return timeZone.identifier }
        return nil
    }

    /// Reads a stored trigger back. A cron trigger stored without a time zone uses the machine's
    /// local time zone, as cron does.
    public init(storageText: String, timeZoneIdentifier: String?) throws(TriggerError) {
        let text = storageText.trimmingCharacters(in: .whitespacesAndNewlines)
        let fix = "edit the job and set its schedule again"
        if text.hasPrefix("every ") {
            let number = text.dropFirst("every ".count).trimmingCharacters(in: .whitespaces)
            guard let seconds = Int(number), seconds >= Self.minimumIntervalSeconds,
                seconds <= Self.maximumIntervalSeconds
            else {
                throw TriggerError(
                    "Stored interval \"\(storageText)\" is unreadable: expected \"every <seconds>\" with 60 to \(Self.maximumIntervalSeconds) seconds; \(fix).")
            }
            self = .interval(seconds: seconds)
        } else if text.hasPrefix("cron ") {
            let timeZone = try Self.timeZone(identifier: timeZoneIdentifier)
            self = try .cron(parsing: String(text.dropFirst("cron ".count)), timeZone: timeZone)
        } else {
            throw TriggerError(
                "Stored trigger \"\(storageText)\" is unreadable: expected \"every <seconds>\" or \"cron <expression>\"; \(fix).")
        }
    }

    /// Looks up a time zone by IANA identifier ("Europe/Berlin", "UTC"); nil means local time.
    public static func timeZone(identifier: String?) throws(TriggerError) -> TimeZone {
        guard let identifier, !identifier.isEmpty else { return .current }
        if let zone = TimeZone(identifier: identifier) { return zone }
        if ["utc", "gmt", "z"].contains(identifier.lowercased()), let utc = TimeZone(identifier: "UTC") {
            return utc
        }
        throw TriggerError(
            "Unknown time zone \"\(identifier)\": use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\".")
    }

    // MARK: Display

    /// For the UI: "every 30 min", "every 2 h", "every day", "cron */5 * * * * (UTC)".
    public var description: String {
        switch self {
        case .interval:
            let seconds = effectiveSeconds
            for (size, one, unit) in [(86_400, "day", " days"), (3600, "hour", " h"), (60, "minute", " min")]
            where seconds % size == 0 {
                let count = seconds / size
                return count == 1 ? "every \(one)" : "every \(count)\(unit)"
            }
            return "every \(seconds) s"
        case let .cron(expression, timeZone):
            return "cron \(expression.text) (\(Self.displayName(of: timeZone)))"
        }
    }

    /// Foundation calls UTC "GMT" on Linux; users set it as UTC, so show that.
    static func displayName(of timeZone: TimeZone) -> String {
        let utcNames: Set = ["GMT", "UTC", "UCT", "Etc/UTC", "Etc/GMT", "Etc/UCT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"]
        return utcNames.contains(timeZone.identifier) ? "UTC" : timeZone.identifier
    }

    private var effectiveSeconds: Int {
        if case let .interval(seconds) = self { return max(seconds, Self.minimumIntervalSeconds) }
        return 0
    }
}
