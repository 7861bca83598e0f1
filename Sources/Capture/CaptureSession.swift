import CPcap
import Packets
import Ring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where packets come from.
public enum CaptureSource: Sendable, Equatable {
    case live(LiveCaptureOptions)
    /// A pcap or pcapng file; with `replayAtRecordedSpeed` packets are released at the pace they
    /// were captured, otherwise as fast as they can be read.
    case file(path: String, replayAtRecordedSpeed: Bool = false)

    public var displayName: String {
        switch self {
        case let .live(options): options.interface
        case let .file(path, _): path
        }
    }
}

/// Counters of a running or finished capture, readable from any thread.
public struct CaptureStatistics: Sendable, Equatable {
    /// Packets read from libpcap and decoded.
    public var packetsCaptured: Int
    /// Packets the kernel dropped because its buffer was full (`pcap_stats`); 0 for files.
    public var kernelDrops: UInt64
    /// Packets the interface or driver dropped (`ps_ifdrop`); 0 for files.
    public var interfaceDrops: UInt64
    /// Summaries dropped because the UI thread did not drain the ring in time.
    public var ringOverflows: Int
    public var isFinished: Bool
    /// Packets written to the pcap recording (0 when not recording). Every captured packet is
    /// recorded, including those later lost to ring overflows.
    public var recordedPackets: Int = 0
    /// Packets read but not recorded because their link type differs from the recording's (a
    /// pcapng file with interfaces of several types; a pcap file holds one type).
    public var unrecordedPackets: Int = 0
}

/// Sees every captured frame, raw, on the capture thread, before it is decoded: for parsers that
/// need more than a `PacketSummary` (device announcements for the IoT inventory). It runs on the
/// capture's hot path, so it must reject uninteresting frames in a few byte compares, never block
/// for long, and never keep `frame` (the bytes belong to libpcap until the call returns).
public protocol CaptureFrameObserver: AnyObject, Sendable {
    func captured(_ frame: UnsafeRawBufferPointer, linkType: LinkType, timestamp: Int64)
}

/// A capture running on its own thread: the thread owns the pcap handle, decodes each frame into
/// a `PacketSummary` and pushes it into a lock-free SPSC ring that one consumer drains.
///
/// Live captures never block on the consumer: a full ring counts an overflow. File captures wait
/// for room instead, because a file can be read at the consumer's pace and nothing need be lost.
///
/// With `recording`, the capture thread also saves every captured frame to pcap files (see
/// `PcapRecorder`) before decoding it; the files are flushed whenever the capture is idle and
/// closed when the capture ends, before `isFinished` becomes true.
public final class CaptureSession: @unchecked Sendable {
    public let source: CaptureSource
    public let filter: String?
    public let linkType: LinkType
    /// The consumer side of this ring belongs to whoever drains it (the UI thread or the CLI).
    public let ring: SPSCRing<PacketSummary>
    /// Stop after this many packets (nil: until the end of the file or `stop()`).
    public let packetLimit: Int?
    /// Where captured packets are saved, if anywhere.
    public let recording: PcapRecordingOptions?

    /// Sees every frame on the capture thread (see `CaptureFrameObserver`).
    public let frameObserver: CaptureFrameObserver?
    private let handle: PcapHandle
    private let stopRequested = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let captured = Atomic<Int>(0)
    /// Bytes of the capture file read so far (file sources), for progress bars.
    private let fileBytesRead = Atomic<Int>(0)
    /// Size of the capture file when it was opened (nil for live captures).
    public let fileSize: Int64?
    private let kernelDrops = Atomic<UInt64>(0)
    private let interfaceDrops = Atomic<UInt64>(0)
    private let failure = Mutex<PcapError?>(nil)
    /// Owned by the capture thread while it runs; by whoever holds the session before and after.
    private let recorder: PcapRecorder?
    private let recordedFileList = Mutex<[String]>([])
    private let recordedPacketCount = Atomic<Int>(0)
    private let unrecordedPackets = Atomic<Int>(0)
    /// The capture thread until it is joined. Behind a lock because `stop` may run on a worker
    /// (the window joins off its UI thread) while another caller stops too: one joins, the other
    /// waits for that join.
    private let thread = Mutex<pthread_t?>(nil)

    /// Opens the source, installs the filter and creates the first recording file at once, so
    /// configuration errors (permissions, a missing file, bad BPF, an unwritable recording
    /// folder) are thrown here, on the caller's thread, before anything starts.
    public init(source: CaptureSource, filter: String? = nil, ringCapacity: Int = 1 << 16, packetLimit: Int? = nil,
                recording: PcapRecordingOptions? = nil, frameObserver: CaptureFrameObserver? = nil) throws(PcapError) {
        self.source = source
        self.frameObserver = frameObserver
        self.packetLimit = packetLimit
        let trimmed = filter?.trimmingWhitespace
        self.filter = trimmed?.isEmpty == false ? trimmed : nil
        switch source {
        case let .live(options): handle = try PcapHandle.openLive(options)
        case let .file(path, _): handle = try PcapHandle.openFile(path)
        }
        if case let .file(path, _) = source {
            var status = stat()
            fileSize = stat(path, &status) == 0 && status.st_size > 0 ? Int64(status.st_size) : nil
        } else {
            fileSize = nil
        }
        if let expression = self.filter { try handle.setFilter(expression) }
        if case let .live(options) = source, PcapHandle.isLoopback(interface: options.interface) {
            // On a loopback interface each packet passes the packet socket twice, sent and
            // received; libpcap throws the sent copy away only after the kernel has queued it, or
            // counted it as a drop when the ring was full (kernel drops then exceeded the packets
            // sent). Keeping it out of the socket saves the ring for packets we show and makes the
            // drop counter about them alone. (Not with an `inbound` filter: libpcap runs the
            // filter of the first ring block after pcap_setfilter in user space, where the
            // packet-type test rejects every packet, and that block would be lost.)
            handle.ignoreOutgoingPackets()
        }
        linkType = handle.linkType
        ring = SPSCRing(minimumCapacity: ringCapacity)
        self.recording = recording
        if let recording {
            let recorder = try PcapRecorder(handle: handle, options: recording)
            self.recorder = recorder
            recordedFileList.withLock { $0 = recorder.files }
        } else {
            recorder = nil
        }
    }

    deinit {
        stop()
        // A session that never started still closes its (empty) recording file properly.
        finishRecording()
    }

    /// Starts the capture thread. Calling it twice has no effect.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            let session = Unmanaged<CaptureSession>.fromOpaque(context!).takeRetainedValue()
            session.run()
            return nil
        }, context)
        if status != 0 {
            Unmanaged<CaptureSession>.fromOpaque(context).release()
            failure.withLock { $0 = .readFailed(message: "cannot start the capture thread (error \(status))") }
            markFinished()
            return
        }
        self.thread.withLock { $0 = thread }
    }

    /// Asks the capture thread to stop without waiting for it (`isFinished` turns true when it
    /// has). Any thread.
    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        handle.breakLoop()
    }

    /// Asks the capture thread to stop and waits for it to exit. Safe to call more than once,
    /// from any thread.
    public func stop() {
        requestStop()
        joinThread()
        // Never started: no capture thread will close the recording, so do it here.
        if !started.load(ordering: .acquiring) { finishRecording() }
    }

    /// Blocks the calling thread until the capture ends (end of file, limit, stop or error).
    /// Not for the UI thread.
    public func waitUntilFinished() {
        joinThread()
    }

    private func joinThread() {
        thread.withLock { thread in
            if let running = thread {
                pthread_join(running, nil)
                thread = nil
            }
        }
    }

    public var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// 0…1 through a capture file while it is being read (1 when done); nil for live captures.
    public var fileProgress: Double? {
        guard let fileSize else { return nil }
        if isFinished { return 1 }
        return min(1, Double(fileBytesRead.load(ordering: .relaxed)) / Double(fileSize))
    }

    /// True when a capture file could not be read to its end: the results hold the packets
    /// before the damage, and `error` (`.fileReadStopped`) says where and why reading stopped.
    public var isPartialFile: Bool {
        if case .fileReadStopped = error { return true }
        return false
    }

    /// The error that ended the capture, if any.
    public var error: PcapError? { failure.withLock { $0 } }

    public var statistics: CaptureStatistics {
        CaptureStatistics(
            packetsCaptured: captured.load(ordering: .relaxed),
            kernelDrops: kernelDrops.load(ordering: .relaxed),
            interfaceDrops: interfaceDrops.load(ordering: .relaxed),
            ringOverflows: ring.overflowCount,
            isFinished: isFinished,
            recordedPackets: recordedPacketCount.load(ordering: .relaxed),
            unrecordedPackets: unrecordedPackets.load(ordering: .relaxed)
        )
    }

    /// The pcap files written so far, in order, the one being written last (empty when not
    /// recording). Each file before the last is complete; the last is complete once
    /// `isFinished` is true.
    public var recordedFiles: [String] { recordedFileList.withLock { $0 } }

    // MARK: The capture thread

    private func run() {
        defer { markFinished() }
        do throws(PcapError) {
            switch source {
            case .live: try runLive()
            case let .file(_, replay): try runFile(replayAtRecordedSpeed: replay)
            }
        } catch {
            failure.withLock { $0 = error }
        }
        finishRecording()
    }

    /// Saves one frame to the recording, if there is one, and publishes a new file name when the
    /// recorder rotated.
    @inline(__always)
    private func record(_ bytes: UnsafeRawBufferPointer, timestamp: Int64, wireLength: Int) throws(PcapError) {
        guard let recorder else { return }
        let fileCount = recorder.files.count
        try recorder.record(bytes, timestamp: timestamp, wireLength: wireLength)
        recordedPacketCount.store(recorder.packetCount, ordering: .relaxed)
        if recorder.files.count != fileCount {
            let files = recorder.files
            recordedFileList.withLock { $0 = files }
        }
    }

    /// Closes the current recording file; a failure becomes the session's error unless an earlier
    /// one already is. Idempotent.
    private func finishRecording() {
        guard let recorder, !recorder.isFinished else { return }
        do throws(PcapError) {
            try recorder.finish()
        } catch {
            failure.withLock { if $0 == nil { $0 = error } }
        }
    }

    /// Packets handed over by one `pcap_dispatch` call at most, so the shared packet count and
    /// the statistics timer are looked at regularly even under a flood.
    private static let dispatchBatch: Int32 = 4096
    /// How often the kernel's drop counters are read (a system call, and /proc/net/dev in
    /// promiscuous mode): on a timer, never per packet or per empty read.
    private static let statisticsInterval: Int64 = 250_000_000
    /// Longest wait for the descriptor, which bounds how long `stop()` takes on a quiet link.
    private static let idleWaitMilliseconds: Int32 = 50

    private func runLive() throws(PcapError) {
        // libpcap 1.10.3 may never return from a blocking read on an idle interface, so read
        // non-blocking and wait on the descriptor ourselves with a short deadline.
        try handle.setNonBlocking(true)
        let descriptor = handle.selectableDescriptor
        var count = 0
        var recordingError: PcapError?
        var nextStatistics = monotonicNanoseconds() + Self.statisticsInterval
        defer { refreshKernelStatistics() }
        while !stopRequested.load(ordering: .relaxed) {
            if let packetLimit, count >= packetLimit { return }
            let limit = packetLimit.map { Int32(clamping: $0 - count) } ?? Self.dispatchBatch
            let result = try handle.dispatch(limit: min(limit, Self.dispatchBatch)) { bytes, timestamp, wireLength in
                do throws(PcapError) {
                    try record(bytes, timestamp: timestamp, wireLength: wireLength)
                } catch {
                    recordingError = error
                    return false
                }
                frameObserver?.captured(bytes, linkType: linkType, timestamp: timestamp)
                ring.push(PacketDecoder.decode(bytes, linkType: linkType, timestamp: timestamp, wireLength: wireLength))
                count += 1
                return true
            }
            captured.store(count, ordering: .relaxed)
            if let recordingError { throw recordingError }
            if let packetLimit, count >= packetLimit { return }
            switch result {
            case .interrupted:
                // breakLoop() from stop(); the loop condition sees the request.
                continue
            case .packets(0):
                // Idle: put what was recorded on disk, so the file can be followed live.
                try recorder?.flush()
                var waiter = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&waiter, 1, Self.idleWaitMilliseconds)
            case .packets:
                break
            }
            let now = monotonicNanoseconds()
            if now >= nextStatistics {
                refreshKernelStatistics()
                nextStatistics = now + Self.statisticsInterval
            }
        }
    }

    /// Running totals of `pcap_stats`, widened past libpcap's 32-bit counters. Touched only by
    /// the capture thread.
    private var kernelDropCounter = WideningCounter()
    private var interfaceDropCounter = WideningCounter()

    private func refreshKernelStatistics() {
        guard let stats = handle.statistics() else { return }
        kernelDrops.store(kernelDropCounter.update(stats.ps_drop), ordering: .relaxed)
        interfaceDrops.store(interfaceDropCounter.update(stats.ps_ifdrop), ordering: .relaxed)
    }

    private func runFile(replayAtRecordedSpeed: Bool) throws(PcapError) {
        guard case let .file(path, _) = source else { return }
        var count = 0
        defer { captured.store(count, ordering: .relaxed) }
        var firstTimestamp: Int64?
        let startedAt = monotonicNanoseconds()
        // Set once libpcap gives up on a pcapng file whose interfaces differ (see `PcapngReader`).
        var fallback: PcapngFallback?
        while !stopRequested.load(ordering: .relaxed) {
            let bytes: UnsafeRawBufferPointer, timestamp: Int64, wireLength: Int, packetLinkType: LinkType
            if let reader = fallback {
                let record: PcapngReader.Record?
                do throws(PcapError) { record = try reader.next() } catch {
                    throw stopped(path: path, after: count, at: reader.offset, error)
                }
                guard let record else { return }
                (bytes, timestamp, wireLength, packetLinkType) = (record.bytes, record.timestamp, record.wireLength, record.linkType)
            } else {
                let result: PcapHandle.ReadResult
                do throws(PcapError) { result = try handle.next() } catch {
                    if case let .readFailed(message) = error, PcapngReader.isMixedInterfaceError(message), let resumeAt = handle.fileOffset {
                        // libpcap read everything before the block it refused; go on from there.
                        do throws(PcapError) {
                            fallback = try PcapngFallback(path: path, resumeAt: resumeAt, filter: filter)
                        } catch {
                            throw stopped(path: path, after: count, at: resumeAt, error)
                        }
                        continue
                    }
                    throw stopped(path: path, after: count, at: PcapHandle.endOfReadableRecords(path), error)
                }
                guard case let .packet(packetBytes, packetTime, packetLength) = result else { return }
                (bytes, timestamp, wireLength, packetLinkType) = (packetBytes, packetTime, packetLength, linkType)
            }
            // A pcap recording has one link type: packets of another interface type cannot go in.
            if packetLinkType == linkType {
                try record(bytes, timestamp: timestamp, wireLength: wireLength)
            } else if recorder != nil {
                unrecordedPackets.add(1, ordering: .relaxed)
            }
            frameObserver?.captured(bytes, linkType: packetLinkType, timestamp: timestamp)
            let summary = PacketDecoder.decode(bytes, linkType: packetLinkType, timestamp: timestamp, wireLength: wireLength)
            if replayAtRecordedSpeed {
                let first = firstTimestamp ?? timestamp
                firstTimestamp = first
                let (elapsed, overflow) = timestamp.subtractingReportingOverflow(first)
                let wait = overflow ? (timestamp < first ? 0 : Int64.max) : max(0, elapsed)
                let (deadline, late) = startedAt.addingReportingOverflow(wait)
                if !sleepUntil(late ? .max : deadline) { return }
            }
            // A file can wait for the consumer: retry until there is room (or we are stopped).
            while !ring.tryPush(summary) {
                if stopRequested.load(ordering: .relaxed) { return }
                sched_yield()
            }
            count += 1
            if count & 255 == 0 {
                captured.store(count, ordering: .relaxed)
                if let offset = fallback?.offset ?? handle.fileOffset { fileBytesRead.store(Int(offset), ordering: .relaxed) }
            }
            if let packetLimit, count >= packetLimit { return }
        }
    }

    /// The error a file read ends with when reading stops part-way: what was read, where, and why.
    private func stopped(path: String, after packets: Int, at offset: Int64?, _ error: PcapError) -> PcapError {
        let reason: String
        switch error {
        case let .readFailed(message): reason = message
        default: reason = error.description
        }
        return .fileReadStopped(path: path, packetsRead: packets, byteOffset: offset, fileSize: fileSize, reason: reason)
    }

    /// Sleeps in short steps so `stop()` is honoured promptly; false when stopped.
    private func sleepUntil(_ deadline: Int64) -> Bool {
        while true {
            if stopRequested.load(ordering: .relaxed) { return false }
            let remaining = deadline - monotonicNanoseconds()
            if remaining <= 0 { return true }
            var request = timespec(tv_sec: 0, tv_nsec: Int(min(remaining, 50_000_000)))
            nanosleep(&request, nil)
        }
    }

    private func markFinished() {
        finished.store(true, ordering: .releasing)
    }
}

/// A 64-bit total kept from a 32-bit running total that wraps (libpcap's `pcap_stat` fields).
/// Exact as long as it is updated before the source advances by 2³² more.
struct WideningCounter {
    private(set) var total: UInt64 = 0
    private var last: UInt32 = 0

    mutating func update(_ current: UInt32) -> UInt64 {
        total &+= UInt64(current &- last)
        last = current
        return total
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
public func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}

/// The pcapng reader taking over from libpcap at `resumeAt` (libpcap has delivered every packet
/// before it), with the session's filter compiled per link type, as each interface may differ.
private final class PcapngFallback {
    private let reader: PcapngReader
    private let expression: String?
    private var filters: [LinkType: OfflinePacketFilter] = [:]

    init(path: String, resumeAt: Int64, filter: String?) throws(PcapError) {
        reader = try PcapngReader(path: path)
        expression = filter
        // What libpcap already delivered is read again (so interfaces and sections are known) but
        // not returned.
        reader.deliverFrom = resumeAt
    }

    var offset: Int64 { reader.offset }

    func next() throws(PcapError) -> PcapngReader.Record? {
        while let record = try reader.next() {
            guard let expression else { return record }
            let filter: OfflinePacketFilter
            if let known = filters[record.linkType] {
                filter = known
            } else {
                filter = OfflinePacketFilter(expression: expression, linkType: record.linkType)
                filters[record.linkType] = filter
            }
            if filter.matches(record.bytes, wireLength: record.wireLength) { return record }
        }
        return nil
    }
}
