import Foundation
import NetScouterTestSupport
import XCTest

/// The command line against files that end early or hold extreme values: it reports what it
/// could read, says what it could not, exits with a status a script can test, and never traps.
final class PartialFileCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-partial-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static let corpusURL: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/corpus").standardizedFileURL

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// tcpdump's count of the packets before its error.
    private func tcpdumpCount(_ path: String) throws -> Int {
        let tcpdump: String
        do { tcpdump = try ExternalTools.require("tcpdump", package: "tcpdump") } catch { throw XCTSkip("\(error)") }
        let run = try ExternalTools.run(tcpdump, ["--count", "-r", path])
        XCTAssertNotEqual(run.status, 0, "tcpdump should stop with an error on \(path)")
        return Int(run.standardOutput.split(separator: " ").first ?? "") ?? -1
    }

    /// A corpus file cut in the middle of a record, and one with garbage appended.
    private func damagedFiles() throws -> [String] {
        let http = Self.corpusURL.appendingPathComponent("dpkt/http.pcap").path
        let pcapng = Self.corpusURL.appendingPathComponent("gopacket/pcapng-le/test010.pcapng").path
        guard let httpBytes = FileManager.default.contents(atPath: http),
              let pcapngBytes = FileManager.default.contents(atPath: pcapng) else {
            throw XCTSkip("The capture corpus is not present at \(Self.corpusURL.path).")
        }
        let cut = directory.appendingPathComponent("cut.pcap").path
        try httpBytes.prefix(httpBytes.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let garbage = directory.appendingPathComponent("garbage.pcapng").path
        try (pcapngBytes + Data([0x06, 0, 0, 0, 0x40, 0, 0, 0, 0xAA, 0xBB, 0xCC])).write(to: URL(fileURLWithPath: garbage))
        return [Self.corpusURL.appendingPathComponent("dpkt/truncated_dns_2.pcap").path, cut, garbage]
    }

    func testPartialFilesAreReportedUpToTheErrorWithExitStatusThree() throws {
        for path in try damagedFiles() {
            let expected = try tcpdumpCount(path)
            XCTAssertGreaterThan(expected, 0, path)

            let report = try CommandRun.netscouter(["capture", "--read", path, "--json"])
            XCTAssertEqual(report.status, 3, report.standardError)
            let document = try json(report.standardOutput)
            XCTAssertEqual(document["packets"] as? Int, expected, path)
            XCTAssertEqual(document["complete"] as? Bool, false, path)
            let error = try XCTUnwrap(document["error"] as? String, path)
            XCTAssertTrue(error.contains("stopped after \(expected) packet"), error)
            XCTAssertTrue(error.contains("readable up to byte"), error)
            XCTAssertTrue(report.standardError.contains("netscouter: warning: Reading \(path) stopped after \(expected)"), report.standardError)

            let text = try CommandRun.netscouter(["capture", "--read", path])
            XCTAssertEqual(text.status, 3)
            XCTAssertTrue(text.standardOutput.contains("Packets:  \(expected) "), text.standardOutput)
            XCTAssertTrue(text.standardOutput.contains("INCOMPLETE"), text.standardOutput)
            XCTAssertTrue(text.standardError.contains("stopped after \(expected) packet"), text.standardError)

            let flows = try CommandRun.netscouter(["export", "flows", "--read", path, "--format", "json", "--out", "-"])
            XCTAssertEqual(flows.status, 3, flows.standardError)
            let envelope = try json(flows.standardOutput)
            XCTAssertEqual(envelope["complete"] as? Bool, false)
            XCTAssertTrue((envelope["error"] as? String)?.contains("stopped after \(expected) packet") == true)
            XCTAssertGreaterThan((envelope["records"] as? [Any])?.count ?? 0, 0)

            let out = directory.appendingPathComponent("hosts.csv").path
            let hosts = try CommandRun.netscouter(["export", "hosts", "--read", path, "--out", out])
            XCTAssertEqual(hosts.status, 3, hosts.standardError)
            XCTAssertTrue(hosts.standardError.contains("stopped after \(expected) packet"), hosts.standardError)
            XCTAssertGreaterThan(try String(contentsOfFile: out, encoding: .utf8).split(whereSeparator: \.isNewline).count, 1)
        }
    }

    func testCompleteFilesSayCompleteAndExitZero() throws {
        let path = Self.corpusURL.appendingPathComponent("dpkt/http.pcap").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("corpus missing") }
        let report = try CommandRun.netscouter(["capture", "--read", path, "--json"])
        XCTAssertEqual(report.status, 0, report.standardError)
        XCTAssertEqual(try json(report.standardOutput)["complete"] as? Bool, true)
        XCTAssertNil(try json(report.standardOutput)["error"])
        let flows = try CommandRun.netscouter(["export", "flows", "--read", path, "--format", "json", "--out", "-"])
        XCTAssertEqual(flows.status, 0)
        XCTAssertEqual(try json(flows.standardOutput)["complete"] as? Bool, true)
    }

    func testHelpDocumentsTheExitStatuses() throws {
        // Help text is wrapped to the terminal: compare with the whitespace collapsed.
        func help(_ arguments: [String]) throws -> String {
            try CommandRun.netscouter(arguments).standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        XCTAssertTrue(try help(["--help"]).contains("3 a capture file (--read) was damaged or truncated part-way"))
        XCTAssertTrue(try help(["capture", "--help"]).contains("exit status 3"))
        XCTAssertTrue(try help(["export", "--help"]).contains("exit status 3"))
    }

    /// Timestamps at 0, past 2262 and at the largest tick counts, through every command that reads
    /// a file: each finishes (no signal) with status 0, and the times it prints are clamped.
    func testExtremeTimestampsThroughEveryReadCommand() throws {
        guard FileManager.default.isExecutableFile(atPath: CommandRun.executable.path) else { throw XCTSkip("netscouter is not built") }
        let files = try ExtremeTimestampFiles.write(into: directory)
        let data = directory.appendingPathComponent("data").path
        var commands: [(file: String, arguments: [String])] = []
        for (index, path) in files.enumerated() {
            let name = URL(fileURLWithPath: path).lastPathComponent
            commands.append((name, ["capture", "--read", path, "--json"]))
            commands.append((name, ["export", "flows", "--read", path, "--format", "ndjson", "--out", "-"]))
            commands.append((name, ["export", "hosts", "--read", path, "--format", "csv", "--out", "-"]))
            // The window's path (capture session, aggregates, every table drawn): one table per
            // file, all three for the mixed-interface one.
            let tables = name.contains("mixed") ? ["flows", "hosts", "packets"] : [["flows", "hosts", "packets"][index % 3]]
            for table in tables {
                let shot = directory.appendingPathComponent("shot-\(index)-\(table).png").path
                commands.append((name, ["screenshot", "--read", path, "--out", shot, "--size", "640x400", "--table", table, "--data-dir", data]))
            }
        }
        let planned = commands
        // Two at a time (two cores); each is a separate process, so they cannot disturb each other.
        final class Results: @unchecked Sendable { var runs: [ExternalTools.Result?]; init(_ n: Int) { runs = Array(repeating: nil, count: n) } }
        let results = Results(commands.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: commands.count) { index in
            let run = try? ExternalTools.run(CommandRun.executable.path, planned[index].arguments)
            lock.withLock { results.runs[index] = run }
        }
        for (index, command) in commands.enumerated() {
            let label = "\(command.file): \(command.arguments.prefix(2).joined(separator: " "))"
            guard let run = results.runs[index] else { XCTFail("\(label) did not run"); continue }
            XCTAssertFalse(run.signaled, "\(label) was killed by signal \(run.status): \(run.standardError)")
            XCTAssertEqual(run.status, 0, "\(label): \(run.standardError)")
            switch command.arguments[0] {
            case "capture":
                let packets = try json(run.standardOutput)["packets"] as? Int
                XCTAssertEqual(packets, command.file.hasSuffix(".pcap") ? 4 : command.file.contains("mixed") ? 10 : 5, label)
            case "export":
                XCTAssertFalse(run.standardOutput.isEmpty, label)
            default:
                break
            }
        }
    }
}

/// Every numeric option of every command with `inf`, `nan`, `-1`, `0` and `1e300`: no crash
/// (never a signal), a message on stderr that names the option and its accepted range, and a
/// non-zero exit where the value is invalid.
final class NumericOptionTests: XCTestCase {
    struct Case {
        var arguments: [String]
        var option: String
        /// Goes before the value (`--option rotate-mb=VALUE`).
        var valuePrefix = ""
        /// Values the option accepts (the command then runs normally).
        var valid: Set<String> = []
        /// What the message says (the range).
        var message: String
    }

    func testEveryNumericOptionRejectsNonFiniteAndOutOfRangeValuesWithItsRange() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-numeric-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try ExtremeTimestampFiles.write(into: directory).first { $0.hasSuffix("us.pcap") }!
        let data = ["--data-dir", directory.appendingPathComponent("data").path]
        let png = directory.appendingPathComponent("out.png").path
        let cases: [Case] = [
            Case(arguments: ["capture", "--read", file, "--replay"], option: "--duration", message: "from 0.001 to 31536000"),
            Case(arguments: ["capture", "--read", file], option: "--count", message: "from 1 to 9223372036854775807"),
            Case(arguments: ["capture", "--read", file], option: "--top", valid: ["0"], message: "from 0 to 100000"),
            Case(arguments: ["capture", "--read", file], option: "--snaplen", message: "from 1 to 262144"),
            Case(arguments: ["capture", "--read", file, "--write", directory.appendingPathComponent("w.pcap").path], option: "--rotate-mb",
                 message: "from 1 to 1048576"),
            Case(arguments: ["daemon"] + data, option: "--rotate-mb", message: "from 1 to 1048576"),
            Case(arguments: ["daemon"] + data, option: "--snapshot-every", message: "from 10 to 604800"),
            Case(arguments: ["daemon"] + data, option: "--reload-every", message: "from 1 to 86400"),
            Case(arguments: ["gui"] + data, option: "--rotate", message: "from 1 to 3600"),
            Case(arguments: ["gui", "--kiosk"] + data, option: "--scale", message: "from 0.5 to 4"),
            Case(arguments: ["screenshot", "--out", png] + data, option: "--scale", message: "from 0.5 to 4"),
            Case(arguments: ["screenshot", "--out", png] + data, option: "--size", message: "from 320x240 to 7680x4320"),
            Case(arguments: ["icon", "--out", png], option: "--size", message: "from 16 to 2048"),
            Case(arguments: ["schedule", "add", "--kind", "capture-window", "--interface", "lo"] + data, option: "--seconds",
                 message: "from 1 to 86400"),
            Case(arguments: ["schedule", "add", "--kind", "capture-window", "--interface", "lo"] + data, option: "--every",
                 message: "interval"),
            Case(arguments: ["schedule", "add", "--kind", "capture-window", "--every", "1h", "--interface", "lo"] + data, option: "--option",
                 valuePrefix: "rotate-mb=", message: "from 1 to 1000000"),
            Case(arguments: ["schedule", "add", "--kind", "capture-window", "--every", "1h", "--interface", "lo"] + data, option: "--option",
                 valuePrefix: "seconds=", message: "1 to 86400"),
        ]
        // No display: `gui` with a valid value would stop at "No display" rather than open a window.
        var withoutDisplay = ProcessInfo.processInfo.environment
        withoutDisplay["DISPLAY"] = nil
        withoutDisplay["WAYLAND_DISPLAY"] = nil
        let environment = withoutDisplay
        guard FileManager.default.isExecutableFile(atPath: CommandRun.executable.path) else { throw XCTSkip("netscouter is not built") }
        let values = ["inf", "nan", "-1", "0", "1e300"]
        let runs = cases.flatMap { testCase in values.map { (testCase, $0) } }
        // Most runs stop at argument parsing; run them two at a time (the machine has two cores).
        final class Results: @unchecked Sendable { var runs: [ExternalTools.Result?]; init(_ n: Int) { runs = Array(repeating: nil, count: n) } }
        let results = Results(runs.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: runs.count) { index in
            let (testCase, value) = runs[index]
            let run = try? ExternalTools.run(CommandRun.executable.path, testCase.arguments + [testCase.option, testCase.valuePrefix + value],
                                             environment: environment)
            lock.withLock { results.runs[index] = run }
        }
        for (index, (testCase, value)) in runs.enumerated() {
            do {
                let arguments = testCase.arguments + [testCase.option, testCase.valuePrefix + value]
                let label = arguments.joined(separator: " ")
                guard let run = results.runs[index] else { XCTFail("\(label) did not run"); continue }
                XCTAssertFalse(run.signaled, "\(label) was killed by signal \(run.status): \(run.standardError)")
                if testCase.valid.contains(value) {
                    XCTAssertEqual(run.status, 0, "\(label): \(run.standardError)")
                    continue
                }
                XCTAssertNotEqual(run.status, 0, label)
                XCTAssertTrue(run.standardError.contains(testCase.message), "\(label): \(run.standardError)")
                XCTAssertFalse(run.standardError.contains("Missing value"), "\(label): \(run.standardError)")
                XCTAssertTrue(run.standardError.contains(value), "\(label) should quote the value: \(run.standardError)")
            }
        }
    }
}
