import Export
import Foundation

/// The JSON document of `netscouter iot export` (schema: Assets/iot-export.schema.json, described
/// in the README). Times are ISO 8601 UTC with seconds; every text field is sanitised.
public struct IoTExportDocument: Codable, Equatable, Sendable {
    public struct Device: Codable, Equatable, Sendable {
        public var mac: String?
        public var ip: String?
        public var ips: [String]
        public var vendor: String?
        public var hostname: String?
        public var deviceType: String
        public var typeReasons: [String]
        public var userType: String?
        public var randomisedMAC: Bool
        public var firstSeen: String
        public var lastSeen: String
        public var online: Bool

        enum CodingKeys: String, CodingKey {
            case mac, ip, ips, vendor, hostname, online
            case deviceType = "device_type"
            case typeReasons = "type_reasons"
            case userType = "user_type"
            case randomisedMAC = "randomised_mac"
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }

        // Explicit nulls: every documented key is present in every object.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(mac, forKey: .mac)
            try container.encode(ip, forKey: .ip)
            try container.encode(ips, forKey: .ips)
            try container.encode(vendor, forKey: .vendor)
            try container.encode(hostname, forKey: .hostname)
            try container.encode(deviceType, forKey: .deviceType)
            try container.encode(typeReasons, forKey: .typeReasons)
            try container.encode(userType, forKey: .userType)
            try container.encode(randomisedMAC, forKey: .randomisedMAC)
            try container.encode(firstSeen, forKey: .firstSeen)
            try container.encode(lastSeen, forKey: .lastSeen)
            try container.encode(online, forKey: .online)
        }
    }

    public struct Anomaly: Codable, Equatable, Sendable {
        public var deviceMAC: String?
        public var deviceIP: String?
        public var remoteIP: String
        public var remotePort: Int
        public var transport: String
        public var country: String?
        public var provider: String?
        public var rule: String
        public var severity: String
        public var reason: String
        public var firstSeen: String
        public var lastSeen: String
        public var count: Int

        enum CodingKeys: String, CodingKey {
            case transport, country, provider, rule, severity, reason, count
            case deviceMAC = "device_mac"
            case deviceIP = "device_ip"
            case remoteIP = "remote_ip"
            case remotePort = "remote_port"
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(deviceMAC, forKey: .deviceMAC)
            try container.encode(deviceIP, forKey: .deviceIP)
            try container.encode(remoteIP, forKey: .remoteIP)
            try container.encode(remotePort, forKey: .remotePort)
            try container.encode(transport, forKey: .transport)
            try container.encode(country, forKey: .country)
            try container.encode(provider, forKey: .provider)
            try container.encode(rule, forKey: .rule)
            try container.encode(severity, forKey: .severity)
            try container.encode(reason, forKey: .reason)
            try container.encode(firstSeen, forKey: .firstSeen)
            try container.encode(lastSeen, forKey: .lastSeen)
            try container.encode(count, forKey: .count)
        }
    }

    public var generatedAt: String
    public var devices: [Device]
    public var anomalies: [Anomaly]

    enum CodingKeys: String, CodingKey {
        case devices, anomalies
        case generatedAt = "generated_at"
    }

    public init(generatedAt: Date, devices: [IoTDevice], anomalies: [IoTAnomaly]) {
        self.generatedAt = Self.time(generatedAt)
        self.devices = devices.map { device in
            Device(mac: device.mac, ip: device.ip, ips: device.ips, vendor: device.vendor, hostname: device.hostname,
                   deviceType: device.deviceType.rawValue, typeReasons: device.typeReasons, userType: device.userType?.rawValue,
                   randomisedMAC: device.randomisedMAC, firstSeen: Self.time(device.firstSeen), lastSeen: Self.time(device.lastSeen),
                   online: device.online)
        }
        self.anomalies = anomalies.map { anomaly in
            Anomaly(deviceMAC: anomaly.deviceMAC, deviceIP: anomaly.deviceIP, remoteIP: anomaly.remoteIP, remotePort: anomaly.remotePort,
                    transport: anomaly.transport, country: anomaly.country, provider: anomaly.provider, rule: anomaly.rule,
                    severity: anomaly.severity.rawValue, reason: anomaly.reason, firstSeen: Self.time(anomaly.firstSeen),
                    lastSeen: Self.time(anomaly.lastSeen), count: anomaly.count)
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> IoTExportDocument {
        try JSONDecoder().decode(IoTExportDocument.self, from: data)
    }

    /// Writes the document with the exports' safe writer: a regular file is replaced atomically
    /// (never half-written), a device or FIFO written in place, a folder refused.
    public func write(to path: String) throws {
        var bytes = [UInt8](try jsonData())
        bytes.append(0x0A)
        do { try Exporter.write(bytes: bytes, to: path) } catch { throw IoTError("\(error)") }
    }

    /// ISO 8601 UTC, whole seconds: the export's time format.
    public static func time(_ date: Date) -> String {
        ISO8601.string(nanosecondsSinceEpoch: Int64((date.timeIntervalSince1970).rounded(.down)) * 1_000_000_000, fractionDigits: 0)
    }
}
