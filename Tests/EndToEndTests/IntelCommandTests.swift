import Foundation
import NetScouterTestSupport
import XCTest

/// `netscouter intel` and `lookup-mac` as a user runs them, against fake providers on loopback.
final class IntelCommandTests: XCTestCase {
    private var directory: URL!
    let keys = ["ABUSEIPDB_API_KEY": "cli-abuse-key-7f3a9c", "VT_API_KEY": "cli-vt-key-2b8e1d", "OTX_API_KEY": "cli-otx-key-5c4f0a"]

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-intel-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func target(_ request: FakeHTTPServer.Request) -> String {
        if let range = request.target.range(of: "ipAddress=") { return String(request.target[range.upperBound...].prefix { $0 != "&" }) }
        let parts = request.target.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - (request.target.hasSuffix("/general") ? 2 : 1)]) : ""
    }

    func testIntelJSONGivesConsensusProvidersAndOfflineFactsAndNeverTheKeys() throws {
        let abuse = try FakeHTTPServer { request in
            .init(body: #"{"data":{"ipAddress":"\#(Self.target(request))","isWhitelisted":false,"abuseConfidenceScore":100,"countryCode":"DE","usageType":"Data Center/Web Hosting/Transit","isp":"Tor exit hosting","domain":"example.org","isTor":true,"totalReports":310,"lastReportedAt":"2026-11-30T10:00:00+00:00"}}"#)
        }
        let vt = try FakeHTTPServer { request in
            .init(body: #"{"data":{"attributes":{"last_analysis_stats":{"malicious":9,"suspicious":1,"harmless":50,"undetected":20},"reputation":-40,"country":"DE","asn":64500,"as_owner":"EXAMPLE","network":"\#(Self.target(request))/24"},"id":"\#(Self.target(request))","type":"ip_address"}}"#)
        }
        let otx = try FakeHTTPServer { _ in
            .init(body: #"{"pulse_info":{"count":4,"pulses":[{"name":"Tor exit nodes"}]},"validation":[],"asn":"AS64500 example","country_code":"DE"}"#)
        }
        defer { abuse.stop(); vt.stop(); otx.stop() }
        var environment = keys
        environment["NETSCOUTER_ABUSEIPDB_URL"] = abuse.baseURL
        environment["NETSCOUTER_VIRUSTOTAL_URL"] = vt.baseURL
        environment["NETSCOUTER_OTX_URL"] = otx.baseURL
        environment["HOME"] = directory.path
        environment["XDG_CONFIG_HOME"] = directory.appendingPathComponent("config").path
        environment["PATH"] = "/usr/bin:/bin"
        let arguments = ["intel", "8.8.8.8", "192.168.1.5", "--json", "--verbose", "--quota", "--data-dir", directory.appendingPathComponent("data").path]

        let run = try CommandRun.netscouter(arguments, environment: environment)
        XCTAssertEqual(run.status, 0, run.standardError)
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects.count, 2)
        let google = objects[0]
        XCTAssertEqual(google["address"] as? String, "8.8.8.8")
        XCTAssertEqual(google["consensus"] as? String, "3/3")
        XCTAssertEqual(google["flagged"] as? Int, 3)
        XCTAssertEqual(google["answered"] as? Int, 3)
        XCTAssertEqual(google["country"] as? String, "US", "the offline database wins over provider fields")
        XCTAssertEqual(google["asn"] as? Int, 15169)
        XCTAssertNotNil(google["as_name"] as? String)
        XCTAssertEqual((google["abuseipdb"] as? [String: Any])?["state"] as? String, "answered")
        XCTAssertEqual((google["virustotal"] as? [String: Any])?["score"] as? Double, 9)
        XCTAssertEqual(((google["risk"] as? [[String: Any]])?.first)?["rule"] as? String, "keyword:tor", "AbuseIPDB's ISP \"Tor exit hosting\"")
        let local = objects[1]
        XCTAssertEqual(local["consensus"] as? String, "0/3")
        XCTAssertEqual(local["answered"] as? Int, 0)
        XCTAssertEqual(local["local"] as? String, "private (RFC 1918)")
        XCTAssertEqual((local["otx"] as? [String: Any])?["state"] as? String, "not-sent")
        XCTAssertEqual(abuse.requestCount + vt.requestCount + otx.requestCount, 3, "only 8.8.8.8 left the machine")
        XCTAssertTrue(run.standardError.contains("VirusTotal: 499 of 500 left today"), run.standardError)
        XCTAssertTrue(run.standardError.contains("HTTP 200"), "--verbose logs the requests: \(run.standardError)")

        // The second run answers from the cache in the database.
        let again = try CommandRun.netscouter(arguments, environment: environment)
        XCTAssertEqual(again.status, 0, again.standardError)
        XCTAssertEqual(abuse.requestCount + vt.requestCount + otx.requestCount, 3)
        XCTAssertTrue(again.standardOutput.contains("\"cached\" : true"), again.standardOutput)
        // `--refresh` asks past the cache.
        let refreshed = try CommandRun.netscouter(arguments + ["--refresh"], environment: environment)
        XCTAssertEqual(refreshed.status, 0, refreshed.standardError)
        XCTAssertEqual(abuse.requestCount + vt.requestCount + otx.requestCount, 6)
        XCTAssertFalse(refreshed.standardOutput.contains("\"cached\" : true"), refreshed.standardOutput)

        // And the threats export lists the flagged answers.
        let export = try CommandRun.netscouter(["export", "threats", "--format", "csv", "--out", "-", "--data-dir", directory.appendingPathComponent("data").path],
                                               environment: environment)
        XCTAssertEqual(export.status, 0, export.standardError)
        XCTAssertEqual(export.standardOutput.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("8.8.8.8,") }.count, 3, export.standardOutput)

        for output in [run.standardOutput, run.standardError, again.standardOutput, again.standardError, export.standardOutput, export.standardError] {
            for key in keys.values { XCTAssertFalse(output.contains(key), "a key reached the output") }
        }
    }

    /// Without the offline location database `intel` still answers (providers, consensus),
    /// says once on stderr what is missing and how to get it, and leaves country and AS empty.
    func testAMissingLocationDatabaseIsANoticeNotAFailure() throws {
        let environment = ["HOME": directory.path, "XDG_CONFIG_HOME": directory.appendingPathComponent("config").path, "PATH": "/usr/bin:/bin",
                           "NETSCOUTER_LOCATION_DB": directory.appendingPathComponent("missing/location.db").path]
        let run = try CommandRun.netscouter(["intel", "8.8.8.8", "--json", "--data-dir", directory.appendingPathComponent("data").path],
                                            environment: environment)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertTrue(run.standardError.contains("note: No location database at \(directory.appendingPathComponent("missing/location.db").path)"), run.standardError)
        XCTAssertTrue(run.standardError.contains("apt-get install libloc-database"), run.standardError)
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects.first?["address"] as? String, "8.8.8.8")
        XCTAssertEqual(objects.first?["answered"] as? Int, 0, "no key: no answer")
        XCTAssertNil(objects.first?["asn"] as? Int)
    }

    func testIntelRefusesSomethingThatIsNotAnAddress() throws {
        let run = try CommandRun.netscouter(["intel", "example.com", "--data-dir", directory.path], environment: ["HOME": directory.path])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.standardError.contains("\"example.com\" is not an IPv4 or IPv6 address."), run.standardError)
    }

    func testLookupMAC() throws {
        let run = try CommandRun.netscouter(["lookup-mac", "b8:27:eb:12:34:56", "da:a1:19:00:00:01"])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, "b8:27:eb:12:34:56  Raspberry Pi Foundation (MA-L B827EB)\nda:a1:19:00:00:01  locally administered (randomised)\n")
        let json = try CommandRun.netscouter(["lookup-mac", "DCA632000001", "--json"])
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects.first?["vendor"] as? String, "Raspberry Pi Trading Ltd")
        XCTAssertEqual(objects.first?["locally_administered"] as? Bool, false)
        let bad = try CommandRun.netscouter(["lookup-mac", "b8:27:eb"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("is not a MAC address"), bad.standardError)
    }
}
