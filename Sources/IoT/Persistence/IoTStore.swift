import Foundation
import GRDB
import Intel
import Store

/// The inventory, baselines, destinations and anomalies in the store (tables `iot_devices`,
/// `iot_baseline`, `iot_destinations`, `iot_anomalies`, `iot_state`; migration "v5-iot-inventory").
public struct IoTStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) { self.database = database }

    // MARK: Devices

    public func devices() throws -> [IoTDevice] {
        try database.read { db in try Self.devices(in: db) }
    }

    static func devices(in db: Database) throws -> [IoTDevice] {
        try Row.fetchAll(db, sql: "SELECT * FROM iot_devices ORDER BY key").map { row in
            var device = IoTDevice(key: row["key"], mac: row["mac"], firstSeen: Date(timeIntervalSince1970: row["first_seen"]))
            device.ips = decode([String].self, row["ips"]) ?? []
            device.vendor = row["vendor"]
            device.randomisedMAC = row["randomised_mac"]
            device.hostname = row["hostname"]
            device.hostnameSource = row["hostname_source"]
            device.evidence = decode(DeviceEvidence.self, row["evidence"]) ?? DeviceEvidence(vendor: device.vendor)
            device.detectedType = DeviceType(rawValue: row["detected_type"]) ?? .unknown
            device.detectedReasons = decode([String].self, row["type_reasons"]) ?? []
            device.userType = (row["user_type"] as String?).flatMap(DeviceType.init(rawValue:))
            device.sources = decode([DeviceObservation.Source].self, row["sources"]) ?? []
            device.lastSeen = Date(timeIntervalSince1970: row["last_seen"])
            device.online = row["online"]
            device.missedSweeps = row["missed_sweeps"]
            device.baselineStartedAt = (row["baseline_started_at"] as Double?).map(Date.init(timeIntervalSince1970:))
            return device
        }
    }

    static func save(_ devices: [IoTDevice], removing removed: [String], in db: Database) throws {
        for key in removed {
            try db.execute(sql: "DELETE FROM iot_devices WHERE key = ?", arguments: [key])
        }
        for device in devices {
            try db.execute(sql: """
                INSERT OR REPLACE INTO iot_devices (key, mac, ips, vendor, randomised_mac, hostname, hostname_source, evidence,
                    detected_type, type_reasons, user_type, sources, first_seen, last_seen, online, missed_sweeps, baseline_started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    device.key, device.mac, encode(device.ips), device.vendor, device.randomisedMAC, device.hostname,
                    device.hostnameSource, encode(device.evidence), device.detectedType.rawValue, encode(device.detectedReasons),
                    device.userType?.rawValue, encode(device.sources), device.firstSeen.timeIntervalSince1970,
                    device.lastSeen.timeIntervalSince1970, device.online, device.missedSweeps,
                    device.baselineStartedAt?.timeIntervalSince1970,
                ])
        }
    }

    // MARK: Baseline and anomalies

    public func baseline() throws -> DestinationBaseline {
        try database.read { db in try Self.baseline(in: db) }
    }

    static func baseline(in db: Database) throws -> DestinationBaseline {
        var baseline = DestinationBaseline()
        for row in try Row.fetchAll(db, sql: "SELECT device_key, remote_ip FROM iot_baseline") {
            baseline.destinations[row["device_key"], default: []].insert(row["remote_ip"])
        }
        return baseline
    }

    public func anomalies() throws -> [IoTAnomaly] {
        try database.read { db in try Self.anomalies(in: db) }
    }

    static func anomalies(in db: Database) throws -> [IoTAnomaly] {
        try Row.fetchAll(db, sql: "SELECT * FROM iot_anomalies ORDER BY last_seen DESC").map { row in
            IoTAnomaly(deviceKey: row["device_key"], deviceMAC: row["device_mac"], deviceIP: row["device_ip"],
                       remoteIP: row["remote_ip"], remotePort: row["remote_port"], transport: row["transport"],
                       country: row["country"], provider: row["provider"], rule: row["rule"],
                       severity: Severity(rawValue: row["severity"]) ?? .medium, reason: row["reason"],
                       firstSeen: Date(timeIntervalSince1970: row["first_seen"]), lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
                       count: row["count"])
        }
    }

    public func destinations() throws -> [DeviceDestination] {
        try database.read { db in try Self.destinations(in: db) }
    }

    static func destinations(in db: Database) throws -> [DeviceDestination] {
        try Row.fetchAll(db, sql: "SELECT * FROM iot_destinations ORDER BY bytes DESC").map { row in
            DeviceDestination(deviceKey: row["device_key"], deviceIP: row["device_ip"], remoteIP: row["remote_ip"], remotePort: row["remote_port"],
                              transport: row["transport"], country: row["country"], provider: row["provider"], consensus: row["consensus"],
                              flows: row["flows"], bytes: UInt64(max(0, row["bytes"] as Int64)),
                              firstSeen: Date(timeIntervalSince1970: row["first_seen"]), lastSeen: Date(timeIntervalSince1970: row["last_seen"]),
                              risk: (row["risk"] as String?).flatMap(Severity.init(rawValue:)))
        }
    }

    // MARK: Loading and saving everything the engine holds

    /// The inventory and the correlator as stored.
    public func load(classifier: DeviceClassifier, vendors: MACVendors?, rules: IoTRiskRules, enricher: AddressEnricher,
                     offlineAfterMissedSweeps: Int = DeviceInventory.defaultOfflineAfterMissedSweeps) throws -> (DeviceInventory, OutboundCorrelator) {
        try database.read { db in
            let inventory = DeviceInventory(classifier: classifier, vendors: vendors, offlineAfterMissedSweeps: offlineAfterMissedSweeps,
                                            devices: try Self.devices(in: db))
            let correlator = OutboundCorrelator(rules: rules, enricher: enricher, anomalies: try Self.anomalies(in: db),
                                                baseline: try Self.baseline(in: db), destinations: try Self.destinations(in: db))
            return (inventory, correlator)
        }
    }

    /// Writes what changed in one transaction.
    public func save(_ inventory: DeviceInventory, _ correlator: OutboundCorrelator?, state: [String: String] = [:]) throws {
        let (changed, removed) = inventory.takeChanges()
        let baselineEntries = correlator?.takeNewBaselineEntries() ?? []
        let anomalies = correlator.map { Array($0.anomalies.values) } ?? []
        let destinations = correlator.map { Array($0.destinations.values) } ?? []
        try database.write { db in
            try Self.save(changed, removing: removed, in: db)
            for entry in baselineEntries {
                try db.execute(sql: "INSERT OR IGNORE INTO iot_baseline (device_key, remote_ip, first_seen) VALUES (?, ?, ?)",
                               arguments: [entry.device, entry.remote, entry.at.timeIntervalSince1970])
            }
            if let correlator {
                // Baselines reset in memory are gone from the store too.
                for row in try String.fetchAll(db, sql: "SELECT DISTINCT device_key FROM iot_baseline") where correlator.baseline.destinations[row] == nil {
                    try db.execute(sql: "DELETE FROM iot_baseline WHERE device_key = ?", arguments: [row])
                }
            }
            for anomaly in anomalies {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO iot_anomalies (device_key, device_mac, device_ip, remote_ip, remote_port, transport, country,
                        provider, rule, severity, reason, first_seen, last_seen, count)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        anomaly.deviceKey, anomaly.deviceMAC, anomaly.deviceIP, anomaly.remoteIP, anomaly.remotePort, anomaly.transport,
                        anomaly.country, anomaly.provider, anomaly.rule, anomaly.severity.rawValue, anomaly.reason,
                        anomaly.firstSeen.timeIntervalSince1970, anomaly.lastSeen.timeIntervalSince1970, anomaly.count,
                    ])
            }
            for destination in destinations {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO iot_destinations (device_key, device_ip, remote_ip, remote_port, transport, country, provider,
                        consensus, flows, bytes, first_seen, last_seen, risk)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        destination.deviceKey, destination.deviceIP, destination.remoteIP, destination.remotePort, destination.transport,
                        destination.country, destination.provider, destination.consensus, destination.flows,
                        Int64(clamping: destination.bytes), destination.firstSeen.timeIntervalSince1970,
                        destination.lastSeen.timeIntervalSince1970, destination.risk?.rawValue,
                    ])
            }
            for (key, value) in state {
                try db.execute(sql: "INSERT OR REPLACE INTO iot_state (key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
    }

    public func state(_ key: String) throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: "SELECT value FROM iot_state WHERE key = ?", arguments: [key]) }
    }

    // MARK: JSON columns

    private static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
