import Foundation
import Jobs
import NetScouterTestSupport
import Packets
import Scan
import Schedule
import Store
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `netscouter` binary (built beside the tests) in test namespaces, its JSON, what it
/// saves and what `export scans` gives back; and the scheduler's port-scan and lan-discovery jobs.
final class ScanCommandTests: XCTestCase {
    private var network: TestNetwork!
    private var dataDirectory: URL!

    private static var executable: String { Bundle.main.bundleURL.appendingPathComponent("netscouter").path }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw XCTSkip("netscouter is not built at \(Self.executable); run `swift build` (make test does).")
        }
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        network?.remove()
        if let dataDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    private func netscouter(_ arguments: [String], in namespace: String? = nil) throws -> Command.Output {
        try Command.run((namespace.map { ["ip", "netns", "exec", $0] } ?? []) + [Self.executable] + arguments)
    }

    private func json(_ text: String) throws -> [[String: Any]] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], text)
    }

    /// A banner with an escape sequence, a NUL and invalid UTF-8 reaches the JSON, the database
    /// and the export only in its sanitised form.
    func testScanJSONStoreAndExportAreSanitised() throws {
        let namespace = try network.add("cli")
        let raw: [UInt8] = Array("220 hello\r\n".utf8) + [0x1B] + Array("]0;owned\u{07}".utf8) + [0xFF, 0x00] + Array("end".utf8)
        let banner = try TestListener(namespace: namespace, address: IPAddress("127.0.0.1")!, port: 2121, banner: raw)
        let silent = try TestListener(namespace: namespace, address: IPAddress("127.0.0.1")!, port: 80)
        defer { banner.close(); silent.close() }
        let run = try netscouter(["scan", "127.0.0.1", "-p", "1-100,2121", "--banners", "--json", "--data-dir", dataDirectory.path], in: namespace)
        XCTAssertEqual(run.status, 0, run.standardError)
        let objects = try json(run.standardOutput)
        let expectedBanner = "220 hello\\r\\n\\x1b]0;owned\\x07\u{FFFD}\\x00end"
        let open = objects.filter { $0["state"] as? String == "open" }
        XCTAssertEqual(open.map { $0["port"] as? Int }, [80, 2121])
        XCTAssertEqual(open.last?["banner"] as? String, expectedBanner)
        XCTAssertTrue(open.first?["banner"] is NSNull)
        XCTAssertEqual(open.first?["service"] as? String, ServiceNames.system.name(of: 80))
        XCTAssertNotNil(open.first?["rtt_ms"] as? Double)
        let closed = objects.filter { $0["state"] as? String == "closed" }
        XCTAssertEqual(closed.count, 1, "closed ports summarised in one object")
        XCTAssertEqual(closed.first?["count"] as? Int, 99)
        XCTAssertTrue(closed.first?["port"] is NSNull)

        let database = try NetScouterDatabase(directory: dataDirectory)
        let store = ScanStore(database: database)
        let scan = try XCTUnwrap(try store.recent(limit: 1).first)
        XCTAssertEqual(scan.kind, "ports")
        XCTAssertEqual(scan.status, "finished")
        XCTAssertEqual(scan.summary, scan.summary.trimmingCharacters(in: .whitespaces))
        XCTAssertTrue(scan.summary.hasPrefix("1 host, 101 ports: 2 open, 99 closed, 0 filtered"), scan.summary)
        let rows = try store.results(forScan: scan.id!)
        XCTAssertEqual(rows.map(\.port), [80, 2121])
        XCTAssertEqual(rows.last?.detail, expectedBanner)

        for format in ["csv", "json"] {
            let export = try netscouter(["export", "scans", "--format", format, "--out", "-", "--data-dir", dataDirectory.path])
            XCTAssertEqual(export.status, 0, export.standardError)
            XCTAssertFalse(export.standardOutput.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\r" || $0.value == 0x7F },
                           "no control characters in the \(format) export")
            XCTAssertTrue(export.standardOutput.contains("2121"), export.standardOutput)
            XCTAssertTrue(export.standardOutput.contains("x1b]0;owned"), export.standardOutput)
        }
    }

    func testAllStatesListsEveryPortWithTheHostName() throws {
        let namespace = try network.add("all")
        let run = try netscouter(["scan", "localhost", "-p", "5-7", "--json", "--all-states", "--no-save"], in: namespace)
        XCTAssertEqual(run.status, 0, run.standardError)
        let objects = try json(run.standardOutput).filter { ($0["host"] as? String) == "127.0.0.1" }
        XCTAssertEqual(objects.map { $0["port"] as? Int }, [5, 6, 7])
        XCTAssertEqual(Set(objects.map { $0["state"] as? String }), ["closed"])
        XCTAssertEqual(objects.first?["hostname"] as? String, "localhost")
    }

    func testBadInputsGetMessages() throws {
        let cases: [([String], String)] = [
            (["scan", "10.0.0.1-300", "--no-save"], "netscouter: \"10.0.0.1-300\": 300 is out of range: each octet is a number 0–255."),
            (["scan", "127.0.0.1", "-p", "0", "--no-save"], "netscouter: Port 0 cannot be scanned (it is reserved): ports are 1–65535."),
            (["scan", "127.0.0.1", "--top", "0", "--no-save"], "netscouter: --top 0 is out of range: give a count from 1 to 65535 (e.g. --top 100 or --top 1000)."),
            (["scan", "127.0.0.1", "-p", "80", "--top", "10"], "Give either -p PORTS or --top N, not both."),
            (["scan"], "No targets: give hosts (e.g. netscouter scan 192.168.1.0/24) or --targets-file FILE."),
            (["scan", "127.0.0.1", "--timeout", "0"], "--timeout 0 is too small: give milliseconds, at least 1 (e.g. --timeout 500)."),
            (["scan", "127.0.0.1", "--workers", "9"], "--workers 9 is out of range: give 1 to 8, or 0 for one per core."),
            (["discover", "--interface", "nosuch0", "--no-save"], "netscouter: No interface \"nosuch0\": choose one of"),
        ]
        for (arguments, message) in cases {
            let run = try netscouter(arguments)
            XCTAssertNotEqual(run.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(run.standardError.contains(message), "\(arguments): \(run.standardError)")
        }
    }

    func testConnectionsCommandShowsThisTestsSocket() throws {
        let (listener, port) = try LoopbackSockets.bind(type: Int32(SOCK_STREAM.rawValue))
        defer { close(listener) }
        XCTAssertEqual(listen(listener, 1), 0)
        let run = try netscouter(["connections", "--json"])
        XCTAssertEqual(run.status, 0, run.standardError)
        let entry = try XCTUnwrap(try json(run.standardOutput).first { $0["local_port"] as? Int == Int(port) && $0["state"] as? String == "LISTEN" })
        XCTAssertEqual(entry["pid"] as? Int, Int(getpid()))
        XCTAssertEqual(entry["executable"] as? String, Bundle.main.executableURL?.resolvingSymlinksInPath().path)
        XCTAssertEqual(entry["protocol"] as? String, "tcp")
        XCTAssertEqual(entry["local_address"] as? String, "127.0.0.1")
    }

    func testDiscoverCommandFindsPeersAndSavesThem() throws {
        let (scanner, expected) = try LanDiscoveryTests.buildLAN(network, subnet: "10.82.0", peers: 3)
        let run = try netscouter(["discover", "--interface", "lan0", "--json", "--no-dns", "--data-dir", dataDirectory.path], in: scanner)
        XCTAssertEqual(run.status, 0, run.standardError)
        let found = Dictionary(uniqueKeysWithValues: try json(run.standardOutput).map { ($0["ip"] as? String ?? "", $0["mac"] as? String ?? "") })
        XCTAssertEqual(found, expected)
        let rows = try ScanStore(database: NetScouterDatabase(directory: dataDirectory)).recent(limit: 1)
        XCTAssertEqual(rows.first?.kind, "discovery")
        XCTAssertEqual(rows.first?.target, "lan0")
        let results = try ScanStore(database: NetScouterDatabase(directory: dataDirectory)).results(forScan: rows.first!.id!)
        XCTAssertEqual(Set(results.map(\.address)), Set(expected.keys))
        XCTAssertTrue(results.allSatisfy { $0.state == "up" && ($0.detail ?? "").contains("mac 02:bb") })
    }

    /// The scheduler's engines: a port-scan job and a lan-discovery job run (here on a thread in
    /// a test namespace, as the daemon runs them on its own) and save their scans.
    func testJobKindsHaveEngines() throws {
        let (scanner, expected) = try LanDiscoveryTests.buildLAN(network, subnet: "10.83.0", peers: 2)
        let peer = try XCTUnwrap(expected.keys.sorted().first)
        let database = try NetScouterDatabase(directory: dataDirectory)
        let registry = JobCatalog.executors(database: database)
        XCTAssertTrue(registry.registeredKinds.contains(.portScan))
        XCTAssertTrue(registry.registeredKinds.contains(.lanDiscovery))
        let portJob = ScheduledJob(id: 1, name: "peer ports", kind: .portScan, trigger: .interval(seconds: 3600),
                                   options: ["targets": peer, "ports": "1-50"])
        let lanJob = ScheduledJob(id: 2, name: "lan", kind: .lanDiscovery, trigger: .interval(seconds: 3600), options: ["interface": "lan0"])
        let outcomes = try NetworkNamespace.run(in: scanner) {
            [registry.run(portJob, context: JobContext(runID: 1, startedAt: Date())),
             registry.run(lanJob, context: JobContext(runID: 2, startedAt: Date()))]
        }
        XCTAssertEqual(outcomes[0].outcome, .succeeded, outcomes[0].summary)
        XCTAssertTrue(outcomes[0].summary.hasPrefix("1 host, 50 ports: 0 open, 50 closed, 0 filtered"), outcomes[0].summary)
        XCTAssertEqual(outcomes[1].outcome, .succeeded, outcomes[1].summary)
        XCTAssertTrue(outcomes[1].summary.hasPrefix("2 hosts up on lan0 (10.83.0.1/24)"), outcomes[1].summary)
        let scans = try ScanStore(database: database).recent(limit: 5)
        XCTAssertEqual(Set(scans.map(\.kind)), ["ports", "discovery"])
        XCTAssertTrue(scans.allSatisfy { $0.status == "finished" })
        XCTAssertThrowsError(try JobCatalog.validate(kind: .portScan, options: ["targets": "10.0.0.1-300"]))
        XCTAssertThrowsError(try JobCatalog.validate(kind: .portScan, options: ["targets": "10.0.0.1", "ports": "0"]))
        XCTAssertNoThrow(try JobCatalog.validate(kind: .portScan, options: ["targets": "example.org,10.0.0.0/24", "ports": "22,80"]))
    }
}
