import Foundation

/// A minute as shown on a clock in some time zone (year, month, day, hour, minute), with no time
/// zone attached.
///
/// Cron fields describe what the clock on the wall says, so the next-run search walks wall-clock
/// minutes with plain proleptic-Gregorian arithmetic (fast, no `Calendar` round trips) and only
/// turns the answer into an instant at the end — which is also where daylight-saving gaps and
/// overlaps show up (`instants(in:)`).
struct WallClockTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    var year: Int
    var month: Int  // 1...12
    var day: Int  // 1...31
    var hour: Int  // 0...23
    var minute: Int  // 0...59

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// The minute the clock in `timeZone` shows at `date` (seconds dropped), or nil for a date
    /// too far out to represent.
    init?(_ date: Date, in timeZone: TimeZone) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // ±10^13 s is ±300,000 years: far beyond any schedule, far inside Int.
        guard seconds.isFinite, abs(seconds) < 1e13 else { return nil }
        let local = Int(seconds) + timeZone.secondsFromGMT(for: date)
        let days = Self.floorDivide(local, 86_400)
        let secondOfDay = local - days * 86_400
        let civil = Self.civilDate(fromDaysSince1970: days)
        self.init(
            year: civil.year, month: civil.month, day: civil.day,
            hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60)
    }

    var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute))"
    }

    static func < (lhs: WallClockTime, rhs: WallClockTime) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute)
            < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute)
    }

    /// Day of the week, 0 = Sunday … 6 = Saturday (cron's numbering).
    var dayOfWeek: Int {
        // 1970-01-01 was a Thursday (4).
        let days = Self.daysSince1970(year: year, month: month, day: day)
        return ((days + 4) % 7 + 7) % 7
    }

    /// The next minute on the wall clock, rolling over hours, days, months and years.
    func addingOneMinute() -> WallClockTime {
        var next = self
        next.minute += 1
        if next.minute == 60 {
            next.minute = 0
            next.hour += 1
        }
        if next.hour == 24 {
            next.hour = 0
            next.day += 1
        }
        if next.day > Self.daysInMonth(next.month, year: next.year) {
            next.day = 1
            next.month += 1
        }
        if next.month == 13 {
            next.month = 1
            next.year += 1
        }
        return next
    }

    /// The instants at which clocks in `timeZone` show this minute, earliest first: usually one,
    /// none inside a spring-forward gap, two inside a fall-back overlap.
    func instants(in timeZone: TimeZone) -> [Date] {
        // This wall time read as if it were UTC. The real instant is that minus the zone's offset
        // at the real instant; the offsets in force a day either side are the only candidates
        // (zones do not change offset twice within a day), and a candidate is real only if the
        // zone agrees it has that offset at the instant it yields.
        let naive = (Self.daysSince1970(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60)
        var offsets: [Int] = []
        for probe in [naive - 86_400, naive, naive + 86_400] {
            let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe)))
            if !offsets.contains(offset) { offsets.append(offset) }
        }
        var result: [Date] = []
        for offset in offsets {
            let instant = Date(timeIntervalSince1970: TimeInterval(naive - offset))
            if timeZone.secondsFromGMT(for: instant) == offset, !result.contains(instant) {
                result.append(instant)
            }
        }
        return result.sorted()
    }

    // MARK: Gregorian arithmetic (Howard Hinnant's days_from_civil / civil_from_days)

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = (month + 9) % 12  // March = 0 … February = 11
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilDate(fromDaysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
