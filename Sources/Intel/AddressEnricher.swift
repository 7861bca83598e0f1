import Foundation
import Packets
import Store
import Synchronization

/// What the tables show next to an address: country, AS and the consensus, if known.
public struct AddressEnrichment: Equatable, Sendable {
    public var location: LocationInfo?
    /// nil while no provider answer is known (not looked up yet).
    public var consensus: Consensus?

    public init(location: LocationInfo?, consensus: Consensus? = nil) {
        self.location = location
        self.consensus = consensus
    }

    public var countryText: String { location?.countryText ?? "—" }
    /// "AS15169 GOOGLE", or "—".
    public var asText: String {
        guard let asn = location?.asn else { return location?.local != nil ? "local" : "—" }
        return "AS\(asn)" + (location?.asName.map { " \($0)" } ?? "")
    }
}

/// The enrichment the flows, hosts, connections and scan tables read every frame: the offline
/// geo/AS answer and the last known consensus per address, from memory. Nothing here touches the
/// network; lookups go through `ReputationLookupQueue`, whose deliveries are `record`ed here.
/// Thread-safe: the UI thread reads while the worker records.
public final class AddressEnricher: Sendable {
    /// The offline location data (nil: none installed); replaced when the user picks another
    /// `.mmdb` in Settings.
    public var location: (any LocationSource)? { source.withLock { $0 } }
    public let vendors: MACVendors?
    private let source: Mutex<(any LocationSource)?>
    private let geo = Mutex<[IPAddress: LocationInfo]>([:])
    private let verdicts = Mutex<[IPAddress: Consensus]>([:])

    public init(location: (any LocationSource)?, vendors: MACVendors? = nil) {
        source = Mutex(location)
        self.vendors = vendors
    }

    public func enrich(_ address: IPAddress) -> AddressEnrichment {
        AddressEnrichment(location: locationInfo(address), consensus: verdicts.withLock { $0[address] })
    }

    /// The last known consensus only (no location lookup).
    public func consensus(_ address: IPAddress) -> Consensus? { verdicts.withLock { $0[address] } }

    /// The last known consensus of many addresses, under one lock (a table sorting by it).
    public func consensus(_ addresses: [IPAddress?]) -> [Consensus?] {
        verdicts.withLock { verdicts in addresses.map { $0.flatMap { verdicts[$0] } } }
    }

    /// The location of many addresses: the known ones under one lock, the rest from the
    /// database (a table sorting by country or AS).
    public func locationInfo(_ addresses: [IPAddress?]) -> [LocationInfo?] {
        var answers = geo.withLock { geo in addresses.map { $0.flatMap { geo[$0] } } }
        for index in answers.indices where answers[index] == nil {
            if let address = addresses[index] { answers[index] = locationInfo(address) }
        }
        return answers
    }

    public func locationInfo(_ address: IPAddress) -> LocationInfo? {
        if let known = geo.withLock({ $0[address] }) { return known }
        guard let location else {
            if case let .local(reason) = AddressScope.of(address) { return LocationInfo(local: reason) }
            return nil
        }
        let info = location.lookup(address)
        geo.withLock { $0[address] = info }
        return info
    }

    public func vendor(_ mac: MACAddress) -> MACVendorAnswer {
        vendors?.lookup(mac) ?? (mac.value >> 40 & 0x02 != 0 ? .locallyAdministered : .unknown)
    }

    /// Another location source (Settings named another `.mmdb`): what was learnt from the old
    /// one is forgotten.
    public func replaceLocation(_ location: (any LocationSource)?) {
        source.withLock { $0 = location }
        geo.withLock { $0.removeAll() }
    }

    /// A lookup's result (from the queue's worker).
    public func record(_ reputation: AddressReputation) {
        guard let address = IPAddress(reputation.address) else { return }
        let consensus = reputation.consensus
        verdicts.withLock { $0[address] = consensus }
    }

    /// Loads every unexpired cached answer, so the tables show verdicts right after start.
    /// Returns how many addresses it learnt.
    @discardableResult
    public func preload(from cache: ReputationCache, at time: Date) throws -> Int {
        var byAddress: [IPAddress: (flagged: Int, answered: Int)] = [:]
        for entry in try cache.allFresh(at: time) {
            guard let address = IPAddress(entry.address) else { continue }
            var counts = byAddress[address] ?? (0, 0)
            counts.answered += 1
            if entry.flagged { counts.flagged += 1 }
            byAddress[address] = counts
        }
        verdicts.withLock { verdicts in
            for (address, counts) in byAddress { verdicts[address] = Consensus(flagged: counts.flagged, answered: counts.answered) }
        }
        return byAddress.count
    }
}
