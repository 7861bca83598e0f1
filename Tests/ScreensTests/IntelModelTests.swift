import Foundation
import Intel
import NetScouterTestSupport
import Packets
import Screens
import Store
import Traffic
import UI
import XCTest

/// `IntelModel` and `IntelColumns` without a window: lookups, their order, what is never sent,
/// key status, the consensus as the columns show it.
final class IntelModelTests: XCTestCase {
    private var fixture: ServicesFixture?

    override func tearDown() {
        fixture?.tearDown()
    }

    private func makeModel(environment: [String: String], settings: AppSettings = .defaults, store: Bool = false) throws -> (IntelModel, UIInbox) {
        let inbox = UIInbox()
        var services: AppServices?
        if store {
            let fixture = try ServicesFixture()
            self.fixture = fixture
            services = AppServices(database: fixture.database, writer: fixture.writer, secrets: fixture.secrets,
                                   scheduleService: fixture.service, scheduler: nil, environment: environment)
        }
        let model = IntelModel(services: services, inbox: inbox, toasts: ToastCenter(), environment: environment)
        model.apply(settings)
        XCTAssertTrue(drain(inbox) { !model.isConfiguring }, "the configuration is read on a worker")
        return (model, inbox)
    }

    /// Runs the inbox (as frames would) until `condition` holds; bounded so a broken worker fails.
    private func drain(_ inbox: UIInbox, seconds: Double = 20, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            inbox.drain()
            if condition() { return true }
            usleep(2000)
        }
        inbox.drain()
        return condition()
    }

    func testWhatTheUserLooksAtIsLookedUpBeforeTheRestOfTheCapture() throws {
        // Every answer takes 0.2 s, so the queue is still busy with the first address when the
        // others arrive.
        let servers = try FakeReputationServers(flagged: [], delay: 0.2)
        let (model, inbox) = try makeModel(environment: servers.environment(keys: [.abuseIPDB]))
        let first = IPAddress(185, 220, 101, 1)
        let background = (2...5).map { IPAddress(185, 220, 101, UInt8($0)) }
        let visible = IPAddress(185, 220, 101, 99)
        model.lookUp([first], priority: .background)
        XCTAssertTrue(drain(inbox) { servers.abuseIPDB.requestCount == 1 }, "the first lookup is in flight")
        model.lookUp(background, priority: .background)
        model.lookUpVisible(visible)
        XCTAssertTrue(drain(inbox) { model.pendingCount == 0 })
        let order = servers.abuseIPDB.requests.map(ProviderBodies.address(of:))
        XCTAssertEqual(order.first, first.description)
        XCTAssertEqual(order.dropFirst().first, visible.description, "the address on screen jumped the queue: \(order)")
        XCTAssertEqual(Set(order), Set(([first, visible] + background).map(\.description)))
        XCTAssertEqual(order.count, 6, "each address once")
        // Asking again (as every frame does for rows in view) sends nothing more.
        for _ in 0..<10 { model.lookUpVisible(visible); model.lookUp(background, priority: .background) }
        _ = drain(inbox, seconds: 0.5) { false }
        XCTAssertEqual(servers.abuseIPDB.requestCount, 6)
    }

    func testTheCapturesInternetAddressesAreQueuedAndLocalOnesNeverSent() throws {
        let servers = try FakeReputationServers(flagged: ["198.51.100.7"])
        let (model, inbox) = try makeModel(environment: servers.environment())
        let traffic = TrafficAggregator()
        var packet = PacketSummary()
        packet.network = .ipv4
        packet.transport = .udp
        packet.ipProtocol = 17
        packet.timestamp = 1_700_000_000_000_000_000
        let pairs: [(IPAddress, IPAddress)] = [
            (IPAddress(192, 168, 1, 10), IPAddress(8, 8, 4, 4)),          // private → global
            (IPAddress(10, 0, 0, 1), IPAddress(127, 0, 0, 1)),            // private → loopback
            (IPAddress(192, 168, 1, 10), IPAddress(224, 0, 0, 251)),      // multicast
            (IPAddress(169, 254, 3, 3), IPAddress(198, 51, 100, 7)),      // link-local → documentation range
            (IPAddress(100, 64, 1, 1), IPAddress(1, 1, 1, 1)),            // CGNAT → global
        ]
        for (source, destination) in pairs {
            packet.source = source
            packet.destination = destination
            packet.timestamp += 1_000_000
            traffic.ingest(packet)
        }
        model.noteSeen(traffic, now: 10)
        XCTAssertTrue(drain(inbox) { model.pendingCount == 0 && model.records.count == 2 })
        let sent = Set(servers.allRequests.map(ProviderBodies.address(of:)))
        XCTAssertEqual(sent, ["8.8.4.4", "1.1.1.1"], "only global unicast addresses leave the machine")
        XCTAssertEqual(model.consensus(IPAddress(8, 8, 4, 4)), Consensus(flagged: 0, answered: 3))
        // Within the second, a new host is not looked for yet; after it, it is.
        packet.source = IPAddress(192, 168, 1, 10)
        packet.destination = IPAddress(9, 9, 9, 9)
        traffic.ingest(packet)
        model.noteSeen(traffic, now: 10.5)
        XCTAssertEqual(model.pendingCount, 0)
        model.noteSeen(traffic, now: 11)
        XCTAssertTrue(drain(inbox) { model.records[IPAddress(9, 9, 9, 9)] != nil })
    }

    func testKeyStatusSaysWhereEachKeyComesFromAndAMissingKeyIsNoAnswer() throws {
        let servers = try FakeReputationServers(flagged: ["185.220.101.4"])
        var environment = servers.environment(keys: [.otx])
        environment["VT_API_KEY"] = FakeReputationServers.virusTotalKey
        let (model, inbox) = try makeModel(environment: environment)
        XCTAssertEqual(model.keyStatus[.abuseIPDB], .missing)
        XCTAssertEqual(model.keyStatus[.virusTotal], .environment("VT_API_KEY"))
        XCTAssertEqual(model.keyStatus[.otx], .environment("OTX_API_KEY"))
        XCTAssertTrue(model.hasAnyKey)
        let address = IPAddress(185, 220, 101, 4)
        model.lookUpVisible(address)
        XCTAssertTrue(drain(inbox) { model.records[address] != nil })
        let consensus = try XCTUnwrap(model.consensus(address))
        XCTAssertEqual(consensus, Consensus(flagged: 2, answered: 2))
        XCTAssertEqual(IntelColumns.consensusText(consensus), "2/3 (2 answered)")
        XCTAssertEqual(model.records[address]?.reputation.answers[.abuseIPDB], .noKey)
        XCTAssertEqual(servers.abuseIPDB.requestCount, 0, "no key, no request")
        for status in model.keyStatus.values {
            for key in FakeReputationServers.allKeys { XCTAssertFalse(status.text.contains(key)) }
        }
    }

    func testApplyingSettingsWithANewKeyAsksAgainAndTheThresholdSetsTheFlaggedColour() throws {
        let servers = try FakeReputationServers(flagged: ["185.220.101.4"])
        let (model, inbox) = try makeModel(environment: servers.environment(keys: []), store: true)
        let address = IPAddress(185, 220, 101, 4)
        model.lookUpVisible(address)
        XCTAssertTrue(drain(inbox) { model.records[address] != nil })
        XCTAssertEqual(model.consensus(address), Consensus(flagged: 0, answered: 0))
        XCTAssertEqual(IntelColumns.consensusText(model.consensus(address)), "no answer", "no key is no answer, never a clean 0/3")
        XCTAssertEqual(IntelColumns.consensusColor(model.consensus(address), intel: model, theme: .dark), Theme.dark.mutedText)

        // The user enters AbuseIPDB's key in Settings and applies with threshold 1.
        try XCTUnwrap(fixture).secrets.save(APIKeys(abuseIPDB: FakeReputationServers.abuseKey))
        var settings = AppSettings.defaults
        settings.consensusThreshold = 1
        model.apply(settings)
        XCTAssertTrue(drain(inbox) { model.keyStatus[.abuseIPDB] == .settings && model.consensus(address)?.answered == 1 },
                      "the address is asked again under the new key")
        XCTAssertEqual(model.consensus(address), Consensus(flagged: 1, answered: 1))
        XCTAssertEqual(IntelColumns.consensusColor(model.consensus(address), intel: model, theme: .dark), Theme.dark.danger,
                       "1 flag reaches threshold 1")
        settings.consensusThreshold = 2
        model.apply(settings)
        XCTAssertEqual(IntelColumns.consensusColor(model.consensus(address), intel: model, theme: .dark), Theme.dark.warning,
                       "below the threshold it is a warning, not the flagged colour")
        XCTAssertEqual(servers.abuseIPDB.requestCount, 1)
    }

    /// A broken risk-rules file is a notice (and a toast) saying what happened; the built-in
    /// rules apply meanwhile.
    func testABrokenRiskRulesFileIsShownAndTheBuiltInRulesApply() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-intel-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: config) }
        try FileManager.default.createDirectory(at: config.appendingPathComponent("netscouter"), withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: config.appendingPathComponent("netscouter/risk-rules.json"))
        let inbox = UIInbox(), toasts = ToastCenter()
        let model = IntelModel(services: nil, inbox: inbox, toasts: toasts, environment: ["XDG_CONFIG_HOME": config.path])
        model.apply(.defaults)
        XCTAssertTrue(drain(inbox) { !model.isConfiguring })
        let problem = try XCTUnwrap(model.configurationError)
        XCTAssertTrue(problem.contains("risk rules file could not be read"), problem)
        XCTAssertTrue(toasts.pending.contains { $0.message == problem && $0.kind == .error })
        XCTAssertEqual(model.riskRules, .builtIn)
    }

    func testTheRemoteEndOfAFlow() {
        func flow(_ initiator: IPAddress, _ responder: IPAddress) -> FlowStats {
            var packet = PacketSummary()
            packet.network = .ipv4
            packet.transport = .tcp
            packet.ipProtocol = 6
            packet.tcpFlags = [.syn]
            packet.source = initiator
            packet.destination = responder
            packet.sourcePort = 40000
            packet.destinationPort = 443
            packet.timestamp = 1_700_000_000_000_000_000
            let traffic = TrafficAggregator()
            traffic.ingest(packet)
            return traffic.flows.all[0]
        }
        let lan = IPAddress(192, 168, 1, 10), google = IPAddress(8, 8, 8, 8), attacker = IPAddress(185, 220, 101, 4)
        XCTAssertEqual(IntelColumns.remoteAddress(flow(lan, google)), google)
        XCTAssertEqual(IntelColumns.remoteAddress(flow(attacker, lan)), attacker, "an inbound flow's remote end is its initiator")
        XCTAssertEqual(IntelColumns.remoteAddress(flow(attacker, google)), google, "both global: the contacted side")
        XCTAssertNil(IntelColumns.remoteAddress(flow(lan, IPAddress(192, 168, 1, 1))))
    }

    func testTheCountryAndASColumnsComeFromTheOfflineDatabase() throws {
        let (model, _) = try makeModel(environment: [:])
        guard model.enricher.location != nil else {
            throw XCTSkip("no libloc database installed: \(model.locationNotices.joined(separator: " "))")
        }
        let columns = IntelColumns.standard(model) { (address: IPAddress) in address }
        XCTAssertEqual(columns.map(\.title), ["Consensus", "Country", "AS"])
        let google = IPAddress(8, 8, 8, 8)
        XCTAssertEqual(columns[1].text(google), "US")
        XCTAssertTrue(columns[2].text(google).hasPrefix("AS15169"), columns[2].text(google))
        XCTAssertEqual(columns[1].text(IPAddress(192, 168, 1, 1)), "local")
        XCTAssertEqual(columns[0].text(google), "—", "not looked up yet")
        XCTAssertEqual(columns[0].export(google), .string("—"))
    }
}
