import Foundation
import UI

/// Where everything on the IoT map sits, in world units: this host in the centre, LAN devices on
/// inner rings, external destinations on an outer ring grouped by country or provider.
///
/// A pure function of its input, built so that the picture holds still:
/// - the same input gives the same positions (no randomness, no dictionary order);
/// - a device keeps its place when another device is added: each device hashes its key to a slot
///   of the innermost ring with room and takes the first free slot from there, oldest devices
///   (first seen, then key) choosing first; a full ring opens the next one outwards instead of
///   re-spacing the ones already drawn. A newcomer is the newest device, so it chooses last and
///   moves nobody.
/// - destinations sit in one sector per group (groups in name order, sector width by the
///   group's size), so adding a destination shifts its neighbours within the outer ring only.
///   The outer ring lies outside the outermost device ring: when a new device ring opens, every
///   destination moves straight outwards, keeping its angle and order.
public struct IoTMapLayout: Equatable, Sendable {
    public struct DeviceInput: Sendable {
        public var key: String
        public var firstSeen: Date
        public init(key: String, firstSeen: Date) {
            self.key = key
            self.firstSeen = firstSeen
        }
    }

    public struct DestinationInput: Sendable {
        public var key: String
        /// The country code or provider the destination is grouped under ("" = unknown).
        public var group: String
        public init(key: String, group: String) {
            self.key = key
            self.group = group
        }
    }

    public struct GroupLabel: Equatable, Sendable {
        public var name: String
        public var position: Point
        public var count: Int
    }

    public static let center = Point(0, 0)
    public static let firstRingRadius: Float = 150
    public static let ringSpacing: Float = 56
    /// World units between neighbouring devices on a ring (a node is 24 across).
    public static let deviceSpacing: Float = 44
    public static let destinationSpacing: Float = 18
    /// The destinations' ring is never closer than this (so a handful of new devices does not move it).
    public static let minimumDestinationRadius: Float = 470
    public static let unknownGroup = "unknown"

    public var devices: [String: Point] = [:]
    public var destinations: [String: Point] = [:]
    /// The radius of each device ring in use, innermost first.
    public var deviceRings: [Float] = []
    public var destinationRadius: Float = minimumDestinationRadius
    public var groups: [GroupLabel] = []
    /// Everything drawn, with room for labels (what "Fit" shows).
    public var bounds: Rect = Rect(x: -100, y: -100, width: 200, height: 200)

    public init() {}

    public static func ringRadius(_ ring: Int) -> Float { firstRingRadius + Float(ring) * ringSpacing }

    public static func ringCapacity(_ ring: Int) -> Int { max(8, Int(2 * Float.pi * ringRadius(ring) / deviceSpacing)) }

    /// FNV-1a over the key's UTF-8: the same on every run and machine (Swift's `hashValue` is
    /// seeded per process).
    public static func stableHash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    public static func compute(devices: [DeviceInput], destinations: [DestinationInput]) -> IoTMapLayout {
        var layout = IoTMapLayout()
        // Devices: oldest first, each into its hashed slot of the first ring with room.
        var occupied: [[Bool]] = []
        let ordered = devices.sorted { ($0.firstSeen, $0.key) < ($1.firstSeen, $1.key) }
        let hashes = ordered.map { stableHash($0.key) }
        var seen = Set<String>()
        for (index, device) in ordered.enumerated() where seen.insert(device.key).inserted {
            var ring = 0
            while true {
                if occupied.count <= ring { occupied.append(Array(repeating: false, count: ringCapacity(ring))) }
                let capacity = occupied[ring].count
                if occupied[ring].contains(false) {
                    // A different hash per ring, so devices pushed outwards spread out again.
                    var slot = Int((hashes[index] &+ UInt64(ring) &* 0x9E37_79B9_7F4A_7C15) % UInt64(capacity))
                    while occupied[ring][slot] { slot = (slot + 1) % capacity }
                    occupied[ring][slot] = true
                    // Odd rings sit half a slot round, so spokes to them pass between inner nodes.
                    let angle = 2 * Float.pi * (Float(slot) + (ring % 2 == 0 ? 0 : 0.5)) / Float(capacity) - Float.pi / 2
                    let radius = ringRadius(ring)
                    layout.devices[device.key] = Point(center.x + radius * cosf(angle), center.y + radius * sinf(angle))
                    break
                }
                ring += 1
            }
        }
        layout.deviceRings = occupied.indices.map(ringRadius)

        // Destinations: one sector per group, groups by name (unknown last), each sector as wide
        // as its group plus a gap; crowded rings stagger outwards in bands.
        let outermostDevice = layout.deviceRings.last ?? firstRingRadius
        let radius = max(minimumDestinationRadius, outermostDevice + 200)
        layout.destinationRadius = radius
        var byGroup: [String: [String]] = [:]
        var destinationSeen = Set<String>()
        for destination in destinations where destinationSeen.insert(destination.key).inserted {
            byGroup[destination.group.isEmpty ? unknownGroup : destination.group, default: []].append(destination.key)
        }
        let groupNames = byGroup.keys.sorted { a, b in
            (a == unknownGroup ? 1 : 0, a) < (b == unknownGroup ? 1 : 0, b)
        }
        let total = destinationSeen.count
        let capacity = max(1, Int(2 * Float.pi * radius / destinationSpacing))
        let bands = max(1, Int((Double(total + groupNames.count) / Double(capacity)).rounded(.up)))
        let units = Float(total + groupNames.count)  // one unit of gap per group
        var cursor: Float = 0
        var outer = radius
        for name in groupNames {
            let keys = byGroup[name, default: []].sorted()
            let start = cursor + 0.5  // half a gap each side
            for (index, key) in keys.enumerated() {
                let angle = 2 * Float.pi * (start + Float(index) + 0.5) / max(units, 1) - Float.pi / 2
                let band = Float(index % bands) * 22
                layout.destinations[key] = Point(center.x + (radius + band) * cosf(angle), center.y + (radius + band) * sinf(angle))
                outer = max(outer, radius + band)
            }
            let middle = 2 * Float.pi * (start + Float(keys.count) / 2) / max(units, 1) - Float.pi / 2
            let labelRadius = radius + Float(bands - 1) * 22 + 46
            layout.groups.append(GroupLabel(name: name, position: Point(center.x + labelRadius * cosf(middle), center.y + labelRadius * sinf(middle)),
                                            count: keys.count))
            cursor += Float(keys.count) + 1
        }
        let extent = (groupNames.isEmpty ? (layout.deviceRings.last ?? firstRingRadius) + 40 : outer + 90)
        layout.bounds = Rect(x: center.x - extent, y: center.y - extent, width: 2 * extent, height: 2 * extent)
        return layout
    }
}
