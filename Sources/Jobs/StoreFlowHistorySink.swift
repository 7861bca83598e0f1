import Dispatch
import Foundation
import Store
import Synchronization
import Traffic

/// Saves a live capture's finished flows in the store (`flow_history`), in the batches the
/// traffic history hands over, through the store writer: the thread that owns the aggregator
/// (UI thread, daemon consumer, job worker) never waits on the disk. The capture row is created
/// by the first write, on the writer's queue, for the same reason.
public final class StoreFlowHistorySink: FinishedFlowSink, Sendable {
    private struct State {
        var captureID: Int64?
        var stored = 0
        var failure: String?
    }

    private let writer: StoreWriter
    private let source: String
    private let state = Mutex(State())
    /// Batches handed to the writer and not yet committed. When SQLite falls this far behind,
    /// `store` waits for it: a capture that finishes flows faster than the disk takes them is
    /// slowed (its ring then counts what it could not take) instead of holding an unbounded
    /// backlog in memory. 16 batches of 4,096 flows is about 10 MB.
    private let backlog: DispatchSemaphore
    public static let maximumBacklogBatches = 16

    /// Starts recording the flows of a capture of `source` (an interface name); prunes flows
    /// older than `retentionDays` first.
    public init(source: String, writer: StoreWriter, retentionDays: Int, at time: Date = Date()) {
        self.writer = writer
        self.source = source
        backlog = DispatchSemaphore(value: Self.maximumBacklogBatches)
        let cutoff = time.addingTimeInterval(-Double(max(1, retentionDays)) * 86_400)
        writer.submit({ [self] db in
            try FlowHistoryStore.prune(olderThan: cutoff, in: db)
            try db.execute(sql: "INSERT INTO captures (source, started_at) VALUES (?, ?)", arguments: [source, time.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            self.state.withLock { $0.captureID = id }
        }, completion: { [self] error in
            if let error { self.state.withLock { $0.failure = "Cannot record the flow history of \(source): \(error.localizedDescription)" } }
        })
    }

    /// The capture's row id once the writer created it.
    public var captureID: Int64? { state.withLock { $0.captureID } }
    /// Flows committed to the store so far.
    public var storedCount: Int { state.withLock { $0.stored } }
    /// Why saving failed, if it did (shown to the user; the capture itself goes on).
    public var failure: String? { state.withLock { $0.failure } }

    public func store(_ flows: [FlowStats]) {
        backlog.wait()
        // FlowStats are plain values: the mapping to rows (address formatting) runs on the writer.
        writer.submit({ [self] db in
            guard let id = self.state.withLock({ $0.captureID }) else { return }
            try FlowHistoryStore.append(flows.map(StoredFlow.init), toCapture: id, in: db)
        }, completion: { [self] error in
            backlog.signal()
            self.state.withLock {
                if let error {
                    $0.failure = "Saving finished flows of \(source) failed: \(error.localizedDescription). They are still shown while the capture runs."
                } else {
                    $0.stored += flows.count
                }
            }
        })
    }

    /// Marks the capture finished (call after `TrafficAggregator.finishCapture()`).
    public func finish(at time: Date = Date()) {
        writer.submit({ [self] db in
            guard let id = self.state.withLock({ $0.captureID }) else { return }
            try FlowHistoryStore.finishCapture(id, at: time, in: db)
        }, completion: { _ in })
    }
}

extension StoredFlow {
    /// The row for one finished flow (`TrafficReport.Flow`'s mapping, times in unix seconds).
    public init(_ flow: FlowStats) {
        let report = TrafficReport.Flow(flow)
        self.init(protocol: report.protocol, initiator: report.initiator, initiatorPort: Int(report.initiatorPort),
                  responder: report.responder, responderPort: Int(report.responderPort), state: report.state,
                  endReason: flow.endReason.key,
                  packetsForward: Int64(clamping: flow.packetsForward), packetsReverse: Int64(clamping: flow.packetsReverse),
                  bytesForward: Int64(clamping: flow.bytesForward), bytesReverse: Int64(clamping: flow.bytesReverse),
                  firstSeen: report.firstSeen, lastSeen: report.lastSeen)
    }
}

extension TrafficReport.Flow {
    /// A stored flow back in the report and export shape.
    public init(_ stored: StoredFlow) {
        self.init(protocol: stored.protocol, initiator: stored.initiator, initiatorPort: UInt16(clamping: stored.initiatorPort),
                  responder: stored.responder, responderPort: UInt16(clamping: stored.responderPort),
                  packetsForward: UInt64(clamping: stored.packetsForward), packetsReverse: UInt64(clamping: stored.packetsReverse),
                  bytesForward: UInt64(clamping: stored.bytesForward), bytesReverse: UInt64(clamping: stored.bytesReverse),
                  state: stored.state, end: stored.endReason, firstSeen: stored.firstSeen, lastSeen: stored.lastSeen)
    }
}
