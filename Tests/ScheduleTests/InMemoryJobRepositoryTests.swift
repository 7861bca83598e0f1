import Foundation
import Schedule
import XCTest

final class InMemoryJobRepositoryTests: XCTestCase {
    func testAddAssignsIdsAndRecordsRuns() throws {
        let repository = InMemoryJobRepository()
        let first = repository.add(ScheduledJob(name: "Scan", kind: .portScan, trigger: .interval(seconds: 60)))
        let second = repository.add(ScheduledJob(name: "Intel", kind: .reputationRefresh, trigger: .interval(seconds: 600)))
        XCTAssertEqual([first.id, second.id], [1, 2])
        XCTAssertEqual(repository.allJobs().map(\.name), ["Scan", "Intel"])

        let at = date("2025-01-01 00:00")
        try repository.updateSchedule(jobID: 1, nextRunAt: at, lastRunAt: nil)
        XCTAssertEqual(repository.job(id: 1)?.nextRunAt, at)
        let runID = try repository.recordRunStart(jobID: 1, at: at)
        XCTAssertEqual(repository.runs(jobID: 1), [JobRun(id: runID, jobID: 1, startedAt: at)])
        try repository.recordRunFinish(runID: runID, at: at.addingTimeInterval(5), outcome: .succeeded, summary: "22/tcp open")
        XCTAssertEqual(repository.runs().first?.summary, "22/tcp open")
        XCTAssertEqual(repository.runs(jobID: 2), [])
    }

    func testUnknownIdsSayWhatToDo() {
        let repository = InMemoryJobRepository()
        XCTAssertThrowsError(try repository.updateSchedule(jobID: 7, nextRunAt: nil, lastRunAt: nil)) { error in
            XCTAssertEqual("\(error)", "No scheduled job with id 7: it may have been deleted; reload the scheduler.")
        }
        XCTAssertThrowsError(try repository.recordRunFinish(runID: 3, at: Date(), outcome: .failed, summary: "")) { error in
            XCTAssertEqual("\(error)", "No run with id 3 was started; record the run's start first.")
        }
    }
}
