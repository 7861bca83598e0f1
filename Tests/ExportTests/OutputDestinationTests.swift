import Export
import NetScouterTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Exports to things that are not regular files: device nodes are written in place (never
/// replaced by a renamed temporary file), write errors are reported, FIFOs reach their reader,
/// and disks and sockets are refused. Device nodes are made with mknod in a temporary folder
/// (root only, as in CI), so the system's own /dev is never at stake.
final class OutputDestinationTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("destination") }
    override func tearDown() { folder.remove() }

    private let table = ExportTable(columns: [ExportColumn("address")], rows: [["10.0.0.1"], ["10.0.0.2"]])
    private let expectedCSV = "address\r\n10.0.0.1\r\n10.0.0.2\r\n"

    /// A character device node like /dev/null (1,3) or /dev/full (1,7), made here.
    private func makeDevice(_ name: String, major: UInt32, minor: UInt32, block: Bool = false) throws -> String {
        let path = folder.file(name)
        guard DeviceNodes.make(at: path, major: major, minor: minor, block: block) else {
            throw XCTSkip("mknod needs root (CI runs the tests as root): \(String(cString: strerror(errno)))")
        }
        return path
    }

    private func status(_ path: String) -> stat {
        var status = stat()
        XCTAssertEqual(lstat(path, &status), 0, path)
        return status
    }

    func testANullDeviceIsWrittenInPlaceAndStaysADevice() throws {
        let device = try makeDevice("nulldev", major: 1, minor: 3)
        let before = status(device)
        for format in [ExportFormat.csv, .json, .ndjson] {
            XCTAssertEqual(try Exporter.write(table, format: format, to: device, kind: "hosts"), 2)
        }
        let after = status(device)
        XCTAssertEqual(after.st_mode & S_IFMT, S_IFCHR, "still a character device")
        XCTAssertEqual(after.st_rdev, DeviceNodes.number(major: 1, minor: 3))
        XCTAssertEqual(after.st_ino, before.st_ino, "the same node, not a replacement")
        XCTAssertEqual(try folder.listing(), ["nulldev"], "no temporary file was left beside it")
    }

    func testAFullDeviceFailsWithNoSpaceLeftAndStaysADevice() throws {
        let device = try makeDevice("fulldev", major: 1, minor: 7)
        XCTAssertThrowsError(try Exporter.write(table, format: .csv, to: device, kind: "hosts")) { error in
            XCTAssertEqual(error as? ExportError, .streamWriteFailed(name: device, reason: String(cString: strerror(ENOSPC))))
            XCTAssertEqual(String(describing: error), "Writing \(device) failed: No space left on device. The output there is incomplete.")
        }
        XCTAssertEqual(status(device).st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(try folder.listing(), ["fulldev"])
    }

    func testAFIFOIsWrittenInPlaceAndItsReaderGetsTheWholeExport() throws {
        let fifo = folder.file("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // More than one write chunk, so the reader sees several writes arrive.
        let rows = (0..<20_000).map { index -> [ExportValue] in [.string("10.0.\(index / 256).\(index % 256)")] }
        let big = ExportTable(columns: [ExportColumn("address")], rows: rows)
        final class Received: @unchecked Sendable { var data = Data() }
        let received = Received()
        let reader = Thread {
            guard let handle = FileHandle(forReadingAtPath: fifo) else { return }
            received.data = handle.readDataToEndOfFile()
        }
        reader.start()
        XCTAssertEqual(try Exporter.write(big, format: .ndjson, to: fifo, kind: "hosts"), rows.count)
        let deadline = Date().addingTimeInterval(10)
        while !reader.isFinished && Date() < deadline { usleep(1000) }
        let lines = String(decoding: received.data, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, rows.count)
        XCTAssertEqual(lines.first, "{\"address\":\"10.0.0.0\"}")
        XCTAssertEqual(lines.last, "{\"address\":\"10.0.78.31\"}")
        XCTAssertEqual(status(fifo).st_mode & S_IFMT, S_IFIFO, "still a FIFO")
        XCTAssertEqual(try folder.listing(), ["pipe"])
    }

    func testABlockDeviceASocketAndTheAtomicWriterOnADeviceAreRefused() throws {
        let disk = try makeDevice("disk", major: 7, minor: 0, block: true)  // a loop device node; never opened
        XCTAssertThrowsError(try Exporter.write(table, format: .csv, to: disk, kind: "hosts")) { error in
            XCTAssertEqual(error as? ExportError, .unsupportedDestination(path: disk, what: "a block device (a disk or partition)"))
            XCTAssertTrue(String(describing: error).contains("choose a file name"), "\(error)")
        }
        XCTAssertEqual(status(disk).st_mode & S_IFMT, S_IFBLK)

        let socketPath = folder.file("socket")
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in socketPath.utf8.enumerated() { bytes[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertThrowsError(try Exporter.write(table, format: .csv, to: socketPath, kind: "hosts")) { error in
            XCTAssertEqual(error as? ExportError, .unsupportedDestination(path: socketPath, what: "a socket"))
        }
        XCTAssertEqual(status(socketPath).st_mode & S_IFMT, S_IFSOCK)

        let device = try makeDevice("nulldev", major: 1, minor: 3)
        XCTAssertThrowsError(try AtomicFileWriter(path: device)) { error in
            guard case .unsupportedDestination? = error as? ExportError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(status(device).st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(try folder.listing(), ["disk", "nulldev", "socket"])
    }

    func testARegularFileIsStillReplacedAtomically() throws {
        let path = folder.file("hosts.csv")
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        let before = status(path).st_ino
        try Exporter.write(table, format: .csv, to: path, kind: "hosts")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), expectedCSV)
        XCTAssertNotEqual(status(path).st_ino, before, "renamed over, as before")
    }

    func testStandardOutputStyleDescriptorsReportWriteErrors() throws {
        let device = try makeDevice("fulldev", major: 1, minor: 7)
        let descriptor = open(device, O_WRONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        XCTAssertThrowsError(try Exporter.write(table, format: .json, kind: "hosts",
                                                committing: InPlaceFileWriter(descriptor: descriptor, name: "standard output"))) { error in
            XCTAssertEqual(String(describing: error), "Writing standard output failed: No space left on device. The output there is incomplete.")
        }
        XCTAssertNotEqual(fcntl(descriptor, F_GETFD), -1, "a descriptor handed in stays open")
    }
}
