import Packets

/// A conversation's identity with both directions merged: the endpoint that sorts lower is
/// always `a`, so A→B and B→A packets land on the same entry.
public struct FlowKey: TableKey, Hashable, Sendable {
    public var a: IPAddress
    public var b: IPAddress
    public var portA: UInt16
    public var portB: UInt16
    public var ipProtocol: UInt8

    @inline(__always)
    public init(_ summary: PacketSummary) {
        let sourceFirst = summary.source < summary.destination
            || (summary.source == summary.destination && summary.sourcePort <= summary.destinationPort)
        if sourceFirst {
            a = summary.source; b = summary.destination
            portA = summary.sourcePort; portB = summary.destinationPort
        } else {
            a = summary.destination; b = summary.source
            portA = summary.destinationPort; portB = summary.sourcePort
        }
        ipProtocol = summary.ipProtocol
    }

    @inline(__always)
    public var tableHash: UInt64 {
        let ports = UInt64(portA) << 24 | UInt64(portB) << 8 | UInt64(ipProtocol)
        return fastMix(a.high &* 0x9E37_79B9_7F4A_7C15 ^ a.low ^ (b.high &* 0xC2B2_AE3D_27D4_EB4F)
            ^ (b.low &* 0x1656_67B1_9E37_79F9) ^ ports)
    }
}

/// TCP connection state inferred from the flags seen in both directions.
public enum TCPState: UInt8, Sendable, CustomStringConvertible {
    /// Not TCP.
    case none
    /// SYN seen from the initiator, no answer yet.
    case synSent
    /// SYN+ACK seen from the responder.
    case synReceived
    /// Handshake completed, or the flow was first seen mid-stream.
    case established
    /// A FIN was seen from one side.
    case closing
    /// FINs seen from both sides.
    case closed
    /// An RST was seen.
    case reset

    public var description: String {
        switch self {
        case .none: "-"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RECEIVED"
        case .established: "ESTABLISHED"
        case .closing: "CLOSING"
        case .closed: "CLOSED"
        case .reset: "RESET"
        }
    }

    public var isFinished: Bool { self == .closed || self == .reset }
}

/// One flow. "Forward" is the initiator→responder direction.
public struct FlowStats: Sendable {
    public var key: FlowKey
    public var initiator: IPAddress
    public var initiatorPort: UInt16
    public var responder: IPAddress
    public var responderPort: UInt16
    public var transport: TransportProtocol
    public var packetsForward: UInt64 = 0
    public var packetsReverse: UInt64 = 0
    public var bytesForward: UInt64 = 0
    public var bytesReverse: UInt64 = 0
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var tcpState: TCPState
    /// Why the flow left the live table; `.active` while it is still in it.
    public internal(set) var endReason: FlowEndReason = .active
    var finFromInitiator = false
    var finFromResponder = false
    /// The sequence number of the first TCP packet seen in each direction (`baseSequenceSeen`
    /// says which are set): a later SYN with another number opens a new connection.
    var baseSequenceForward: UInt32 = 0
    var baseSequenceReverse: UInt32 = 0
    var baseSequenceSeen: (forward: Bool, reverse: Bool) = (false, false)

    public var totalBytes: UInt64 { bytesForward &+ bytesReverse }
    public var totalPackets: UInt64 { packetsForward &+ packetsReverse }

    init(first summary: PacketSummary, key: FlowKey) {
        self.key = key
        // A flow first seen on a SYN+ACK was opened by the packet's destination.
        let answeredHandshake = summary.transport == .tcp && summary.tcpFlags.contains([.syn, .ack])
        initiator = answeredHandshake ? summary.destination : summary.source
        initiatorPort = answeredHandshake ? summary.destinationPort : summary.sourcePort
        responder = answeredHandshake ? summary.source : summary.destination
        responderPort = answeredHandshake ? summary.sourcePort : summary.destinationPort
        transport = summary.transport
        firstSeen = summary.timestamp
        lastSeen = summary.timestamp
        tcpState = summary.transport == .tcp ? .established : .none
        if summary.transport == .tcp {
            let flags = summary.tcpFlags
            if flags.contains(.syn) { tcpState = flags.contains(.ack) ? .synReceived : .synSent }
        }
    }

    @inline(__always)
    mutating func update(with summary: PacketSummary, isForward: Bool) {
        let length = UInt64(summary.wireLength)
        if isForward {
            packetsForward &+= 1
            bytesForward &+= length
        } else {
            packetsReverse &+= 1
            bytesReverse &+= length
        }
        if summary.timestamp > lastSeen { lastSeen = summary.timestamp }
        if transport == .tcp {
            noteBaseSequence(summary.tcpSequence, isForward: isForward)
            advanceTCPState(summary.tcpFlags, isForward: isForward)
        }
    }

    @inline(__always)
    mutating func noteBaseSequence(_ sequence: UInt32, isForward: Bool) {
        if isForward, !baseSequenceSeen.forward { baseSequenceForward = sequence; baseSequenceSeen.forward = true }
        if !isForward, !baseSequenceSeen.reverse { baseSequenceReverse = sequence; baseSequenceSeen.reverse = true }
    }

    /// Whether this packet is a SYN opening a new connection on the same ports: a SYN (without
    /// ACK) whose sequence number differs from the first one seen in its direction. This is
    /// Wireshark's rule for starting a new TCP conversation, so both count the same connections.
    @inline(__always)
    func isNewConnection(_ summary: PacketSummary, isForward: Bool) -> Bool {
        guard summary.tcpFlags.contains(.syn), !summary.tcpFlags.contains(.ack) else { return false }
        return isForward
            ? baseSequenceSeen.forward && summary.tcpSequence != baseSequenceForward
            : baseSequenceSeen.reverse && summary.tcpSequence != baseSequenceReverse
    }

    /// Counts the first packet and applies its flags (the state was seeded in `init`).
    mutating func countFirst(_ summary: PacketSummary) {
        let isForward = summary.source == initiator && summary.sourcePort == initiatorPort
        let length = UInt64(summary.wireLength)
        if isForward { packetsForward = 1; bytesForward = length } else { packetsReverse = 1; bytesReverse = length }
        if transport == .tcp { noteBaseSequence(summary.tcpSequence, isForward: isForward) }
        if summary.tcpFlags.contains(.rst) { tcpState = .reset }
        if summary.tcpFlags.contains(.fin) {
            if isForward { finFromInitiator = true } else { finFromResponder = true }
            tcpState = .closing
        }
    }

    @inline(__always)
    mutating func advanceTCPState(_ flags: TCPFlags, isForward: Bool) {
        if flags.contains(.rst) { tcpState = .reset; return }
        if flags.contains(.fin) {
            if isForward { finFromInitiator = true } else { finFromResponder = true }
            tcpState = finFromInitiator && finFromResponder ? .closed : .closing
            return
        }
        switch tcpState {
        case .synSent where flags.contains([.syn, .ack]) && !isForward: tcpState = .synReceived
        case .synSent where !flags.contains(.syn): tcpState = .established
        case .synReceived where flags.contains(.ack) && !flags.contains(.syn): tcpState = .established
        case .reset where flags.contains(.syn) && !flags.contains(.ack): tcpState = .synSent  // port reused
        case .closed where flags.contains(.syn) && !flags.contains(.ack): tcpState = .synSent
        default: break
        }
    }
}

/// How long a flow may stay idle before it is finished and moves to the history.
public struct FlowTimeouts: Sendable {
    /// After FIN/FIN or RST.
    public var finishedTCP: Int64 = 10 * 1_000_000_000
    public var activeTCP: Int64 = 300 * 1_000_000_000
    public var other: Int64 = 60 * 1_000_000_000
    public init() {}
}

/// The live working set of flows, keyed by 5-tuple, with idle expiry and a cap that evicts the
/// least recent. A flow that leaves it is finished, not forgotten: it moves to `history` with
/// its final counters and the reason it ended.
public final class FlowTable {
    let table: OpenHashTable<FlowKey, FlowStats>
    public let maximumCount: Int
    public var timeouts: FlowTimeouts
    /// Where finished flows go.
    public let history: FlowHistory
    /// Flows that ended because they were idle past their timeout (FIN/RST or not).
    @exclusivity(unchecked) public private(set) var expiredCount = 0
    /// Flows pushed out early because the table was full.
    @exclusivity(unchecked) public private(set) var evictedCount = 0
    /// Every flow this table ever started (active + finished).
    @exclusivity(unchecked) public private(set) var seenCount = 0

    public init(maximumCount: Int = 262_144, timeouts: FlowTimeouts = FlowTimeouts(), history: FlowHistory = FlowHistory()) {
        self.maximumCount = maximumCount
        self.timeouts = timeouts
        self.history = history
        table = OpenHashTable(minimumCapacity: min(maximumCount, 16_384))
    }

    /// Flows in the live table.
    public var count: Int { table.count }
    public subscript(key: FlowKey) -> FlowStats? { table[key] }
    /// The flows in the live table (not the finished ones; see `forEachFlow`).
    public func forEach(_ body: (FlowStats) throws -> Void) rethrows { try table.forEach { try body($1) } }
    public var all: [FlowStats] { table.allValues }

    /// Every flow still in memory: the finished ones the history holds, then the active ones.
    public func forEachFlow(_ body: (FlowStats) throws -> Void) rethrows {
        try history.forEach(body)
        try table.forEach { try body($1) }
    }

    /// Finished flows in memory followed by the active ones.
    public var allIncludingFinished: [FlowStats] {
        var result: [FlowStats] = []
        result.reserveCapacity(history.count + table.count)
        forEachFlow { result.append($0) }
        return result
    }

    /// Records one packet; when it created a new flow, returns the responder's address and port
    /// (not the whole flow, which would copy ~150 bytes per packet).
    @inline(__always)
    func record(_ summary: PacketSummary) -> (responder: IPAddress, port: UInt16)? {
        let key = FlowKey(summary)
        if table.count >= maximumCount, table.slot(of: key) == nil { evictLeastRecent() }
        let (slot, inserted) = table.slot(forInserting: key) { FlowStats(first: summary, key: key) }
        if inserted {
            seenCount &+= 1
            table[slot: slot].countFirst(summary)
            return (table[slot: slot].responder, table[slot: slot].responderPort)
        }
        let isForward = summary.source == table[slot: slot].initiator && summary.sourcePort == table[slot: slot].initiatorPort
        // A new connection on the same ports (see `isNewConnection`): the old flow is finished
        // and a new one starts with this packet.
        // Only a bare SYN can open a new connection: test the flags before touching the flow.
        if summary.transport == .tcp, summary.tcpFlags.rawValue & (TCPFlags.syn.rawValue | TCPFlags.ack.rawValue) == TCPFlags.syn.rawValue,
           table[slot: slot].isNewConnection(summary, isForward: isForward) {
            var finished = table[slot: slot]
            finished.endReason = finished.tcpState.isFinished ? .closed : .reused
            history.append(finished)
            let fresh = FlowStats(first: summary, key: key)
            table[slot: slot] = fresh
            seenCount &+= 1
            table[slot: slot].countFirst(summary)
            return (fresh.responder, fresh.responderPort)
        }
        table[slot: slot].update(with: summary, isForward: isForward)
        return nil
    }

    /// Finishes flows idle for longer than their timeout at time `now` (ns): they move to the
    /// history (reason FIN/RST when the connection had closed, idle otherwise).
    @discardableResult
    public func expire(now: Int64) -> Int {
        let timeouts = timeouts
        let history = history
        let removed = table.removeAll(where: { _, flow in
            let idle = now.saturatingSubtracting(flow.lastSeen)
            if flow.transport == .tcp {
                return idle > (flow.tcpState.isFinished ? timeouts.finishedTCP : timeouts.activeTCP)
            }
            return idle > timeouts.other
        }, removing: { flow in
            flow.endReason = flow.tcpState.isFinished ? .closed : .idle
            history.append(flow)
        })
        expiredCount += removed
        return removed
    }

    /// Finishes every active flow with reason "end of capture" (the file ended, the capture was
    /// stopped, or a capture window closed), so the history holds the whole capture.
    public func finishAll() {
        let history = history
        table.removeAll(where: { _, _ in true }, removing: { flow in
            flow.endReason = .captureEnded
            history.append(flow)
        })
    }

    /// Forgets everything, counters included (a new capture).
    public func reset() {
        table.removeAll()
        history.reset()
        expiredCount = 0
        evictedCount = 0
        seenCount = 0
    }

    private func evictLeastRecent() {
        let cutoff = leastRecentCutoff(table.allValues.map(\.lastSeen), fraction: 8)
        let history = history
        evictedCount += table.removeAll(where: { $1.lastSeen <= cutoff }, removing: { flow in
            flow.endReason = .evicted
            history.append(flow)
        })
    }
}
