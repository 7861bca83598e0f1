import Foundation
import GRDB

/// A device seen on the network (IoT map, LAN inventory): a row of `devices`.
public struct DeviceRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeColumns {
    public static let databaseTableName = "devices"

    public var id: Int64?
    /// Lowercase "aa:bb:cc:dd:ee:ff", or nil when only the IP is known (routed hosts).
    public var mac: String?
    public var address: String
    public var hostname: String?
    /// e.g. "camera", "printer", "phone". Owned by the Intel module.
    public var deviceType: String?
    /// Manufacturer from the MAC's OUI (schema v2).
    public var vendor: String?
    public var firstSeen: Date
    public var lastSeen: Date

    public init(
        id: Int64? = nil, mac: String?, address: String, hostname: String? = nil,
        deviceType: String? = nil, vendor: String? = nil, firstSeen: Date, lastSeen: Date
    ) {
        self.id = id
        self.mac = mac
        self.address = address
        self.hostname = hostname
        self.deviceType = deviceType
        self.vendor = vendor
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }

    enum CodingKeys: String, CodingKey {
        case id, mac, address, hostname, vendor
        case deviceType = "device_type"
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
    }

    public enum Columns {
        public static let mac = Column(CodingKeys.mac)
        public static let address = Column(CodingKeys.address)
        public static let lastSeen = Column(CodingKeys.lastSeen)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// The device inventory, keyed by (MAC, address).
public struct DeviceStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// Records a sighting: inserts the device, or moves `last_seen` forward and fills in any
    /// details that are now known. Details passed as nil never erase what is stored (a later
    /// ARP reply without a hostname must not forget the hostname from DHCP).
    @discardableResult
    public func upsert(
        mac: String?, address: String, hostname: String? = nil, deviceType: String? = nil,
        vendor: String? = nil, seenAt time: Date
    ) throws -> DeviceRecord {
        try database.write { db in
            try Self.upsert(mac: mac, address: address, hostname: hostname, deviceType: deviceType,
                            vendor: vendor, seenAt: time, in: db)
        }
    }

    @discardableResult
    public static func upsert(
        mac: String?, address: String, hostname: String? = nil, deviceType: String? = nil,
        vendor: String? = nil, seenAt time: Date, in db: Database
    ) throws -> DeviceRecord {
        let mac = normalizedMAC(mac)
        // `IS` rather than `=`: the UNIQUE(mac, address) constraint treats NULL macs as all
        // different, so without it every sighting of a MAC-less host would add a row.
        if var device = try DeviceRecord
            .filter(sql: "mac IS ? AND address = ?", arguments: [mac, address])
            .fetchOne(db) {
            device.lastSeen = max(device.lastSeen, time)
            device.firstSeen = min(device.firstSeen, time)
            device.hostname = hostname ?? device.hostname
            device.deviceType = deviceType ?? device.deviceType
            device.vendor = vendor ?? device.vendor
            try device.update(db)
            return device
        }
        var device = DeviceRecord(mac: mac, address: address, hostname: hostname, deviceType: deviceType,
                                  vendor: vendor, firstSeen: time, lastSeen: time)
        try device.insert(db)
        return device
    }

    /// Every device, most recently seen first.
    public func all() throws -> [DeviceRecord] {
        try database.read { db in
            try DeviceRecord.order(DeviceRecord.Columns.lastSeen.desc).fetchAll(db)
        }
    }

    /// The device with this MAC and address, if known.
    public func device(mac: String?, address: String) throws -> DeviceRecord? {
        try database.read { db in
            try DeviceRecord
                .filter(sql: "mac IS ? AND address = ?", arguments: [Self.normalizedMAC(mac), address])
                .fetchOne(db)
        }
    }

    /// Lowercase, and empty means unknown: the same device reported by ARP ("AA:BB…") and by
    /// the DHCP lease file ("aa:bb…") must match.
    static func normalizedMAC(_ mac: String?) -> String? {
        guard let mac = mac?.trimmingCharacters(in: .whitespaces), !mac.isEmpty else { return nil }
        return mac.lowercased()
    }
}
