import CMaxMindDB
import Foundation
import Packets
import Synchronization

/// Anything that answers country / AS for an address without the network.
public protocol LocationSource: Sendable {
    func lookup(_ address: IPAddress) -> LocationInfo
}

extension LocationDatabase: LocationSource {}

/// A MaxMind-format database the user chose (GeoLite2-Country, GeoLite2-ASN, DB-IP Lite …),
/// read with libmaxminddb. Reads `country.iso_code` (else `registered_country.iso_code`),
/// `autonomous_system_number` and `autonomous_system_organization` — whichever the file has.
/// NetScouter ships no such file (their licences forbid redistribution); set
/// `NETSCOUTER_MMDB` or pass `--mmdb` to use one. It answers before libloc where it knows more.
public final class MaxMindDatabase: @unchecked Sendable {
    public static let environmentVariable = "NETSCOUTER_MMDB"
    public let path: String
    public let databaseType: String
    private var handle = MMDB_s()

    public init(path: String) throws {
        self.path = path
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), &handle)
        guard status == MMDB_SUCCESS else {
            let reason = String(cString: MMDB_strerror(status))
            throw LocationDatabaseError(message: "Cannot use the MaxMind database \(path): \(reason). Choose a .mmdb file (GeoLite2-Country, GeoLite2-ASN, DB-IP Lite), or clear the choice (Settings → MaxMind .mmdb, \(Self.environmentVariable), --mmdb) to use libloc alone.")
        }
        databaseType = handle.metadata.database_type.map { String(cString: $0) } ?? ""
    }

    deinit { MMDB_close(&handle) }

    public func lookup(_ address: IPAddress) -> LocationInfo {
        if case let .local(reason) = AddressScope.of(address) { return LocationInfo(local: reason) }
        var gaiError: Int32 = 0, mmdbError: Int32 = 0
        // The handle is read-only after open: libmaxminddb lookups are thread-safe.
        var result = MMDB_lookup_string(&handle, address.description, &gaiError, &mmdbError)
        var info = LocationInfo()
        guard gaiError == 0, mmdbError == MMDB_SUCCESS, result.found_entry else { return info }
        info.countryCode = string(&result.entry, "country", "iso_code") ?? string(&result.entry, "registered_country", "iso_code")
        var data = MMDB_entry_data_s()
        if ns_mmdb_get1(&result.entry, &data, "autonomous_system_number") == MMDB_SUCCESS, data.has_data,
           data.type == UInt32(MMDB_DATA_TYPE_UINT32) {
            info.asn = data.uint32
        }
        if ns_mmdb_get1(&result.entry, &data, "autonomous_system_organization") == MMDB_SUCCESS, data.has_data,
           data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING) {
            info.asName = Self.text(data)
        }
        return info
    }

    private func string(_ entry: inout MMDB_entry_s, _ a: String, _ b: String) -> String? {
        var data = MMDB_entry_data_s()
        guard ns_mmdb_get2(&entry, &data, a, b) == MMDB_SUCCESS, data.has_data, data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING) else { return nil }
        return Self.text(data)
    }

    private static func text(_ data: MMDB_entry_data_s) -> String? {
        guard let pointer = data.utf8_string else { return nil }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(data.data_size))
        let cleaned = TextSanitizer.clean(String(decoding: bytes, as: UTF8.self))
        return cleaned.isEmpty ? nil : cleaned
    }
}

extension MaxMindDatabase: LocationSource {}

/// The user's .mmdb first, libloc for whatever it leaves out (a Country database has no AS, an
/// ASN database no country).
public struct CombinedLocation: LocationSource {
    public var sources: [any LocationSource]
    public init(_ sources: [any LocationSource]) { self.sources = sources }

    public func lookup(_ address: IPAddress) -> LocationInfo {
        var merged = LocationInfo()
        for source in sources {
            let info = source.lookup(address)
            if let local = info.local { return LocationInfo(local: local) }
            if merged.countryCode == nil { merged.countryCode = info.countryCode }
            if merged.asn == nil { merged.asn = info.asn; merged.asName = info.asName }
            if merged.network == nil { merged.network = info.network }
            if merged.flags.isEmpty { merged.flags = info.flags }
        }
        return merged
    }
}

public enum LocationSources {
    /// What `opening` found: the combined source, notices for the user, and whether the .mmdb
    /// asked for could not be opened (so a caller can try the same path again once it is fixed).
    public struct Opening {
        public let source: (any LocationSource)?
        public let notices: [String]
        public let mmdbFailed: Bool
    }

    /// libloc, plus the user's .mmdb (`mmdbPath`, else `NETSCOUTER_MMDB`) in front of it when
    /// given. Problems come back as notices for the user, never as failures.
    public static func open(mmdbPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (source: (any LocationSource)?, notices: [String]) {
        let opened = opening(mmdbPath: mmdbPath, environment: environment)
        return (opened.source, opened.notices)
    }

    public static func opening(mmdbPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> Opening {
        var sources: [any LocationSource] = []
        var notices: [String] = []
        var mmdbFailed = false
        if let path = mmdbPath ?? environment[MaxMindDatabase.environmentVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            do { sources.append(try MaxMindDatabase(path: path)) } catch { notices.append("\(error)"); mmdbFailed = true }
        }
        switch LocationDatabase.openDefault(environment: environment) {
        case let .success(database): sources.append(database)
        case let .failure(notice): notices.append(notice.message)
        }
        let source: (any LocationSource)? = sources.isEmpty ? nil : sources.count == 1 ? sources[0] : CombinedLocation(sources)
        return Opening(source: source, notices: notices, mmdbFailed: mmdbFailed)
    }
}
