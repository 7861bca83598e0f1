import Foundation
import XCTest
@testable import Store

final class DataDirectoryTests: XCTestCase {
    func testUsesXDGDataHome() throws {
        let base = try makeTemporaryDirectory()
        let dataHome = base.appendingPathComponent("data").path
        let url = try DataDirectory.resolve(override: nil, environment: ["XDG_DATA_HOME": dataHome, "HOME": "/nonexistent"])
        XCTAssertEqual(url.path, dataHome + "/netscouter")
        XCTAssertEqual(try permissions(of: url.path), 0o700)
        XCTAssertEqual(try permissions(of: dataHome), 0o700, "created parents are private too (XDG spec)")
    }

    func testFallsBackToHomeLocalShare() throws {
        let home = try makeTemporaryDirectory()
        let url = try DataDirectory.resolve(override: nil, environment: ["HOME": home.path])
        XCTAssertEqual(url.path, home.path + "/.local/share/netscouter")
        XCTAssertEqual(try permissions(of: url.path), 0o700)

        // Empty or relative XDG_DATA_HOME is invalid and ignored.
        for value in ["", "relative/data"] {
            let other = try DataDirectory.location(override: nil, environment: ["HOME": home.path, "XDG_DATA_HOME": value])
            XCTAssertEqual(other.path, home.path + "/.local/share/netscouter", "XDG_DATA_HOME=\(value)")
        }
    }

    func testOverrideWins() throws {
        let base = try makeTemporaryDirectory()
        let custom = base.appendingPathComponent("custom/place").path
        let environment = ["XDG_DATA_HOME": base.appendingPathComponent("xdg").path, "HOME": base.path]
        let url = try DataDirectory.resolve(override: custom, environment: environment)
        XCTAssertEqual(url.path, custom)
        XCTAssertEqual(try permissions(of: custom), 0o700)
        XCTAssertFalse(FileManager.default.fileExists(atPath: base.appendingPathComponent("xdg").path))

        XCTAssertEqual(try DataDirectory.location(override: "~/scouter", environment: ["HOME": "/home/bob"]).path,
                       "/home/bob/scouter")
        let relative = try DataDirectory.location(override: "some/dir", environment: [:])
        XCTAssertEqual(relative.path, FileManager.default.currentDirectoryPath + "/some/dir")
        XCTAssertEqual(try DataDirectory.location(override: "", environment: ["HOME": "/home/bob"]).path,
                       "/home/bob/.local/share/netscouter", "an empty --data-dir counts as not given")
    }

    func testOpenCreatesTheDatabaseInTheResolvedDirectory() throws {
        let home = try makeTemporaryDirectory()
        let database = try NetScouterDatabase.open(dataDirectory: nil, environment: ["HOME": home.path])
        XCTAssertEqual(database.path, home.path + "/.local/share/netscouter/netscouter.sqlite")
        XCTAssertEqual(try database.appliedMigrations, ["v1", "v2", "v3", "v4", "v5-iot-inventory", "v6-firewall-allowlist-and-ban-sources"])
    }

    func testExistingDirectoryKeepsItsPermissions() throws {
        let base = try makeTemporaryDirectory()
        let existing = base.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        _ = try DataDirectory.resolve(override: existing.path, environment: [:])
        XCTAssertEqual(try permissions(of: existing.path), 0o755)
    }

    func testUncreatableDirectorySaysWhatToDo() throws {
        let base = try makeTemporaryDirectory()
        let file = base.appendingPathComponent("a-file")
        try Data().write(to: file)
        XCTAssertThrowsError(try DataDirectory.resolve(override: nil, environment: ["XDG_DATA_HOME": file.path])) { error in
            XCTAssertEqual(error as? StoreError, .cannotCreateDirectory(path: file.path, reason: "Not a directory"))
            XCTAssertTrue("\(error)".contains("pass --data-dir with a writable directory"), "\(error)")
        }
    }
}
