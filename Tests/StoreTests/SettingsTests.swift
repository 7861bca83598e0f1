import Foundation
import GRDB
import XCTest
@testable import Store

final class SettingsTests: XCTestCase {
    func testDefaultsAreTheDocumentedOnesAndValid() {
        let settings = AppSettings()
        XCTAssertEqual(settings, AppSettings.defaults)
        XCTAssertEqual(settings.theme, "dark")
        XCTAssertFalse(settings.autoBlockEnabled)
        XCTAssertEqual(settings.consensusThreshold, 3)
        XCTAssertEqual(settings.blockDurationHours, 24)
        XCTAssertEqual(settings.reputationCacheHours, 24)
        XCTAssertEqual(settings.scanTimeoutMilliseconds, 800)
        XCTAssertEqual(settings.scanConcurrency, 200)
        XCTAssertEqual(settings.captureInterface, "")
        XCTAssertTrue(settings.capturePromiscuous)
        XCTAssertEqual(settings.captureSnapLength, 262_144)
        XCTAssertEqual(settings.abuseIPDBBaseURL, "https://api.abuseipdb.com/api/v2")
        XCTAssertEqual(settings.virusTotalBaseURL, "https://www.virustotal.com/api/v3")
        XCTAssertEqual(settings.otxBaseURL, "https://otx.alienvault.com/api/v1")
        XCTAssertEqual(settings.exportDirectory, "")
        XCTAssertEqual(settings.pcapRotateMegabytes, 100)
        XCTAssertEqual(settings.validate(), [])
        XCTAssertEqual(settings.blockDuration, 86_400)
        XCTAssertNil(AppSettings(blockDurationHours: 0).blockDuration, "0 hours means permanent")
    }

    func testEmptyDatabaseLoadsDefaults() throws {
        let store = SettingsStore(database: try NetScouterDatabase(directory: try makeTemporaryDirectory()))
        XCTAssertEqual(try store.load(), AppSettings.defaults)
    }

    func testChangedSettingsRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        let changed = AppSettings(
            theme: "light", autoBlockEnabled: true, consensusThreshold: 2, blockDurationHours: 0,
            reputationCacheHours: 6, scanTimeoutMilliseconds: 1500, scanConcurrency: 64,
            captureInterface: "wlan0", capturePromiscuous: false, captureSnapLength: 1514,
            abuseIPDBBaseURL: "http://127.0.0.1:8080/abuse", virusTotalBaseURL: "https://vt.example/api/v3",
            otxBaseURL: "https://otx.example/api/v1", exportDirectory: "/srv/exports", pcapRotateMegabytes: 5)
        do {
            let store = SettingsStore(database: try NetScouterDatabase(directory: directory))
            try store.save(AppSettings())
            try store.save(changed)
        }
        let database = try NetScouterDatabase(directory: directory)
        XCTAssertEqual(try SettingsStore(database: database).load(), changed)

        // One row per setting, readable with sqlite3.
        let rows = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT key, value FROM settings ORDER BY key")
        }
        XCTAssertEqual(rows.count, AppSettings.CodingKeys.allCases.count)
        let values = Dictionary(uniqueKeysWithValues: rows.map { ($0["key"] as String, $0["value"] as String) })
        XCTAssertEqual(values["theme"], #""light""#)
        XCTAssertEqual(values["autoBlockEnabled"], "true")
        XCTAssertEqual(values["scanConcurrency"], "64")
        XCTAssertEqual(values["exportDirectory"], #""/srv/exports""#)
    }

    func testDecodingToleratesMissingAndWrongKeys() throws {
        let json = #"{"theme": "light", "scanConcurrency": "lots", "someFutureSetting": [1, 2]}"#
        let settings = try JSONDecoder().decode(AppSettings.self, from: Data(json.utf8))
        var expected = AppSettings.defaults
        expected.theme = "light"
        XCTAssertEqual(settings, expected)

        XCTAssertEqual(try JSONDecoder().decode(AppSettings.self, from: Data("{}".utf8)), AppSettings.defaults)
    }

    func testStoreToleratesOldRowsAndKeepsUnknownOnes() throws {
        let database = try NetScouterDatabase(directory: try makeTemporaryDirectory())
        // As an older version (fewer keys), a hand edit (wrong type) and a newer version
        // (unknown key) could have left them.
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO settings (key, value) VALUES
                    ('theme', '"light"'),
                    ('consensusThreshold', '2'),
                    ('scanConcurrency', '"many"'),
                    ('futureSetting', '{"x": 1}');
                """)
        }
        let store = SettingsStore(database: database)
        var loaded = try store.load()
        var expected = AppSettings.defaults
        expected.theme = "light"
        expected.consensusThreshold = 2
        XCTAssertEqual(loaded, expected)

        loaded.scanConcurrency = 50
        try store.save(loaded)
        XCTAssertEqual(try store.load().scanConcurrency, 50)
        let future = try database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'futureSetting'")
        }
        XCTAssertEqual(future, #"{"x": 1}"#, "a newer version's setting survives a save by this one")
    }

    func testValidateNamesEveryOutOfRangeValue() {
        let bad = AppSettings(
            theme: "neon", consensusThreshold: 4, blockDurationHours: -1, reputationCacheHours: 0,
            scanTimeoutMilliseconds: 0, scanConcurrency: 0, captureSnapLength: 10,
            abuseIPDBBaseURL: "ftp://x", virusTotalBaseURL: "not a url", otxBaseURL: "https://",
            exportDirectory: "relative/dir", pcapRotateMegabytes: 0)
        let problems = bad.validate()
        XCTAssertEqual(problems.count, 12, problems.joined(separator: "\n"))
        XCTAssertTrue(problems.contains("Consensus threshold must be 1, 2 or 3 providers (it is 4)."), "\(problems)")
        XCTAssertTrue(problems.contains { $0.hasPrefix("Theme must be \"dark\" or \"light\"") })
        XCTAssertTrue(problems.contains { $0.hasPrefix("Block duration must be between 0 (permanent)") })
        XCTAssertTrue(problems.contains { $0.hasPrefix("The AbuseIPDB base URL must start with https://") })
        XCTAssertTrue(problems.contains { $0.hasPrefix("The export directory must be an absolute path") })

        XCTAssertEqual(AppSettings(consensusThreshold: 1, exportDirectory: "~/exports").validate(), [])
    }
}
