import Packets

/// A snapshot of the aggregates for the command line: encodable as JSON, printable as a table.
public struct TrafficReport: Codable, Sendable, Equatable {
    public struct ProtocolCount: Codable, Sendable, Equatable {
        public var packets: UInt64
        public var bytes: UInt64
    }

    public struct Host: Codable, Sendable, Equatable {
        public init(_ host: HostStats) {
            address = host.address.description
            mac = host.mac == .zero ? nil : host.mac.description
            packetsSent = host.packetsSent
            packetsReceived = host.packetsReceived
            bytesSent = host.bytesSent
            bytesReceived = host.bytesReceived
            ports = host.ports.sorted()
            firstSeen = seconds(host.firstSeen)
            lastSeen = seconds(host.lastSeen)
        }

        public var address: String
        public var mac: String?
        public var packetsSent: UInt64
        public var packetsReceived: UInt64
        public var bytesSent: UInt64
        public var bytesReceived: UInt64
        public var ports: [UInt16]
        public var firstSeen: Double
        public var lastSeen: Double
    }

    public struct Flow: Codable, Sendable, Equatable {
        /// The flow as reported and saved in capture snapshots (times in epoch seconds).
        public init(_ flow: FlowStats) {
            self.protocol = protocolName(flow.transport, ipProtocol: flow.key.ipProtocol)
            initiator = flow.initiator.description
            initiatorPort = flow.initiatorPort
            responder = flow.responder.description
            responderPort = flow.responderPort
            packetsForward = flow.packetsForward
            packetsReverse = flow.packetsReverse
            bytesForward = flow.bytesForward
            bytesReverse = flow.bytesReverse
            state = flow.tcpState.description
            end = flow.endReason.key
            firstSeen = seconds(flow.firstSeen)
            lastSeen = seconds(flow.lastSeen)
        }

        public init(protocol: String, initiator: String, initiatorPort: UInt16, responder: String, responderPort: UInt16,
                    packetsForward: UInt64, packetsReverse: UInt64, bytesForward: UInt64, bytesReverse: UInt64,
                    state: String, end: String?, firstSeen: Double, lastSeen: Double) {
            self.protocol = `protocol`
            self.initiator = initiator
            self.initiatorPort = initiatorPort
            self.responder = responder
            self.responderPort = responderPort
            self.packetsForward = packetsForward
            self.packetsReverse = packetsReverse
            self.bytesForward = bytesForward
            self.bytesReverse = bytesReverse
            self.state = state
            self.end = end
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }

        public var `protocol`: String
        public var initiator: String
        public var initiatorPort: UInt16
        public var responder: String
        public var responderPort: UInt16
        public var packetsForward: UInt64
        public var packetsReverse: UInt64
        public var bytesForward: UInt64
        public var bytesReverse: UInt64
        public var state: String
        /// Why the flow ended (`FlowEndReason.key`); "active" while it runs. Optional so
        /// snapshots saved before flow history still decode.
        public var end: String?
        public var firstSeen: Double
        public var lastSeen: Double
    }

    public struct CaptureCounters: Codable, Sendable, Equatable {
        public var kernelDrops: UInt64
        public var interfaceDrops: UInt64
        public var ringOverflows: Int
        public init(kernelDrops: UInt64, interfaceDrops: UInt64, ringOverflows: Int) {
            self.kernelDrops = kernelDrops
            self.interfaceDrops = interfaceDrops
            self.ringOverflows = ringOverflows
        }
    }

    public var source: String
    public var filter: String?
    public var linkType: String
    public var packets: UInt64
    public var bytes: UInt64
    public var malformed: UInt64
    /// Seconds between the first and last packet.
    public var durationSeconds: Double
    public var protocols: [String: ProtocolCount]
    public var hostCount: Int
    /// Every flow the capture saw (same as `flowsSeen`; kept for scripts written before it).
    public var flowCount: Int
    /// Every flow the capture started, active or finished.
    public var flowsSeen: Int
    /// Flows still open at the end of the capture.
    public var flowsActive: Int
    /// Flows that finished: closed, idle past their timeout, or evicted.
    public var flowsFinished: Int
    /// Flows finished early because the live table was full (counted in `flowsFinished`).
    public var flowsEvicted: Int
    public var capture: CaptureCounters
    /// False when a capture file could not be read to its end: the figures cover the packets
    /// before the damage, and `error` says where and why reading stopped.
    public var complete = true
    public var error: String?
    public var topHosts: [Host]
    public var topFlows: [Flow]

    public init(aggregator: TrafficAggregator, source: String, filter: String?, linkType: LinkType,
                counters: CaptureCounters, top: Int) {
        let totals = aggregator.totals
        self.source = source
        self.filter = filter
        self.linkType = linkType.description
        packets = totals.packets
        bytes = totals.bytes
        malformed = totals.malformed
        durationSeconds = (Double(totals.lastTimestamp ?? 0) - Double(totals.firstTimestamp ?? 0)) / 1e9
        protocols = Dictionary(uniqueKeysWithValues: ProtocolClass.allCases.map {
            ($0.description, ProtocolCount(packets: totals.packets($0), bytes: totals.bytes($0)))
        })
        hostCount = aggregator.hosts.count
        let flowCounts = aggregator.flowCounts
        flowCount = flowCounts.seen
        flowsSeen = flowCounts.seen
        flowsActive = flowCounts.active
        flowsFinished = flowCounts.finished
        flowsEvicted = flowCounts.evicted
        capture = counters
        topHosts = aggregator.topTalkers(top).map(Host.init)
        topFlows = aggregator.topFlows(top).map(Flow.init)
    }

    /// Marks the report as covering only the part of a file before a read error.
    public mutating func markIncomplete(_ reason: String) {
        complete = false
        error = reason
    }

    /// A plain-text report for a terminal.
    public func renderTable() -> String {
        var lines: [String] = []
        lines.append("Source:   \(source)\(filter.map { "  (filter: \($0))" } ?? "")  [\(linkType)]")
        lines.append("Packets:  \(packets)   Bytes: \(formatBytes(bytes))   Malformed: \(malformed)   Duration: \(formatDecimal(durationSeconds)) s")
        lines.append("Drops:    kernel \(capture.kernelDrops), interface \(capture.interfaceDrops), ring \(capture.ringOverflows)")
        if !complete { lines.append("INCOMPLETE: the file could not be read to its end; these figures cover the packets before the error.") }
        lines.append("")
        lines.append(row(["Protocol", "Packets", "Bytes"], widths: [10, 12, 12]))
        for protocolClass in ProtocolClass.allCases {
            let count = protocols[protocolClass.description] ?? ProtocolCount(packets: 0, bytes: 0)
            lines.append(row([protocolClass.description, "\(count.packets)", formatBytes(count.bytes)], widths: [10, 12, 12]))
        }
        lines.append("")
        lines.append("Top hosts (\(hostCount) seen)")
        lines.append(row(["Address", "Sent", "Received", "Packets", "Ports"], widths: [40, 11, 11, 10, 20]))
        for host in topHosts {
            let ports = host.ports.prefix(6).map(String.init).joined(separator: ",") + (host.ports.count > 6 ? ",…" : "")
            lines.append(row([host.address, formatBytes(host.bytesSent), formatBytes(host.bytesReceived),
                              "\(host.packetsSent + host.packetsReceived)", ports], widths: [40, 11, 11, 10, 20]))
        }
        lines.append("")
        lines.append("Top flows (\(flowsSeen) seen: \(flowsActive) active, \(flowsFinished) finished, \(flowsEvicted) of them evicted)")
        lines.append(row(["Proto", "Initiator", "Responder", "Packets", "Bytes", "State"], widths: [7, 46, 46, 9, 11, 12]))
        for flow in topFlows {
            lines.append(row([flow.protocol, endpoint(flow.initiator, flow.initiatorPort), endpoint(flow.responder, flow.responderPort),
                              "\(flow.packetsForward + flow.packetsReverse)", formatBytes(flow.bytesForward + flow.bytesReverse), flow.state],
                             widths: [7, 46, 46, 9, 11, 12]))
        }
        return lines.joined(separator: "\n")
    }

    private func endpoint(_ address: String, _ port: UInt16) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    private func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined().trimmingTrailingSpaces()
    }
}

private func seconds(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / 1e9 }

/// "TCP", "UDP", "ICMP", "ICMPv6", or "IP/47" for other IP protocols.
public func protocolName(_ transport: TransportProtocol, ipProtocol: UInt8) -> String {
    switch transport {
    case .tcp: "TCP"
    case .udp: "UDP"
    case .icmp: "ICMP"
    case .icmpv6: "ICMPv6"
    case .none, .other: "IP/\(ipProtocol)"
    }
}

/// The protocol of one packet as lists show it: "ARP", "Other" for frames that are not IP,
/// else the transport (`protocolName`).
public func packetProtocolName(_ packet: PacketSummary) -> String {
    switch packet.network {
    case .arp: "ARP"
    case .none: "Other"
    case .ipv4, .ipv6: protocolName(packet.transport, ipProtocol: packet.ipProtocol)
    }
}

/// "Who has 10.0.0.1? Tell 10.0.0.2" / "10.0.0.1 is at aa:bb:…": what an ARP frame says.
public func arpDescription(_ packet: PacketSummary) -> String {
    switch packet.arpOperation {
    case 1: "Who has \(packet.destination)? Tell \(packet.source)"
    case 2: "\(packet.source) is at \(packet.sourceMAC)"
    default: "ARP operation \(packet.arpOperation)"
    }
}

/// 1,234 B / 12.3 KB / 4.5 MB / 1.2 GB (decimal units, as network tools report).
public func formatBytes(_ bytes: UInt64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) B" : "\(formatDecimal(value)) \(units[unit])"
}

/// One decimal place without Foundation's formatters.
public func formatDecimal(_ value: Double) -> String {
    let scaled = (value * 10).rounded()
    let whole = Int(scaled / 10)
    let tenth = abs(Int(scaled) % 10)
    return "\(value < 0 && whole == 0 ? "-" : "")\(whole).\(tenth)"
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
