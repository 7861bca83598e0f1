import Packets

/// Running totals since the capture started.
public struct TrafficTotals: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var packetsByClass = [UInt64](repeating: 0, count: ProtocolClass.allCases.count)
    public var bytesByClass = [UInt64](repeating: 0, count: ProtocolClass.allCases.count)
    public var malformed: UInt64 = 0
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?

    public func packets(_ protocolClass: ProtocolClass) -> UInt64 { packetsByClass[protocolClass.rawValue] }
    public func bytes(_ protocolClass: ProtocolClass) -> UInt64 { bytesByClass[protocolClass.rawValue] }
}

public struct TrafficConfiguration: Sendable {
    public var maximumHosts = 65_536
    public var maximumFlows = 262_144
    public var flowTimeouts = FlowTimeouts()
    /// How often (in packet time) idle flows are swept out.
    public var sweepInterval: Int64 = 5 * 1_000_000_000
    public var historySeconds = 3600
    /// Finished flows kept in memory; nil keeps every one (file reports and exports, which must
    /// list every conversation). Live captures set a limit and a sink that stores the rest.
    public var flowHistoryLimit: Int? = 200_000
    public init() {}

    /// Every flow of the capture in memory: for reading files from the command line.
    public static var unboundedHistory: TrafficConfiguration {
        var configuration = TrafficConfiguration()
        configuration.flowHistoryLimit = nil
        return configuration
    }
}

/// All traffic aggregates, fed from the capture ring by its single consumer (the UI thread or
/// the CLI). Not thread-safe by design: one owner, no locks on the per-packet path.
public final class TrafficAggregator {
    // Single owner, updated per packet: no dynamic exclusivity checks (see OpenHashTable).
    @exclusivity(unchecked) public private(set) var totals = TrafficTotals()
    public let rates: RateHistory
    public let hosts: HostTable
    public let flows: FlowTable
    private let sweepInterval: Int64
    @exclusivity(unchecked) private var nextSweep: Int64 = .min

    public init(configuration: TrafficConfiguration = TrafficConfiguration()) {
        rates = RateHistory(capacity: configuration.historySeconds)
        hosts = HostTable(maximumCount: configuration.maximumHosts)
        flows = FlowTable(maximumCount: configuration.maximumFlows, timeouts: configuration.flowTimeouts,
                          history: FlowHistory(memoryLimit: configuration.flowHistoryLimit))
        sweepInterval = configuration.sweepInterval
    }

    /// Adds a batch as drained from the ring.
    public func ingest(_ batch: UnsafeBufferPointer<PacketSummary>) {
        for summary in batch { ingest(summary) }
    }

    @inline(__always)
    public func ingest(_ summary: PacketSummary) {
        let length = UInt64(summary.wireLength)
        let protocolClass = summary.protocolClass
        totals.packets &+= 1
        totals.bytes &+= length
        totals.packetsByClass[protocolClass.rawValue] &+= 1
        totals.bytesByClass[protocolClass.rawValue] &+= length
        if summary.isMalformed { totals.malformed &+= 1 }
        let time = summary.timestamp
        if totals.firstTimestamp == nil { totals.firstTimestamp = time }
        if time > totals.lastTimestamp ?? .min { totals.lastTimestamp = time }

        let second = summary.second  // one division per packet, shared by rates and hosts
        rates.record(second: second, protocolClass: protocolClass, bytes: length)

        guard summary.network != .none, !summary.source.isUnspecified || !summary.destination.isUnspecified else { return }
        hosts.recordSent(by: summary.source, mac: summary.sourceMAC, length: length, at: time, second: second)
        // An ARP request names a target that may not exist, and ARP is not a conversation: only
        // the sender is recorded, and no flow.
        guard summary.network != .arp else { return }
        hosts.recordReceived(by: summary.destination, length: length, at: time, second: second)
        if let created = flows.record(summary), created.port != 0 {
            hosts.recordServicePort(created.port, on: created.responder)
        }
        if time >= nextSweep {
            if nextSweep != .min { sweep(now: time) }
            nextSweep = time.saturatingAdding(sweepInterval)
        }
    }

    private func sweep(now time: Int64) {
        flows.expire(now: time)
        flows.history.flush()
    }

    /// Moves the clock forward while no packets arrive (live capture on a quiet link), so rates
    /// drop to zero and idle flows expire.
    public func advanceClock(to time: Int64) {
        rates.advance(to: time >= 0 ? time / 1_000_000_000 : 0)
        if time >= nextSweep {
            sweep(now: time)
            nextSweep = time.saturatingAdding(sweepInterval)
        }
    }

    /// The capture is over (end of file, Stop, end of a capture window): every flow still open
    /// finishes with reason "end of capture" and the history's sink gets everything.
    public func finishCapture() {
        flows.finishAll()
        flows.history.flush()
    }

    /// Counts of every flow the capture saw.
    public var flowCounts: FlowCounts {
        FlowCounts(seen: flows.seenCount, active: flows.count, finished: flows.history.finishedCount,
                   expired: flows.expiredCount, evicted: flows.evictedCount, inMemory: flows.count + flows.history.count)
    }

    /// The `count` hosts that moved the most bytes, largest first.
    public func topTalkers(_ count: Int) -> [HostStats] {
        var best = TopK<HostStats>(capacity: count) { $0.totalBytes }
        hosts.forEach { best.offer($0) }
        return best.sortedDescending()
    }

    /// A host's traffic over a window of recent packet time.
    public struct RecentTalker: Sendable {
        public var host: HostStats
        /// Bytes and packets sent and received in the window (estimated, see `RecentTraffic`).
        public var bytes: Double
        public var packets: Double
        /// Seconds the averages are over: the window, or less when the capture is shorter.
        public var seconds: Double
    }

    /// The `count` hosts with the most bytes (`byPackets`: packets) in the last `window` seconds
    /// of packet time (60, 300 or 3600), most first. Hosts quiet in the window are left out.
    public func topTalkers(_ count: Int, overLast window: Int64, byPackets: Bool = false) -> [RecentTalker] {
        guard let now = rates.latestSecond else { return [] }
        let first = (totals.firstTimestamp ?? 0).floorDivided(by: 1_000_000_000)
        let seconds = Double(max(1, min(window, now - first + 1)))
        var best = TopK<RecentTalker>(capacity: count) { byPackets ? UInt64($0.packets.rounded()) : UInt64($0.bytes.rounded()) }
        hosts.forEach { host in
            let recent = host.recent.estimate(window: window, now: now)
            if recent.packets > 0 { best.offer(RecentTalker(host: host, bytes: recent.bytes, packets: recent.packets, seconds: seconds)) }
        }
        return best.sortedDescending()
    }

    /// The `count` flows that moved the most bytes, largest first (finished flows in memory
    /// included).
    public func topFlows(_ count: Int) -> [FlowStats] {
        var best = TopK<FlowStats>(capacity: count) { $0.totalBytes }
        flows.forEachFlow { best.offer($0) }
        return best.sortedDescending()
    }

    public func reset() {
        totals = TrafficTotals()
        nextSweep = .min
        hosts.table.removeAll()
        flows.reset()
    }
}

/// How many flows a capture saw, and where they are now.
public struct FlowCounts: Sendable, Equatable, Codable {
    /// Every flow the capture started (active + finished).
    public var seen: Int
    /// Still in the live table.
    public var active: Int
    /// Moved to the history (closed, idle, evicted or at the end of the capture).
    public var finished: Int
    /// Finished because they were idle past their timeout.
    public var expired: Int
    /// Finished early because the live table was full.
    public var evicted: Int
    /// Active plus finished flows still held in memory (the rest are in the store).
    public var inMemory: Int
}

/// Keeps the `capacity` largest elements seen, by a key, in O(n log k).
struct TopK<Element> {
    let capacity: Int
    let weight: (Element) -> UInt64
    private var heap: [(UInt64, Element)] = []  // min-heap on weight

    init(capacity: Int, weight: @escaping (Element) -> UInt64) {
        self.capacity = max(0, capacity)
        self.weight = weight
    }

    mutating func offer(_ element: Element) {
        guard capacity > 0 else { return }
        let value = weight(element)
        if heap.count < capacity {
            heap.append((value, element))
            siftUp(heap.count - 1)
        } else if value > heap[0].0 {
            heap[0] = (value, element)
            siftDown(0)
        }
    }

    func sortedDescending() -> [Element] { heap.sorted { $0.0 > $1.0 }.map(\.1) }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].0 < heap[parent].0 else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].0 < heap[smallest].0 { smallest = left }
            if right < heap.count, heap[right].0 < heap[smallest].0 { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
