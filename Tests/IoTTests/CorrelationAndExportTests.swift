import Foundation
import Intel
import IoT
import Jobs
import Traffic
import NetScouterTestSupport
import Packets
import Store
import XCTest

/// A fixed location answer per address, standing in for libloc's database (whose real contents
/// change with every update).
struct FixedLocations: LocationSource {
    var answers: [IPAddress: LocationInfo]
    func lookup(_ address: IPAddress) -> LocationInfo { answers[address] ?? LocationInfo() }
}

final class DebounceTests: XCTestCase {
    func testOneMissedSweepStaysOnlineSeveralGoOffline() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try NetScouterDatabase(directory: directory)
        let lan: (IPAddress) -> Bool = { $0.isIPv4 && $0.ipv4Value >> 8 == 0xC0A801 }
        let camera = DeviceObservation(source: .discovery, time: Date(timeIntervalSince1970: 1_000), mac: HomeNetwork.camera, ip: HomeNetwork.cameraIP)
        let printer = DeviceObservation(source: .discovery, time: Date(timeIntervalSince1970: 1_000), mac: HomeNetwork.printer, ip: HomeNetwork.printerIP)
        let elsewhere = DeviceObservation(source: .arp, time: Date(timeIntervalSince1970: 1_000), mac: MACAddress("00:11:22:33:44:55"), ip: IPAddress(10, 1, 0, 5))

        func sweep(_ seen: [DeviceObservation], at seconds: Double) throws -> [String: IoTDevice] {
            // Each sweep in a fresh engine, as separate `discover` runs would: the count of missed
            // sweeps lives in the store.
            let engine = try IoTEngine(database: database, vendors: nil)
            engine.inventory.recordSweep(seen.map { var o = $0; o.time = Date(timeIntervalSince1970: seconds); return o },
                                         at: Date(timeIntervalSince1970: seconds), covers: lan)
            try engine.save()
            return Dictionary(uniqueKeysWithValues: try IoTStore(database: database).devices().map { ($0.key, $0) })
        }
        let cameraKey = HomeNetwork.camera.description, printerKey = HomeNetwork.printer.description
        _ = try sweep([camera, printer, elsewhere], at: 1_000)
        var devices = try sweep([printer], at: 1_060)
        XCTAssertEqual(devices[cameraKey]?.online, true, "one missed sweep is not enough")
        XCTAssertEqual(devices[cameraKey]?.missedSweeps, 1)
        devices = try sweep([printer], at: 1_120)
        XCTAssertEqual(devices[cameraKey]?.online, true)
        devices = try sweep([printer], at: 1_180)
        XCTAssertEqual(devices[cameraKey]?.online, false, "three sweeps in a row missed it")
        XCTAssertEqual(devices[cameraKey]?.lastSeen, Date(timeIntervalSince1970: 1_000))
        XCTAssertEqual(devices[printerKey]?.online, true)
        XCTAssertEqual(devices["00:11:22:33:44:55"]?.online, true, "outside the swept subnet: not missed")
        XCTAssertEqual(devices["00:11:22:33:44:55"]?.missedSweeps, 0)
        devices = try sweep([camera, printer], at: 1_240)
        XCTAssertEqual(devices[cameraKey]?.online, true, "seen again: back online at once")
        XCTAssertEqual(devices[cameraKey]?.missedSweeps, 0)
    }
}

final class CorrelationTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func vendors() throws -> MACVendors {
        do { return try MACVendors() } catch { throw XCTSkip("ieee-data is not installed (make deps installs it): \(error)") }
    }

    func testFlowToSuspiciousPortIsAnAnomalyWithTheRulesReason() throws {
        let path = directory.appendingPathComponent("home.pcap").path
        try HomeNetwork.write(to: path)
        let enricher = AddressEnricher(location: FixedLocations(answers: [
            HomeNetwork.telnetHost: LocationInfo(countryCode: "US", asn: 63949, asName: "Akamai Connected Cloud"),
            HomeNetwork.cloud: LocationInfo(countryCode: "US", asn: 15169, asName: "GOOGLE"),
        ]))
        let database = try NetScouterDatabase(directory: directory)
        let engine = try IoTEngine(database: database, vendors: try vendors(), enricher: enricher)
        try engine.read(file: path)
        try engine.save()

        let anomalies = try IoTStore(database: database).anomalies()
        XCTAssertEqual(anomalies.count, 1, "\(anomalies)")
        let anomaly = try XCTUnwrap(anomalies.first)
        XCTAssertEqual(anomaly.deviceMAC, HomeNetwork.camera.description)
        XCTAssertEqual(anomaly.deviceIP, HomeNetwork.cameraIP.description)
        XCTAssertEqual(anomaly.remoteIP, HomeNetwork.telnetHost.description)
        XCTAssertEqual(anomaly.remotePort, 23)
        XCTAssertEqual(anomaly.transport, "tcp")
        XCTAssertEqual(anomaly.country, "US")
        XCTAssertEqual(anomaly.provider, "Akamai Connected Cloud")
        XCTAssertEqual(anomaly.rule, "port:23")
        XCTAssertEqual(anomaly.severity, .high)
        XCTAssertEqual(anomaly.reason, IoTRiskRules.builtIn.ports.first { $0.port == 23 }?.reason)
        XCTAssertEqual(anomaly.count, 1)
        XCTAssertEqual(anomaly.firstSeen.timeIntervalSince1970, Double(HomeNetwork.start) / 1e9 + 0.009, accuracy: 0.0005)

        // The map's edges: both of the camera's destinations, none of the phone's.
        let destinations = try IoTStore(database: database).destinations()
        XCTAssertEqual(destinations.map { "\($0.deviceKey) \($0.remoteIP):\($0.remotePort) \($0.country ?? "-") \($0.provider ?? "-") \($0.flows) \($0.risk?.rawValue ?? "-")" }.sorted(), [
            "\(HomeNetwork.camera) 142.250.74.78:443 US AS15169 GOOGLE 1 -",
            "\(HomeNetwork.camera) 45.33.32.156:23 US AS63949 Akamai Connected Cloud 1 high",
        ])
        XCTAssertEqual(destinations.first { $0.remotePort == 23 }?.bytes, 4 * 54 + 5)

        // Reading the same file again does not count its flows twice.
        let again = try IoTEngine(database: database, vendors: try vendors(), enricher: enricher)
        try again.read(file: path)
        try again.save()
        XCTAssertEqual(try IoTStore(database: database).anomalies().map(\.count), [1])
        XCTAssertEqual(try IoTStore(database: database).destinations().map(\.flows), [1, 1])
    }

    /// The daemon's and capture-window jobs' flows reach the correlation through the flow history,
    /// each row once.
    func testStoredFlowHistoryIsCorrelatedOnce() throws {
        let database = try NetScouterDatabase(directory: directory)
        let engine = try IoTEngine(database: database, vendors: try vendors())
        engine.inventory.ingest(DeviceObservation(source: .arp, time: Date(timeIntervalSince1970: 1_764_000_000), mac: HomeNetwork.camera, ip: HomeNetwork.cameraIP))
        try engine.save()
        // Real flow-table rows, stored the way the live capture's history sink stores them.
        let traffic = TrafficAggregator(configuration: .unboundedHistory)
        for (index, frame) in AnnouncementFrames.tcpConnection(mac: HomeNetwork.camera, from: HomeNetwork.cameraIP, port: 41_000,
                                                               to: HomeNetwork.telnetHost, port: 4444).enumerated() {
            traffic.ingest(PacketDecoder.decode(frame, linkType: .ethernet, timestamp: HomeNetwork.start + Int64(index) * 1_000_000))
        }
        traffic.finishCapture()
        let history = FlowHistoryStore(database: database)
        let capture = try history.beginCapture(source: "eth0", at: Date())
        try database.write { db in try FlowHistoryStore.append(traffic.flows.allIncludingFinished.map(StoredFlow.init), toCapture: capture, in: db) }

        for _ in 0..<2 {
            let run = try IoTEngine(database: database, vendors: try vendors())
            try run.correlateStoredFlows()
            try run.save()
        }
        let anomalies = try IoTStore(database: database).anomalies()
        XCTAssertEqual(anomalies.map(\.rule), ["port:4444"])
        XCTAssertEqual(anomalies.first?.count, 1, "the second run found no new rows")
        XCTAssertEqual(anomalies.first?.reason, IoTRiskRules.builtIn.ports.first { $0.port == 4444 }?.reason)
    }

    func testBaselineLearnsThenFlagsNewDestinationsAndProviderWordsAndConsensus() throws {
        let inventory = DeviceInventory()
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        inventory.ingest(DeviceObservation(source: .mdns, time: start, mac: HomeNetwork.chromecast, ip: HomeNetwork.chromecastIP, services: ["_googlecast._tcp"]))
        let known = IPAddress(142, 250, 74, 78), unknown = IPAddress(185, 220, 101, 4), flagged = IPAddress(91, 92, 109, 43)
        let enricher = AddressEnricher(location: FixedLocations(answers: [
            unknown: LocationInfo(countryCode: "DE", asn: 60729, asName: "Stiftung Erneuerbare Freiheit (Tor exit)"),
            flagged: LocationInfo(countryCode: "NL", asn: 9009, asName: "Toronto Storage Ltd"),
        ]))
        // A cached provider verdict, loaded the way the `iot` commands load it.
        let database = try NetScouterDatabase(directory: directory)
        let cache = ReputationCache(database: database)
        try cache.put(ReputationEntry(address: flagged.description, provider: "abuseipdb", flagged: true, score: 100,
                                      fetchedAt: Date(), expiresAt: Date().addingTimeInterval(3600)))
        try cache.put(ReputationEntry(address: flagged.description, provider: "otx", flagged: false, fetchedAt: Date(), expiresAt: Date().addingTimeInterval(3600)))
        XCTAssertEqual(try enricher.preload(from: cache, at: Date()), 1)
        let correlator = OutboundCorrelator(rules: .builtIn, enricher: enricher)
        func flow(_ remote: IPAddress, port: UInt16, hours: Double) -> OutboundFlow {
            OutboundFlow(deviceIP: HomeNetwork.chromecastIP, remoteIP: remote, remotePort: port, transport: "tcp",
                         firstSeen: start.addingTimeInterval(hours * 3600), lastSeen: start.addingTimeInterval(hours * 3600 + 5), bytes: 900, answered: true)
        }
        correlator.correlate([flow(known, port: 443, hours: 0), flow(known, port: 8443, hours: 1)], inventory: inventory)
        XCTAssertEqual(correlator.anomalies.count, 0, "learning")
        XCTAssertEqual(correlator.baseline.destinations[HomeNetwork.chromecast.description], [known.description])
        correlator.correlate([flow(known, port: 443, hours: 30), flow(unknown, port: 443, hours: 30), flow(unknown, port: 443, hours: 31),
                              flow(flagged, port: 443, hours: 32)], inventory: inventory)
        let rules = Set(correlator.anomalies.values.map { "\($0.remoteIP) \($0.rule) \($0.severity.rawValue) \($0.count)" })
        XCTAssertEqual(rules, [
            "185.220.101.4 keyword:tor high 2",
            "185.220.101.4 new-destination low 2",
            "91.92.109.43 new-destination low 1",
            "91.92.109.43 consensus high 1",
        ])
        let toFlagged = try XCTUnwrap(correlator.destinations.values.first { $0.remoteIP == flagged.description })
        XCTAssertEqual(toFlagged.consensus, "1/2")
        XCTAssertEqual(toFlagged.provider, "AS9009 Toronto Storage Ltd")
        XCTAssertEqual(toFlagged.risk, .high)
        XCTAssertEqual(correlator.destinations.values.first { $0.remoteIP == unknown.description }?.flows, 2)
        // "Toronto Storage" contains neither "tor" nor "storage"-like keywords as whole words.
        XCTAssertFalse(correlator.anomalies.values.contains { $0.remoteIP == flagged.description && $0.rule.hasPrefix("keyword") })
        // A reset baseline learns again.
        correlator.resetBaseline(HomeNetwork.chromecast.description, inventory: inventory)
        correlator.correlate([flow(IPAddress(1, 1, 1, 1), port: 443, hours: 40)], inventory: inventory)
        XCTAssertFalse(correlator.anomalies.values.contains { $0.remoteIP == "1.1.1.1" })
    }

    func testNonIoTDevicesAndLocalDestinationsAreNotCorrelated() {
        let inventory = DeviceInventory()
        let time = Date(timeIntervalSince1970: 1_764_000_000)
        inventory.ingest(DeviceObservation(source: .dhcp, time: time, mac: HomeNetwork.phone, ip: HomeNetwork.phoneIP, vendorClass: "android-dhcp-13"))
        inventory.ingest(DeviceObservation(source: .arp, time: time, mac: HomeNetwork.camera, ip: HomeNetwork.cameraIP))
        let correlator = OutboundCorrelator(rules: .builtIn, enricher: AddressEnricher(location: nil))
        let flows = [
            OutboundFlow(deviceIP: HomeNetwork.phoneIP, remoteIP: HomeNetwork.telnetHost, remotePort: 23, transport: "tcp", firstSeen: time, lastSeen: time, bytes: 1, answered: true),
            OutboundFlow(deviceIP: HomeNetwork.cameraIP, remoteIP: IPAddress(192, 168, 1, 1), remotePort: 23, transport: "tcp", firstSeen: time, lastSeen: time, bytes: 1, answered: true),
            OutboundFlow(deviceIP: HomeNetwork.cameraIP, remoteIP: HomeNetwork.telnetHost, remotePort: 2323, transport: "tcp", firstSeen: time, lastSeen: time, bytes: 1, answered: false),
            OutboundFlow(deviceIP: HomeNetwork.cameraIP, remoteIP: HomeNetwork.telnetHost, remotePort: 6667, transport: "udp", firstSeen: time, lastSeen: time, bytes: 1, answered: false),
        ]
        correlator.correlate(flows, inventory: inventory)
        XCTAssertEqual(correlator.anomalies.values.map(\.rule), ["port:6667"], "only the camera's UDP to 6667: the phone is not IoT, 192.168.1.1 is local, an unanswered SYN reached nothing")
        // The capturing machine's own flows are not a device's.
        let own = OutboundCorrelator(rules: .builtIn, enricher: AddressEnricher(location: nil))
        own.correlate(flows, inventory: inventory, excluding: [HomeNetwork.cameraIP])
        XCTAssertEqual(own.anomalies.count, 0)
        XCTAssertTrue(IoTEngine.thisHostsAddresses().contains(IPAddress(127, 0, 0, 1)))
    }
}

final class IoTExportTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    static var assets: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Assets")
    }

    /// Validates `file` against Assets/iot-export.schema.json with python3-jsonschema (the
    /// reference implementation of JSON Schema in Python).
    static func validate(_ file: String) throws -> ExternalTools.Result {
        let python = try ExternalTools.require("python3", package: "python3")
        if try ExternalTools.run(python, ["-c", "import jsonschema"]).status != 0 {
            _ = try? ExternalTools.run("/usr/bin/apt-get", ["install", "-y", "-qq", "python3-jsonschema"])
        }
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
            print("valid")
            """
        return try ExternalTools.run(python, ["-c", script, assets.appendingPathComponent("iot-export.schema.json").path, file])
    }

    func testTheREADMEExampleFollowsTheSchema() throws {
        let readme = try String(contentsOf: Self.assets.deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "## IoT inventory and outbound risk"))
        let start = try XCTUnwrap(readme.range(of: "```json\n", range: section.upperBound..<readme.endIndex))
        let end = try XCTUnwrap(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let example = directory.appendingPathComponent("example.json")
        try Data(readme[start.upperBound..<end.lowerBound].utf8).write(to: example)
        let result = try Self.validate(example.path)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertNoThrow(try IoTExportDocument.decode(Data(contentsOf: example)))
    }

    func testExportValidatesAgainstTheSchemaAndRoundTrips() throws {
        let path = directory.appendingPathComponent("home.pcap").path
        try HomeNetwork.write(to: path, frames: HomeNetwork.frames() + HostileAnnouncementTests.hostileFrames())
        let engine = try IoTEngine(database: nil, vendors: try? MACVendors())
        try engine.read(file: path)
        engine.inventory.setUserType(.camera, for: HomeNetwork.printer.description)
        let document = IoTExportDocument(generatedAt: Date(timeIntervalSince1970: 1_764_000_123.7), devices: engine.inventory.sorted,
                                         anomalies: engine.correlator.sortedAnomalies)
        XCTAssertEqual(document.devices.count, 8)
        XCTAssertEqual(document.anomalies.count, 1)
        XCTAssertEqual(document.generatedAt, "2025-11-24T16:02:03Z")
        let out = directory.appendingPathComponent("iot.json").path
        try document.write(to: out)

        let result = try Self.validate(out)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "valid\n")

        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let decoded = try IoTExportDocument.decode(data)
        XCTAssertEqual(decoded, document)
        XCTAssertEqual(try decoded.jsonData() + [0x0A], data, "re-encoding gives the same bytes")

        // Every documented key is present, null included.
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let phone = try XCTUnwrap((object["devices"] as? [[String: Any]])?.first { $0["mac"] as? String == HomeNetwork.phone.description })
        XCTAssertTrue(phone["vendor"] is NSNull)
        XCTAssertEqual(phone["randomised_mac"] as? Bool, true)

        // The schema is not a rubber stamp: a control character in a host name fails it.
        var broken = document
        broken.devices[0].hostname = "bad\u{0007}name"
        try broken.write(to: out)
        XCTAssertNotEqual(try Self.validate(out).status, 0)
    }
}
