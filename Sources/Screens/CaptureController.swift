import Capture
import Foundation
import Jobs
import Packets
import Store
import Traffic

/// Owns the running capture and everything aggregated from it. Lives on the UI thread: the
/// capture thread only ever touches the ring, and `drain()` is called at the start of each frame.
public final class CaptureController {
    public private(set) var traffic: TrafficAggregator
    public private(set) var session: CaptureSession?
    /// The last packets seen, newest last, for the packet list.
    public private(set) var recentPackets: [PacketSummary] = []
    public let recentPacketLimit: Int
    private var recentStart = 0
    /// A message for the user when opening or running a capture failed, with the fix.
    public private(set) var lastError: String?
    public private(set) var devices: [CaptureDevice] = []
    public private(set) var deviceError: String?
    /// Bumps whenever new packets arrive, so views know their cached rows are stale.
    public private(set) var generation = 0
    /// The most packets drained in one frame, so a fast producer cannot stall a frame.
    public var drainLimitPerFrame = 500_000
    public let configuration: TrafficConfiguration
    /// Where live captures save their finished flows (nil: memory only). Set by the shell from
    /// its services; file reads are not saved (the file is the record).
    public var flowHistoryWriter: StoreWriter?
    /// How many days saved flows are kept (the Settings value).
    public var flowHistoryRetentionDays = AppSettings.defaults.flowHistoryRetentionDays
    /// The store sink of the running live capture, if any.
    public private(set) var flowHistorySink: StoreFlowHistorySink?
    /// Whether the current capture's flows were finished (end of file or Stop).
    private var captureFinished = false

    public init(configuration: TrafficConfiguration = TrafficConfiguration(), recentPacketLimit: Int = 2000) {
        self.configuration = configuration
        traffic = TrafficAggregator(configuration: configuration)
        self.recentPacketLimit = recentPacketLimit
        recentPackets.reserveCapacity(recentPacketLimit)
    }

    public var isCapturing: Bool { session.map { !$0.isFinished } ?? false }
    public var sourceName: String? { session?.source.displayName }
    public var statistics: CaptureStatistics? { session?.statistics }

    /// Whether `refreshDevices` ran at least once (an empty list is an answer too).
    public private(set) var devicesLoaded = false

    public func refreshDevices() {
        devicesLoaded = true
        do {
            devices = try PcapHandle.devices()
            deviceError = nil
        } catch {
            devices = []
            deviceError = error.description
        }
    }

    /// Starts a new capture, replacing the current one and clearing the aggregates.
    /// Returns false (and sets `lastError`) when it could not start.
    @discardableResult
    public func start(_ source: CaptureSource, filter: String?, recording: PcapRecordingOptions? = nil) -> Bool {
        stop()
        do {
            let session = try CaptureSession(source: source, filter: filter, ringCapacity: 1 << 17, recording: recording)
            // A file shows every one of its flows (the file is finite, and what a report of it
            // must list); a live capture keeps the configured history and stores the rest.
            var configuration = configuration
            if case .file = source { configuration.flowHistoryLimit = nil }
            traffic = TrafficAggregator(configuration: configuration)
            captureFinished = false
            flowHistorySink = nil
            if case let .live(options) = source, let flowHistoryWriter {
                let sink = StoreFlowHistorySink(source: options.interface, writer: flowHistoryWriter, retentionDays: flowHistoryRetentionDays)
                traffic.flows.history.sink = sink
                flowHistorySink = sink
            }
            recentPackets.removeAll(keepingCapacity: true)
            recentStart = 0
            lastError = nil
            self.session = session
            session.start()
            generation += 1
            return true
        } catch {
            lastError = error.description
            return false
        }
    }

    public func stop() {
        session?.stop()
        if session != nil {
            drain()
            finishCapture()
        }
    }

    /// The capture is over: open flows finish ("end of capture") and the store gets the rest.
    private func finishCapture() {
        guard !captureFinished else { return }
        captureFinished = true
        traffic.finishCapture()
        flowHistorySink?.finish()
        generation += 1
    }

    /// Moves everything the capture thread queued into the aggregates. Returns packets drained.
    @discardableResult
    public func drain(now wallClock: Int64? = nil) -> Int {
        guard let session else { return 0 }
        let drained = session.ring.drain(limit: drainLimitPerFrame) { batch in
            traffic.ingest(batch)
            remember(batch)
        }
        if drained > 0 { generation += 1 }
        if let error = session.error, lastError == nil { lastError = error.description }
        if let failure = flowHistorySink?.failure, lastError == nil { lastError = failure }
        if drained == 0, session.isFinished, session.ring.count == 0 { finishCapture() }
        // A quiet live link still moves time forward, so rates fall to zero and flows expire.
        if case .live = session.source, drained == 0, let wallClock { traffic.advanceClock(to: wallClock) }
        return drained
    }

    /// Keeps the last `recentPacketLimit` summaries in a ring (no per-packet allocation).
    private func remember(_ batch: UnsafeBufferPointer<PacketSummary>) {
        let tail = batch.count > recentPacketLimit ? UnsafeBufferPointer(rebasing: batch[(batch.count - recentPacketLimit)...]) : batch
        for summary in tail {
            if recentPackets.count < recentPacketLimit {
                recentPackets.append(summary)
            } else {
                recentPackets[recentStart] = summary
                recentStart = (recentStart + 1) % recentPacketLimit
            }
        }
    }

    /// Recent packets in arrival order.
    public var recentCount: Int { recentPackets.count }
    public func recentPacket(at index: Int) -> PacketSummary {
        recentPackets[(recentStart + index) % max(1, recentPackets.count)]
    }

    /// Replaces the aggregates (benchmarks and tests load synthetic data this way).
    public func load(_ aggregator: TrafficAggregator) {
        stop()
        session = nil
        traffic = aggregator
        generation += 1
    }

    public func dismissError() { lastError = nil }
}
