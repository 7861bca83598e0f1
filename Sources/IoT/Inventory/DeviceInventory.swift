import Foundation
import Intel
import Packets

/// The device inventory in memory: observations in, devices with types and online state out.
/// Not thread-safe; one owner (a command, a job, later the GUI's worker) feeds it and saves it
/// with `IoTStore`.
///
/// Online state is debounced: a device goes offline only after `offlineAfterMissedSweeps`
/// discovery sweeps in a row that covered its address and did not see it, so one lost ARP
/// reply does not make the map flap. Any sighting (passive or active) brings it back at once.
public final class DeviceInventory {
    public static let defaultOfflineAfterMissedSweeps = 3

    public private(set) var devices: [String: IoTDevice] = [:]
    public let classifier: DeviceClassifier
    public let vendors: MACVendors?
    public let offlineAfterMissedSweeps: Int
    /// Keys of devices changed since the last `takeChanges()` (what a save must write).
    private var changed: Set<String> = []
    /// Keys of devices merged away (an IP-keyed entry whose MAC became known).
    private var removed: Set<String> = []

    public init(classifier: DeviceClassifier = DeviceClassifier(), vendors: MACVendors? = nil,
                offlineAfterMissedSweeps: Int = defaultOfflineAfterMissedSweeps, devices: [IoTDevice] = []) {
        self.classifier = classifier
        self.vendors = vendors
        self.offlineAfterMissedSweeps = max(1, offlineAfterMissedSweeps)
        for device in devices { self.devices[device.key] = device }
    }

    /// Devices sorted by IP then key, for tables and exports.
    public var sorted: [IoTDevice] {
        devices.values.sorted { lhs, rhs in
            let l = lhs.ip.flatMap(IPAddress.init), r = rhs.ip.flatMap(IPAddress.init)
            switch (l, r) {
            case let (l?, r?) where l != r: return l < r
            case (nil, _?): return false
            case (_?, nil): return true
            default: return lhs.key < rhs.key
            }
        }
    }

    /// The device currently holding `ip`, if any (the most recently seen, should two claim it).
    public func device(ip: IPAddress) -> IoTDevice? {
        let text = ip.description
        return devices.values.filter { $0.ips.contains(text) }.max { ($0.lastSeen, $1.key) < ($1.lastSeen, $0.key) }
    }

    /// Every address → the device holding it, for looking up many flows at once.
    func addressIndex() -> [IPAddress: String] {
        var index: [IPAddress: (key: String, lastSeen: Date)] = [:]
        for device in devices.values {
            for text in device.ips {
                guard let address = IPAddress(text) else { continue }
                if let held = index[address], (held.lastSeen, device.key) >= (device.lastSeen, held.key) { continue }
                index[address] = (device.key, device.lastSeen)
            }
        }
        return index.mapValues(\.key)
    }

    public func takeChanges() -> (changed: [IoTDevice], removed: [String]) {
        defer { changed.removeAll(); removed.removeAll() }
        return (changed.compactMap { devices[$0] }, Array(removed))
    }

    // MARK: Feeding

    /// Records one observation; returns the key of the device it landed on.
    @discardableResult
    public func ingest(_ observation: DeviceObservation) -> String? {
        var mac = observation.mac
        if let candidate = mac, candidate.isMulticast || candidate == .zero { mac = nil }
        let ip = observation.ip.flatMap { $0.isUnspecified || $0.isMulticastOrBroadcast ? nil : $0 }
        var key: String
        if let mac {
            key = mac.description
            // The host known only by this address so far turns out to have this MAC: merge.
            if let ip, let ipOnly = devices["ip:" + ip.description] {
                devices["ip:" + ip.description] = nil
                removed.insert(ipOnly.key)
                var target = devices[key] ?? newDevice(key: key, mac: mac, at: ipOnly.firstSeen)
                merge(ipOnly, into: &target)
                devices[key] = target
            }
        } else if let ip {
            key = device(ip: ip)?.key ?? "ip:" + ip.description
        } else {
            return nil
        }

        var device = devices[key] ?? newDevice(key: key, mac: mac, at: observation.time)
        if let ip {
            let text = ip.description
            device.ips.removeAll { $0 == text }
            device.ips.insert(text, at: 0)
            if device.ips.count > 8 { device.ips.removeLast(device.ips.count - 8) }
            // An address belongs to one device at a time: DHCP gave it to this one now.
            if mac != nil { releaseAddress(text, except: key) }
        }
        device.firstSeen = min(device.firstSeen, observation.time)
        device.lastSeen = max(device.lastSeen, observation.time)
        device.online = true
        device.missedSweeps = 0
        if !device.sources.contains(observation.source) { device.sources.append(observation.source); device.sources.sort() }
        if let hostname = observation.hostname, let clean = AnnouncementText.clean(hostname) {
            let rank = Self.hostnameRank(observation.source)
            if device.hostname == nil || rank >= Self.hostnameRank(device.hostnameSource) {
                device.hostname = clean
                device.hostnameSource = observation.source.rawValue
            }
            DeviceEvidence.add(clean, to: &device.evidence.hostnames)
        }
        if let vendorClass = observation.vendorClass.flatMap(AnnouncementText.clean) {
            DeviceEvidence.add(vendorClass, to: &device.evidence.vendorClasses)
        }
        for service in observation.services { if let clean = AnnouncementText.clean(service) { DeviceEvidence.add(clean, to: &device.evidence.services) } }
        if let server = observation.ssdpServer.flatMap(AnnouncementText.clean) { DeviceEvidence.add(server, to: &device.evidence.ssdpServers) }
        for type in observation.ssdpTypes { if let clean = AnnouncementText.clean(type) { DeviceEvidence.add(clean, to: &device.evidence.ssdpTypes) } }
        for port in observation.openPorts { DeviceEvidence.add(port, to: &device.evidence.openPorts) }
        classify(&device)
        devices[key] = device
        changed.insert(key)
        return key
    }

    /// Records a discovery sweep: every answering host is a sighting; every known device with an
    /// address inside the swept range (`covers`) that did not answer missed one sweep, and goes
    /// offline after `offlineAfterMissedSweeps` misses in a row.
    public func recordSweep(_ sightings: [DeviceObservation], at time: Date, covers: (IPAddress) -> Bool) {
        var seen: Set<String> = []
        for sighting in sightings { if let key = ingest(sighting) { seen.insert(key) } }
        for (key, var device) in devices where !seen.contains(key) {
            guard device.ips.contains(where: { IPAddress($0).map(covers) ?? false }) else { continue }
            device.missedSweeps += 1
            if device.missedSweeps >= offlineAfterMissedSweeps { device.online = false }
            devices[key] = device
            changed.insert(key)
        }
    }

    /// Sets (or with nil clears) the user's type for a device. Returns false when no device has
    /// that key, MAC or IP.
    @discardableResult
    public func setUserType(_ type: DeviceType?, for identifier: String) -> Bool {
        guard let key = resolve(identifier) else { return false }
        devices[key]?.userType = type
        changed.insert(key)
        return true
    }

    /// The key of the device a user names by MAC (any spelling), IP or key.
    public func resolve(_ identifier: String) -> String? {
        if devices[identifier] != nil { return identifier }
        if let mac = MACVendors.parse(identifier), devices[mac.description] != nil { return mac.description }
        if let ip = IPAddress(identifier) { return device(ip: ip)?.key }
        return nil
    }

    func noteBaselineStart(_ key: String, at time: Date) {
        guard devices[key]?.baselineStartedAt == nil else { return }
        devices[key]?.baselineStartedAt = time
        changed.insert(key)
    }

    func resetBaseline(_ key: String) {
        devices[key]?.baselineStartedAt = nil
        changed.insert(key)
    }

    // MARK: Helpers

    private func newDevice(key: String, mac: MACAddress?, at time: Date) -> IoTDevice {
        var device = IoTDevice(key: key, mac: mac?.description, firstSeen: time)
        if let mac {
            let answer = vendors?.lookup(mac) ?? (mac.value >> 40 & 0x02 != 0 ? .locallyAdministered : .unknown)
            device.randomisedMAC = answer == .locallyAdministered
            if case let .vendor(organization, _, _) = answer { device.vendor = TextSanitizer.clean(organization) }
        }
        device.evidence.vendor = device.vendor
        return device
    }

    private func classify(_ device: inout IoTDevice) {
        device.evidence.vendor = device.vendor
        let result = classifier.classify(device.evidence)
        device.detectedType = result.type
        device.detectedReasons = result.reasons
        if device.randomisedMAC {
            device.detectedReasons.append("randomised (locally administered) MAC: no vendor, and the device may reappear under another MAC")
        }
    }

    private func merge(_ source: IoTDevice, into target: inout IoTDevice) {
        for ip in source.ips.reversed() where !target.ips.contains(ip) { target.ips.append(ip) }
        target.firstSeen = min(target.firstSeen, source.firstSeen)
        target.lastSeen = max(target.lastSeen, source.lastSeen)
        if target.hostname == nil { target.hostname = source.hostname; target.hostnameSource = source.hostnameSource }
        target.userType = target.userType ?? source.userType
        let evidence = source.evidence
        for item in evidence.hostnames { DeviceEvidence.add(item, to: &target.evidence.hostnames) }
        for item in evidence.vendorClasses { DeviceEvidence.add(item, to: &target.evidence.vendorClasses) }
        for item in evidence.services { DeviceEvidence.add(item, to: &target.evidence.services) }
        for item in evidence.ssdpServers { DeviceEvidence.add(item, to: &target.evidence.ssdpServers) }
        for item in evidence.ssdpTypes { DeviceEvidence.add(item, to: &target.evidence.ssdpTypes) }
        for item in evidence.openPorts { DeviceEvidence.add(item, to: &target.evidence.openPorts) }
        target.online = target.online || source.online
        target.missedSweeps = min(target.missedSweeps, source.missedSweeps)
        for item in source.sources where !target.sources.contains(item) { target.sources.append(item) }
        target.sources.sort()
        target.baselineStartedAt = [target.baselineStartedAt, source.baselineStartedAt].compactMap { $0 }.min()
    }

    private func releaseAddress(_ ip: String, except key: String) {
        for (otherKey, var other) in devices where otherKey != key && other.mac != nil && other.ips.contains(ip) {
            other.ips.removeAll { $0 == ip }
            devices[otherKey] = other
            changed.insert(otherKey)
        }
    }

    /// DHCP names are the device's own choice; mDNS names too but often generated; reverse DNS
    /// is what the router guessed.
    static func hostnameRank(_ source: String?) -> Int {
        switch source {
        case "dhcp": 3
        case "mdns": 2
        case "ssdp": 1
        default: 0
        }
    }

    static func hostnameRank(_ source: DeviceObservation.Source) -> Int { hostnameRank(source.rawValue) }
}

extension DeviceInventory {
    /// Open ports a scan found on `ip`. Only a device already in the inventory takes them: a scan
    /// of an internet host must not add it to the LAN inventory.
    @discardableResult
    public func addOpenPorts(_ ports: [UInt16], ip: IPAddress, at time: Date) -> Bool {
        guard !ports.isEmpty, let device = device(ip: ip) else { return false }
        ingest(DeviceObservation(source: .scan, time: time, mac: device.mac.flatMap(MACAddress.init), ip: ip, openPorts: ports))
        return true
    }
}
