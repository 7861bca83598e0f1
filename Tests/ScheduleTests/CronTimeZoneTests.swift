import Foundation
import Schedule
import XCTest

/// Local time zones, including daylight-saving changes. In 2025 Berlin springs forward on
/// 30 March at 01:00 UTC (02:00 CET → 03:00 CEST) and falls back on 26 October at 01:00 UTC
/// (03:00 CEST → 02:00 CET).
final class CronTimeZoneTests: XCTestCase {
    func testNoonInNewYorkVersusUTC() throws {
        let noon = try CronExpression("0 12 * * *")
        let start = date("2025-01-15 00:00")
        XCTAssertEqual(noon.nextDate(after: start, in: Zones.utc), date("2025-01-15 12:00"))
        XCTAssertEqual(noon.nextDate(after: start, in: Zones.newYork), date("2025-01-15 17:00"), "EST is UTC−5")
        XCTAssertEqual(noon.nextDate(after: date("2025-07-15 00:00"), in: Zones.newYork), date("2025-07-15 16:00"), "EDT is UTC−4")
        XCTAssertEqual(noon.nextDate(after: start, in: Zones.newYork), date("2025-01-15 12:00", in: Zones.newYork))
    }

    func testSpringForwardSkipsTheMissingTime() throws {
        // 02:30 does not exist in Berlin on 30 March 2025: the next run is the 31st.
        XCTAssertEqual(
            try runs("30 2 * * *", after: "2025-03-29 00:00", count: 3, in: Zones.berlin),
            ["2025-03-29 01:30:00", "2025-03-31 00:30:00", "2025-04-01 00:30:00"])
        // Times after the gap that day still run.
        XCTAssertEqual(try runs("30 3 * * *", after: "2025-03-30 00:00", count: 1, in: Zones.berlin), ["2025-03-30 01:30:00"])
    }

    func testSpringForwardFrequentJobContinuesAfterTheGap() throws {
        // 01:30 CET, then the clock jumps from 02:00 to 03:00 CEST.
        XCTAssertEqual(
            try runs("*/30 * * * *", after: "2025-03-30 01:30", count: 3, in: Zones.berlin),
            ["2025-03-30 01:00:00", "2025-03-30 01:30:00", "2025-03-30 02:00:00"])
    }

    func testFallBackRunsTheRepeatedTimeOnce() throws {
        // 02:30 happens twice on 26 October (00:30 UTC in CEST, 01:30 UTC in CET): only the first runs.
        XCTAssertEqual(
            try runs("30 2 * * *", after: "2025-10-25 00:00", count: 3, in: Zones.berlin),
            ["2025-10-25 00:30:00", "2025-10-26 00:30:00", "2025-10-27 01:30:00"])
    }

    func testFallBackFrequentJobDoesNotRepeatTheHour() throws {
        // From 02:30 CEST the wall clock shows 02:00–02:59 again; those minutes already ran, so the
        // next run is 03:00 CET.
        let halfHourly = try CronExpression("*/30 * * * *")
        let firstTwoOClock = date("2025-10-26 00:00")  // 02:00 CEST
        let firstHalfPast = try XCTUnwrap(halfHourly.nextDate(after: firstTwoOClock, in: Zones.berlin))
        XCTAssertEqual(firstHalfPast, date("2025-10-26 00:30"), "02:30 CEST")
        XCTAssertEqual(halfHourly.nextDate(after: firstHalfPast, in: Zones.berlin), date("2025-10-26 02:00"), "03:00 CET")
        // Asked from inside the repeated hour, the answer is still 03:00 CET.
        let insideSecondPass = date("2025-10-26 01:10")  // 02:10 CET
        XCTAssertEqual(try CronExpression("*/30 * * * *").nextDate(after: insideSecondPass, in: Zones.berlin), date("2025-10-26 02:00"))
    }

    func testUTCHasNoGaps() throws {
        XCTAssertEqual(
            try runs("30 2 * * *", after: "2025-03-29 12:00", count: 2),
            ["2025-03-30 02:30:00", "2025-03-31 02:30:00"])
    }
}
