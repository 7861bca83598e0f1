import Export
import Foundation
import XCTest

final class AtomicFileWriterTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("atomic") }
    override func tearDown() { folder.remove() }

    private func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testReplacesAnExistingFileWholeAndLeavesNoTemporaryFile() throws {
        let path = folder.file("hosts.csv")
        try "old contents\n".write(toFile: path, atomically: false, encoding: .utf8)
        var inode = stat()
        stat(path, &inode)
        let table = ExportTable(columns: [ExportColumn("address")], rows: [["10.0.0.1"], ["10.0.0.2"]])
        try Exporter.write(table, format: .csv, to: path, kind: "hosts")
        XCTAssertEqual(try contents(path), "address\r\n10.0.0.1\r\n10.0.0.2\r\n")
        XCTAssertEqual(try folder.listing(), ["hosts.csv"])
        var replaced = stat()
        stat(path, &replaced)
        XCTAssertNotEqual(replaced.st_ino, inode.st_ino, "a new file was renamed over the old one, not rewritten in place")
    }

    func testAFailureMidwayLeavesTheDestinationUnchanged() throws {
        let path = folder.file("flows.json")
        try "previous export\n".write(toFile: path, atomically: false, encoding: .utf8)
        var temporaryFileExisted = false
        XCTAssertThrowsError(try AtomicFileWriter.replace(path) { (file) throws(ExportError) in
            // More than one chunk, so part of the new data has really reached the disk.
            try file.write(String(repeating: "x", count: 3 * AtomicFileWriter.chunkSize))
            temporaryFileExisted = FileManager.default.fileExists(atPath: file.temporaryPath)
            throw ExportError.writeFailed(path: path, reason: "No space left on device")
        }) { error in
            XCTAssertEqual(error as? ExportError, .writeFailed(path: path, reason: "No space left on device"))
            XCTAssertTrue(String(describing: error).contains("Free some disk space"), "\(error)")
        }
        XCTAssertTrue(temporaryFileExisted)
        XCTAssertEqual(try contents(path), "previous export\n")
        XCTAssertEqual(try folder.listing(), ["flows.json"], "the temporary file was removed")
    }

    func testAWriterDroppedWithoutCommitRemovesItsTemporaryFile() throws {
        let path = folder.file("never.csv")
        var temporaryPath = ""
        do {
            let writer = try AtomicFileWriter(path: path)
            temporaryPath = writer.temporaryPath
            try writer.write("partial")
            XCTAssertTrue(FileManager.default.fileExists(atPath: temporaryPath))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporaryPath))
        XCTAssertEqual(try folder.listing(), [])
    }

    func testMissingFolderSaysWhatToDo() throws {
        let path = folder.file("no/such/folder/flows.csv")
        XCTAssertThrowsError(try Exporter.write(ExportTable(columns: [ExportColumn("a")]), format: .csv, to: path, kind: "flows")) { error in
            XCTAssertEqual(error as? ExportError, .folderMissing(path: path, folder: folder.file("no/such/folder")))
            XCTAssertEqual(String(describing: error),
                           "Cannot write \(path): the folder \(folder.file("no/such/folder")) does not exist. Create it or choose another folder.")
        }
        XCTAssertEqual(try folder.listing(), [])
    }

    func testAFolderIsNotReplaced() throws {
        let path = folder.file("exports")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try Exporter.write(ExportTable(columns: [ExportColumn("a")]), format: .json, to: path, kind: "x")) { error in
            XCTAssertEqual(error as? ExportError, .destinationIsFolder(path: path))
            XCTAssertTrue(String(describing: error).contains("it is a folder. Add a file name"), "\(error)")
        }
        XCTAssertThrowsError(try AtomicFileWriter(path: folder.path + "/"))
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
        XCTAssertEqual(try folder.listing(), ["exports"])
    }

    func testUnwritableFolderSaysWhatToDo() throws {
        XCTAssertEqual(ExportError.cannotCreate(path: "/srv/flows.csv", reason: "Permission denied").description,
                       "Cannot write /srv/flows.csv: Permission denied. Choose a folder you can write to.")
        guard getuid() != 0 else {
            throw XCTSkip("Running as root, which may write to read-only folders; the message itself was checked above.")
        }
        chmod(folder.path, 0o555)
        let path = folder.file("flows.csv")
        XCTAssertThrowsError(try Exporter.write(ExportTable(columns: [ExportColumn("a")]), format: .csv, to: path, kind: "flows")) { error in
            XCTAssertEqual(String(describing: error), "Cannot write \(path): Permission denied. Choose a folder you can write to.")
        }
    }

    func testPermissions() throws {
        let shared = folder.file("shared.csv"), secret = folder.file("secret.csv")
        let table = ExportTable(columns: [ExportColumn("a")], rows: [[1]])
        let mask = umask(0o022)
        defer { umask(mask) }
        try Exporter.write(table, format: .csv, to: shared, kind: "x")
        try Exporter.write(table, format: .csv, to: secret, kind: "x", permissions: 0o600)
        var status = stat()
        stat(shared, &status)
        XCTAssertEqual(status.st_mode & 0o777, 0o644)
        stat(secret, &status)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
    }

    func testRelativePathsUseTheWorkingFolder() throws {
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try Exporter.write(ExportTable(columns: [ExportColumn("a")], rows: [[1]]), format: .ndjson, to: "relative.ndjson", kind: "x")
        XCTAssertEqual(try contents(folder.file("relative.ndjson")), "{\"a\":1}\n")
    }
}
