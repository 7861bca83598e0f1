import Foundation
import Schedule
import XCTest

final class CronExpressionParsingTests: XCTestCase {
    private func minutes(_ expression: String) throws -> [Int] {
        let cron = try CronExpression(expression)
        return (0..<60).filter { cron.matches(date("2025-01-01 00:\($0)"), in: Zones.utc) }
    }

    func testStarNumbersRangesStepsAndLists() throws {
        XCTAssertEqual(try minutes("* * * * *").count, 60)
        XCTAssertEqual(try minutes("7 * * * *"), [7])
        XCTAssertEqual(try minutes("10-13 * * * *"), [10, 11, 12, 13])
        XCTAssertEqual(try minutes("*/15 * * * *"), [0, 15, 30, 45])
        XCTAssertEqual(try minutes("0-30/10 * * * *"), [0, 10, 20, 30])
        XCTAssertEqual(try minutes("5/20 * * * *"), [5, 25, 45], "a/n means a-59/n")
        XCTAssertEqual(try minutes("1,2,40-42,*/30 * * * *"), [0, 1, 2, 30, 40, 41, 42])
        XCTAssertEqual(try minutes("*/100 * * * *"), [0], "a step larger than the range selects the start")
    }

    func testTextIsNormalisedAndRoundTrips() throws {
        let cron = try CronExpression("  */5\t*  * *   * ")
        XCTAssertEqual(cron.text, "*/5 * * * *")
        XCTAssertEqual(cron.description, "*/5 * * * *")
        XCTAssertEqual(try CronExpression(cron.text), cron)
        XCTAssertEqual(try CronExpression("@DAILY").text, "@daily")
    }

    func testMonthAndDayNamesAnyCase() throws {
        let cron = try CronExpression("0 0 * JAN-mar,Jul Mon-FRI")
        // 2025-01-06 is a Monday, 2025-01-04 a Saturday, 2025-04-07 a Monday in April.
        XCTAssertTrue(cron.matches(date("2025-01-06 00:00"), in: Zones.utc))
        XCTAssertTrue(cron.matches(date("2025-07-04 00:00"), in: Zones.utc))
        XCTAssertFalse(cron.matches(date("2025-01-04 00:00"), in: Zones.utc))
        XCTAssertFalse(cron.matches(date("2025-04-07 00:00"), in: Zones.utc))
        XCTAssertEqual(try CronExpression("0 0 * dec sun"), try CronExpression("0 0 * dec sun"))
    }

    func testSundayIsZeroAndSeven() throws {
        let sunday = date("2025-01-05 00:00")
        let saturday = date("2025-01-04 00:00")
        for expression in ["0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * 5-7", "0 0 * * fri-sun", "0 0 * * mon-sun"] {
            XCTAssertTrue(try CronExpression(expression).matches(sunday, in: Zones.utc), expression)
        }
        XCTAssertTrue(try CronExpression("0 0 * * 5-7").matches(saturday, in: Zones.utc))
        XCTAssertFalse(try CronExpression("0 0 * * 7").matches(saturday, in: Zones.utc))
        XCTAssertEqual(
            try runs("0 0 * * */2", after: "2025-01-05 12:00", count: 3), // Sun → Tue, Thu, Sat
            ["2025-01-07 00:00:00", "2025-01-09 00:00:00", "2025-01-11 00:00:00"])
    }

    func testMacros() throws {
        let expansions = [
            "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
            "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
        ]
        let start = date("2025-02-10 10:17")
        for (macro, fields) in expansions {
            let expanded = try CronExpression(fields)
            XCTAssertEqual(
                try CronExpression(macro).nextDate(after: start, in: Zones.utc),
                expanded.nextDate(after: start, in: Zones.utc), macro)
        }
        XCTAssertEqual(try runs("@weekly", after: "2025-02-10 10:17", count: 1), ["2025-02-16 00:00:00"])
    }

    // MARK: Errors name the field and value and show the form

    private func message(_ expression: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try CronExpression(expression)
            XCTFail("\"\(expression)\" should be rejected", file: file, line: line)
            return ""
        } catch {
            return error.description
        }
    }

    func testOutOfRangeMessagesAreExact() {
        let format = "Format: minute hour day-of-month month day-of-week, e.g. \"*/15 * * * *\"."
        XCTAssertEqual(message("61 * * * *"), "Bad cron expression \"61 * * * *\": minute must be 0–59 (got 61). \(format)")
        XCTAssertEqual(message("* 24 * * *"), "Bad cron expression \"* 24 * * *\": hour must be 0–23 (got 24). \(format)")
        XCTAssertEqual(message("0 0 0 * *"), "Bad cron expression \"0 0 0 * *\": day-of-month must be 1–31 (got 0). \(format)")
        XCTAssertEqual(message("0 0 * 13 *"), "Bad cron expression \"0 0 * 13 *\": month must be 1–12 or jan–dec (got 13). \(format)")
        XCTAssertEqual(
            message("0 0 * * 8"),
            "Bad cron expression \"0 0 * * 8\": day-of-week must be 0–7 or sun–sat (0 and 7 are Sunday) (got 8). \(format)")
    }

    func testErrorCarriesTheField() {
        XCTAssertThrowsError(try CronExpression("0 0 * foo *")) { error in
            let cron = error as? CronError
            XCTAssertEqual(cron?.field, .month)
            XCTAssertEqual(cron?.expression, "0 0 * foo *")
            XCTAssertEqual(cron?.localizedDescription, cron?.description, "LocalizedError shows the same text")
        }
    }

    func testEachKindOfMistake() {
        let cases: [(String, String)] = [
            ("* * *", "expected 5 fields but found 3"),
            ("", "it is empty; write five fields"),
            ("0 0 * * * *", "expected 5 fields but found 6 (seconds and years are not supported)"),
            ("@reboot", "unknown macro @reboot; use one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually or five fields"),
            ("0 0 * foo *", "month must be 1–12 or jan–dec (got \"foo\")"),
            ("0 0 * * mon-xyz", "day-of-week must be 0–7 or sun–sat (0 and 7 are Sunday) (got \"xyz\")"),
            ("0 mon * * *", "hour must be 0–23 (got \"mon\")"),
            ("-5 * * * *", "minute must be 0–59 (got \"-5\")"),
            ("5- * * * *", "minute must be 0–59 (got \"5-\")"),
            ("*/0 * * * *", "the step in minute must be a whole number of at least 1 (got \"*/0\"), e.g. */15"),
            ("*/x * * * *", "the step in minute must be a whole number of at least 1 (got \"*/x\"), e.g. */15"),
            ("*/5/2 * * * *", "minute has more than one step (got \"*/5/2\"); write one step, e.g. */15 or 0-30/5"),
            ("30-10 * * * *", "minute range 30-10 runs backwards; write the smaller value first (ranges do not wrap around)"),
            ("1,,2 * * * *", "minute has an empty item in its list (got \"1,,2\"); separate values with single commas, e.g. 1,15"),
            ("0 0 L * *", "day-of-month does not support \"L\" (last day of the month); use day-of-month 1 to run on the first day of the next month instead"),
            ("0 0 * * 5L", "day-of-week does not support \"L\" (last weekday of the month), which five-field cron cannot express; schedule the weekday itself (e.g. 5 for Fridays)"),
            ("0 0 15W * *", "day-of-month does not support \"W\" (nearest weekday); use a day-of-month number with day-of-week *"),
            ("0 0 * * 1#2", "day-of-week does not support \"#\" (nth weekday of the month), which five-field cron cannot express; schedule the weekday itself (e.g. 1 for Mondays)"),
            ("0 0 ? * *", "day-of-month does not support \"?\" (a Quartz extension); use * instead"),
            ("99999999999999999999 * * * *", "minute must be 0–59 (got 99999999999999999999)"),
        ]
        for (expression, problem) in cases {
            XCTAssertEqual(message(expression), "Bad cron expression \"\(expression)\": \(problem). \(CronError.formatHint)", expression)
        }
    }
}
