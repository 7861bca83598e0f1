import Foundation
import NetScouterTestSupport
import Packets
import Store
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `schedule`, `export` and `daemon` through the real binary, against a database in a temp folder.
final class ScheduleAndExportCommandTests: XCTestCase {
    private var directory: URL!
    private var dataDir: String { directory.appendingPathComponent("data").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ arguments: [String]) throws -> CommandRun {
        try CommandRun.netscouter(arguments + ["--data-dir", dataDir])
    }

    private func tool(_ name: String) throws -> String {
        for folder in ["/usr/bin/", "/usr/local/bin/"] where FileManager.default.isExecutableFile(atPath: folder + name) { return folder + name }
        throw XCTSkip("\(name) is not installed; `make test` installs it.")
    }

    private func shell(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(executable) \(arguments)")
        return String(decoding: data, as: UTF8.self)
    }

    func testScheduleAddListRunRemove() throws {
        let added = try run(["schedule", "add", "--kind", "capture-window", "--every", "30m", "--interface", "lo", "--seconds", "1", "--name", "Loopback sample"])
        XCTAssertEqual(added.status, 0, added.standardError)
        XCTAssertTrue(added.standardOutput.contains("Added job 1: Loopback sample"), added.standardOutput)
        let scan = try run(["schedule", "add", "--kind", "reputation-refresh", "--cron", "0 3 * * 1-5", "--tz", "UTC"])
        XCTAssertEqual(scan.status, 0, scan.standardError)

        let badCron = try run(["schedule", "add", "--kind", "capture-window", "--cron", "61 * * * *", "--interface", "lo"])
        XCTAssertEqual(badCron.status, 1)
        XCTAssertTrue(badCron.standardError.contains("minute must be 0–59 (got 61)"), badCron.standardError)
        let noInterface = try run(["schedule", "add", "--kind", "capture-window", "--every", "1h"])
        XCTAssertEqual(noInterface.status, 1)
        XCTAssertTrue(noInterface.standardError.contains("needs the option interface"), noInterface.standardError)

        let list = try run(["schedule", "list", "--json"])
        XCTAssertEqual(list.status, 0, list.standardError)
        let jobs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(list.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertEqual(jobs.count, 2)
        XCTAssertEqual(jobs[0]["trigger"] as? String, "every 1800")
        XCTAssertEqual(jobs[1]["trigger"] as? String, "cron 0 3 * * 1-5")
        XCTAssertNotNil(jobs[0]["nextRun"] as? String)

        // A reputation refresh with no API key fails honestly and says which keys to set.
        let noKeys = try run(["schedule", "run", "2"])
        XCTAssertEqual(noKeys.status, 1)
        XCTAssertTrue(noKeys.standardError.contains("No reputation API key is set"), noKeys.standardError)

        XCTAssertEqual(try run(["schedule", "remove", "2"]).status, 0)
        let missing = try run(["schedule", "remove", "2"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.standardError.contains("There is no scheduled job 2"), missing.standardError)
    }

    /// A capture file with tricky host names is not possible (addresses are numbers), so the CSV
    /// checks here are about shape; the quoting and formula rules have their own tests in ExportTests.
    func testExportFlowsAndHostsFromAFileInEveryFormat() throws {
        let capture = directory.appendingPathComponent("export.pcap").path
        let writer = try PcapFileWriter(path: capture, linkType: .ethernet)
        for index in 0..<30 {
            let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, UInt8(1 + index % 10 % 3)), UInt16(40000 + index % 10)),
                                                to: .init(IPAddress(10, 0, 1, 1), 443), transport: .tcp, payload: [UInt8](repeating: 1, count: index))
            try writer.write(frame, timestamp: 1_700_000_000_000_000_000 + Int64(index) * 1_000_000)
        }
        try writer.close()

        let csvPath = directory.appendingPathComponent("flows.csv").path
        let csv = try run(["export", "flows", "--read", capture, "--out", csvPath])
        XCTAssertEqual(csv.status, 0, csv.standardError)
        let python = try tool("python3")
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try shell(python, ["-c",
            "import csv,sys,json; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))", csvPath]).utf8)) as? [[String]])
        XCTAssertEqual(rows.first?.first, "Protocol")
        XCTAssertEqual(rows.count, 1 + 10, "a header and one row per flow (10 client ports)")
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0[0] == "TCP" && $0[3] == "10.0.1.1" && $0[4] == "443" })

        let jq = try tool("jq")
        let jsonPath = directory.appendingPathComponent("hosts.json").path
        XCTAssertEqual(try run(["export", "hosts", "--read", capture, "--format", "json", "--out", jsonPath]).status, 0)
        XCTAssertEqual(try shell(jq, ["-e", ".count", jsonPath]).trimmingCharacters(in: .whitespacesAndNewlines), "4")
        XCTAssertEqual(try shell(jq, ["-r", ".records[0].address", jsonPath]).trimmingCharacters(in: .whitespacesAndNewlines), "10.0.1.1")

        let ndjsonPath = directory.appendingPathComponent("flows.ndjson").path
        XCTAssertEqual(try run(["export", "flows", "--read", capture, "--out", ndjsonPath]).status, 0, "format from the extension")
        XCTAssertEqual(try shell(jq, ["-s", "length", ndjsonPath]).trimmingCharacters(in: .whitespacesAndNewlines), "10")

        let bad = try run(["export", "flows", "--read", capture, "--format", "xml", "--out", csvPath])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("choose csv, json or ndjson"), bad.standardError)
        let empty = try run(["export", "scans", "--out", directory.appendingPathComponent("scans.csv").path])
        XCTAssertEqual(empty.status, 0, empty.standardError)
    }

    /// The daemon runs a due 2-second capture-window job on lo, records the run and the snapshot,
    /// and exits cleanly on SIGTERM.
    func testDaemonRunsACaptureWindowJobAndStopsOnSIGTERM() throws {
        // Traffic for the window: datagrams to a port this test bound on 127.0.0.1.
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }

        let added = try run(["schedule", "add", "--kind", "capture-window", "--every", "1h", "--interface", "lo", "--seconds", "2",
                             "--filter", "udp port \(port)"])
        XCTAssertEqual(added.status, 0, added.standardError)
        // Make the job overdue, as if the machine had been off: the daemon runs it once at start-up.
        let database = try NetScouterDatabase(directory: URL(fileURLWithPath: dataDir))
        let store = ScheduleStore(database: database)
        var job = try XCTUnwrap(try store.schedule(id: 1))
        job.nextRunAt = Date().addingTimeInterval(-3 * 3600)
        try store.update(job)

        let daemon = Process()
        daemon.executableURL = CommandRun.executable
        daemon.arguments = ["daemon", "--data-dir", dataDir]
        let log = Pipe()
        daemon.standardError = log
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        let sender = LoopbackSockets.UDPSender()
        var finished: JobRunRecord?
        for _ in 0..<100 {
            sender.send(Array("ping".utf8), to: port)
            usleep(100_000)
            if let run = try store.lastRun(forJob: 1), run.finishedAt != nil { finished = run; break }
        }
        let run = try XCTUnwrap(finished, "the overdue job should have run and finished")
        XCTAssertEqual(run.outcome, .succeeded, run.summary)
        XCTAssertTrue(run.summary.hasPrefix("Captured "), run.summary)
        XCTAssertFalse(run.summary.hasPrefix("Captured 0 packets"), "the window saw the test's datagrams: \(run.summary)")
        XCTAssertEqual(try store.runs(forJob: 1).count, 1, "three missed hours coalesce into one run")
        XCTAssertNotNil(try SnapshotStore(database: database).latest(kind: .flows))

        // A second daemon on the same database must not run the same jobs again.
        let second = try self.run(["daemon"])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.standardError.contains("already runs the scheduled jobs"), second.standardError)
        XCTAssertTrue(second.standardError.contains("pid \(daemon.processIdentifier)"), second.standardError)

        daemon.terminate()  // SIGTERM
        daemon.waitUntilExit()
        XCTAssertEqual(daemon.terminationStatus, 0)
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("received SIGTERM"), text)
        XCTAssertTrue(text.contains("stopped cleanly"), text)
        XCTAssertEqual(try database.integrityCheck(), "ok")

        // `export flows` now reads that capture window from the database.
        let exported = try self.run(["export", "flows", "--format", "ndjson", "--out", "-"])
        XCTAssertEqual(exported.status, 0, exported.standardError)
        XCTAssertTrue(exported.standardOutput.contains("\"responder_port\":\(port)"), exported.standardOutput)
    }
}

extension ScheduleAndExportCommandTests {
    /// `daemon --capture lo --pcap-dir`: packets to the test's own port end up in a pcap file and,
    /// at SIGTERM, in the snapshot `export flows` reads.
    func testDaemonContinuousCaptureRecordsAndSnapshotsOnStop() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        let pcapFolder = directory.appendingPathComponent("pcap").path
        let (daemon, log, started) = try startCapturingDaemon(["--filter", "udp port \(port)", "--pcap-dir", pcapFolder])
        defer { if daemon.isRunning { daemon.terminate() } }
        var text = started
        let sender = LoopbackSockets.UDPSender()
        for _ in 0..<20 { sender.send(Array("sample".utf8), to: port) }
        usleep(300_000)
        daemon.terminate()
        daemon.waitUntilExit()
        text += String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(daemon.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("capture stopped: 20 packets"), text)

        let files = try FileManager.default.contentsOfDirectory(atPath: pcapFolder).filter { $0.hasSuffix(".pcap") }
        XCTAssertEqual(files.count, 1, "\(files)")
        XCTAssertTrue(files[0].hasPrefix("netscouter-lo-"), files[0])
        let exported = try run(["export", "flows", "--format", "json", "--out", "-"])
        XCTAssertEqual(exported.status, 0, exported.standardError)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(exported.standardOutput.utf8)) as? [String: Any])
        let records = try XCTUnwrap(json["records"] as? [[String: Any]])
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(records.first?["responder_port"] as? Int, Int(port))
        XCTAssertEqual(records.first?["packets_forward"] as? Int, 20)
    }
}

extension ScheduleAndExportCommandTests {
    /// Starts `daemon --capture lo` with `arguments` and waits for "capturing on lo", so nothing
    /// the test sends predates the capture. Returns the process, its stderr and what it logged.
    func startCapturingDaemon(_ arguments: [String]) throws -> (Process, Pipe, String) {
        let daemon = Process()
        daemon.executableURL = CommandRun.executable
        daemon.arguments = ["daemon", "--data-dir", dataDir, "--capture", "lo"] + arguments
        let log = Pipe()
        daemon.standardError = log
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        var text = ""
        for _ in 0..<100 where !text.contains("capturing on lo") {
            usleep(50_000)
            text += String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
        }
        XCTAssertTrue(text.contains("capturing on lo"), text)
        return (daemon, log, text)
    }

    /// Many flows in one continuous capture: at SIGTERM the final window holds every one of
    /// them (none lost to the snapshot reset), and the flow history in the database too.
    func testDaemonFinalWindowAndFlowHistoryHoldEveryFlow() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        let (daemon, log, started) = try startCapturingDaemon(["--filter", "udp and dst port \(port)"])
        defer { if daemon.isRunning { daemon.terminate() } }
        var text = started
        // Each sender is a new socket, so a new source port and a new flow. They stay open until
        // the end: a closed socket's port could be handed to a later one (the same flow again).
        let flows = 3_000
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4_096 {
            limit.rlim_cur = min(4_096, limit.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        var senders: [LoopbackSockets.UDPSender] = []
        for index in 0..<flows {
            let sender = LoopbackSockets.UDPSender()
            XCTAssertGreaterThanOrEqual(sender.descriptor, 0, "out of file descriptors")
            sender.send(Array("flow \(index)".utf8), to: port)
            senders.append(sender)
            if index % 500 == 499 { usleep(20_000) }  // let the capture keep up; nothing needs to be lost
        }
        usleep(500_000)
        daemon.terminate()
        daemon.waitUntilExit()
        text += String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(daemon.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("capture stopped: \(flows) packets, \(flows) finished flows in the store"), text)

        let window = try run(["export", "flows", "--format", "ndjson", "--out", "-"])
        XCTAssertEqual(window.status, 0, window.standardError)
        let windowRows = window.standardOutput.split(separator: "\n")
        XCTAssertEqual(windowRows.count, flows, "the final window holds every flow")
        XCTAssertTrue(windowRows.allSatisfy { $0.contains("\"end\":\"capture_end\"") })
        let history = try run(["export", "flows", "--history", "--format", "ndjson", "--out", "-"])
        XCTAssertEqual(history.status, 0, history.standardError)
        let historyRows = history.standardOutput.split(separator: "\n")
        XCTAssertEqual(historyRows.count, flows, "the flow history holds every flow")
        XCTAssertEqual(Set(historyRows.map { String($0) }).count, flows)
        withExtendedLifetime(senders) {}
    }

    /// A job added with `schedule add` while the daemon runs is picked up without a restart.
    func testDaemonPicksUpJobsAddedWhileItRuns() throws {
        let daemon = Process()
        daemon.executableURL = CommandRun.executable
        daemon.arguments = ["daemon", "--data-dir", dataDir, "--reload-every", "1"]
        daemon.standardError = FileHandle.nullDevice
        daemon.standardOutput = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
        usleep(500_000)
        XCTAssertEqual(try run(["schedule", "add", "--kind", "reputation-refresh", "--every", "1h"]).status, 0)
        // Make it due now; the daemon sees it at its next reload and runs it (a kind without an
        // engine, so the run fails quickly and says why).
        let database = try NetScouterDatabase(directory: URL(fileURLWithPath: dataDir))
        let store = ScheduleStore(database: database)
        var last: JobRunRecord?
        for attempt in 0..<100 where last?.finishedAt == nil {
            // (Re)make it overdue: the daemon may first see the new job and write its own next run
            // time just after ours; the next reload then finds it due.
            if attempt % 20 == 0 && last == nil {
                var job = try XCTUnwrap(try store.schedule(id: 1))
                job.nextRunAt = Date().addingTimeInterval(-60)
                try store.update(job)
            }
            usleep(100_000)
            last = try store.lastRun(forJob: 1)
        }
        XCTAssertEqual(last?.outcome, .failed)
        XCTAssertTrue(last?.summary.contains("No reputation API key is set") ?? false, last?.summary ?? "no run")
    }
}

final class CaptureWriteTests: XCTestCase {
    /// `capture --write` saves a pcap that tcpdump reads with the same packet count.
    func testCaptureWritesAPcapThatTcpdumpReads() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") || FileManager.default.isExecutableFile(atPath: "/usr/sbin/tcpdump") else {
            throw XCTSkip("tcpdump is not installed; `make test` installs it.")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.pcap").path
        let writer = try PcapFileWriter(path: input, linkType: .ethernet)
        for index in 0..<120 {
            try writer.write(FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 5000), to: .init(IPAddress(10, 0, 0, 2), UInt16(index % 2 == 0 ? 53 : 80)),
                                                     transport: index % 2 == 0 ? .udp : .tcp),
                             timestamp: 1_700_000_000_000_000_000 + Int64(index) * 1000)
        }
        try writer.close()
        let output = directory.appendingPathComponent("out.pcap").path
        let run = try CommandRun.netscouter(["capture", "--read", input, "--filter", "udp", "--write", output])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertTrue(run.standardError.contains("Saved 60 packets to \(output)"), run.standardError)
        let tcpdump = Process()
        tcpdump.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") ? "/usr/bin/tcpdump" : "/usr/sbin/tcpdump")
        tcpdump.arguments = ["-nr", output]
        let pipe = Pipe()
        tcpdump.standardOutput = pipe
        tcpdump.standardError = FileHandle.nullDevice
        try tcpdump.run()
        let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        tcpdump.waitUntilExit()
        XCTAssertEqual(lines.count, 60)
        XCTAssertTrue(lines.allSatisfy { $0.contains("UDP") || $0.contains(".53:") }, "\(lines.prefix(3))")
    }
}
