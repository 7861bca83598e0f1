import Foundation
import Packets
import XCTest

/// A real X11 window under Xvfb: `netscouter --read FILE`, a screenshot of the screen, and a
/// check that the window drew something.
final class WindowTests: XCTestCase {
    private var xvfb: Process?
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let xvfb, xvfb.isRunning {
            xvfb.terminate()
            xvfb.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func which(_ tool: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts Xvfb on a free display number; returns ":N".
    private func startXvfb() throws -> String {
        guard let server = which("Xvfb") else { throw XCTSkip("Xvfb is not installed (Debian package xvfb); `make test` installs it.") }
        for number in 91...99 where !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(number)") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: server)
            process.arguments = [":\(number)", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<50 where !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(number)") { usleep(100_000) }
            if process.isRunning {
                xvfb = process
                return ":\(number)"
            }
        }
        throw XCTSkip("Could not start Xvfb on displays :91–:99")
    }

    /// Distinct colours on the X screen, read with xwd (ZPixmap, 32 bits per pixel at depth 24).
    private func screenColours(display: String) throws -> Int {
        guard let xwd = which("xwd") else { throw XCTSkip("xwd is not installed (Debian package x11-apps); `make test` installs it.") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xwd)
        process.arguments = ["-root", "-silent", "-display", display]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let bytes = [UInt8](data)
        func field(_ index: Int) -> Int {
            let offset = index * 4
            return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        guard bytes.count > 100 else { return 0 }
        let headerSize = field(0), bitsPerPixel = field(11), colourCount = field(19)
        XCTAssertEqual(bitsPerPixel, 32)
        let start = headerSize + colourCount * 12
        var colours = Set<UInt32>()
        var offset = start
        while offset + 4 <= bytes.count {
            colours.insert(UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16)
            offset += 4 * 7  // sample every 7th pixel: plenty to tell a drawn window from a blank screen
        }
        return colours.count
    }

    func testDashboardWindowOpensUnderXvfbAndDraws() throws {
        let display = try startXvfb()
        XCTAssertLessThanOrEqual(try screenColours(display: display), 2, "a fresh Xvfb screen is blank")

        let capture = directory.appendingPathComponent("window.pcap").path
        let writer = try PcapFileWriter(path: capture, linkType: .ethernet)
        for index in 0..<200 {
            let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, UInt8(1 + index % 9)), UInt16(40000 + index)),
                                                to: .init(IPAddress(10, 0, 1, 1), 443), transport: index % 3 == 0 ? .udp : .tcp)
            try writer.write(frame, timestamp: 1_700_000_000_000_000_000 + Int64(index) * 50_000_000)
        }
        try writer.close()

        // Preferences from a bigger screen, last closed on the Settings tab: `--read` must open
        // the Dashboard, and the window must fit this 1280×800 screen.
        let preferencesURL = directory.appendingPathComponent("netscouter/window.json")
        try FileManager.default.createDirectory(at: preferencesURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(#"{"width": 4000, "height": 3000, "x": 3000, "y": 2000, "lastTab": "Settings", "theme": "dark"}"#.utf8).write(to: preferencesURL)

        let binary = CommandRun.executable
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("netscouter is not built") }
        let app = Process()
        app.executableURL = binary
        app.arguments = ["--read", capture]
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        environment["SDL_VIDEODRIVER"] = "x11"
        environment["XDG_CONFIG_HOME"] = directory.path  // keep the test's window.json, settings and database out of the user's
        environment["XDG_DATA_HOME"] = directory.path
        app.environment = environment
        let errors = Pipe()
        app.standardError = errors
        app.standardOutput = FileHandle.nullDevice
        try app.run()
        defer { if app.isRunning { app.terminate() } }

        var colours = 0
        for _ in 0..<100 {
            usleep(100_000)
            colours = try screenColours(display: display)
            if colours > 20 || !app.isRunning { break }
        }
        XCTAssertTrue(app.isRunning, "netscouter exited: \(String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))")
        XCTAssertGreaterThan(colours, 20, "the window should show the dashboard, not a blank screen")

        // SIGINT is SDL's quit request: the window closes cleanly and saves its preferences.
        kill(app.processIdentifier, SIGINT)
        app.waitUntilExit()
        XCTAssertEqual(app.terminationStatus, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: preferencesURL.path))
        let reopened = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: preferencesURL)) as? [String: Any])
        XCTAssertEqual(reopened["lastTab"] as? String, "Dashboard", "--read opens the Dashboard, whatever tab was open last")
        let width = try XCTUnwrap(reopened["width"] as? Int), height = try XCTUnwrap(reopened["height"] as? Int)
        XCTAssertLessThanOrEqual(width, 1280, "the saved 4000 px width was clamped to the screen")
        XCTAssertLessThanOrEqual(height, 800)
        XCTAssertLessThanOrEqual((reopened["x"] as? Int ?? 0) + width, 1280, "the window is on the screen")
    }
}
