import Firewall
import Foundation
import Intel
import Jobs
import NetScouterTestSupport
import Store
import XCTest

/// Auto-block against three local fake reputation providers and the real nftables backend in a
/// test namespace: blocked only when enabled, at the threshold, and applied by the firewall.
final class AutoBlockTests: XCTestCase {
    typealias Response = FakeHTTPServer.Response
    /// How many providers flag each address (AbuseIPDB first, then VirusTotal, then OTX).
    static let flaggedBy: [String: Int] = ["45.3.0.3": 3, "45.3.0.2": 2, "45.3.0.0": 0]

    private var lab: FirewallLab!
    private var servers: [FakeHTTPServer] = []

    override func setUpWithError() throws {
        lab = try FirewallLab()
        @Sendable func flagged(_ request: FakeHTTPServer.Request, rank: Int) -> (String, Bool) {
            let address = Self.flaggedBy.keys.first { request.target.contains($0) } ?? "45.3.0.0"
            return (address, (Self.flaggedBy[address] ?? 0) > rank)
        }
        servers = [
            try FakeHTTPServer { request in
                let (address, bad) = flagged(request, rank: 0)
                return Response(body: """
                    {"data":{"ipAddress":"\(address)","isPublic":true,"ipVersion":4,"isWhitelisted":false,"abuseConfidenceScore":\(bad ? 100 : 0),\
                    "countryCode":"NL","isp":"Example","domain":"example.net","hostnames":[],"isTor":false,"totalReports":\(bad ? 40 : 0),\
                    "numDistinctUsers":\(bad ? 12 : 0),"lastReportedAt":\(bad ? "\"2026-11-29T21:04:11+00:00\"" : "null")}}
                    """)
            },
            try FakeHTTPServer { request in
                let (address, bad) = flagged(request, rank: 1)
                return Response(body: """
                    {"data":{"attributes":{"as_owner":"EXAMPLE","asn":64500,"country":"DE","last_analysis_stats":{"harmless":50,\
                    "malicious":\(bad ? 9 : 0),"suspicious":0,"timeout":0,"undetected":20},"reputation":0,"tags":[]},"id":"\(address)","type":"ip_address"}}
                    """)
            },
            try FakeHTTPServer { request in
                let (address, bad) = flagged(request, rank: 2)
                let pulses = bad ? #"{"id":"1","name":"scanner","description":"","tags":[],"modified":"2026-11-01T10:00:00.000000","TLP":"white"}"# : ""
                return Response(body: """
                    {"indicator":"\(address)","type":"IPv4","pulse_info":{"count":\(bad ? 1 : 0),"pulses":[\(pulses)]},"validation":[],\
                    "asn":"AS64500 example","country_code":"FR"}
                    """)
            },
        ]
    }

    override func tearDown() {
        servers.forEach { $0.stop() }
        lab?.remove()
        lab = nil
    }

    private func reputation() -> ReputationService {
        let environment = ["NETSCOUTER_ABUSEIPDB_URL": servers[0].baseURL, "NETSCOUTER_VIRUSTOTAL_URL": servers[1].baseURL,
                           "NETSCOUTER_OTX_URL": servers[2].baseURL]
        let configuration = ReputationConfiguration(keys: APIKeys(abuseIPDB: "abuse-key-1234", virusTotal: "vt-key-5678", otx: "otx-key-9012"),
                                                    endpoints: ProviderEndpoints(settings: .defaults, environment: environment), timeoutSeconds: 5)
        return ReputationService(configuration: configuration, cache: ReputationCache(database: lab.database), clock: ManualIntelClock())
    }

    private func saveSettings(autoBlock: Bool, threshold: Int = 3, hours: Int = 1) throws {
        try SettingsStore(database: lab.database).save(AppSettings(autoBlockEnabled: autoBlock, consensusThreshold: threshold, blockDurationHours: hours))
    }

    private func kernelHas(_ address: String) throws -> Bool {
        try lab.kernelBans()[BlockTarget(parsing: address)] != nil
    }

    func testThreeOfThreeWithAutoBlockOnIsBlockedAndAudited() throws {
        try saveSettings(autoBlock: true)
        let result = reputation().lookup("45.3.0.3")
        XCTAssertEqual(result.consensus.text, "3/3")
        let blocker = AutoBlocker(firewall: lab.service())
        XCTAssertEqual(blocker.consider(result), .blocked("45.3.0.3"))
        XCTAssertTrue(try kernelHas("45.3.0.3"))
        let bans = try BlockStore(database: lab.database).active(at: Date())
        XCTAssertEqual(bans.map(\.address), ["45.3.0.3"])
        XCTAssertEqual(bans.first?.source, .auto)
        XCTAssertEqual(bans.first.flatMap { $0.expiresAt?.timeIntervalSince($0.createdAt) }, 3600, "the block duration setting")
        let event = try XCTUnwrap(try lab.audit().first)
        XCTAssertEqual([event.actor, event.action, event.subject], ["auto-block", "block", "45.3.0.3"])
        XCTAssertTrue(event.detail.contains("consensus 3/3"), event.detail)
        XCTAssertEqual(blocker.consider(result), .alreadyBlocked, "a second lookup does not block twice")
    }

    func testTwoOfThreeIsNotBlocked() throws {
        try saveSettings(autoBlock: true)
        let result = reputation().lookup("45.3.0.2")
        XCTAssertEqual(result.consensus.text, "2/3")
        XCTAssertEqual(AutoBlocker(firewall: lab.service()).consider(result), .belowThreshold(flagged: 2, threshold: 3))
        XCTAssertFalse(try kernelHas("45.3.0.2"))
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        // With the threshold lowered to 2 it is.
        try saveSettings(autoBlock: true, threshold: 2)
        XCTAssertEqual(AutoBlocker(firewall: lab.service()).consider(result), .blocked("45.3.0.2"))
    }

    func testAutoBlockOffIsNotBlocked() throws {
        try saveSettings(autoBlock: false)
        let result = reputation().lookup("45.3.0.3")
        XCTAssertEqual(result.consensus.flagged, 3)
        XCTAssertEqual(AutoBlocker(firewall: lab.service()).consider(result), .disabled)
        XCTAssertFalse(try kernelHas("45.3.0.3"))
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        XCTAssertEqual(try lab.audit(), [])
    }

    func testBackendFailureIsNotRecordedAsBlockedButAuditedAndShown() throws {
        try saveSettings(autoBlock: true)
        let result = reputation().lookup("45.3.0.3")
        // A real failure: nft run in a namespace that does not exist.
        let broken = NftablesBackend(runner: ProcessCommandRunner.inNamespace("\(lab.network.tag)-missing"))
        let runnerA = lab.runnerA
        let firewall = FirewallService(backend: broken, database: lab.database, facts: { try HostFacts.gather(runner: runnerA) }, privilegeCheck: {})
        let shown = LockedLines()
        let decision = AutoBlocker(firewall: firewall, onFailure: shown.append).consider(result)
        guard case let .failed(error) = decision else { return XCTFail("expected a failure, got \(decision)") }
        XCTAssertTrue("\(error)".contains("`nft -f -` failed") && "\(error)".contains("Cannot open network namespace"), "\(error)")
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [], "not recorded as blocked")
        XCTAssertFalse(try kernelHas("45.3.0.3"))
        let event = try XCTUnwrap(try lab.audit().first)
        XCTAssertEqual([event.actor, event.action, event.subject], ["auto-block", "block.failed", "45.3.0.3"])
        XCTAssertTrue(event.detail.contains("consensus 3/3"), event.detail)
        XCTAssertEqual(shown.lines.count, 1)
        XCTAssertTrue(shown.lines[0].hasPrefix("Auto-block of 45.3.0.3 failed:"), shown.lines[0])
    }

    /// The daemon's path: the scheduled reputation refresh hands every result to the auto-blocker.
    func testReputationRefreshJobFeedsAutoBlock() throws {
        try saveSettings(autoBlock: true)
        struct Host: Encodable { var address: String }
        try SnapshotStore(database: lab.database).save([Host(address: "45.3.0.3"), Host(address: "45.3.0.2"), Host(address: "45.3.0.0")],
                                                       kind: .hosts, source: "test", at: Date())
        let blocker = AutoBlocker(firewall: lab.service())
        let summary = try ReputationRefreshJob.run(service: reputation(), database: lab.database, onResult: { blocker.consider($0) })
        XCTAssertEqual(summary.lookedUp, 3)
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()).map(\.address), ["45.3.0.3"])
        XCTAssertTrue(try kernelHas("45.3.0.3"))
        XCTAssertFalse(try kernelHas("45.3.0.2"))
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
}
