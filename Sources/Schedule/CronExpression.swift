import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) and the search for
/// the next time it fires.
///
/// Accepted: `*`, numbers, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (= `a-<max>/n`), lists
/// `a,b,c`, month names jan–dec and day names sun–sat (any case), day-of-week 0–7 with 0 and 7
/// both Sunday, and the macros @hourly @daily @midnight @weekly @monthly @yearly @annually.
/// Quartz extensions (`L`, `W`, `#`, `?`), seconds and years are rejected with a message saying so.
///
/// Day rule (Vixie cron): when both day-of-month and day-of-week are restricted, a day matches if
/// EITHER matches ("0 0 1,15 * 1" = the 1st, the 15th and every Monday); otherwise both must.
/// As in Vixie cron and cronie, a field that starts with `*` (including `*/2`) counts as
/// unrestricted for this rule.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression normalised to single spaces (macros lowercased); parses back to the same
    /// expression, so it is what gets stored.
    public let text: String

    // Bit n set = value n selected. Day-of-week uses bits 0…6 (7 is folded into 0).
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthIsUnrestricted: Bool
    let dayOfWeekIsUnrestricted: Bool

    /// How far ahead `nextDate` looks before concluding the expression never fires. 28 years, the
    /// cycle after which dates fall on the same weekdays again: "0 0 29 2 */7" (a 29 February
    /// that is a Sunday) is up to 28 years away, and "0 0 29 2 *" still finds the next 29
    /// February across 2100, which is not a leap year. Expressions that cannot match at all are
    /// recognised without searching.
    public static let searchLimitInYears = 28

    public static let macros: [String: String] = [
        "@hourly": "0 * * * *",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@weekly": "0 0 * * 0",
        "@monthly": "0 0 1 * *",
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
    ]

    public init(_ expression: String) throws(CronError) {
        let trimmed = expression.trimmingCharacters(in: .whitespacesAndNewlines)
        var fieldsText = trimmed
        if trimmed.hasPrefix("@") {
            let macro = trimmed.lowercased()
            guard let expansion = Self.macros[macro] else {
                let known = Self.macros.keys.sorted { Self.macroOrder($0) < Self.macroOrder($1) }
                throw CronError(
                    expression: expression, field: nil,
                    problem: "unknown macro \(trimmed); use one of \(known.joined(separator: ", ")) or five fields")
            }
            fieldsText = expansion
        }
        let fields = fieldsText.split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isNewline }).map(String.init)
        guard fields.count == 5 else {
            var problem = trimmed.isEmpty
                ? "it is empty; write five fields"
                : "expected 5 fields but found \(fields.count)"
            if fields.count == 6 || fields.count == 7 {
                problem += " (seconds and years are not supported)"
            }
            throw CronError(expression: expression, field: nil, problem: problem)
        }
        minutes = try CronField.minute.parse(fields[0], in: expression)
        hours = try CronField.hour.parse(fields[1], in: expression)
        daysOfMonth = try CronField.dayOfMonth.parse(fields[2], in: expression)
        months = try CronField.month.parse(fields[3], in: expression)
        daysOfWeek = try CronField.dayOfWeek.parse(fields[4], in: expression)
        dayOfMonthIsUnrestricted = fields[2].hasPrefix("*")
        dayOfWeekIsUnrestricted = fields[4].hasPrefix("*")
        text = trimmed.hasPrefix("@") ? trimmed.lowercased() : fields.joined(separator: " ")
    }

    public var description: String { text }

    public static func == (lhs: CronExpression, rhs: CronExpression) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    /// Whether the expression fires at the minute containing `date`, read on clocks in `timeZone`.
    public func matches(_ date: Date, in timeZone: TimeZone) -> Bool {
        guard let wall = WallClockTime(date, in: timeZone) else { return false }
        return matches(wall)
    }

    /// The first time strictly after `date` (to the minute, seconds zero) at which the expression
    /// fires on clocks in `timeZone`, or nil if it never fires (e.g. "0 0 30 2 *") or not within
    /// `searchLimitInYears`.
    ///
    /// Daylight saving: the search runs on wall-clock minutes and then asks when the clock shows
    /// that minute. In a spring-forward gap the minute does not exist and is skipped — the job
    /// runs at its next matching minute that does exist ("30 2 * * *" skips the changeover day).
    /// In a fall-back overlap the minute exists twice and only the first occurrence counts, so
    /// every wall-clock minute fires at most once ("*/30 * * * *" does not run again during the
    /// repeated hour).
    public func nextDate(after date: Date, in timeZone: TimeZone) -> Date? {
        guard !neverFires, var from = WallClockTime(date, in: timeZone)?.addingOneMinute() else {
            return nil
        }
        let lastYear = from.year + Self.searchLimitInYears
        while let candidate = nextMatch(atOrAfter: from, throughYear: lastYear) {
            if let first = candidate.instants(in: timeZone).first, first > date {
                return first
            }
            // Missing (gap) or already past (second pass of a repeated hour): keep looking.
            from = candidate.addingOneMinute()
        }
        return nil
    }

    // MARK: Matching

    func matches(_ wall: WallClockTime) -> Bool {
        Self.contains(minutes, wall.minute) && Self.contains(hours, wall.hour)
            && Self.contains(months, wall.month)
            && dayMatches(year: wall.year, month: wall.month, day: wall.day)
    }

    private func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        let dayOfMonth = Self.contains(daysOfMonth, day)
        let dayOfWeek = Self.contains(
            daysOfWeek, WallClockTime(year: year, month: month, day: day, hour: 0, minute: 0).dayOfWeek)
        if dayOfMonthIsUnrestricted || dayOfWeekIsUnrestricted {
            return dayOfMonth && dayOfWeek
        }
        return dayOfMonth || dayOfWeek
    }

    /// True when the days of the month asked for exist in none of the months asked for (with
    /// February counted as 29 days) and day-of-week cannot rescue it: "0 0 30 2 *", "0 0 31 4,6 *".
    private var neverFires: Bool {
        guard dayOfMonthIsUnrestricted || dayOfWeekIsUnrestricted else { return false }
        for month in 1...12 where Self.contains(months, month) {
            let longest = month == 2 ? 29 : WallClockTime.daysInMonth(month, year: 2001)
            if (1...longest).contains(where: { Self.contains(daysOfMonth, $0) }) { return false }
        }
        return true
    }

    /// The first wall-clock minute at or after `start` that matches, skipping whole months, days
    /// and hours that cannot match rather than stepping minute by minute.
    private func nextMatch(atOrAfter start: WallClockTime, throughYear lastYear: Int) -> WallClockTime? {
        var year = start.year, month = start.month, day = start.day
        var hour = start.hour, minute = start.minute
        while year <= lastYear {
            guard let nextMonth = Self.first(in: months, atOrAbove: month) else {
                year += 1
                (month, day, hour, minute) = (1, 1, 0, 0)
                continue
            }
            if nextMonth != month {
                (month, day, hour, minute) = (nextMonth, 1, 0, 0)
            }
            let length = WallClockTime.daysInMonth(month, year: year)
            while day <= length && !dayMatches(year: year, month: month, day: day) {
                day += 1
                (hour, minute) = (0, 0)
            }
            guard day <= length else {
                month += 1  // 13 falls through to the next year at the top of the loop
                (day, hour, minute) = (1, 0, 0)
                continue
            }
            guard let nextHour = Self.first(in: hours, atOrAbove: hour) else {
                day += 1  // past the month's end is handled by the day loop above
                (hour, minute) = (0, 0)
                continue
            }
            if nextHour != hour {
                (hour, minute) = (nextHour, 0)
            }
            guard let nextMinute = Self.first(in: minutes, atOrAbove: minute) else {
                hour += 1  // 24 finds no hour above and moves to the next day
                minute = 0
                continue
            }
            return WallClockTime(year: year, month: month, day: day, hour: hour, minute: nextMinute)
        }
        return nil
    }

    // MARK: Bit sets

    private static func contains(_ bits: UInt64, _ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    private static func first(in bits: UInt64, atOrAbove value: Int) -> Int? {
        guard value < 64 else { return nil }
        let shifted = bits >> UInt64(value)
        return shifted == 0 ? nil : value + shifted.trailingZeroBitCount
    }

    private static func macroOrder(_ macro: String) -> Int {
        ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"]
            .firstIndex(of: macro) ?? 99
    }
}
