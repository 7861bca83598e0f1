import Export
import Foundation
import XCTest

/// A fresh folder under the system temporary directory, removed by `remove()` in tearDown.
struct TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Names in the folder, sorted (hidden temporary files included).
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }

    func remove() {
        // Folders a test made read-only must be writable again before they can be removed.
        chmod(path, 0o755)
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs command-line tools the acceptance criteria name (python3, jq, tcpdump).
enum ExternalTool {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// The tool's full path, or an XCTSkip that says what to install.
    static func locate(_ name: String, package: String) throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"]
        for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
            return folder + "/" + name
        }
        throw XCTSkip("\(name) is not installed; install it with `sudo apt-get install \(package)` to run this test.")
    }

    /// Runs `executable` with `arguments` and waits; standard output and error go through files so
    /// a chatty tool cannot fill a pipe and stall.
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let folder = try TemporaryFolder("tool")
        defer { folder.remove() }
        let outputPath = folder.file("stdout"), errorPath = folder.file("stderr")
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
              FileManager.default.createFile(atPath: errorPath, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: folder.path])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        try output.close()
        try errors.close()
        return Result(status: process.terminationStatus,
                      output: try String(contentsOfFile: outputPath, encoding: .utf8),
                      errors: try String(contentsOfFile: errorPath, encoding: .utf8))
    }

    /// Runs a tool that must succeed, and returns its standard output.
    static func output(_ executable: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run(executable, arguments)
        XCTAssertEqual(result.status, 0, "\(executable) \(arguments.joined(separator: " ")) failed: \(result.errors)", file: file, line: line)
        return result.output
    }

    /// Parses JSON text printed by a tool (jq, python) into Foundation values.
    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}
