import Foundation
import Schedule
import XCTest

final class TriggerTests: XCTestCase {
    func testIntervalParsing() throws {
        let cases: [(String, Int)] = [
            ("30m", 1800), ("2h", 7200), ("90s", 90), ("1d", 86_400), ("45", 2700), (" 10 M ", 600), ("60s", 60), ("366d", 366 * 86_400),
        ]
        for (text, seconds) in cases {
            XCTAssertEqual(try Trigger.interval(parsing: text), .interval(seconds: seconds), text)
        }
    }

    func testIntervalErrorsSayWhatToWrite() {
        func message(_ text: String) -> String {
            do {
                _ = try Trigger.interval(parsing: text)
                return "accepted"
            } catch {
                return error.message
            }
        }
        let usage = "write a whole number with s, m, h or d, e.g. \"30m\", \"2h\", \"90s\" or \"1d\" (a bare number means minutes)."
        XCTAssertEqual(message("30s"), "Interval \"30s\" is too short: the shortest interval is 60 seconds (\"1m\").")
        XCTAssertEqual(message("0"), "Interval \"0\" is too short: the shortest interval is 60 seconds (\"1m\").")
        for bad in ["", "abc", "5x", "-5m", "1.5h", "m30"] {
            XCTAssertEqual(message(bad), "Bad interval \"\(bad)\": \(usage)", bad)
        }
        let tooLong = "is too long: the longest interval is 366 days; for rarer jobs use a cron expression such as \"0 0 1 1 *\"."
        XCTAssertEqual(message("367d"), "Interval \"367d\" \(tooLong)")
        XCTAssertEqual(message("99999999999999999999"), "Interval \"99999999999999999999\" \(tooLong)")
    }

    func testCronParsingCarriesTheCronMessage() {
        XCTAssertThrowsError(try Trigger.cron(parsing: "61 * * * *", timeZone: Zones.utc)) { error in
            XCTAssertEqual("\(error)", "Bad cron expression \"61 * * * *\": minute must be 0–59 (got 61). \(CronError.formatHint)")
        }
    }

    func testIntervalNextRun() {
        let start = date("2025-01-01 10:00")
        XCTAssertEqual(Trigger.interval(seconds: 1800).nextRun(after: start), date("2025-01-01 10:30"))
        XCTAssertEqual(Trigger.interval(seconds: 5).nextRun(after: start), date("2025-01-01 10:01"), "clamped to the 60 s minimum")
    }

    func testIntervalStaysOnItsGrid() {
        let every30 = Trigger.interval(seconds: 1800)
        let due = date("2025-01-01 10:00")
        XCTAssertEqual(every30.nextRun(after: date("2025-01-01 10:00:03"), previousDueTime: due), date("2025-01-01 10:30"), "a late tick does not drift")
        XCTAssertEqual(every30.nextRun(after: date("2025-01-01 10:30"), previousDueTime: due), date("2025-01-01 11:00"), "strictly after")
        XCTAssertEqual(every30.nextRun(after: date("2025-01-01 15:47"), previousDueTime: due), date("2025-01-01 16:00"), "many missed runs coalesce")
        XCTAssertEqual(every30.nextRun(after: date("2025-01-01 09:00"), previousDueTime: due), date("2025-01-01 09:30"), "a future due time is ignored")
    }

    func testCronNextRunUsesItsTimeZone() throws {
        let trigger = try Trigger.cron(parsing: "0 12 * * *", timeZone: Zones.newYork)
        XCTAssertEqual(trigger.nextRun(after: date("2025-01-15 00:00")), date("2025-01-15 17:00"))
        XCTAssertEqual(trigger.nextRun(after: date("2025-01-15 00:00"), previousDueTime: date("2025-01-14 17:00")), date("2025-01-15 17:00"))
    }

    func testStorageRoundTrip() throws {
        let triggers: [Trigger] = [
            .interval(seconds: 1800),
            try .cron(parsing: "*/5 * * * *", timeZone: Zones.utc),
            try .cron(parsing: "30 2 * * mon-fri", timeZone: Zones.berlin),
            try .cron(parsing: "@daily", timeZone: Zones.newYork),
        ]
        for trigger in triggers {
            let restored = try Trigger(storageText: trigger.storageText, timeZoneIdentifier: trigger.timeZoneIdentifier)
            XCTAssertEqual(restored, trigger, trigger.storageText)
        }
        XCTAssertEqual(Trigger.interval(seconds: 1800).storageText, "every 1800")
        XCTAssertNil(Trigger.interval(seconds: 1800).timeZoneIdentifier)
        XCTAssertEqual(try Trigger.cron(parsing: "*/5  * * * *", timeZone: Zones.berlin).storageText, "cron */5 * * * *")
        XCTAssertEqual(try Trigger.cron(parsing: "* * * * *", timeZone: Zones.berlin).timeZoneIdentifier, "Europe/Berlin")
    }

    func testStoredTextReading() throws {
        XCTAssertEqual(try Trigger(storageText: "every 90", timeZoneIdentifier: nil), .interval(seconds: 90))
        XCTAssertEqual(try Trigger(storageText: "cron 0 * * * *", timeZoneIdentifier: "utc"), .cron(try CronExpression("0 * * * *"), timeZone: Zones.utc))
        XCTAssertEqual(try Trigger(storageText: "cron 0 * * * *", timeZoneIdentifier: nil), .cron(try CronExpression("0 * * * *"), timeZone: .current), "no zone means local time")

        func message(_ text: String, _ zone: String? = nil) -> String {
            do {
                _ = try Trigger(storageText: text, timeZoneIdentifier: zone)
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(message("hourly"), "Stored trigger \"hourly\" is unreadable: expected \"every <seconds>\" or \"cron <expression>\"; edit the job and set its schedule again.")
        XCTAssertEqual(message("every 10"), "Stored interval \"every 10\" is unreadable: expected \"every <seconds>\" with 60 to 31622400 seconds; edit the job and set its schedule again.")
        XCTAssertEqual(message("cron * * * * *", "Mars/Olympus"), "Unknown time zone \"Mars/Olympus\": use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\".")
        XCTAssertTrue(message("cron 61 * * * *").hasPrefix("Bad cron expression \"61 * * * *\": minute must be 0–59 (got 61)."))
    }

    func testDescriptionForTheUI() throws {
        let cases: [(Trigger, String)] = [
            (.interval(seconds: 60), "every minute"),
            (.interval(seconds: 1800), "every 30 min"),
            (.interval(seconds: 3600), "every hour"),
            (.interval(seconds: 7200), "every 2 h"),
            (.interval(seconds: 5400), "every 90 min"),
            (.interval(seconds: 86_400), "every day"),
            (.interval(seconds: 3 * 86_400), "every 3 days"),
            (.interval(seconds: 90), "every 90 s"),
            (try .cron(parsing: "*/5 * * * *", timeZone: Zones.utc), "cron */5 * * * * (UTC)"),
            (try .cron(parsing: "0 9 * * 1-5", timeZone: Zones.berlin), "cron 0 9 * * 1-5 (Europe/Berlin)"),
        ]
        for (trigger, text) in cases {
            XCTAssertEqual(trigger.description, text)
        }
    }

    func testJobKindAndOutcomeStoredNames() {
        XCTAssertEqual(JobKind.allCases.map(\.rawValue), ["port-scan", "lan-discovery", "capture-window", "reputation-refresh", "blocklist-import"])
        XCTAssertEqual(JobKind.allCases.map(\.title), ["Port scan", "LAN discovery", "Capture window", "Reputation refresh", "Blocklist import"])
        XCTAssertEqual(JobKind(rawValue: "capture-window"), .captureWindow)
        XCTAssertEqual(JobOutcome.allCases.map(\.rawValue), ["succeeded", "failed", "skipped", "stopped", "interrupted"])
    }
}
