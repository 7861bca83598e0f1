import Packets
import UI
import Traffic

/// Sorted, filtered copies of the host and flow tables for display.
///
/// Sorting 100,000 flows takes milliseconds, far too long to do every frame; the cache rebuilds
/// only when the sort or the filter changes, or when new data arrived and `refreshInterval`
/// has passed, so steady frames only index into an array.
public final class RowCache<Row> {
    public private(set) var rows: [Row] = []
    private var builtGeneration = -1
    private var builtSort: TableSort?
    private var builtFilter = ""
    private var builtAt = -Double.infinity
    public var refreshInterval: Double = 1.0
    public private(set) var rebuildCount = 0

    public init() {}

    /// Rebuilds when stale; `source` lists all rows, `matches` filters, `less` orders.
    /// `streaming` false (the capture ended) drops the once-a-second limit, so the table shows
    /// the final state at once instead of up to a second late. `sortedIndices`, when it gives
    /// an order for the sort (keys computed once per row), is used instead of `less`.
    public func update(generation: Int, sort: TableSort?, filter: String, now: Double, streaming: Bool = true,
                       source: () -> [Row], matches: (Row, String) -> Bool, less: (Row, Row, Int) -> Bool,
                       sortedIndices: (([Row], TableSort) -> [Int]?)? = nil) {
        let sortOrFilterChanged = sort != builtSort || filter != builtFilter
        // An empty, unfiltered table fills at once: showing "No rows" under a tab that already
        // counts flows is the lag users notice, and filling an empty table is cheap once.
        let firstRows = rows.isEmpty && filter.isEmpty
        let dataChanged = generation != builtGeneration && (!streaming || firstRows || now - builtAt >= refreshInterval)
        guard sortOrFilterChanged || dataChanged || builtGeneration < 0 else { return }
        var fresh = source()
        let needle = filter.lowercased()
        if !needle.isEmpty { fresh = fresh.filter { matches($0, needle) } }
        if let sort {
            if let order = sortedIndices?(fresh, sort) {
                fresh = order.map { fresh[$0] }
            } else {
                fresh.sort { sort.ascending ? less($0, $1, sort.column) : less($1, $0, sort.column) }
            }
        }
        rows = fresh
        builtGeneration = generation
        builtSort = sort
        builtFilter = filter
        builtAt = now
        rebuildCount += 1
    }

    public func invalidate() { builtGeneration = -1 }
}

// MARK: Display text shared by the tables, the packet detail and exports

/// "12:34:56.789" in UTC from nanoseconds since the epoch.
public func clockTime(_ nanoseconds: Int64, milliseconds: Bool = true) -> String {
    let totalSeconds = nanoseconds / 1_000_000_000
    let secondOfDay = ((totalSeconds % 86_400) + 86_400) % 86_400
    func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    var text = "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
    if milliseconds {
        let millis = (nanoseconds / 1_000_000) % 1000
        text += "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + "\(abs(millis))"
    }
    return text
}

public func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
    port == 0 ? address.description : address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
}

/// A one-line description of a packet for the packet list.
public func packetInfo(_ packet: PacketSummary) -> String {
    switch packet.network {
    case .arp:
        return arpDescription(packet)
    case .none:
        return packet.flags.contains(.unknownLinkType) ? "Unsupported link type" : "Non-IP frame"
    case .ipv4, .ipv6:
        switch packet.transport {
        case .tcp: return "\(packet.sourcePort) → \(packet.destinationPort) [\(packet.tcpFlags)]"
        case .udp: return "\(packet.sourcePort) → \(packet.destinationPort)"
        case .icmp, .icmpv6: return "type \(packet.icmpType) code \(packet.icmpCode)"
        case .none, .other: return "IP protocol \(packet.ipProtocol)"
        }
    }
}
