import Foundation
import GRDB
import Intel
import IoT
import Jobs
import NetScouterTestSupport
import Packets
import Scan
import Store
import XCTest

func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-iot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Replaying a capture file of announcements fills the inventory with the right types and reasons.
final class PassiveInventoryTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func vendors() throws -> MACVendors {
        do { return try MACVendors() } catch { throw XCTSkip("ieee-data is not installed (make deps installs it): \(error)") }
    }

    func testReplayFillsInventoryWithTypesAndReasons() throws {
        let path = directory.appendingPathComponent("home.pcap").path
        try HomeNetwork.write(to: path)
        let database = try NetScouterDatabase(directory: directory)
        let engine = try IoTEngine(database: database, vendors: try vendors())
        let summary = try engine.read(file: path)
        XCTAssertNil(summary.readError)
        XCTAssertEqual(summary.observations, 5)
        try engine.save()

        // What a second process sees: the store, not this engine's memory.
        let devices = Dictionary(uniqueKeysWithValues: try IoTStore(database: database).devices().map { ($0.key, $0) })
        XCTAssertEqual(devices.count, 5)

        let camera = try XCTUnwrap(devices[HomeNetwork.camera.description])
        XCTAssertEqual(camera.deviceType, .camera)
        XCTAssertEqual(camera.ip, HomeNetwork.cameraIP.description)
        XCTAssertEqual(camera.vendor, "Hangzhou Hikvision Digital Technology Co.,Ltd.")
        XCTAssertEqual(camera.typeReasons, ["MAC vendor \"Hangzhou Hikvision Digital Technology Co.,Ltd.\" makes camera devices"])
        XCTAssertTrue(camera.online)

        let chromecast = try XCTUnwrap(devices[HomeNetwork.chromecast.description])
        XCTAssertEqual(chromecast.deviceType, .media)
        XCTAssertEqual(chromecast.hostname, "Chromecast-Ultra")
        XCTAssertEqual(chromecast.hostnameSource, "mdns")
        XCTAssertEqual(chromecast.typeReasons.first, "mDNS service _googlecast._tcp suggests speaker/TV/media")

        let bridge = try XCTUnwrap(devices[HomeNetwork.bridge.description])
        XCTAssertEqual(bridge.deviceType, .hub)
        XCTAssertTrue(bridge.typeReasons.contains("SSDP \"Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0\" contains \"ipbridge\": hub/bridge"), "\(bridge.typeReasons)")
        XCTAssertTrue(bridge.typeReasons.contains("MAC vendor \"Signify B.V.\" makes hub/bridge devices"), "\(bridge.typeReasons)")

        let phone = try XCTUnwrap(devices[HomeNetwork.phone.description])
        XCTAssertEqual(phone.deviceType, .phone)
        XCTAssertTrue(phone.randomisedMAC)
        XCTAssertNil(phone.vendor)
        XCTAssertEqual(phone.hostname, "Pixel-7")
        XCTAssertEqual(phone.hostnameSource, "dhcp")
        XCTAssertEqual(phone.ip, HomeNetwork.phoneIP.description)
        XCTAssertEqual(Array(phone.typeReasons.prefix(3)), [
            "DHCP vendor class \"android-dhcp-13\" contains \"android\": phone",
            "host name \"Pixel-7\" has the word \"pixel\": phone",
            "randomised (locally administered) MAC: no vendor, and the device may reappear under another MAC",
        ])

        let printer = try XCTUnwrap(devices[HomeNetwork.printer.description])
        XCTAssertEqual(printer.deviceType, .printer)
        XCTAssertEqual(printer.typeReasons, [
            "mDNS service _ipp._tcp suggests printer",
            "host name \"office-printer\" has the word \"printer\": printer",
            "MAC vendor \"Brother industries, LTD.\" makes printer devices",
        ])
    }

    func testTsharkReadsTheSameAnnouncements() throws {
        // The fixture frames are what a real dissector sees: DHCP host name and vendor class,
        // the mDNS service PTR and the SSDP SERVER header.
        let tshark = try ExternalTools.require("tshark", package: "tshark")
        let path = directory.appendingPathComponent("home.pcap").path
        try HomeNetwork.write(to: path)
        let result = try ExternalTools.run(tshark, ["-r", path, "-T", "fields", "-e", "dhcp.option.hostname",
                                                    "-e", "dhcp.option.vendor_class_id", "-e", "dns.ptr.domain_name", "-e", "http.server",
                                                    "-Y", "dhcp or mdns or ssdp"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let text = result.standardOutput
        XCTAssertTrue(text.contains("Pixel-7\tandroid-dhcp-13"), text)
        XCTAssertTrue(text.contains("Living Room TV._googlecast._tcp.local"), text)
        XCTAssertTrue(text.contains("Office._ipp._tcp.local"), text)
        XCTAssertTrue(text.contains("Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0"), text)
    }

    func testUserTypeOverrideIsKept() throws {
        let path = directory.appendingPathComponent("home.pcap").path
        try HomeNetwork.write(to: path)
        let database = try NetScouterDatabase(directory: directory)
        let engine = try IoTEngine(database: database, vendors: try vendors())
        try engine.read(file: path)
        XCTAssertTrue(engine.inventory.setUserType(.sensor, for: HomeNetwork.bridgeIP.description))
        XCTAssertFalse(engine.inventory.setUserType(.sensor, for: "10.99.99.99"))
        try engine.save()

        let reloaded = try IoTEngine(database: database, vendors: try vendors())
        let bridge = try XCTUnwrap(reloaded.inventory.devices[HomeNetwork.bridge.description])
        XCTAssertEqual(bridge.deviceType, .sensor)
        XCTAssertEqual(bridge.detectedType, .hub)
        XCTAssertEqual(bridge.typeReasons, ["set by the user to thermostat/sensor (the rules say hub/bridge)"])
        // New evidence does not undo the user's choice.
        try reloaded.read(file: path)
        XCTAssertEqual(reloaded.inventory.devices[HomeNetwork.bridge.description]?.deviceType, .sensor)
        reloaded.inventory.setUserType(nil, for: HomeNetwork.bridge.description)
        try reloaded.save()
        XCTAssertEqual(try IoTStore(database: database).devices().first { $0.key == HomeNetwork.bridge.description }?.deviceType, .hub)
    }

    func testAddressOnlyDeviceMergesWhenItsMACAppears() throws {
        let inventory = DeviceInventory(vendors: try vendors())
        let time = Date(timeIntervalSince1970: 1_764_000_000)
        inventory.ingest(DeviceObservation(source: .discovery, time: time, ip: IPAddress(10, 0, 0, 9), hostname: "nas.lan"))
        XCTAssertNotNil(inventory.devices["ip:10.0.0.9"])
        inventory.addOpenPorts([53], ip: IPAddress(10, 0, 0, 9), at: time)
        inventory.ingest(DeviceObservation(source: .arp, time: time.addingTimeInterval(5), mac: MACAddress("00:11:32:01:02:03"), ip: IPAddress(10, 0, 0, 9)))
        XCTAssertNil(inventory.devices["ip:10.0.0.9"])
        let device = inventory.devices["00:11:32:01:02:03"]
        XCTAssertEqual(device?.hostname, "nas.lan")
        XCTAssertEqual(device?.vendor, "Synology Incorporated")
        XCTAssertEqual(device?.firstSeen, time)
        XCTAssertEqual(device?.evidence.openPorts, [53])
        XCTAssertEqual(device?.deviceType, .network)
        XCTAssertEqual(inventory.takeChanges().removed, ["ip:10.0.0.9"])
        // A scan of an address outside the inventory adds nothing.
        XCTAssertFalse(inventory.addOpenPorts([23], ip: IPAddress(45, 33, 32, 156), at: time))
        XCTAssertEqual(inventory.devices.count, 1)
    }

    func testIPv6AnnouncementsAndVLANTagsAreRead() throws {
        let time = Date(timeIntervalSince1970: 1_764_000_000)
        let mac = HomeNetwork.chromecast
        let linkLocal = try XCTUnwrap(IPAddress("fe80::5acb:52ff:feaa:bbcc"))
        let message = AnnouncementFrames.mdnsMessage(service: "_airplay._tcp", instance: Array("Lounge".utf8), host: [Array("lounge-tv".utf8)], ip: HomeNetwork.chromecastIP)
        let udp = FrameBuilder.udp(sourcePort: 5353, destinationPort: 5353, payload: message)
        let packet = FrameBuilder.ipv6(source: linkLocal, destination: try XCTUnwrap(IPAddress("ff02::fb")), nextHeader: 17, payload: udp)
        let frame = FrameBuilder.ethernet(source: mac, destination: MACAddress(value: 0x33_33_00_00_00_FB), etherType: 0x86DD, vlanIDs: [42], payload: packet)
        let observations = AnnouncementParser.observations(frame, linkType: .ethernet, time: time)
        XCTAssertEqual(observations, [DeviceObservation(source: .mdns, time: time, mac: mac, ip: linkLocal, hostname: "lounge-tv", services: ["_airplay._tcp"])])

        let inventory = DeviceInventory()
        inventory.ingest(DeviceObservation(source: .arp, time: time, mac: mac, ip: HomeNetwork.chromecastIP))
        for observation in observations { inventory.ingest(observation) }
        let device = try XCTUnwrap(inventory.devices[mac.description])
        XCTAssertEqual(device.ips, [linkLocal.description, HomeNetwork.chromecastIP.description])
        XCTAssertEqual(device.ip, HomeNetwork.chromecastIP.description, "the IPv4 address is the one shown")
        XCTAssertEqual(device.deviceType, .media)
    }

    /// A port scan saved the way `scan` and the port-scan job save it adds its open ports to the
    /// device holding the address.
    func testPortScanAddsOpenPortsToKnownDevices() throws {
        let database = try NetScouterDatabase(directory: directory)
        let engine = try IoTEngine(database: database, vendors: nil)
        let mac = MACAddress("02:42:ac:11:00:09")!
        engine.inventory.ingest(DeviceObservation(source: .arp, time: Date(), mac: mac, ip: IPAddress(127, 0, 0, 1)))
        try engine.save()
        let (listener, port) = try LoopbackSockets.bind(type: Int32(SOCK_STREAM.rawValue))
        defer { close(listener) }
        XCTAssertEqual(listen(listener, 4), 0)
        let scanner = ConnectScanner(hosts: try TargetParser().parse("127.0.0.1"), ports: [port])
        let result = try scanner.run()
        XCTAssertEqual(result.results.map(\.state), [.open])
        let scanID = try ScanRecords.begin(kind: ScanRecords.portScanKind, target: "127.0.0.1", in: database)
        try ScanRecords.finish(scanID: scanID, scan: result, hosts: 1, allStates: false, in: database)
        let device = try XCTUnwrap(try IoTStore(database: database).devices().first { $0.key == mac.description })
        XCTAssertEqual(device.evidence.openPorts, [port])
        XCTAssertTrue(device.sources.contains(.scan))
    }

    func testHostnameTokensMatchAsWholeWords() {
        let classifier = DeviceClassifier()
        var evidence = DeviceEvidence()
        evidence.hostnames = ["camden-laptop"]
        XCTAssertEqual(classifier.classify(evidence).type, .computer)
        evidence.hostnames = ["Camden"]
        XCTAssertEqual(classifier.classify(evidence).type, .unknown)
        evidence.hostnames = ["garage_cam_2"]
        XCTAssertEqual(classifier.classify(evidence).type, .camera)
        // "_ipp" is not "_ipps", and the protocol label may be left out of the rule.
        evidence = DeviceEvidence()
        evidence.services = ["_ipps._tcp"]
        XCTAssertEqual(classifier.classify(evidence).reasons, ["mDNS service _ipps._tcp suggests printer"])
    }

    func testBuiltInRulesAreTheAssetsFiles() throws {
        let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Assets")
        let types = try JSONDecoder().decode(DeviceTypeRules.self, from: Data(contentsOf: assets.appendingPathComponent("iot-device-types.json")))
        XCTAssertEqual(types, DeviceTypeRules.builtIn)
        XCTAssertEqual(Set(types.types.map(\.type)), Set(DeviceType.allCases).subtracting([.unknown]))
        struct Envelope: Decodable { var iot: IoTRiskRules }
        let risk = try JSONDecoder().decode(Envelope.self, from: Data(contentsOf: assets.appendingPathComponent("risk-rules.json"))).iot
        XCTAssertEqual(risk, IoTRiskRules.builtIn)
        XCTAssertEqual(Set(risk.ports.map(\.port)), [23, 2323, 4444, 5555, 6667])
        XCTAssertEqual(risk.learningWindowHours, 24)
    }

    func testUserRulesFilesReplaceTheBuiltInOnes() throws {
        let config = directory.appendingPathComponent("config/netscouter")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        let environment = ["XDG_CONFIG_HOME": directory.appendingPathComponent("config").path]
        XCTAssertEqual(try IoTRiskRules.load(environment: environment).rules, .builtIn)
        // A risk rules file without an "iot" section keeps the built-in IoT rules.
        try Data(#"{"version": 1, "ports": []}"#.utf8).write(to: config.appendingPathComponent("risk-rules.json"))
        XCTAssertEqual(try IoTRiskRules.load(environment: environment).rules, .builtIn)
        try Data(#"{"iot": {"learning_window_hours": "soon"}}"#.utf8).write(to: config.appendingPathComponent("risk-rules.json"))
        XCTAssertThrowsError(try IoTRiskRules.load(environment: environment)) { error in
            XCTAssertTrue("\(error)".contains("risk-rules.json"), "\(error)")
        }
        try Data(#"{"version": 1, "weights": {"mdns": 1, "ssdp": 1, "dhcp_vendor_class": 1, "hostname": 1, "port": 1, "vendor": 1}, "types": [{"type": "camera", "hostnames": ["kitchen"]}]}"#.utf8)
            .write(to: config.appendingPathComponent("iot-device-types.json"))
        let rules = try DeviceTypeRules.load(environment: environment)
        XCTAssertEqual(rules.source, config.appendingPathComponent("iot-device-types.json").path)
        var evidence = DeviceEvidence()
        evidence.hostnames = ["kitchen"]
        XCTAssertEqual(DeviceClassifier(rules: rules.rules).classify(evidence).type, .camera)
    }
}
