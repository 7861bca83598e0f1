import Packets

/// What NetScouter knows about one IP address it has seen on the wire.
public struct HostStats: Sendable {
    public var address: IPAddress
    /// The last link-layer address this host sent from (zero when unknown, e.g. on loopback).
    public var mac: MACAddress = .zero
    public var packetsSent: UInt64 = 0
    public var packetsReceived: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Nanoseconds since the epoch.
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Ports this host was contacted on (services it answers on), at most `HostTable.portLimit`.
    public var ports: [UInt16] = []
    /// Bytes and packets sent and received over the last minute, five minutes and hour.
    public var recent = RecentTraffic()

    public var totalBytes: UInt64 { bytesSent &+ bytesReceived }
    public var totalPackets: UInt64 { packetsSent &+ packetsReceived }
}

/// Every host seen, keyed by IP address, with an upper bound on memory.
public final class HostTable {
    public static let portLimit = 64
    let table: OpenHashTable<IPAddress, HostStats>
    public let maximumCount: Int
    @exclusivity(unchecked) public private(set) var evictedCount = 0

    public init(maximumCount: Int = 65_536) {
        self.maximumCount = maximumCount
        table = OpenHashTable(minimumCapacity: min(maximumCount, 4096))
    }

    public var count: Int { table.count }
    public subscript(address: IPAddress) -> HostStats? { table[address] }
    public func forEach(_ body: (HostStats) throws -> Void) rethrows { try table.forEach { try body($1) } }
    public var all: [HostStats] { table.allValues }

    @inline(__always)
    func recordSent(by address: IPAddress, mac: MACAddress, length: UInt64, at time: Int64, second: Int64) {
        let slot = slotFor(address, at: time)
        table[slot: slot].packetsSent &+= 1
        table[slot: slot].bytesSent &+= length
        table[slot: slot].recent.add(bytes: length, second: second)
        if time > table[slot: slot].lastSeen { table[slot: slot].lastSeen = time }
        if mac != .zero { table[slot: slot].mac = mac }
    }

    @inline(__always)
    func recordReceived(by address: IPAddress, length: UInt64, at time: Int64, second: Int64) {
        let slot = slotFor(address, at: time)
        table[slot: slot].packetsReceived &+= 1
        table[slot: slot].bytesReceived &+= length
        table[slot: slot].recent.add(bytes: length, second: second)
        if time > table[slot: slot].lastSeen { table[slot: slot].lastSeen = time }
    }

    /// Called once per new flow (not per packet), so the port list costs nothing on the hot path.
    func recordServicePort(_ port: UInt16, on address: IPAddress) {
        guard let slot = table.slot(of: address) else { return }
        if table[slot: slot].ports.count < Self.portLimit, !table[slot: slot].ports.contains(port) {
            table[slot: slot].ports.append(port)
        }
    }

    @inline(__always)
    private func slotFor(_ address: IPAddress, at time: Int64) -> Int {
        if table.count >= maximumCount, table.slot(of: address) == nil { evictLeastRecent() }
        return table.slot(forInserting: address) { HostStats(address: address, firstSeen: time, lastSeen: time) }.slot
    }

    public func removeIdle(olderThan cutoff: Int64) -> Int {
        let removed = table.removeAll { $1.lastSeen < cutoff }
        evictedCount += removed
        return removed
    }

    /// Drops the least recently seen eighth, so eviction work is amortised over many inserts.
    private func evictLeastRecent() {
        let cutoff = leastRecentCutoff(table.allValues.map(\.lastSeen), fraction: 8)
        evictedCount += table.removeAll { $1.lastSeen <= cutoff }
    }
}

/// The `lastSeen` value at or below which roughly `1/fraction` of the entries fall.
func leastRecentCutoff(_ times: [Int64], fraction: Int) -> Int64 {
    guard !times.isEmpty else { return .min }
    let sorted = times.sorted()
    return sorted[max(0, sorted.count / fraction - 1)]
}
