import Foundation
import Intel
import IoT
import Screens
import UI
import XCTest

/// The map's layout and graph, without any UI.
final class IoTMapLayoutTests: XCTestCase {
    static let start = Date(timeIntervalSince1970: 1_764_000_000)

    static func devices(_ count: Int, from first: Int = 0) -> [IoTMapLayout.DeviceInput] {
        (first..<(first + count)).map { index in
            IoTMapLayout.DeviceInput(key: String(format: "02:00:00:00:%02x:%02x", index >> 8, index & 0xFF),
                                     firstSeen: start.addingTimeInterval(Double(index)))
        }
    }

    static func destinations(_ count: Int) -> [IoTMapLayout.DestinationInput] {
        (0..<count).map { IoTMapLayout.DestinationInput(key: "198.51.\($0 / 200).\($0 % 200)", group: ["DE", "US", "", "FR"][$0 % 4]) }
    }

    func testTheSameInputInAnyOrderGivesTheSamePositions() {
        let devices = Self.devices(40), destinations = Self.destinations(90)
        let first = IoTMapLayout.compute(devices: devices, destinations: destinations)
        let again = IoTMapLayout.compute(devices: devices.reversed(), destinations: destinations.shuffled())
        XCTAssertEqual(first, again, "no randomness, no dependence on input or dictionary order")
        XCTAssertEqual(first.devices.count, 40)
        XCTAssertEqual(first.destinations.count, 90)
    }

    /// A new device (the newest) takes a free slot and moves no other device, with one ring or
    /// several. The outer ring stays put too, except when the newcomer opens a new device ring:
    /// then every destination moves straight outwards, keeping its angle (and so its order).
    func testAddingOneDeviceMovesNoOtherNode() {
        let destinations = Self.destinations(50)
        var ringOpenings = 0
        for count in Array(1...200) + [499] {
            let devices = Self.devices(count)
            let before = IoTMapLayout.compute(devices: devices, destinations: destinations)
            let after = IoTMapLayout.compute(devices: devices + Self.devices(1, from: count), destinations: destinations)
            for (key, position) in before.devices {
                XCTAssertEqual(after.devices[key], position, "\(count) devices: \(key) stayed put")
            }
            if after.deviceRings.count == before.deviceRings.count {
                XCTAssertEqual(after.destinations, before.destinations, "\(count) devices: the outer ring did not move")
            } else {
                ringOpenings += 1
                for (key, old) in before.destinations {
                    let new = after.destinations[key]!
                    let center = Point(0, 0)
                    XCTAssertEqual(atan2(new.y - center.y, new.x - center.x), atan2(old.y - center.y, old.x - center.x), accuracy: 1e-4,
                                   "\(count) devices: \(key) keeps its angle")
                    XCTAssertGreaterThanOrEqual(hypotf(new.x, new.y), hypotf(old.x, old.y) - 1e-3, "\(count) devices: \(key) moves outwards only")
                }
            }
            let newKey = Self.devices(1, from: count)[0].key
            let newPosition = try! XCTUnwrap(after.devices[newKey])
            XCTAssertFalse(before.devices.values.contains(newPosition), "it has a place of its own")
        }
        XCTAssertGreaterThanOrEqual(ringOpenings, 2, "the counts tried open new rings")
    }

    /// Devices keep a node's width apart, however many there are; the centre stays free.
    func testDevicesNeverOverlap() {
        let layout = IoTMapLayout.compute(devices: Self.devices(500), destinations: [])
        let points = Array(layout.devices.values)
        var closest = Float.infinity
        for i in points.indices {
            for j in points.indices where j > i {
                let dx = points[i].x - points[j].x, dy = points[i].y - points[j].y
                closest = min(closest, (dx * dx + dy * dy).squareRoot())
            }
            let radius = (points[i].x * points[i].x + points[i].y * points[i].y).squareRoot()
            XCTAssertGreaterThanOrEqual(radius, IoTMapLayout.firstRingRadius - 0.01)
        }
        XCTAssertGreaterThan(closest, 2 * 12, "wider apart than two device nodes")
        XCTAssertGreaterThan(layout.deviceRings.count, 1)
        XCTAssertEqual(layout.devices.count, 500)
    }

    /// Each group's destinations sit together on the outer ring: angles of one group form one run.
    func testDestinationsAreGroupedOnTheOuterRing() {
        let destinations = Self.destinations(120)
        let layout = IoTMapLayout.compute(devices: Self.devices(10), destinations: destinations)
        let groupOf = Dictionary(uniqueKeysWithValues: destinations.map { ($0.key, $0.group.isEmpty ? IoTMapLayout.unknownGroup : $0.group) })
        let byAngle = layout.destinations.sorted { atan2f($0.value.y, $0.value.x) < atan2f($1.value.y, $1.value.x) }.map { groupOf[$0.key]! }
        // Walking round the ring, the group changes exactly once per group (a run each).
        var changes = 0
        for index in byAngle.indices where byAngle[index] != byAngle[(index + 1) % byAngle.count] { changes += 1 }
        XCTAssertEqual(changes, 4)
        XCTAssertEqual(Set(layout.groups.map(\.name)), ["DE", "US", "FR", IoTMapLayout.unknownGroup])
        XCTAssertEqual(layout.groups.last?.name, IoTMapLayout.unknownGroup, "unknown last")
        for point in layout.destinations.values {
            let radius = (point.x * point.x + point.y * point.y).squareRoot()
            XCTAssertGreaterThanOrEqual(radius, layout.destinationRadius - 0.01)
            XCTAssertGreaterThan(radius, (layout.deviceRings.last ?? 0) + 100, "outside every device ring")
        }
        XCTAssertTrue(layout.destinations.values.allSatisfy { layout.bounds.contains($0) })
    }

    /// Destinations per device, port and transport become one edge per device and address,
    /// with traffic summed and the highest risk; risky edges are drawn last.
    func testTheGraphJoinsPortsIntoEdgesAndKeepsTheHighestRisk() {
        let snapshot = IoTMapFixture.snapshot()
        let graph = IoTMapGraph(snapshot, grouping: .country)
        XCTAssertEqual(graph.devices.count, 3)
        XCTAssertEqual(graph.destinations.map(\.address), ["142.250.74.78", "45.33.32.156"])
        XCTAssertEqual(graph.edges.count, 2)
        let risky = try! XCTUnwrap(graph.edges.last)
        XCTAssertEqual(risky.mapKey, IoTMapGraph.edgeKey(device: IoTMapFixture.camera, address: "45.33.32.156"))
        XCTAssertEqual(risky.risk, .high)
        XCTAssertEqual(risky.ports, ["23/tcp", "80/tcp"])
        XCTAssertEqual(risky.bytes, 1_000 + 2_000)
        XCTAssertEqual(risky.flows, 3)
        XCTAssertEqual(graph.anomaliesByEdge[risky.mapKey]?.map(\.rule), ["port:23"])
        XCTAssertEqual(graph.edges.first?.risk, nil)
        // Grouping by provider regroups the outer ring, the devices stay where they were.
        let byProvider = IoTMapGraph(snapshot, grouping: .provider)
        XCTAssertEqual(Set(byProvider.layout.groups.map(\.name)), ["AS15169 GOOGLE", "AS63949 Akamai Connected Cloud"])
        XCTAssertEqual(byProvider.layout.devices, graph.layout.devices)
    }

    func testSelectionKeysRoundTrip() {
        for selection: IoTMapSelection in [.device("aa:bb:cc:dd:ee:ff"), .destination("2001:db8::1"), .edge(device: "ip:10.0.0.7", address: "2001:db8::1")] {
            XCTAssertEqual(IoTMapSelection(mapKey: selection.mapKey), selection)
        }
        XCTAssertNil(IoTMapSelection(mapKey: "center"))
    }
}

/// A small home network as the IoT engine stores it: a camera talking to a telnet port and to
/// Google, a Chromecast, and a laptop (no outside edges: not IoT-class).
enum IoTMapFixture {
    static let camera = "44:19:b6:00:00:01"
    static let chromecast = "f4:f5:d8:00:00:02"
    static let laptop = "3c:22:fb:00:00:03"
    static let start = Date(timeIntervalSince1970: 1_764_000_000)

    static func device(_ key: String, ip: String, hostname: String, type: DeviceType, reason: String, online: Bool = true, offset: Double) -> IoTDevice {
        var device = IoTDevice(key: key, mac: key, firstSeen: start.addingTimeInterval(offset))
        device.ips = [ip]
        device.hostname = hostname
        device.detectedType = type
        device.detectedReasons = [reason]
        device.online = online
        device.lastSeen = start.addingTimeInterval(offset + 60)
        return device
    }

    static func snapshot() -> IoTMapSnapshot {
        let devices = [
            device(camera, ip: "192.168.1.20", hostname: "porch-cam", type: .camera, reason: "vendor Hikvision is a camera maker", offset: 0),
            device(chromecast, ip: "192.168.1.21", hostname: "living-room-tv", type: .media, reason: "mDNS _googlecast._tcp", offset: 1),
            device(laptop, ip: "192.168.1.22", hostname: "laptop", type: .computer, reason: "vendor Apple", online: false, offset: 2),
        ]
        func destination(_ device: String, _ remote: String, _ port: Int, bytes: UInt64, flows: Int, country: String, provider: String, risk: Severity?) -> DeviceDestination {
            DeviceDestination(deviceKey: device, deviceIP: "192.168.1.20", remoteIP: remote, remotePort: port, transport: "tcp", country: country,
                              provider: provider, consensus: nil, flows: flows, bytes: bytes, firstSeen: start, lastSeen: start, risk: risk)
        }
        let destinations = [
            destination(camera, "45.33.32.156", 23, bytes: 1_000, flows: 2, country: "US", provider: "AS63949 Akamai Connected Cloud", risk: .high),
            destination(camera, "45.33.32.156", 80, bytes: 2_000, flows: 1, country: "US", provider: "AS63949 Akamai Connected Cloud", risk: nil),
            destination(camera, "142.250.74.78", 443, bytes: 50_000, flows: 4, country: "DE", provider: "AS15169 GOOGLE", risk: nil),
        ]
        let anomalies = [IoTAnomaly(deviceKey: camera, deviceMAC: camera, deviceIP: "192.168.1.20", remoteIP: "45.33.32.156", remotePort: 23,
                                    transport: "tcp", country: "US", provider: "Akamai Connected Cloud", rule: "port:23", severity: .high,
                                    reason: "Telnet: IoT botnets (Mirai) spread and are controlled through it", firstSeen: start, lastSeen: start, count: 2)]
        return IoTMapSnapshot(devices: devices, destinations: destinations, anomalies: anomalies, loadedAt: start)
    }
}
