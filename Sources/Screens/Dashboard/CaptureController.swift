import Capture
import Dispatch
import Foundation
import IoT
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
    /// Device announcements (ARP, DHCP, mDNS, SSDP) every capture of the window sees, parsed on
    /// the capture thread, until the IoT map drains them into the inventory.
    public let announcements = AnnouncementCollector()
    /// Where live captures save their finished flows (nil: memory only). Set by the shell from
    /// its services; file reads are not saved (the file is the record).
    public var flowHistoryWriter: StoreWriter?
    /// How many days saved flows are kept (the Settings value).
    public var flowHistoryRetentionDays = AppSettings.defaults.flowHistoryRetentionDays
    /// The store sink of the running live capture, if any.
    public private(set) var flowHistorySink: StoreFlowHistorySink?
    /// Whether the current capture's flows were finished (end of file or Stop).
    private var captureFinished = false
    /// Whether the current capture ended by Stop (not by the end of its file).
    public private(set) var stoppedEarly = false

    public init(configuration: TrafficConfiguration = TrafficConfiguration(), recentPacketLimit: Int = 2000) {
        self.configuration = configuration
        traffic = TrafficAggregator(configuration: configuration)
        self.recentPacketLimit = recentPacketLimit
        recentPackets.reserveCapacity(recentPacketLimit)
    }

    public var isCapturing: Bool { session.map { !$0.isFinished } ?? false }
    public var sourceName: String? { session?.source.displayName }
    public var statistics: CaptureStatistics? { session?.statistics }

    /// Whether the interface list was read at least once (an empty list or an error is an
    /// answer too).
    public private(set) var devicesLoaded = false
    /// True while the interfaces are being read off the UI thread.
    public var isRefreshingDevices: Bool { deviceLister?.isRunning ?? false }
    /// Called on the UI thread when a new interface list arrived, with the list it replaced.
    public var onDevicesChanged: ((_ previous: [CaptureDevice]) -> Void)?
    /// Reads the interfaces on a worker once an inbox is attached (`pcap_findalldevs` can take
    /// long enough to drop frames: it opens every interface, and waits on slow drivers).
    private var deviceLister: BackgroundTask<Void, Never, [CaptureDevice]>?

    /// From now on `refreshDevices` reads on a worker, and `begin` / `requestStop` open and
    /// join captures on one, all delivering through `inbox`.
    public func attach(inbox: UIInbox) {
        deviceLister = BackgroundTask("interfaces", policy: .coalesce, inbox: inbox) { _, _ in try PcapHandle.devices() }
        // One serial queue: an open asked for while a capture stops runs after the join.
        let queue = DispatchQueue(label: "netscouter.capture-control", qos: .userInitiated)
        let announcements = announcements
        opener = BackgroundTask("capture-open", policy: .serial, queue: queue, inbox: inbox) { request, _ in
            UncheckedSession(try CaptureSession(source: request.source, filter: request.filter, ringCapacity: CaptureController.ringCapacity,
                                                recording: request.recording, frameObserver: announcements))
        }
        stopper = BackgroundTask("capture-stop", policy: .serial, queue: queue, inbox: inbox) { session, _ in
            session.session.stop()
        }
    }

    // MARK: Starting and stopping off the UI thread

    /// A capture being opened or stopped on a worker, and on what (for "Starting capture on lo…").
    public enum Transition: Equatable, Sendable {
        case starting(String)
        case stopping(String)
    }
    /// Set from `begin` / `requestStop` until the worker's answer is delivered.
    public private(set) var transition: Transition?
    public var isStarting: Bool { if case .starting = transition { true } else { false } }
    public var isStopping: Bool { if case .stopping = transition { true } else { false } }

    static let ringCapacity = 1 << 17
    struct OpenRequest: Sendable {
        let source: CaptureSource
        let filter: String?
        let recording: PcapRecordingOptions?
    }
    /// A session crossing from the worker that opened it (or joins it) to the UI thread. The
    /// session is `Sendable`; the box only carries it through `BackgroundTask`'s output.
    struct UncheckedSession: Sendable {
        let session: CaptureSession
        init(_ session: CaptureSession) { self.session = session }
    }
    private var opener: BackgroundTask<OpenRequest, Never, UncheckedSession>?
    private var stopper: BackgroundTask<UncheckedSession, Never, Void>?

    /// Starts a capture without blocking the calling (UI) thread: opening a live interface
    /// (`pcap_activate`: seconds on some drivers) runs on a worker, and so does stopping a
    /// capture that is still running; the new session is installed when the worker's answer
    /// arrives through the inbox, and a failure lands in `lastError` (the dashboard's banner).
    /// A file with nothing to stop first opens at once (a local open), as without an inbox.
    /// Returns false when it failed at once.
    @discardableResult
    public func begin(_ source: CaptureSource, filter: String?, recording: PcapRecordingOptions? = nil) -> Bool {
        guard let opener, transition == nil || isStopping else {
            return transition == nil ? start(source, filter: filter, recording: recording) : false
        }
        let mustStop = isCapturing || isStopping
        if case .file = source, !mustStop { return start(source, filter: filter, recording: recording) }
        if isCapturing { requestStop() }
        lastError = nil
        transition = .starting(source.displayName)
        opener.start(OpenRequest(source: source, filter: filter, recording: recording)) { [weak self] outcome in
            guard let self else { return .shown }
            transition = nil
            switch outcome {
            case let .success(opened): install(opened.session)
            case let .failure(error): lastError = error.userText
            case .cancelled: break
            }
            return .shown  // the banner shows it
        }
        return true
    }

    /// Stops the capture without blocking the calling (UI) thread: the capture thread is told to
    /// stop at once, and joined on a worker; until then `transition` is `.stopping`, and frames
    /// keep draining what it still queued. Without an inbox, stops at once.
    public func requestStop() {
        guard let stopper, let session, !session.isFinished else { return stop() }
        guard !isStopping else { return }
        stoppedEarly = true
        session.requestStop()
        transition = .stopping(session.source.displayName)
        stopper.start(UncheckedSession(session)) { [weak self] _ in
            guard let self else { return .shown }
            if isStopping { transition = nil }
            if self.session === session {
                drain()
                finishCapture()
            }
            return .shown
        }
    }

    /// Re-reads the interfaces: on a worker when an inbox is attached (the list changes when
    /// the answer is delivered), else at once.
    public func refreshDevices() {
        guard let deviceLister else {
            let result: Result<[CaptureDevice], UserError>
            do { result = .success(try PcapHandle.devices()) } catch { result = .failure(UserError.from(error)) }
            receiveDevices(result)
            return
        }
        deviceLister.start(()) { [weak self] outcome in
            switch outcome {
            case let .success(list): self?.receiveDevices(.success(list))
            case let .failure(error): self?.receiveDevices(.failure(error))
            case .cancelled: break
            }
            return .shown  // the toolbar says "Interfaces unavailable" with the reason
        }
    }

    private func receiveDevices(_ result: Result<[CaptureDevice], UserError>) {
        let previous = devices
        devicesLoaded = true
        switch result {
        case let .success(list):
            devices = list
            deviceError = nil
        case let .failure(error):
            devices = []
            deviceError = error.userText
        }
        onDevicesChanged?(previous)
    }

    /// Starts a new capture, replacing the current one and clearing the aggregates, on the
    /// calling thread: it blocks while a live interface opens and while a running capture is
    /// joined (the command line and tests; the window uses `begin`).
    /// Returns false (and sets `lastError`) when it could not start.
    @discardableResult
    public func start(_ source: CaptureSource, filter: String?, recording: PcapRecordingOptions? = nil) -> Bool {
        stop()
        do {
            install(try CaptureSession(source: source, filter: filter, ringCapacity: Self.ringCapacity, recording: recording,
                                       frameObserver: announcements))
            return true
        } catch {
            lastError = UserError.from(error).userText
            return false
        }
    }

    /// Makes `session` the current capture, with fresh aggregates, and starts its thread.
    private func install(_ session: CaptureSession) {
        stop()
        let source = session.source
        // A file shows every one of its flows (the file is finite, and what a report of it
        // must list); a live capture keeps the configured history and stores the rest.
        var configuration = configuration
        if case .file = source { configuration.flowHistoryLimit = nil }
        traffic = TrafficAggregator(configuration: configuration)
        captureFinished = false
        stoppedEarly = false
        flowHistorySink = nil
        if case let .live(options) = source, let flowHistoryWriter {
            let sink = StoreFlowHistorySink(source: options.interface, writer: flowHistoryWriter, retentionDays: flowHistoryRetentionDays)
            traffic.flows.history.sink = sink
            flowHistorySink = sink
        }
        recentPackets.removeAll(keepingCapacity: true)
        recentStart = 0
        packetsRemembered = 0
        lastError = nil
        self.session = session
        session.start()
        generation += 1
    }

    public func stop() {
        if isCapturing { stoppedEarly = true }
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
        if let error = session.error, lastError == nil { lastError = UserError.from(error).userText }
        if let failure = flowHistorySink?.failure, lastError == nil { lastError = failure }
        if drained == 0, session.isFinished, session.ring.count == 0 { finishCapture() }
        // A quiet live link still moves time forward, so rates fall to zero and flows expire.
        if case .live = session.source, drained == 0, let wallClock { traffic.advanceClock(to: wallClock) }
        return drained
    }

    /// Keeps the last `recentPacketLimit` summaries in a ring (no per-packet allocation).
    private func remember(_ batch: UnsafeBufferPointer<PacketSummary>) {
        packetsRemembered += batch.count
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
    /// Packets seen by this capture so far; numbers each packet so the Packets table can keep
    /// one selected while the ring moves on.
    public private(set) var packetsRemembered = 0
    /// The capture-wide number (0-based) of `recentPacket(at: index)`.
    public func recentPacketNumber(at index: Int) -> Int { packetsRemembered - recentPackets.count + index }
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

    /// What the status bar says about the capture: its state, packets and drops, or the error.
    public var statusText: String {
        if let error = lastError { return error }
        switch transition {
        case let .starting(name)?: return "Starting capture on \(name)…"
        case let .stopping(name)?: return "Stopping capture on \(name)… · \(traffic.totals.packets) packets"
        case nil: break
        }
        guard let session, let source = sourceName else { return "Idle — pick an interface and press Start, or open a capture file." }
        let state: String
        if isCapturing {
            state = "Capturing from \(source)"
        } else if case .live = session.source {
            state = "Stopped capture on \(source)"
        } else {
            state = stoppedEarly ? "Stopped reading \(source)" : "Finished reading \(source)"
        }
        let statistics = self.statistics
        return "\(state) · \(traffic.totals.packets) packets · drops: kernel \(statistics?.kernelDrops ?? 0), ring \(statistics?.ringOverflows ?? 0)"
    }

    /// True once a capture file was read to its end (not stopped, not live).
    public var finishedReadingFile: Bool {
        guard let session, captureFinished, !stoppedEarly, case .file = session.source else { return false }
        return true
    }
}
