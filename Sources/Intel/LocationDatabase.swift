import CLoc
import Foundation
import Packets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the offline location database knows about an address.
public struct LocationInfo: Equatable, Sendable, Codable {
    /// ISO 3166 code ("US"), or nil when the database has none.
    public var countryCode: String?
    public var asn: UInt32?
    public var asName: String?
    /// The most specific network containing the address, e.g. "8.8.8.0/24".
    public var network: String?
    /// "anonymous-proxy", "satellite-provider", "anycast", "drop" (libloc's A1, A2, A3, XD).
    public var flags: [String]
    /// For private, loopback and other non-global addresses: why there is nothing to look up.
    public var local: String?

    public init(countryCode: String? = nil, asn: UInt32? = nil, asName: String? = nil, network: String? = nil,
                flags: [String] = [], local: String? = nil) {
        self.countryCode = countryCode
        self.asn = asn
        self.asName = asName
        self.network = network
        self.flags = flags
        self.local = local
    }

    /// The short text the Country column shows: a code, "local", or "—".
    public var countryText: String { local != nil ? "local" : (countryCode ?? "—") }
}

/// Why the location database is not available; the app keeps working without geo/ASN.
public struct LocationDatabaseError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// IPFire's libloc location database: country, AS and network flags for any address, offline.
///
/// Debian's `libloc-database` installs the database at `/usr/share/libloc-location/location.db`;
/// `location update` (upstream's updater) writes `/var/lib/location/database.db`, which is newer
/// when present and so is tried first. `NETSCOUTER_LOCATION_DB` names another file.
public final class LocationDatabase: @unchecked Sendable {
    public static let standardPaths = ["/var/lib/location/database.db", "/usr/share/libloc-location/location.db"]
    public static let environmentVariable = "NETSCOUTER_LOCATION_DB"

    public let path: String
    /// When the database was built (its own header).
    public let createdAt: Date
    public let vendor: String
    private let context: OpaquePointer
    private let database: OpaquePointer
    /// libloc's objects carry non-atomic reference counts in one context: one lookup at a time.
    private let lock = Mutex(())
    private let asNames = Mutex<[UInt32: String?]>([:])

    /// The first database found, or an error that says how to install one.
    public static func openDefault(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<LocationDatabase, LocationDatabaseError> {
        var candidates = standardPaths
        if let explicit = environment[environmentVariable], !explicit.isEmpty { candidates = [explicit] }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            do { return .success(try LocationDatabase(path: path)) } catch let error as LocationDatabaseError { return .failure(error) } catch {
                return .failure(LocationDatabaseError(message: "\(error)"))
            }
        }
        let tried = candidates.joined(separator: " or ")
        return .failure(LocationDatabaseError(message: "No location database at \(tried): country and AS columns stay empty. Install it with `sudo apt-get install libloc-database` (or set \(environmentVariable) to a location.db file)."))
    }

    public init(path: String) throws {
        var context: OpaquePointer?
        guard loc_new(&context) == 0, let context else {
            throw LocationDatabaseError(message: "libloc could not start (out of memory?).")
        }
        // libloc logs to stderr at LOG_ERR by default; NetScouter reports problems itself.
        loc_set_log_priority(context, 0)
        guard let file = fopen(path, "r") else {
            let reason = String(cString: strerror(errno))
            loc_unref(context)
            throw LocationDatabaseError(message: "Cannot open the location database \(path): \(reason). Check that it exists and is readable, or reinstall libloc-database.")
        }
        defer { fclose(file) }
        var database: OpaquePointer?
        guard loc_database_new(context, &database, file) == 0, let database else {
            loc_unref(context)
            throw LocationDatabaseError(message: "\(path) is not a libloc location database (or it is damaged). Reinstall libloc-database or run `location update`.")
        }
        self.path = path
        self.context = context
        self.database = database
        createdAt = Date(timeIntervalSince1970: TimeInterval(loc_database_created_at(database)))
        vendor = loc_database_get_vendor(database).map { String(cString: $0) } ?? ""
    }

    deinit {
        loc_database_unref(database)
        loc_unref(context)
    }

    /// Country, AS, network and flags of `address`; for a non-global address only `local`.
    public func lookup(_ address: IPAddress) -> LocationInfo {
        if case let .local(reason) = AddressScope.of(address) { return LocationInfo(local: reason) }
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { buffer in
            buffer.storeBytes(of: address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        var info = LocationInfo()
        var asn: UInt32 = 0
        lock.withLock { _ in
            var network: OpaquePointer?
            guard loc_database_lookup(database, &raw, &network) == 0, let network else { return }
            defer { loc_network_unref(network) }
            if let code = loc_network_get_country_code(network) {
                let text = String(cString: code)
                if !text.isEmpty { info.countryCode = text }
            }
            asn = loc_network_get_asn(network)
            if let text = loc_network_str(network) { info.network = String(cString: text) }
            let flags: [(loc_network_flags, String)] = [
                (LOC_NETWORK_FLAG_ANONYMOUS_PROXY, "anonymous-proxy"), (LOC_NETWORK_FLAG_SATELLITE_PROVIDER, "satellite-provider"),
                (LOC_NETWORK_FLAG_ANYCAST, "anycast"), (LOC_NETWORK_FLAG_DROP, "drop"),
            ]
            info.flags = flags.filter { loc_network_has_flag(network, $0.0.rawValue) != 0 }.map(\.1)
        }
        if asn != 0 {
            info.asn = asn
            info.asName = asName(asn)
        }
        return info
    }

    /// The AS's registered name, cached: there are far fewer ASes than addresses.
    public func asName(_ number: UInt32) -> String? {
        if let known = asNames.withLock({ $0[number] }) { return known }
        let name: String? = lock.withLock { _ in
            var record: OpaquePointer?
            guard loc_database_get_as(database, &record, number) == 0, let record else { return nil }
            defer { loc_as_unref(record) }
            return loc_as_get_name(record).map { TextSanitizer.clean(String(cString: $0)) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        asNames.withLock { $0[number] = .some(name) }
        return name
    }
}
