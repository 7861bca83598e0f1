import Foundation
import XCTest
@testable import Store

final class SecretsTests: XCTestCase {
    private let abuseKey = "abuse-3f9c0d1e7b2a4c68a1d5e0f7b9c3d2e1"
    private let vtKey = "vt-8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b"
    private let otxKey = "otx-0a1b2c3d4e5f60718293a4b5c6d7e8f9"

    /// A secrets file in a private temp config home, written with `mode`.
    private func makeSecretsFile(_ content: String?, mode: mode_t = 0o600) throws -> (SecretsFile, [String: String]) {
        let configHome = try makeTemporaryDirectory()
        let environment = ["XDG_CONFIG_HOME": configHome.path, "HOME": "/nonexistent"]
        let file = try SecretsFile(environment: environment)
        XCTAssertEqual(file.url.path, configHome.path + "/netscouter/secrets.json")
        if let content {
            try FileManager.default.createDirectory(at: file.url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: file.url)
            XCTAssertEqual(chmod(file.url.path, mode), 0)
        }
        return (file, environment)
    }

    func testConfigDirectoryFallsBackToHome() throws {
        let file = try SecretsFile(environment: ["HOME": "/home/alice"])
        XCTAssertEqual(file.url.path, "/home/alice/.config/netscouter/secrets.json")
        let relative = try SecretsFile(environment: ["HOME": "/home/alice", "XDG_CONFIG_HOME": "relative/config"])
        XCTAssertEqual(relative.url.path, "/home/alice/.config/netscouter/secrets.json", "relative XDG paths are ignored")
    }

    func testEnvironmentOverridesFile() throws {
        let (file, base) = try makeSecretsFile(#"{"abuseipdb": "from-file", "virustotal": "\#(vtKey)"}"#)
        var environment = base
        environment["ABUSEIPDB_API_KEY"] = abuseKey
        let keys = try file.load(environment: environment)

        XCTAssertEqual(keys.abuseIPDB, abuseKey)
        XCTAssertEqual(keys.source(for: .abuseIPDB), .environment("ABUSEIPDB_API_KEY"))
        XCTAssertEqual(keys.virusTotal, vtKey)
        XCTAssertEqual(keys.source(for: .virusTotal), .secretsFile)
        XCTAssertNil(keys.otx)
        XCTAssertEqual(keys.source(for: .otx), .none)
    }

    func testVirusTotalFallsBackToVTAPIKey() throws {
        let (file, base) = try makeSecretsFile(nil)
        var environment = base
        environment["VT_API_KEY"] = vtKey
        var keys = try file.load(environment: environment)
        XCTAssertEqual(keys.virusTotal, vtKey)
        XCTAssertEqual(keys.source(for: .virusTotal), .environment("VT_API_KEY"))

        environment["VIRUSTOTAL_API_KEY"] = "preferred"
        keys = try file.load(environment: environment)
        XCTAssertEqual(keys.virusTotal, "preferred")
        XCTAssertEqual(keys.source(for: .virusTotal), .environment("VIRUSTOTAL_API_KEY"))

        // Empty counts as unset, so the fallback still applies.
        environment["VIRUSTOTAL_API_KEY"] = ""
        keys = try file.load(environment: environment)
        XCTAssertEqual(keys.source(for: .virusTotal), .environment("VT_API_KEY"))
    }

    func testEmptyValuesCountAsUnset() throws {
        let (file, base) = try makeSecretsFile(#"{"abuseipdb": "", "otx": "  \n"}"#)
        var environment = base
        environment["OTX_API_KEY"] = ""
        let keys = try file.load(environment: environment)
        XCTAssertEqual(keys, APIKeys())
        XCTAssertEqual(keys.source(for: .otx), .none)
        XCTAssertNil(APIKeys(abuseIPDB: " ").abuseIPDB)
    }

    func testMissingFileMeansNoKeys() throws {
        let (file, environment) = try makeSecretsFile(nil)
        XCTAssertEqual(try file.load(environment: environment), APIKeys())
    }

    func testGroupReadableFileIsRefusedWithTheFix() throws {
        let (file, environment) = try makeSecretsFile(#"{"abuseipdb": "\#(abuseKey)"}"#, mode: 0o644)
        let path = file.url.path
        XCTAssertThrowsError(try file.load(environment: environment)) { error in
            XCTAssertEqual(error as? SecretsError, .insecurePermissions(path: path, mode: 0o644))
            XCTAssertEqual("\(error)",
                           "The secrets file \(path) is readable by other users (mode 0644). Run `chmod 600 \(path)` and start again.")
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "\(error)")
            XCTAssertFalse("\(error)".contains(abuseKey))
        }
        XCTAssertEqual(chmod(path, 0o640), 0)
        XCTAssertThrowsError(try file.load(environment: environment)) { error in
            XCTAssertEqual(error as? SecretsError, .insecurePermissions(path: path, mode: 0o640))
        }
        XCTAssertEqual(chmod(path, 0o400), 0)
        XCTAssertEqual(try file.load(environment: environment).abuseIPDB, abuseKey, "stricter than 0600 is fine")
    }

    func testFileIsNotReadWhenEnvironmentProvidesEveryKey() throws {
        let (file, base) = try makeSecretsFile(#"{}"#, mode: 0o644)
        var environment = base
        environment["ABUSEIPDB_API_KEY"] = abuseKey
        environment["VT_API_KEY"] = vtKey
        environment["OTX_API_KEY"] = otxKey
        XCTAssertNoThrow(try file.load(environment: environment))
    }

    func testMalformedFileIsRefused() throws {
        let (file, environment) = try makeSecretsFile(#"{"abuseipdb": 42}"#)
        XCTAssertThrowsError(try file.load(environment: environment)) { error in
            XCTAssertEqual(error as? SecretsError, .malformed(path: file.url.path))
        }
    }

    func testSaveWritesMode0600AtomicallyWithoutEnvironmentKeys() throws {
        let (file, base) = try makeSecretsFile(nil)
        var environment = base
        environment["OTX_API_KEY"] = otxKey

        var keys = try file.load(environment: environment)
        keys.abuseIPDB = abuseKey
        keys.virusTotal = vtKey
        try file.save(keys)

        XCTAssertEqual(try permissions(of: file.url.path), 0o600)
        XCTAssertEqual(try permissions(of: file.url.deletingLastPathComponent().path), 0o700)
        let text = try String(contentsOf: file.url, encoding: .utf8)
        XCTAssertTrue(text.contains(abuseKey))
        XCTAssertFalse(text.contains(otxKey), "keys from the environment are never written")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.url.deletingLastPathComponent().path)
        XCTAssertEqual(leftovers, ["secrets.json"], "no temporary file left behind")

        let reloaded = try file.load(environment: base)
        XCTAssertEqual(reloaded.abuseIPDB, abuseKey)
        XCTAssertEqual(reloaded.virusTotal, vtKey)
        XCTAssertNil(reloaded.otx)
        XCTAssertEqual(reloaded.source(for: .abuseIPDB), .secretsFile)

        // Saving while the environment shadows a key keeps the file's own entry for it.
        var shadowed = base
        shadowed["ABUSEIPDB_API_KEY"] = "env-only"
        var again = try file.load(environment: shadowed)
        again.virusTotal = nil
        try file.save(again)
        let afterShadowedSave = try file.load(environment: base)
        XCTAssertEqual(afterShadowedSave.abuseIPDB, abuseKey)
        XCTAssertNil(afterShadowedSave.virusTotal, "a cleared key is removed from the file")
        XCTAssertFalse(try String(contentsOf: file.url, encoding: .utf8).contains("env-only"))
    }

    func testSaveReplacesAnInsecureFileWithA0600One() throws {
        let (file, environment) = try makeSecretsFile(#"{"otx": "old"}"#, mode: 0o666)
        XCTAssertThrowsError(try file.load(environment: environment))
        // What the Settings screen does after the user re-enters the keys.
        try file.save(APIKeys(abuseIPDB: abuseKey, otx: otxKey))
        XCTAssertEqual(try permissions(of: file.url.path), 0o600)
        let keys = try file.load(environment: environment)
        XCTAssertEqual(keys.otx, otxKey)
        XCTAssertEqual(keys.abuseIPDB, abuseKey)
    }

    func testDescriptionsNeverContainKeys() throws {
        var keys = APIKeys(abuseIPDB: abuseKey, virusTotal: nil, otx: otxKey)
        keys.setKey(vtKey, for: .virusTotal, source: .environment("VT_API_KEY"))

        var dumped = ""
        dump(keys, to: &dumped)
        let renderings = [
            keys.description, keys.debugDescription, "\(keys)", String(describing: keys),
            String(reflecting: keys), dumped, "\([keys])", "\(Optional(keys) as Any)",
        ]
        for rendering in renderings {
            for key in [abuseKey, vtKey, otxKey] {
                XCTAssertFalse(rendering.contains(key), "key leaked in: \(rendering)")
            }
        }
        XCTAssertEqual(keys.description,
                       "AbuseIPDB: set (from secrets file), VirusTotal: set (from environment variable VT_API_KEY), OTX: set (from secrets file)")
        XCTAssertEqual(APIKeys().description, "AbuseIPDB: not set, VirusTotal: not set, OTX: not set")
    }
}
