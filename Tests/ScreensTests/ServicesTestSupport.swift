import Foundation
import Jobs
import Schedule
import Screens
import Store
import UI
import XCTest

/// A real store in a temporary directory: the database, its writer, a secrets file under a
/// temporary XDG_CONFIG_HOME, and the schedule service, bundled as the GUI bundles them.
final class ServicesFixture {
    let directory: URL
    let database: NetScouterDatabase
    let writer: StoreWriter
    let secrets: SecretsFile
    let service: ScheduleService
    let scheduler: Scheduler?

    init(scheduler makeScheduler: (NetScouterDatabase) -> Scheduler? = { _ in nil }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-screens-\(UUID().uuidString)")
        let dataDirectory = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        database = try NetScouterDatabase(directory: dataDirectory)
        writer = StoreWriter(database: database)
        secrets = SecretsFile(url: directory.appendingPathComponent("config/netscouter/secrets.json"))
        service = ScheduleService(database: database)
        scheduler = makeScheduler(database)
    }

    var dataDirectory: URL { directory.appendingPathComponent("data") }

    var services: AppServices {
        AppServices(database: database, writer: writer, secrets: secrets, scheduleService: service, scheduler: scheduler, environment: [:])
    }

    /// A second connection, as another process would see the store.
    func freshDatabase() throws -> NetScouterDatabase {
        try NetScouterDatabase(directory: dataDirectory)
    }

    func tearDown() {
        scheduler?.stop()
        writer.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs frames (the inbox is drained at the start of each) until `condition` holds, at most
/// `frames` of them. No timing assertions: only a bound so a broken worker cannot hang the test.
@discardableResult
func runFrames(_ harness: UIHarness, upTo frames: Int = 1000, until condition: () -> Bool) -> Bool {
    for _ in 0..<frames {
        if condition() { return true }
        harness.frame()
        usleep(2000)
    }
    return condition()
}

extension UIHarness {
    /// Clicks a text field, selects what it holds and types `text` over it.
    func replaceText(in path: String, with text: String) {
        click(path)
        press(.character("a"), modifiers: .control)
        type(text)
    }

    /// Every string the last frame drew.
    var drawnTexts: [String] {
        ui.drawList.commands.compactMap { command in
            if case let .text(text, _, _, _) = command { return text }
            return nil
        }
    }

    func toastContaining(_ fragment: String) -> String? {
        ui.visibleToasts.first { $0.contains(fragment) }
    }
}

/// Parses a CSV file with Python's csv module and returns its records.
func pythonCSVRecords(_ path: String) throws -> [[String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", """
        import csv, json, sys
        with open(sys.argv[1], newline='', encoding='utf-8') as f:
            print(json.dumps(list(csv.reader(f))))
        """, path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CSVParseFailure(path: path) }
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String]])
}

struct CSVParseFailure: Error, CustomStringConvertible {
    let path: String
    var description: String { "python3's csv module could not parse \(path)" }
}

/// Frames until the shell's capture has finished reading and its ring is drained (a file read
/// in the background), then two more so the tables show the final state.
func runUntilCaptureFinished(_ shell: AppShell, _ harness: UIHarness, file: StaticString = #filePath, line: UInt = #line) {
    harness.frame()
    var frames = 0
    while shell.capture.isCapturing || (shell.capture.session?.ring.count ?? 0) > 0 {
        harness.frame()
        frames += 1
        if frames > 2000 { return XCTFail("capture never finished", file: file, line: line) }
        usleep(1000)
    }
    harness.frames(2)
}
