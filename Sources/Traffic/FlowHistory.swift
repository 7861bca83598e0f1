/// Why a flow left the live flow table.
public enum FlowEndReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Still in the live table.
    case active
    /// The TCP connection closed (FIN from both sides, or RST), then stayed quiet for the
    /// finished-TCP timeout, or a new SYN reused its ports.
    case closed
    /// No packet for longer than the idle timeout of its protocol.
    case idle
    /// A new connection (a SYN with another initial sequence number) took over its ports
    /// before it had closed.
    case reused
    /// Pushed out early because the live table was full.
    case evicted
    /// Still open when the file ended, the capture stopped or its window closed.
    case captureEnded

    /// What tables show.
    public var description: String {
        switch self {
        case .active: "active"
        case .closed: "FIN/RST"
        case .idle: "idle"
        case .reused: "ports reused"
        case .evicted: "evicted"
        case .captureEnded: "end of capture"
        }
    }

    /// The stable name exports, JSON and the store use (scripts depend on it).
    public var key: String {
        switch self {
        case .active: "active"
        case .closed: "closed"
        case .idle: "idle"
        case .reused: "ports_reused"
        case .evicted: "evicted"
        case .captureEnded: "capture_end"
        }
    }

    public init?(key: String) {
        guard let match = Self.allCases.first(where: { $0.key == key }) else { return nil }
        self = match
    }
}

/// Receives finished flows in batches. Called on the thread that owns the aggregator (the UI
/// thread, the CLI or a job worker), so it must not block: hand slow work (the database) to a
/// writer thread.
public protocol FinishedFlowSink: AnyObject {
    func store(_ flows: [FlowStats])
}

/// Finished flows, in the order they finished. Without a memory limit it keeps every one (a
/// file's report lists all of its conversations); with one it keeps the newest `memoryLimit`
/// in a ring, so a capture that runs for weeks stays within a fixed amount of memory, and a
/// `sink` (the store) receives every finished flow, so nothing is lost when the ring wraps.
///
/// Single owner, like the rest of the traffic tables.
public final class FlowHistory {
    /// Most finished flows kept in memory; nil keeps all.
    public let memoryLimit: Int?
    /// Finished flows handed to the sink at once.
    public let batchSize: Int
    /// Where every finished flow also goes (set before the first packet).
    public var sink: (any FinishedFlowSink)?

    @exclusivity(unchecked) private var ring: [FlowStats] = []
    /// Index of the oldest flow once the ring is full.
    @exclusivity(unchecked) private var oldest = 0
    @exclusivity(unchecked) private var pending: [FlowStats] = []
    /// Every flow that ever finished.
    @exclusivity(unchecked) public private(set) var finishedCount = 0
    /// Finished flows no longer in memory because the ring wrapped (the sink has them, if any).
    public var droppedFromMemory: Int { finishedCount - ring.count }
    /// Finished flows handed to the sink so far.
    @exclusivity(unchecked) public private(set) var handedToSink = 0

    public init(memoryLimit: Int? = nil, batchSize: Int = 4096) {
        self.memoryLimit = memoryLimit.map { max(1, $0) }
        self.batchSize = max(1, batchSize)
    }

    /// Finished flows held in memory.
    public var count: Int { ring.count }

    func append(_ flow: FlowStats) {
        finishedCount += 1
        if let memoryLimit, ring.count >= memoryLimit {
            ring[oldest] = flow
            oldest = oldest + 1 == memoryLimit ? 0 : oldest + 1
        } else {
            ring.append(flow)
        }
        if sink != nil {
            pending.append(flow)
            if pending.count >= batchSize { flush() }
        }
    }

    /// Hands the finished flows not yet stored to the sink (at every sweep and at the end of a
    /// capture, so the store is never more than a few seconds behind).
    public func flush() {
        guard let sink, !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        handedToSink += batch.count
        sink.store(batch)
    }

    /// Oldest first.
    public func forEach(_ body: (FlowStats) throws -> Void) rethrows {
        for index in oldest..<ring.count { try body(ring[index]) }
        for index in 0..<oldest { try body(ring[index]) }
    }

    public var all: [FlowStats] {
        var result: [FlowStats] = []
        result.reserveCapacity(ring.count)
        forEach { result.append($0) }
        return result
    }

    func reset() {
        flush()
        ring.removeAll()
        oldest = 0
        finishedCount = 0
        handedToSink = 0
    }
}
