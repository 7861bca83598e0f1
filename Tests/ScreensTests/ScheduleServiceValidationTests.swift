import Foundation
import Jobs
import Schedule
import Store
import XCTest

/// What the Scheduler tab and `schedule add` share: `ScheduleService` refuses jobs that could
/// never run, and editing keeps the options a job was stored with.
final class ScheduleServiceValidationTests: XCTestCase {
    private var fixture: ServicesFixture!

    override func setUpWithError() throws { fixture = try ServicesFixture() }
    override func tearDown() { fixture.tearDown() }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }

    func testAddRefusesWhatCouldNeverRun() throws {
        let hourly = Trigger.interval(seconds: 3600)
        let service = fixture.service
        XCTAssertTrue(message { try service.add(name: nil, kind: .captureWindow, trigger: hourly, options: ["interface": "lo", "filter": "port 99999"]) }
            .contains("is not valid BPF syntax"))
        XCTAssertEqual(message { try service.add(name: nil, kind: .captureWindow, trigger: hourly, options: ["interface": "lo", "second": "5"]) },
                       "Unknown option \"second\": capture-window jobs take interface, seconds, filter, pcap-dir, rotate-mb. Did you mean seconds?")
        XCTAssertEqual(message { try service.add(name: nil, kind: .reputationRefresh, trigger: hourly, options: ["x": "1"]) },
                       "Unknown option \"x\": reputation-refresh jobs take no options.")
        XCTAssertTrue(message { _ = try ScheduleService.trigger(every: nil, cron: "0 0 31 2 *", timeZone: "UTC") }.contains("never fires"))
        XCTAssertEqual(message { _ = try ScheduleService.trigger(every: nil, cron: "0 0 29 2 */7", timeZone: "UTC") }, "accepted",
                       "a 29 February that is a Sunday fires, within the 28-year cycle")
        XCTAssertEqual(try fixture.service.list().count, 0)
    }

    func testEditingKeepsOptionsTheJobWasStoredWithButRefusesNewUnknownOnes() throws {
        // A job saved before unknown keys were refused.
        let record = StoreJobRepository.record(name: "old", kind: .captureWindow, trigger: .interval(seconds: 3600),
                                               options: ["interface": "lo", "second": "5"], at: Date())
        let id = try XCTUnwrap(try ScheduleStore(database: fixture.database).insert(record).id)
        XCTAssertEqual(message { try fixture.service.update(id: id, name: "old", trigger: .interval(seconds: 7200), options: ["interface": "lo", "second": "5"]) },
                       "accepted")
        XCTAssertTrue(message { try fixture.service.update(id: id, name: "old", trigger: .interval(seconds: 7200), options: ["interface": "lo", "sconds": "5"]) }
            .hasPrefix("Unknown option \"sconds\""))
        XCTAssertTrue(message { try fixture.service.update(id: id, name: "old", trigger: .interval(seconds: 7200), options: ["interface": "lo", "filter": "tcp and"]) }
            .contains("is not valid BPF syntax"))
    }
}
