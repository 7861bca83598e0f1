import Capture
import Foundation
import Intel
import IoT
import NetScouterTestSupport
import Packets
import Screens
import Store
import UI
import XCTest

/// The IoT Map tab with a real store: the engine's inventory, destinations and anomalies, as
/// `netscouter iot` would have saved them, loaded by the tab's worker.
final class IoTMapTabTests: XCTestCase {
    private var fixture: ServicesFixture!
    static let start = Date(timeIntervalSince1970: 1_764_000_000)
    static let cameraMAC = "02:47:cc:10:20:30"
    static let tvMAC = "02:cb:52:aa:bb:cc"
    static let printerMAC = "02:80:77:44:55:66"
    static let telnetHost = "45.33.32.156"
    static let cloud = "142.250.74.78"

    override func setUpWithError() throws { fixture = try ServicesFixture() }
    override func tearDownWithError() throws { fixture.tearDown() }

    /// Three devices typed by their own announcements (a host name, an mDNS service, a host name),
    /// the camera talking to Google and to a telnet port (the built-in rules flag port 23).
    static func populate(_ database: NetScouterDatabase, extraDevices: Int = 0) throws {
        let locations = MapLocations(answers: [
            IPAddress(telnetHost)!: LocationInfo(countryCode: "US", asn: 63949, asName: "Akamai Connected Cloud"),
            IPAddress(cloud)!: LocationInfo(countryCode: "DE", asn: 15169, asName: "GOOGLE"),
        ])
        let engine = try IoTEngine(database: database, vendors: nil, enricher: AddressEnricher(location: locations))
        engine.inventory.ingest(DeviceObservation(source: .dhcp, time: start, mac: MACAddress(cameraMAC), ip: IPAddress(192, 168, 1, 20), hostname: "porch-cam"))
        engine.inventory.ingest(DeviceObservation(source: .mdns, time: start.addingTimeInterval(1), mac: MACAddress(tvMAC), ip: IPAddress(192, 168, 1, 21),
                                                  hostname: "living-room", services: ["_googlecast._tcp"]))
        engine.inventory.ingest(DeviceObservation(source: .dhcp, time: start.addingTimeInterval(2), mac: MACAddress(printerMAC), ip: IPAddress(192, 168, 1, 22),
                                                  hostname: "office-printer"))
        for index in 0..<extraDevices {
            engine.inventory.ingest(DeviceObservation(source: .arp, time: start.addingTimeInterval(Double(10 + index)),
                                                      mac: MACAddress(String(format: "02:00:00:00:01:%02x", index)), ip: IPAddress(192, 168, 2, UInt8(index + 1))))
        }
        let camera = IPAddress(192, 168, 1, 20)
        engine.correlator.correlate([
            OutboundFlow(deviceIP: camera, remoteIP: IPAddress(telnetHost)!, remotePort: 23, transport: "tcp", firstSeen: start.addingTimeInterval(10),
                         lastSeen: start.addingTimeInterval(11), bytes: 300, answered: true),
            OutboundFlow(deviceIP: camera, remoteIP: IPAddress(cloud)!, remotePort: 443, transport: "tcp", firstSeen: start.addingTimeInterval(12),
                         lastSeen: start.addingTimeInterval(20), bytes: 50_000, answered: true),
        ], inventory: engine.inventory)
        try engine.save()
    }

    private func openTab(size: Size = Size(1400, 860)) throws -> (AppShell, IoTMapScreen, UIHarness) {
        let shell = AppShell(capture: CaptureController(), services: fixture.services)
        let screen = try XCTUnwrap(shell.screen(IoTMapScreen.self))
        shell.selectedTab = .iotMap
        let harness = UIHarness(size: size) { ui in shell.build(ui) }
        XCTAssertTrue(runFrames(harness) { screen.model.hasLoaded && !screen.model.isLoading }, "the inventory loads")
        harness.frames(2)
        return (shell, screen, harness)
    }

    func testTheMapDrawsEveryDeviceWithItsTypeAndState() throws {
        try Self.populate(fixture.database, extraDevices: 9)
        let (_, screen, harness) = try openTab()
        let devices = harness.items(ofRoleKind: "map device")
        XCTAssertEqual(devices.count, 12, "every inventoried device is on the map")
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map device", name: Self.cameraMAC)), "porch-cam · camera · online")
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map device", name: Self.tvMAC)), "living-room · media · online")
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map device", name: Self.printerMAC)), "office-printer · printer · online")
        XCTAssertEqual(Set(harness.items(ofRoleKind: "map destination").compactMap { $0.role?.name }), [Self.telnetHost, Self.cloud])
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map destination", name: Self.telnetHost)), "high")
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map destination", name: Self.cloud)), "none")
        XCTAssertEqual(harness.items(ofRoleKind: "map edge").count, 2)
        // Every node is inside the map, none on top of another.
        let map = try XCTUnwrap(harness.item("IoT Map/Map"))
        let rects = devices.map(\.rect)
        for (index, rect) in rects.enumerated() {
            XCTAssertTrue(map.rect.contains(rect.center))
            for other in rects[(index + 1)...] { XCTAssertFalse(rect.insetBy(1, 1).intersects(other.insetBy(1, 1)), "\(rect) \(other)") }
        }
        // The side tables show the same inventory and the anomaly.
        XCTAssertEqual(screen.inventoryTable.rows.count, 12)
        XCTAssertEqual(screen.anomaliesTable.rows.map(\.rule), ["port:23"])
        XCTAssertTrue(harness.labelTexts.contains("porch-cam"), "labels while few devices")
        let before = devices.map(\.rect)
        XCTAssertTrue(harness.labelTexts.contains("US (1)"), "destination groups by country: \(harness.labelTexts)")
        XCTAssertTrue(harness.labelTexts.contains("DE (1)"))
        harness.click("IoT Map/Group by")
        harness.click("IoT Map/Group by/provider")
        XCTAssertTrue(harness.labelTexts.contains("AS15169 GOOGLE (1)"), "or by provider: \(harness.labelTexts)")
        XCTAssertEqual(harness.items(ofRoleKind: "map device").map(\.rect), before, "regrouping moves no device")
        screen.model.refresh()
        XCTAssertTrue(runFrames(harness) { !screen.model.isLoading })
        harness.frame()
        XCTAssertEqual(harness.items(ofRoleKind: "map device").map(\.rect), before, "a reload of the same data draws every node at the same place")
    }

    func testHoverShowsDetailsAndClickSelects() throws {
        try Self.populate(fixture.database)
        let (_, screen, harness) = try openTab()
        let camera = try XCTUnwrap(harness.item(ItemRole(kind: "map device", name: Self.cameraMAC)))
        harness.moveMouse(to: camera.rect.center)
        harness.frame()
        let texts = harness.drawnTexts
        XCTAssertTrue(texts.contains("porch-cam"))
        XCTAssertTrue(texts.contains("Type: camera"), "\(texts)")
        XCTAssertTrue(texts.contains { $0.contains("host name") && $0.contains("cam") }, "the type reason: \(texts)")
        XCTAssertTrue(texts.contains("IP: 192.168.1.20"))
        XCTAssertTrue(texts.contains("MAC: \(Self.cameraMAC) (randomised)"), "a locally administered MAC says so")

        let destination = try XCTUnwrap(harness.item(ItemRole(kind: "map destination", name: Self.telnetHost)))
        harness.moveMouse(to: destination.rect.center)
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains("Risk: high"))
        XCTAssertTrue(harness.drawnTexts.contains { $0.hasPrefix("  · port:23: ") })

        harness.click(at: camera.rect.center)
        XCTAssertEqual(screen.model.selection, .device(Self.cameraMAC))
        XCTAssertEqual(screen.inventoryTable.selectedKey, Self.cameraMAC, "the inventory follows the map")
        harness.frame()
        XCTAssertTrue(harness.item(ItemRole(kind: "map detail", name: IoTMapGraph.deviceKey(Self.cameraMAC)))?.value?.contains("Type: camera") == true)
    }

    /// Dragging pans the map, the wheel zooms about the cursor, Fit shows everything again.
    func testDragPansAndTheWheelZooms() throws {
        try Self.populate(fixture.database)
        let (_, screen, harness) = try openTab()
        let role = ItemRole(kind: "map device", name: Self.tvMAC)
        let fitted = try XCTUnwrap(harness.item(role)).rect
        let map = try XCTUnwrap(harness.item("IoT Map/Map")).rect
        let empty = Point(map.x + 20, map.maxY - 20)
        harness.drag(from: empty, to: Point(empty.x + 60, empty.y - 40))
        let panned = try XCTUnwrap(harness.item(role)).rect
        XCTAssertEqual(panned.x - fitted.x, 60, accuracy: 0.5)
        XCTAssertEqual(panned.y - fitted.y, -40, accuracy: 0.5)
        XCTAssertNil(screen.model.selection, "a drag selects nothing")
        harness.scroll(at: panned.center, lines: 3)
        harness.frame()
        let zoomed = try XCTUnwrap(harness.item(role)).rect
        XCTAssertGreaterThan(zoomed.width, panned.width * 1.5, "bigger")
        XCTAssertEqual(zoomed.center.x, panned.center.x, accuracy: 2, "about the cursor")
        XCTAssertEqual(zoomed.center.y, panned.center.y, accuracy: 2)
        harness.click("IoT Map/Map/Fit")
        harness.frame()
        XCTAssertEqual(try XCTUnwrap(harness.item(role)).rect, fitted)
    }

    func testClickingAFlaggedEdgeOrDestinationOffersBlock() throws {
        try Self.populate(fixture.database)
        let (_, screen, harness) = try openTab()
        var blocked: [String] = []
        let flaggedEdge = IoTMapGraph.edgeKey(device: Self.cameraMAC, address: Self.telnetHost)
        let blockButtons = { harness.items.filter { $0.kind == "button" && $0.path.contains("Block ") } }

        // Without the firewall hook there is no Block button.
        harness.click(at: try XCTUnwrap(harness.item(ItemRole(kind: "map edge", name: flaggedEdge))).rect.center)
        XCTAssertEqual(screen.model.selection, .edge(device: Self.cameraMAC, address: Self.telnetHost))
        harness.frame()
        XCTAssertTrue(blockButtons().isEmpty)

        screen.onBlock = { blocked.append($0) }
        harness.frame()
        let button = try XCTUnwrap(blockButtons().first, "a flagged edge offers Block")
        harness.click(at: button.rect.center)
        XCTAssertEqual(blocked, [Self.telnetHost], "the hook gets the remote address")

        // An unflagged destination offers nothing; the flagged one does.
        harness.click(at: try XCTUnwrap(harness.item(ItemRole(kind: "map destination", name: Self.cloud))).rect.center)
        XCTAssertEqual(screen.model.selection, .destination(Self.cloud))
        harness.frame()
        XCTAssertTrue(blockButtons().isEmpty)
        harness.click(at: try XCTUnwrap(harness.item(ItemRole(kind: "map destination", name: Self.telnetHost))).rect.center)
        harness.frame()
        harness.click(at: try XCTUnwrap(blockButtons().first).rect.center)
        XCTAssertEqual(blocked, [Self.telnetHost, Self.telnetHost])
    }

    /// Export JSON writes `netscouter iot export`'s document: valid against the schema in
    /// Assets/, and it reads back to what the tab shows.
    func testExportJSONWritesTheDocumentedSchema() throws {
        try Self.populate(fixture.database)
        let (shell, screen, harness) = try openTab()
        let path = fixture.directory.appendingPathComponent("iot.json").path
        screen.exportPath = path
        harness.click("IoT Map/Export JSON")
        XCTAssertTrue(runFrames(harness) { !screen.isExportingJSON && FileManager.default.fileExists(atPath: path) })
        harness.frame()
        XCTAssertNotNil(harness.toastContaining("Exported 3 devices and 1 anomaly to \(path)"))
        _ = shell
        let document = try IoTExportDocument.decode(Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Set(document.devices.compactMap(\.mac)), [Self.cameraMAC, Self.tvMAC, Self.printerMAC])
        XCTAssertEqual(document.devices.first { $0.mac == Self.cameraMAC }?.deviceType, "camera")
        XCTAssertEqual(document.anomalies.map { "\($0.remoteIP):\($0.remotePort) \($0.rule) \($0.severity)" }, ["\(Self.telnetHost):23 port:23 high"])
        // The documented keys, with explicit nulls, checked by the reference validator.
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        XCTAssertNotNil(object["generated_at"] as? String)
        let device = try XCTUnwrap((object["devices"] as? [[String: Any]])?.first)
        for key in ["mac", "ip", "vendor", "hostname", "device_type", "type_reasons", "first_seen", "last_seen", "online"] {
            XCTAssertTrue(device.keys.contains(key), key)
        }
        let anomaly = try XCTUnwrap((object["anomalies"] as? [[String: Any]])?.first)
        for key in ["device_mac", "device_ip", "remote_ip", "remote_port", "country", "provider", "rule", "severity", "reason", "first_seen", "last_seen", "count"] {
            XCTAssertTrue(anomaly.keys.contains(key), key)
        }
        let validation = try Self.validate(path)
        XCTAssertEqual(validation.status, 0, validation.standardError + validation.standardOutput)
        XCTAssertEqual(validation.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines), "valid")
    }

    static func validate(_ file: String) throws -> ExternalTools.Result {
        let python = try ExternalTools.require("python3", package: "python3")
        if try ExternalTools.run(python, ["-c", "import jsonschema"]).status != 0 {
            _ = try? ExternalTools.run("/usr/bin/apt-get", ["install", "-y", "-qq", "python3-jsonschema"])
        }
        let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Assets")
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
            print("valid")
            """
        return try ExternalTools.run(python, ["-c", script, assets.appendingPathComponent("iot-export.schema.json").path, file])
    }

    /// The inventory and anomaly tables export what they show, through the tables' export bars.
    func testTheSideTablesSortAndExport() throws {
        try Self.populate(fixture.database, extraDevices: 2)
        let (_, screen, harness) = try openTab()
        XCTAssertEqual(screen.inventoryTable.rows.compactMap(\.ip), ["192.168.1.20", "192.168.1.21", "192.168.1.22", "192.168.2.1", "192.168.2.2"])
        harness.click("Inventory/header:IP")
        harness.frames(2)
        XCTAssertEqual(screen.inventoryTable.rows.first?.ip, "192.168.2.2", "sorted by address, descending")
        let exported = screen.inventoryTable.exportTable()
        XCTAssertEqual(exported.columns.map(\.key), ["name", "ip", "mac", "vendor", "device_type", "online", "last_seen", "type_reasons", "first_seen"])
        XCTAssertNotNil(screen.inventoryTable.exportBar)
        XCTAssertNotNil(screen.anomaliesTable.exportBar)
        XCTAssertEqual(screen.anomaliesTable.exportTable().count, 1)
    }

    /// The selected device's type can be overridden, as `netscouter iot set-type` does: saved,
    /// and the map shows the new type.
    func testTheTypeOfASelectedDeviceCanBeOverridden() throws {
        try Self.populate(fixture.database)
        let (_, screen, harness) = try openTab()
        harness.click(at: try XCTUnwrap(harness.item(ItemRole(kind: "map device", name: Self.printerMAC))).rect.center)
        harness.frame()
        harness.click("Device type")
        harness.click("Device type/\(DeviceType.sensor.displayName)")
        XCTAssertTrue(runFrames(harness) { screen.model.snapshot.devices.first { $0.key == Self.printerMAC }?.userType == .sensor })
        harness.frame()
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map device", name: Self.printerMAC)), "office-printer · sensor · online")
        XCTAssertEqual(try IoTStore(database: fixture.freshDatabase()).devices().first { $0.key == Self.printerMAC }?.userType, .sensor, "saved")
        // Back to the rules.
        harness.click("Device type")
        harness.click("Device type/auto (rules: printer)")
        XCTAssertTrue(runFrames(harness) { screen.model.snapshot.devices.first { $0.key == Self.printerMAC }?.userType == nil })
    }

    /// Loads coalesce (only the latest waiting one runs): a type change asked for while a load
    /// runs, followed by a refresh before it started, is still saved.
    func testATypeChangeIsNotLostToALaterRefresh() throws {
        try Self.populate(fixture.database)
        let (_, screen, harness) = try openTab()
        screen.model.refresh()
        XCTAssertTrue(screen.model.isLoading)
        screen.model.setType(.camera, for: Self.printerMAC)
        screen.model.refresh()
        XCTAssertTrue(runFrames(harness) { !screen.model.isLoading && screen.model.snapshot.devices.first { $0.key == Self.printerMAC }?.userType == .camera })
        XCTAssertEqual(try IoTStore(database: fixture.freshDatabase()).devices().first { $0.key == Self.printerMAC }?.userType, .camera, "saved")
    }

    /// A rules file the user broke fails the load with its message, instead of classifying with
    /// the built-in rules and saving that.
    func testABrokenRulesFileIsShownNotReplacedByTheBuiltInRules() throws {
        try Self.populate(fixture.database)
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: config.appendingPathComponent("netscouter"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: config) }
        try Data("{ not json".utf8).write(to: config.appendingPathComponent("netscouter/\(DeviceTypeRules.fileName)"))
        let previous = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"]
        setenv("XDG_CONFIG_HOME", config.path, 1)
        defer { if let previous { setenv("XDG_CONFIG_HOME", previous, 1) } else { unsetenv("XDG_CONFIG_HOME") } }

        let shell = AppShell(capture: CaptureController(), services: fixture.services)
        let screen = try XCTUnwrap(shell.screen(IoTMapScreen.self))
        shell.selectedTab = .iotMap
        let harness = UIHarness(size: Size(1400, 860)) { ui in shell.build(ui) }
        XCTAssertTrue(runFrames(harness) { screen.model.loadError != nil })
        let error = try XCTUnwrap(screen.model.loadError)
        XCTAssertTrue(error.contains(DeviceTypeRules.fileName), error)
        harness.frame()
        XCTAssertEqual(screen.statusText, "IoT map: \(error)")
        XCTAssertTrue(harness.drawnTexts.contains { $0.hasPrefix("The device type rules file") }, "shown above the map")
        XCTAssertFalse(screen.model.hasLoaded, "nothing classified with other rules")
    }

    /// New flow history rows (a live capture's finished flows) are correlated on the next load,
    /// once, and a capture file the window read counts in the picture without being saved.
    func testFlowsFromTheStoreAndTheWindowCaptureReachTheMap() throws {
        try Self.populate(fixture.database)
        let (shell, screen, harness) = try openTab()
        XCTAssertEqual(screen.model.graph.destinations.count, 2)
        let history = FlowHistoryStore(database: fixture.database)
        let captureID = try history.beginCapture(source: "eth0", at: Date())
        let flow = StoredFlow(protocol: "TCP", initiator: "192.168.1.21", initiatorPort: 50_000, responder: "185.220.101.4", responderPort: 4444,
                              state: "established", endReason: "fin", packetsForward: 3, packetsReverse: 2, bytesForward: 400, bytesReverse: 300,
                              firstSeen: Self.start.timeIntervalSince1970 + 100, lastSeen: Self.start.timeIntervalSince1970 + 101)
        try fixture.database.write { db in try FlowHistoryStore.append([flow], toCapture: captureID, in: db) }
        // A finished discovery in the Scanner tab reloads the map (the shell wires the two).
        let discoveryFinished = try XCTUnwrap(shell.scannerScreen?.model.onDiscoveryFinished)
        discoveryFinished()
        XCTAssertTrue(runFrames(harness) { screen.model.graph.destinations.count == 3 })
        XCTAssertTrue(screen.model.snapshot.anomalies.contains { $0.remoteIP == "185.220.101.4" && $0.rule == "port:4444" })
        screen.model.refresh()
        XCTAssertTrue(runFrames(harness) { !screen.model.isLoading })
        XCTAssertEqual(screen.model.snapshot.anomalies.first { $0.rule == "port:4444" }?.count, 1, "each history row once")

        // The window reads a capture file: its flows show (not saved: the store has no such row).
        let path = fixture.directory.appendingPathComponent("tv.pcap").path
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        let tv = FrameBuilder.Endpoint(IPAddress(192, 168, 1, 21), 50_001), far = FrameBuilder.Endpoint(IPAddress(91, 92, 109, 43), 6667)
        let mac = MACAddress(Self.tvMAC)!, gateway = MACAddress(value: 0x02_00_00_00_00_FE)
        let frames = [
            FrameBuilder.ethernetIP(from: tv, to: far, transport: .tcp, tcpFlags: [.syn], sourceMAC: mac, destinationMAC: gateway),
            FrameBuilder.ethernetIP(from: far, to: tv, transport: .tcp, tcpFlags: [.syn, .ack], sourceMAC: gateway, destinationMAC: mac),
            FrameBuilder.ethernetIP(from: tv, to: far, transport: .tcp, tcpFlags: [.ack], sourceMAC: mac, destinationMAC: gateway),
        ]
        for (index, frame) in frames.enumerated() { try writer.write(frame, timestamp: 1_764_000_200_000_000_000 + Int64(index) * 1_000_000) }
        try writer.close()
        XCTAssertTrue(shell.capture.start(.file(path: path), filter: nil))
        runUntilCaptureFinished(shell, harness)
        XCTAssertTrue(runFrames(harness) { screen.model.graph.destinationIndex["91.92.109.43"] != nil }, "the file's flow is on the map")
        XCTAssertTrue(screen.model.snapshot.anomalies.contains { $0.remoteIP == "91.92.109.43" && $0.rule == "port:6667" })
        XCTAssertFalse(try IoTStore(database: fixture.database).destinations().contains { $0.remoteIP == "91.92.109.43" }, "shown, not saved")
    }

    /// The window's live capture feeds the inventory passively: devices on a LAN this test builds
    /// (namespaces on a bridge, reached from this namespace by one veth the capture listens on)
    /// announce themselves over mDNS, DHCP and ARP; the capture thread parses the announcements,
    /// the map's next load saves them, and the map shows the devices.
    func testLiveCaptureAnnouncementsFillTheInventory() throws {
        let network: TestNetwork
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        defer { network.remove() }
        let (shell, screen, harness) = try openTab()
        let lan = try network.add("sw")
        // The capture's leg: this namespace's end of a veth whose other end is on the LAN bridge.
        let leg = "\(network.tag)c"
        try Command.check(["ip", "link", "add", leg, "type", "veth", "peer", "name", "up0", "netns", lan])
        defer { _ = try? Command.run(["ip", "link", "delete", leg]) }
        try Command.check(["ip", "link", "set", leg, "up"])
        try Command.check(["ip", "-n", lan, "link", "set", "up0", "up"])
        let cast = (mac: "58:cb:52:88:00:02", ip: "192.168.88.12"), printer = (mac: "00:80:77:88:00:03", ip: "192.168.88.13")
        let camera = (mac: "44:47:cc:88:00:01", ip: "192.168.88.11")
        var namespaces: [String] = []
        var ports = ["up0"]
        for (index, device) in [cast, printer, camera].enumerated() {
            let namespace = try network.add("d\(index)")
            try network.veth("eth0", in: namespace, addresses: ["\(device.ip)/24"], mac: device.mac, "port\(index)", in: lan)
            try Command.check(["ip", "-n", namespace, "route", "add", "224.0.0.0/4", "dev", "eth0"])
            namespaces.append(namespace)
            ports.append("port\(index)")
        }
        try network.bridge("br0", in: lan, attach: ports)

        // The map is not on screen while the devices announce themselves: the inventory fills
        // all the same (the shell's background tick saves what the capture collected).
        shell.selectedTab = .dashboard
        XCTAssertTrue(shell.capture.start(.live(LiveCaptureOptions(interface: leg)), filter: nil), shell.capture.lastError ?? "")
        defer { shell.capture.stop() }
        func python(_ script: String, in namespace: String) throws {
            try Command.check(["ip", "netns", "exec", namespace, "python3", "-c", script])
        }
        // mDNS: the cast announces _googlecast (as AnnouncementFrames.mdnsMessage builds it).
        try python("""
            import socket, struct
            def name(text): return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".")) + b"\\0"
            def record(owner, kind, data): return owner + struct.pack(">HHIH", kind, 0x8001, 4500, len(data)) + data
            service, instance, host = name("_googlecast._tcp.local"), name("Lounge TV._googlecast._tcp.local"), name("Chromecast-Lounge.local")
            message = struct.pack(">HHHHHH", 0, 0x8400, 0, 3, 0, 0) + record(service, 12, instance) \\
                + record(instance, 33, bytes([0, 0, 0, 0, 0x1F, 0x49]) + host) + record(host, 1, socket.inet_aton("\(cast.ip)"))
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
            s.bind(("\(cast.ip)", 5353)); s.sendto(message, ("224.0.0.251", 5353))
            """, in: namespaces[0])
        // DHCP: the printer asks for its address, giving its host name (option 12).
        try python("""
            import socket
            mac = bytes.fromhex("\(printer.mac.replacingOccurrences(of: ":", with: ""))")
            bootp = bytes([1, 1, 6, 0, 0x12, 0x34, 0x56, 0x78]) + bytes(20) + mac + bytes(236 - 34)
            options = bytes([0x63, 0x82, 0x53, 0x63, 53, 1, 3, 50, 4]) + socket.inet_aton("\(printer.ip)") + bytes([12, 14]) + b"office-printer" + bytes([255])
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1); s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
            s.bind(("0.0.0.0", 68)); s.sendto(bootp + options, ("255.255.255.255", 67))
            """, in: namespaces[1])
        // ARP: the camera looks for its gateway (no answer needed: the request announces it).
        _ = try Command.run(["ip", "netns", "exec", namespaces[2], "ping", "-c", "1", "-W", "1", "192.168.88.1"])

        let collector = shell.capture.announcements
        let deadline = Date().addingTimeInterval(20)
        var saved = false
        while Date() < deadline && !saved {
            harness.frame()
            saved = Set(try IoTStore(database: fixture.database).devices().compactMap(\.mac)).isSuperset(of: [cast.mac, printer.mac, camera.mac])
            usleep(50_000)
        }
        XCTAssertTrue(saved, "saved while the Dashboard showed")
        XCTAssertEqual(collector.dropped, 0)
        shell.selectedTab = .iotMap
        screen.model.refresh()
        XCTAssertTrue(runFrames(harness) { !screen.model.isLoading })
        harness.frame()

        // Saved in the store's inventory, and on the map.
        let stored = Dictionary(uniqueKeysWithValues: try IoTStore(database: fixture.database).devices().compactMap { device in device.mac.map { ($0, device) } })
        XCTAssertEqual(stored[cast.mac]?.hostname, "Chromecast-Lounge")
        XCTAssertEqual(stored[cast.mac]?.deviceType, .media)
        XCTAssertEqual(stored[cast.mac]?.ip, cast.ip)
        XCTAssertEqual(stored[printer.mac]?.hostname, "office-printer")
        XCTAssertEqual(stored[camera.mac]?.ip, camera.ip)
        for device in [cast, printer, camera] {
            XCTAssertNotNil(harness.item(ItemRole(kind: "map device", name: device.mac)), "\(device.mac) on the map")
        }
        XCTAssertEqual(harness.value(of: ItemRole(kind: "map device", name: cast.mac)), "Chromecast-Lounge · media · online")
        XCTAssertEqual(collector.count, 0, "the load took every announcement")
    }

    /// The map joins the kiosk rotation: the same devices, no controls.
    func testTheMapIsAKioskPanelWithoutControls() throws {
        try Self.populate(fixture.database)
        let shell = AppShell(capture: CaptureController(), services: fixture.services)
        let panel = try XCTUnwrap(shell.kioskPanels.first { $0.title == "IoT map" })
        // The kiosk drains the window's inbox itself: the map's loads report through it.
        let kiosk = KioskScreen(capture: shell.capture, panels: [panel], inbox: shell.inbox)
        let harness = UIHarness(size: Size(1280, 720)) { ui in kiosk.build(ui) }
        let screen = try XCTUnwrap(shell.screen(IoTMapScreen.self))
        XCTAssertTrue(runFrames(harness) { screen.model.hasLoaded && !screen.model.isLoading }, "loaded \(screen.model.hasLoaded) loading \(screen.model.isLoading) error \(screen.model.loadError ?? "-") page \(kiosk.page) \(harness.items.map(\.path).prefix(10))")
        harness.frame()
        XCTAssertEqual(harness.items(ofRoleKind: "map device").count, 3)
        XCTAssertEqual(harness.value(of: .counter("IoT map")), "3 devices · 3 online · 2 destinations · 1 flagged · 1 anomalies")
        XCTAssertTrue(harness.items.filter { ["button", "textfield", "dropdown", "canvas"].contains($0.kind) }.isEmpty, "nothing to press on a wall")
        XCTAssertTrue(harness.labelTexts.contains("porch-cam"), "labelled: \(harness.labelTexts)")
        XCTAssertTrue(harness.labelTexts.contains("This host"))
    }
}

/// A fixed location answer per address, standing in for libloc's database.
struct MapLocations: LocationSource {
    var answers: [IPAddress: LocationInfo]
    func lookup(_ address: IPAddress) -> LocationInfo { answers[address] ?? LocationInfo() }
}

extension UIHarness {
    /// The texts drawn with a halo (canvas labels) in the last frame.
    var labelTexts: [String] {
        ui.drawList.commands.compactMap { command in
            if case let .haloText(text, _, _, _, _) = command { return text }
            return nil
        }
    }
}
