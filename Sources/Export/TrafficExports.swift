import Packets
import Traffic

/// Turns the traffic tables into export tables. Column keys are snake_case and stable (scripts
/// depend on them); titles are for spreadsheet headers.
///
/// Conventions, the same in every table:
/// - times are ISO 8601 UTC strings (milliseconds for flows and hosts, microseconds for packets,
///   whose order within a millisecond matters);
/// - ports are numbers for TCP and UDP and null otherwise (ICMP has no ports; 0 would be a lie);
/// - a value that does not apply (TCP state of a UDP flow, an unknown MAC) is null, never "-",
///   which a spreadsheet would also take for the start of a formula.
public enum TrafficExports {
    // MARK: Flows

    public static let flowColumns: [ExportColumn] = [
        ExportColumn("protocol", title: "Protocol"),
        ExportColumn("initiator", title: "Initiator"),
        ExportColumn("initiator_port", title: "Initiator port"),
        ExportColumn("responder", title: "Responder"),
        ExportColumn("responder_port", title: "Responder port"),
        ExportColumn("state", title: "State"),
        ExportColumn("end", title: "Ended by"),
        ExportColumn("packets_forward", title: "Packets forward"),
        ExportColumn("packets_reverse", title: "Packets reverse"),
        ExportColumn("bytes_forward", title: "Bytes forward"),
        ExportColumn("bytes_reverse", title: "Bytes reverse"),
        ExportColumn("first_seen", title: "First seen (UTC)"),
        ExportColumn("last_seen", title: "Last seen (UTC)"),
    ]

    /// Every flow the aggregator holds, finished ones included, most bytes first (ties:
    /// earliest first seen), so the command line's export starts with what matters and is the
    /// same on every run.
    public static func flows(from aggregator: TrafficAggregator) -> ExportTable {
        let sorted = aggregator.flows.allIncludingFinished.sorted { a, b in
            a.totalBytes != b.totalBytes ? a.totalBytes > b.totalBytes : a.firstSeen < b.firstSeen
        }
        return flows(sorted)
    }

    /// Exactly these flows in this order (the GUI exports the rows it shows, sorted and filtered).
    public static func flows(_ rows: some Sequence<FlowStats>) -> ExportTable {
        ExportTable(columns: flowColumns, rows: rows) { flow in
            flowRow(TrafficReport.Flow(flow),
                    firstSeen: ISO8601.string(nanosecondsSinceEpoch: flow.firstSeen),
                    lastSeen: ISO8601.string(nanosecondsSinceEpoch: flow.lastSeen))
        }
    }

    /// One flow row in `flowColumns` order; the one mapping for live flows and saved snapshots.
    /// Times come pre-formatted because live flows keep nanoseconds and snapshots keep seconds.
    public static func flowRow(_ flow: TrafficReport.Flow, firstSeen: String, lastSeen: String) -> [ExportValue] {
        let hasPorts = flow.protocol == "TCP" || flow.protocol == "UDP"
        return [
            .string(flow.protocol),
            .string(flow.initiator),
            hasPorts ? .number(flow.initiatorPort) : .null,
            .string(flow.responder),
            hasPorts ? .number(flow.responderPort) : .null,
            flow.protocol == "TCP" ? .string(flow.state) : .null,
            flow.end.map { .string($0) } ?? .null,
            .unsigned(flow.packetsForward),
            .unsigned(flow.packetsReverse),
            .unsigned(flow.bytesForward),
            .unsigned(flow.bytesReverse),
            .string(firstSeen),
            .string(lastSeen),
        ]
    }

    // MARK: Hosts

    public static let hostColumns: [ExportColumn] = [
        ExportColumn("address", title: "Address"),
        ExportColumn("mac", title: "MAC"),
        ExportColumn("packets_sent", title: "Packets sent"),
        ExportColumn("packets_received", title: "Packets received"),
        ExportColumn("bytes_sent", title: "Bytes sent"),
        ExportColumn("bytes_received", title: "Bytes received"),
        ExportColumn("ports", title: "Ports"),
        ExportColumn("first_seen", title: "First seen (UTC)"),
        ExportColumn("last_seen", title: "Last seen (UTC)"),
    ]

    /// Every host the aggregator knows, most bytes first (ties: lowest address first).
    public static func hosts(from aggregator: TrafficAggregator) -> ExportTable {
        let sorted = aggregator.hosts.all.sorted { a, b in
            a.totalBytes != b.totalBytes ? a.totalBytes > b.totalBytes : a.address < b.address
        }
        return hosts(sorted)
    }

    /// Exactly these hosts in this order. `ports` (the services each host answered on) is an
    /// array, sorted ascending; the MAC is null when unknown (loopback, or seen only as a target).
    public static func hosts(_ rows: some Sequence<HostStats>) -> ExportTable {
        ExportTable(columns: hostColumns, rows: rows) { host in
            hostRow(TrafficReport.Host(host),
                    firstSeen: ISO8601.string(nanosecondsSinceEpoch: host.firstSeen),
                    lastSeen: ISO8601.string(nanosecondsSinceEpoch: host.lastSeen))
        }
    }

    /// One host row in `hostColumns` order, for live hosts and saved snapshots alike.
    public static func hostRow(_ host: TrafficReport.Host, firstSeen: String, lastSeen: String) -> [ExportValue] {
        [
            .string(host.address),
            .text(host.mac),
            .unsigned(host.packetsSent),
            .unsigned(host.packetsReceived),
            .unsigned(host.bytesSent),
            .unsigned(host.bytesReceived),
            .array(host.ports.sorted().map { .number($0) }),
            .string(firstSeen),
            .string(lastSeen),
        ]
    }

    // MARK: Packets

    public static let packetColumns: [ExportColumn] = [
        ExportColumn("time", title: "Time (UTC)"),
        ExportColumn("source", title: "Source"),
        ExportColumn("source_port", title: "Source port"),
        ExportColumn("destination", title: "Destination"),
        ExportColumn("destination_port", title: "Destination port"),
        ExportColumn("protocol", title: "Protocol"),
        ExportColumn("length", title: "Length"),
        ExportColumn("tcp_flags", title: "TCP flags"),
        ExportColumn("info", title: "Info"),
    ]

    /// One row per packet summary, in the given order. `length` is the length on the wire;
    /// `tcp_flags` is "SYN,ACK"-style text for TCP and null otherwise; `info` is a short
    /// description (ICMP type and code, the ARP question or answer, decoding notes).
    /// Non-IP frames have null addresses.
    public static func packets(_ summaries: some Sequence<PacketSummary>) -> ExportTable {
        ExportTable(columns: packetColumns, rows: summaries) { packet in
            let hasAddresses = packet.network != .none
            let hasPorts = packet.transport == .tcp || packet.transport == .udp
            return [
                .string(ISO8601.string(nanosecondsSinceEpoch: packet.timestamp, fractionDigits: 6)),
                hasAddresses ? .string(packet.source.description) : .null,
                hasPorts ? .number(packet.sourcePort) : .null,
                hasAddresses ? .string(packet.destination.description) : .null,
                hasPorts ? .number(packet.destinationPort) : .null,
                .string(packetProtocolName(packet)),
                .number(packet.wireLength),
                packet.transport == .tcp ? .string(packet.tcpFlags.isEmpty ? "" : packet.tcpFlags.description) : .null,
                .string(packetInfo(packet)),
            ]
        }
    }

    static func packetInfo(_ packet: PacketSummary) -> String {
        var parts: [String] = []
        switch packet.network {
        case .arp:
            parts.append(arpDescription(packet))
        case .none:
            parts.append(packet.flags.contains(.unknownLinkType) ? "Unsupported link type" : "Non-IP frame")
        case .ipv4, .ipv6:
            switch packet.transport {
            case .icmp, .icmpv6: parts.append("type \(packet.icmpType) code \(packet.icmpCode)")
            case .none, .other: parts.append("IP protocol \(packet.ipProtocol)")
            // The same text the Packets table shows, so an export reads like the screen.
            case .tcp: parts.append("\(packet.sourcePort) → \(packet.destinationPort) [\(packet.tcpFlags)]")
            case .udp: parts.append("\(packet.sourcePort) → \(packet.destinationPort)")
            }
        }
        if packet.flags.contains(.vlanTagged) { parts.append("VLAN \(packet.vlanID)") }
        if packet.flags.contains(.fragment) { parts.append("IP fragment") }
        if packet.flags.contains(.truncated) { parts.append("truncated to \(packet.capturedLength) bytes") }
        if packet.isMalformed { parts.append("malformed") }
        return parts.joined(separator: "; ")
    }
}
