import Foundation
import NetScouterTestSupport
import Store
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Scheduler bookkeeping with real processes: `schedule run` and the daemon on one data folder,
/// killed and stopped runs, and `schedule add` refusing jobs that could never run. Capture-window
/// jobs capture on lo, filtered to a UDP port the test bound on 127.0.0.1, and the test sends
/// its own datagrams there.
final class SchedulerProcessTests: XCTestCase {
    private var directory: URL!
    private var dataDir: String { directory.appendingPathComponent("data").path }
    private var children: [Process] = []

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for child in children where child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ arguments: [String]) throws -> CommandRun {
        try CommandRun.netscouter(arguments + ["--data-dir", dataDir])
    }

    /// A netscouter child left running; its stderr is collected in a file read by `errors(of:)`.
    private func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CommandRun.executable
        process.arguments = arguments + ["--data-dir", dataDir]
        let log = directory.appendingPathComponent("stderr-\(children.count).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        children.append(process)
        return process
    }

    private func errors(of process: Process) -> String {
        guard let index = children.firstIndex(where: { $0 === process }) else { return "" }
        let log = directory.appendingPathComponent("stderr-\(index).log").path
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }

    private func store() throws -> ScheduleStore {
        ScheduleStore(database: try NetScouterDatabase(directory: URL(fileURLWithPath: dataDir)))
    }

    /// Polls until `condition` holds (every 50 ms, up to `seconds`).
    private func waitFor(_ what: String, seconds: Double = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \(what)")
        throw XCTSkip("gave up after the failure above")
    }

    private func lastRun(_ jobID: Int64) throws -> JobRunRecord? { try store().lastRun(forJob: jobID) }

    private func addWindowJob(seconds: Int, port: UInt16) throws {
        let added = try run(["schedule", "add", "--kind", "capture-window", "--every", "1h", "--interface", "lo",
                             "--seconds", "\(seconds)", "--filter", "udp port \(port)"])
        XCTAssertEqual(added.status, 0, added.standardError)
    }

    private func makeOverdue(_ jobID: Int64) throws {
        let store = try store()
        var job = try XCTUnwrap(try store.schedule(id: jobID))
        job.nextRunAt = Date().addingTimeInterval(-3600)
        try store.update(job)
    }

    private func listedLastRun(_ jobID: Int64) throws -> [String: Any] {
        let list = try run(["schedule", "list", "--json"])
        XCTAssertEqual(list.status, 0, list.standardError)
        let jobs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.standardOutput.utf8)) as? [[String: Any]])
        let job = try XCTUnwrap(jobs.first { ($0["id"] as? Int) == Int(jobID) })
        return try XCTUnwrap(job["lastRun"] as? [String: Any])
    }

    // MARK: A killed run

    func testAKilledScheduleRunIsMarkedInterruptedByTheNextCommandThatOpensTheStore() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        try addWindowJob(seconds: 30, port: port)
        let runner = try start(["schedule", "run", "1"])
        try waitFor("the run to be recorded") { try lastRun(1)?.outcome == .running }

        // While its process lives, commands that open the store leave the run alone.
        XCTAssertEqual(try listedLastRun(1)["outcome"] as? String, "running")

        kill(runner.processIdentifier, SIGKILL)
        runner.waitUntilExit()
        XCTAssertEqual(runner.terminationReason, .uncaughtSignal)

        // The next command — here `schedule list` — finds its process gone and closes the run.
        let last = try listedLastRun(1)
        XCTAssertEqual(last["outcome"] as? String, "interrupted")
        XCTAssertEqual(last["summary"] as? String, ScheduleStore.interruptedSummary)
        XCTAssertFalse(last["finishedAt"] is NSNull)
        XCTAssertEqual(try store().runs(forJob: 1).count, 1)
    }

    // MARK: One run at a time

    func testScheduleRunIsRefusedWhileTheDaemonRunsTheJob() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        try addWindowJob(seconds: 2, port: port)
        try makeOverdue(1)
        let daemon = try start(["daemon"])
        try waitFor("the daemon's run") { try lastRun(1)?.outcome == .running }

        let second = try run(["schedule", "run", "1"])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.standardError.contains("Job 1 is already running in another NetScouter process (pid \(daemon.processIdentifier))"),
                      second.standardError)
        XCTAssertEqual(try store().runs(forJob: 1).count, 1, "the refused run was never started nor recorded")

        try waitFor("the daemon's run to finish") { try lastRun(1)?.finishedAt != nil }
        XCTAssertEqual(try lastRun(1)?.outcome, .succeeded)
        daemon.terminate()
        daemon.waitUntilExit()
        XCTAssertEqual(daemon.terminationStatus, 0, errors(of: daemon))
    }

    func testTheDaemonSkipsAJobThatScheduleRunIsRunning() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        try addWindowJob(seconds: 2, port: port)
        let runner = try start(["schedule", "run", "1"])
        try waitFor("the manual run") { try lastRun(1)?.outcome == .running }
        // Overdue now, so the daemon wants to run it at start-up, while `schedule run` still is.
        try makeOverdue(1)
        let daemon = try start(["daemon"])
        try waitFor("the daemon's skipped run") { try store().runs(forJob: 1).contains { $0.outcome == .skipped } }
        let skipped = try XCTUnwrap(try store().runs(forJob: 1).first { $0.outcome == .skipped })
        XCTAssertEqual(skipped.summary,
                       "Skipped: job 1 is already running in another NetScouter process (pid \(runner.processIdentifier)); "
                           + "only one run of a job at a time. Wait for that run to finish, or stop it.")

        runner.waitUntilExit()
        XCTAssertEqual(runner.terminationStatus, 0, errors(of: runner))
        daemon.terminate()
        daemon.waitUntilExit()
        XCTAssertEqual(daemon.terminationStatus, 0, errors(of: daemon))

        // Never two at once: the manual run is the only one that executed.
        let executed = try store().runs(forJob: 1).filter { $0.outcome != .skipped }
        XCTAssertEqual(executed.map(\.outcome), [.succeeded])
    }

    // MARK: Stopped runs

    /// Sends datagrams to `port` every 20 ms until `stop` is set.
    private final class Sender: @unchecked Sendable {
        private let flag = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)
        private(set) var sent = 0
        init(port: UInt16) {
            Thread { [self] in
                let socket = LoopbackSockets.UDPSender()
                while flag.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
                    socket.send(Array("sample".utf8), to: port)
                    sent += 1
                }
                done.signal()
            }.start()
        }
        func stop() -> Int {
            flag.signal()
            done.wait()
            return sent
        }
    }

    /// The summary's "Captured N packets".
    private func capturedPackets(_ summary: String) throws -> Int {
        let words = summary.split(separator: " ")
        let index = try XCTUnwrap(words.firstIndex(of: "Captured"), summary)
        return try XCTUnwrap(Int(words[words.index(after: index)]), summary)
    }

    /// The flow to `port` in the saved capture window, via `export flows`.
    private func exportedPackets(toPort port: UInt16) throws -> Int? {
        let exported = try run(["export", "flows", "--format", "json", "--out", "-"])
        XCTAssertEqual(exported.status, 0, exported.standardError)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(exported.standardOutput.utf8)) as? [String: Any])
        let records = try XCTUnwrap(json["records"] as? [[String: Any]])
        return records.first { ($0["responder_port"] as? Int) == Int(port) }?["packets_forward"] as? Int
    }

    func testSIGTERMStopsAScheduleRunWhichIsRecordedAsStoppedWithWhatItCaptured() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        try addWindowJob(seconds: 20, port: port)
        let runner = try start(["schedule", "run", "1"])
        try waitFor("the run") { try lastRun(1)?.outcome == .running }
        let sender = Sender(port: port)
        usleep(1_500_000)
        runner.terminate()  // SIGTERM, about 1.5 s into a 20 s window
        runner.waitUntilExit()
        let sent = sender.stop()

        XCTAssertEqual(runner.terminationStatus, 1, "not a success")
        XCTAssertTrue(errors(of: runner).contains("job 1 stopped: Stopped after"), errors(of: runner))
        let run = try XCTUnwrap(try lastRun(1))
        XCTAssertEqual(run.outcome, .stopped)
        XCTAssertTrue(run.summary.hasPrefix("Stopped after "), run.summary)
        XCTAssertTrue(run.summary.contains(" of 20 s: Captured "), run.summary)
        let finishedAt = try XCTUnwrap(run.finishedAt)
        XCTAssertLessThan(finishedAt.timeIntervalSince(run.startedAt), 10, "it stopped, it did not run the window out")
        let packets = try capturedPackets(run.summary)
        XCTAssertGreaterThan(packets, 0, run.summary)
        XCTAssertLessThanOrEqual(packets, sent)
        XCTAssertEqual(try exportedPackets(toPort: port), packets, "the stopped window's snapshot was saved, with what it captured")
    }

    func testSIGTERMToTheDaemonRecordsItsRunningWindowAsStopped() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        try addWindowJob(seconds: 20, port: port)
        try makeOverdue(1)
        let daemon = try start(["daemon"])
        try waitFor("the daemon's run") { try lastRun(1)?.outcome == .running }
        let sender = Sender(port: port)
        usleep(1_500_000)
        daemon.terminate()
        daemon.waitUntilExit()
        let sent = sender.stop()
        XCTAssertEqual(daemon.terminationStatus, 0, errors(of: daemon))
        XCTAssertTrue(errors(of: daemon).contains("job 1 stopped: Stopped after"), errors(of: daemon))

        let run = try XCTUnwrap(try lastRun(1))
        XCTAssertEqual(run.outcome, .stopped, run.summary)
        let packets = try capturedPackets(run.summary)
        XCTAssertGreaterThan(packets, 0, run.summary)
        XCTAssertLessThanOrEqual(packets, sent)
        XCTAssertEqual(try exportedPackets(toPort: port), packets)
    }

    // MARK: Jobs that could never run

    func testScheduleAddRefusesBadFiltersNeverFiringCronAndUnknownOptions() throws {
        let refusals: [([String], String)] = [
            (["--every", "1h", "--interface", "lo", "--filter", "udp prot 53"], "The capture filter \"udp prot 53\" is not valid BPF syntax"),
            (["--every", "1h", "--interface", "lo", "--option", "filter=tcp and and"], "is not valid BPF syntax"),
            (["--cron", "0 0 31 2 *", "--interface", "lo"], "The cron expression \"0 0 31 2 *\" never fires"),
            (["--cron", "0 0 30 2 *", "--interface", "lo"], "never fires"),
            (["--cron", "0 0 31 4,6,9,11 *", "--interface", "lo"], "never fires"),
            (["--every", "1h", "--interface", "lo", "--option", "second=5"],
             "Unknown option \"second\": capture-window jobs take interface, seconds, filter, pcap-dir, rotate-mb. Did you mean seconds?"),
            (["--every", "1h", "--interface", "lo", "--option", "intrface=eth0"], "Did you mean interface?"),
            (["--every", "1h", "--interface", "lo", "--option", "rotate-mb=inf"], "rotate-mb=inf is not valid"),
        ]
        for (arguments, message) in refusals {
            let added = try run(["schedule", "add", "--kind", "capture-window"] + arguments)
            XCTAssertEqual(added.status, 1, "\(arguments)")
            XCTAssertEqual(added.standardOutput, "", "\(arguments)")
            XCTAssertTrue(added.standardError.contains(message), "\(arguments): \(added.standardError)")
        }
        let scan = try run(["schedule", "add", "--kind", "port-scan", "--every", "1h", "--option", "target=10.0.0.1"])
        XCTAssertEqual(scan.status, 1)
        XCTAssertTrue(scan.standardError.contains("Unknown option \"target\": port-scan jobs take targets, ports. Did you mean targets?"), scan.standardError)
        XCTAssertEqual(try store().all().count, 0, "nothing was added")

        // What does fire is accepted: 29 February (next leap year), a valid filter, known keys.
        let leap = try run(["schedule", "add", "--kind", "capture-window", "--cron", "0 0 29 2 *", "--tz", "UTC", "--interface", "lo",
                            "--filter", "udp port 53", "--option", "rotate-mb=5"])
        XCTAssertEqual(leap.status, 0, leap.standardError)
        XCTAssertTrue(leap.standardOutput.contains("-02-29 00:00"), leap.standardOutput)
        XCTAssertEqual(try run(["schedule", "add", "--kind", "port-scan", "--every", "1h", "--option", "targets=127.0.0.1", "--option", "ports=22"]).status, 0)
        XCTAssertEqual(try store().all().count, 2)
    }
}
