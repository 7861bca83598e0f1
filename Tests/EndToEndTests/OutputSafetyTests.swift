import Foundation
import NetScouterTestSupport
import Packets
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real binary writing to destinations that are not regular files: `--out` and `--write` on
/// device nodes and FIFOs, and standard output that cannot be written. Device nodes are made with
/// mknod in the test's own folder (root, as CI runs); the system's /dev is never written.
final class OutputSafetyTests: XCTestCase {
    private var directory: URL!
    private var capture: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        capture = directory.appendingPathComponent("in.pcap").path
        let writer = try PcapFileWriter(path: capture, linkType: .ethernet)
        for index in 0..<40 {
            try writer.write(FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), UInt16(5000 + index % 4)), to: .init(IPAddress(10, 0, 0, 2), 53),
                                                     transport: .udp, payload: [UInt8](repeating: 7, count: 20)),
                             timestamp: 1_700_000_000_000_000_000 + Int64(index) * 1000)
        }
        try writer.close()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func device(_ name: String, _ numbers: (major: UInt32, minor: UInt32)) throws -> String {
        let node = path(name)
        guard DeviceNodes.make(at: node, major: numbers.major, minor: numbers.minor) else {
            throw XCTSkip("mknod needs root (CI runs the tests as root)")
        }
        return node
    }

    /// Runs netscouter with standard output going to `outputPath` (opened for writing, as the
    /// shell's `>` does) and returns (status, stderr).
    private func run(_ arguments: [String], standardOutputTo outputPath: String) throws -> (status: Int32, standardError: String) {
        let process = Process()
        process.executableURL = CommandRun.executable
        process.arguments = arguments
        let output = try XCTUnwrap(FileHandle(forWritingAtPath: outputPath))
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try output.close()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// Reads a FIFO to its end on a thread; `wait()` returns what arrived.
    private final class FIFOReader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ path: String) {
            Thread { [self] in
                if let handle = FileHandle(forReadingAtPath: path) { data = handle.readDataToEndOfFile() }
                done.signal()
            }.start()
        }
        func wait() -> Data? { done.wait(timeout: .now() + 20) == .success ? data : nil }
    }

    func testExportOutOnANullDeviceWritesInPlaceAndKeepsTheNode() throws {
        let null = try device("nulldev", DeviceNodes.null)
        for format in ["csv", "json", "ndjson"] {
            let run = try CommandRun.netscouter(["export", "flows", "--read", capture, "--format", format, "--out", null])
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssertTrue(run.standardError.contains("Exported 4 flows to \(null)"), run.standardError)
        }
        XCTAssertEqual(DeviceNodes.type(of: null), S_IFCHR, "still a character device, not a regular file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["in.pcap", "nulldev"], "no temporary file left")
    }

    func testExportOutOnAFullDeviceFailsWithTheReason() throws {
        let full = try device("fulldev", DeviceNodes.full)
        let run = try CommandRun.netscouter(["export", "hosts", "--read", capture, "--out", full])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.standardOutput, "")
        XCTAssertTrue(run.standardError.contains("Writing \(full) failed: No space left on device"), run.standardError)
        XCTAssertEqual(DeviceNodes.type(of: full), S_IFCHR)
    }

    func testExportOutOnAFIFOReachesItsReader() throws {
        let fifo = path("flows.fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let reader = FIFOReader(fifo)
        let run = try CommandRun.netscouter(["export", "flows", "--read", capture, "--format", "ndjson", "--out", fifo])
        XCTAssertEqual(run.status, 0, run.standardError)
        let received = String(decoding: try XCTUnwrap(reader.wait(), "the reader got end-of-file"), as: UTF8.self)
        let records = try received.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(records.count, 4)
        XCTAssertEqual(Set(records.compactMap { $0["initiator_port"] as? Int }), [5000, 5001, 5002, 5003])
        XCTAssertEqual(DeviceNodes.type(of: fifo), S_IFIFO)
    }

    /// `capture --write` (libpcap's dumper) opens in place too: a device node survives, a full one
    /// is an error, and tcpdump reading the FIFO sees every packet.
    func testCaptureWriteOnDevicesAndAFIFO() throws {
        let null = try device("nulldev", DeviceNodes.null)
        let toNull = try CommandRun.netscouter(["capture", "--read", capture, "--write", null])
        XCTAssertEqual(toNull.status, 0, toNull.standardError)
        XCTAssertEqual(DeviceNodes.type(of: null), S_IFCHR)

        let full = try device("fulldev", DeviceNodes.full)
        let toFull = try CommandRun.netscouter(["capture", "--read", capture, "--write", full])
        XCTAssertNotEqual(toFull.status, 0)
        XCTAssertTrue(toFull.standardError.contains("No space left on device"), toFull.standardError)
        XCTAssertEqual(DeviceNodes.type(of: full), S_IFCHR)

        let tcpdumpPath = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tcpdumpPath else { throw XCTSkip("tcpdump is not installed; `make test` installs it.") }
        let fifo = path("packets.fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let tcpdump = Process()
        tcpdump.executableURL = URL(fileURLWithPath: tcpdumpPath)
        tcpdump.arguments = ["-nr", fifo]
        let lines = Pipe()
        tcpdump.standardOutput = lines
        tcpdump.standardError = FileHandle.nullDevice
        try tcpdump.run()
        let toFIFO = try CommandRun.netscouter(["capture", "--read", capture, "--write", fifo])
        XCTAssertEqual(toFIFO.status, 0, toFIFO.standardError)
        let printed = String(decoding: lines.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tcpdump.waitUntilExit()
        XCTAssertEqual(tcpdump.terminationStatus, 0)
        XCTAssertEqual(printed.split(separator: "\n").count, 40, "tcpdump read every packet from the FIFO")
        XCTAssertEqual(DeviceNodes.type(of: fifo), S_IFIFO)
    }

    /// `icon --out` (and `screenshot --out`, which shares the path): a PNG file is written whole,
    /// a device node stays a device, and a full one is an error.
    func testImageOutputsOnDevicesAndFiles() throws {
        let png = path("icon.png")
        let toFile = try CommandRun.netscouter(["icon", "--out", png, "--size", "64"])
        XCTAssertEqual(toFile.status, 0, toFile.standardError)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: png)))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG signature")
        XCTAssertEqual(Array(bytes.suffix(8)), [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82], "ends with the IEND chunk")

        let null = try device("nulldev", DeviceNodes.null)
        XCTAssertEqual(try CommandRun.netscouter(["icon", "--out", null, "--size", "64"]).status, 0)
        XCTAssertEqual(DeviceNodes.type(of: null), S_IFCHR)
        let full = try device("fulldev", DeviceNodes.full)
        for arguments in [["icon", "--out", full, "--size", "64"], ["screenshot", "--out", full, "--size", "640x400"]] {
            let run = try CommandRun.netscouter(arguments)
            XCTAssertEqual(run.status, 1, "\(arguments)")
            XCTAssertTrue(run.standardError.contains("Writing \(full) failed: No space left on device"), run.standardError)
        }
        XCTAssertEqual(DeviceNodes.type(of: full), S_IFCHR)
    }

    /// `netscouter … > /dev/full`: every command that prints fails with a message on stderr.
    func testCommandsWhoseStandardOutputCannotBeWrittenFail() throws {
        let full = try device("fulldev", DeviceNodes.full)
        let dataDir = path("data")
        XCTAssertEqual(try CommandRun.netscouter(["schedule", "add", "--kind", "port-scan", "--every", "1h", "--option", "targets=192.0.2.1", "--data-dir", dataDir]).status, 0)
        let commands: [[String]] = [
            ["capture", "--read", capture],
            ["capture", "--read", capture, "--json"],
            ["export", "flows", "--read", capture, "--out", "-"],
            ["export", "hosts", "--read", capture, "--format", "json", "--out", "-"],
            ["interfaces"],
            ["interfaces", "--json"],
            ["schedule", "list", "--data-dir", dataDir],
            ["schedule", "list", "--json", "--data-dir", dataDir],
            ["connections"],
            ["connections", "--json"],
            ["--help"],
        ]
        for arguments in commands {
            let run = try run(arguments, standardOutputTo: full)
            XCTAssertEqual(run.status, 1, "\(arguments)")
            XCTAssertTrue(run.standardError.contains("standard output") && run.standardError.contains("No space left on device"),
                          "\(arguments): \(run.standardError)")
        }
        // The same commands into a writable device succeed: the failure above is the output's.
        let null = try device("nulldev", DeviceNodes.null)
        for arguments in commands {
            let run = try run(arguments, standardOutputTo: null)
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.standardError)")
        }
    }
}
