import Foundation
import Schedule
import XCTest

/// Next-run times in UTC, where there is no daylight saving.
final class CronNextDateTests: XCTestCase {
    func testEveryFiveMinutesAcrossAnHourBoundary() throws {
        XCTAssertEqual(
            try runs("*/5 * * * *", after: "2025-01-01 10:50", count: 4),
            ["2025-01-01 10:55:00", "2025-01-01 11:00:00", "2025-01-01 11:05:00", "2025-01-01 11:10:00"])
    }

    func testStrictlyAfterWithSecondsZeroed() throws {
        let cron = try CronExpression("* * * * *")
        XCTAssertEqual(cron.nextDate(after: date("2025-01-01 10:00:42").addingTimeInterval(0.5), in: Zones.utc), date("2025-01-01 10:01"))
        let hourly = try CronExpression("0 * * * *")
        XCTAssertEqual(hourly.nextDate(after: date("2025-01-01 10:00"), in: Zones.utc), date("2025-01-01 11:00"), "strictly after")
        XCTAssertEqual(hourly.nextDate(after: date("2025-01-01 09:59:59"), in: Zones.utc), date("2025-01-01 10:00"))
    }

    func testThirtyFirstSkipsShortMonths() throws {
        XCTAssertEqual(
            try runs("0 0 31 * *", after: "2025-01-15 00:00", count: 5),
            ["2025-01-31 00:00:00", "2025-03-31 00:00:00", "2025-05-31 00:00:00", "2025-07-31 00:00:00", "2025-08-31 00:00:00"])
    }

    func testTwentyNinthOfFebruaryFindsLeapYears() throws {
        XCTAssertEqual(
            try runs("0 0 29 2 *", after: "2025-01-01 00:00", count: 3),
            ["2028-02-29 00:00:00", "2032-02-29 00:00:00", "2036-02-29 00:00:00"])
        XCTAssertEqual(
            try runs("0 0 29 2 *", after: "2097-03-01 00:00", count: 1), ["2104-02-29 00:00:00"],
            "2100 is not a leap year; the search still reaches 2104")
        // "*/7" counts as unrestricted, so both day fields must match: a 29 February that is a
        // Sunday, 28 years apart — found, not mistaken for "never fires" (`schedule add` refuses those).
        XCTAssertEqual(
            try runs("0 0 29 2 */7", after: "2032-03-01 00:00", count: 2), ["2060-02-29 00:00:00", "2088-02-29 00:00:00"])
    }

    func testImpossibleDatesReturnNil() throws {
        XCTAssertNil(try CronExpression("0 0 30 2 *").nextDate(after: date("2025-01-01 00:00"), in: Zones.utc))
        XCTAssertNil(try CronExpression("0 0 31 4,6,9,11 *").nextDate(after: date("2025-01-01 00:00"), in: Zones.utc))
        // Feb 30 is rescued by day-of-week when both days are restricted (Vixie OR rule).
        XCTAssertNotNil(try CronExpression("0 0 30 2 1").nextDate(after: date("2025-01-01 00:00"), in: Zones.utc))
    }

    func testWeekdaysOnly() throws {
        // 2025-01-03 is a Friday.
        XCTAssertEqual(
            try runs("0 9 * * 1-5", after: "2025-01-03 09:00", count: 3),
            ["2025-01-06 09:00:00", "2025-01-07 09:00:00", "2025-01-08 09:00:00"])
        XCTAssertEqual(try runs("0 9 * * mon-fri", after: "2025-01-04 12:00", count: 1), ["2025-01-06 09:00:00"])
    }

    func testVixieOrRuleWhenBothDayFieldsAreRestricted() throws {
        // January 2025: the 1st and 15th are Wednesdays; Mondays are 6, 13, 20, 27. Feb 1 is a Saturday.
        XCTAssertEqual(
            try runs("0 0 1,15 * 1", after: "2024-12-31 12:00", count: 8),
            ["2025-01-01 00:00:00", "2025-01-06 00:00:00", "2025-01-13 00:00:00", "2025-01-15 00:00:00",
             "2025-01-20 00:00:00", "2025-01-27 00:00:00", "2025-02-01 00:00:00", "2025-02-03 00:00:00"])
    }

    func testBothDayFieldsMustMatchWhenOneStartsWithStar() throws {
        // As in Vixie cron, "*/2" counts as unrestricted: odd days AND Mondays.
        XCTAssertEqual(
            try runs("0 0 */2 * 1", after: "2024-12-31 12:00", count: 3),
            ["2025-01-13 00:00:00", "2025-01-27 00:00:00", "2025-02-03 00:00:00"])
        // A restricted day-of-month with "*" day-of-week is just the day of month.
        XCTAssertEqual(try runs("0 0 13 * *", after: "2024-12-31 12:00", count: 1), ["2025-01-13 00:00:00"])
    }

    func testMonthEnds() throws {
        XCTAssertEqual(
            try runs("0 0 28-31 * *", after: "2025-01-30 12:00", count: 3),
            ["2025-01-31 00:00:00", "2025-02-28 00:00:00", "2025-03-28 00:00:00"])
        XCTAssertEqual(
            try runs("0 0 28-31 * *", after: "2024-01-31 12:00", count: 3),
            ["2024-02-28 00:00:00", "2024-02-29 00:00:00", "2024-03-28 00:00:00"])
        XCTAssertEqual(try runs("@monthly", after: "2025-01-31 00:00", count: 1), ["2025-02-01 00:00:00"])
        XCTAssertEqual(try runs("0 12 * * *", after: "2024-02-28 12:00", count: 2), ["2024-02-29 12:00:00", "2024-03-01 12:00:00"])
    }

    func testYearRollover() throws {
        XCTAssertEqual(try runs("* * * * *", after: "2025-12-31 23:59", count: 1), ["2026-01-01 00:00:00"])
        XCTAssertEqual(try runs("@yearly", after: "2025-06-01 00:00", count: 1), ["2026-01-01 00:00:00"])
        XCTAssertEqual(try runs("59 23 31 12 *", after: "2025-12-31 23:59", count: 1), ["2026-12-31 23:59:00"])
    }

    func testSearchSkipsAheadInsteadOfWalkingMinutes() throws {
        // 2000 searches that each cross years would take far longer than a second minute by minute.
        let cron = try CronExpression("0 0 29 2 1")  // OR rule: every Monday and every Feb 29
        let yearly = try CronExpression("59 23 31 12 *")
        var current = date("2025-01-01 00:00")
        for _ in 0..<1000 {
            current = try XCTUnwrap(cron.nextDate(after: current, in: Zones.utc))
            _ = try XCTUnwrap(yearly.nextDate(after: current, in: Zones.utc))
        }
        XCTAssertGreaterThan(current, date("2040-01-01 00:00"))
    }
}
