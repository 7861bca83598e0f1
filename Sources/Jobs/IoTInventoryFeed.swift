import Foundation
import Intel
import IoT
import Packets
import Scan
import Store

/// Active feeding of the IoT inventory: every LAN discovery (the `discover` command, the
/// `lan-discovery` job, later the Scanner tab — all finish through `ScanRecords`) is a sweep of
/// its subnet, and every port scan's open ports are evidence for devices already inventoried.
public enum IoTInventoryFeed {
    /// Records a discovery as a sweep (online/offline debounce) and saves the inventory.
    public static func record(_ discovery: DiscoveryResult, in database: NetScouterDatabase, at time: Date = Date()) throws {
        let engine = try IoTEngine(database: database, classifier: DeviceClassifier(rules: try DeviceTypeRules.load().rules),
                                   vendors: try? MACVendors())
        let sightings = discovery.hosts.map { host in
            DeviceObservation(source: .discovery, time: time, mac: host.mac, ip: host.address,
                              hostname: host.name.flatMap { $0.isEmpty ? nil : $0 })
        }
        let interface = discovery.interface
        let prefix = max(0, min(32, interface.prefixLength))
        let network = prefix == 0 ? 0 : interface.address.ipv4Value >> (32 - prefix)
        engine.inventory.recordSweep(sightings, at: time) { address in
            address.isIPv4 && (prefix == 0 || address.ipv4Value >> (32 - prefix) == network)
        }
        try engine.save()
    }

    /// Adds a port scan's open ports to the devices they belong to (devices not in the
    /// inventory are left out).
    public static func record(_ scan: PortScanSummary, in database: NetScouterDatabase, at time: Date = Date()) throws {
        var open: [IPAddress: [UInt16]] = [:]
        for result in scan.results where result.state == .open { open[result.host.address, default: []].append(result.port) }
        guard !open.isEmpty else { return }
        let engine = try IoTEngine(database: database, classifier: DeviceClassifier(rules: try DeviceTypeRules.load().rules),
                                   vendors: try? MACVendors())
        var touched = false
        for (address, ports) in open { touched = engine.inventory.addOpenPorts(ports.sorted(), ip: address, at: time) || touched }
        if touched { try engine.save() }
    }
}
