import CScan
import Foundation
import Packets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// TCP connect scan: non-blocking sockets driven by `epoll` (no thread per socket) — one loop on
/// the thread that calls `run`, or for large scans one loop per core (see `workerCount`).
/// Thread-safe: `cancel()` from anywhere.
public final class ConnectScanner: Sendable {
    public let hosts: [ScanHost]
    public let ports: [UInt16]
    public let options: PortScanOptions
    private let cancelled = Atomic<Bool>(false)

    public init(hosts: [ScanHost], ports: [UInt16], options: PortScanOptions = PortScanOptions()) {
        self.hosts = hosts
        self.ports = ports
        self.options = options
    }

    public var total: Int { hosts.count * ports.count }

    /// Stops the scan soon (within one epoll wait); `run` returns the results found so far.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// The concurrency the scan may use: the setting, bounded by the descriptors RLIMIT_NOFILE
    /// leaves (the soft limit is first raised towards the hard one).
    public static func descriptorBound(wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return max(1, min(wanted, 256)) }
        let needed = rlim_t(wanted + 256)
        if limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(needed, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        // Leave room for the descriptors the rest of the process holds (database, pipes, …).
        let available = Int(min(limit.rlim_cur, rlim_t(Int32.max))) - openDescriptorCount() - 64
        return max(1, min(wanted, available))
    }

    private static func openDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 64
    }

    /// Scans every port of every host on the calling thread. `onResult` gets each port as it is
    /// decided; `onProgress` about ten times a second and once at the end.
    /// Both callbacks run on the calling thread, never at the same time, and the last progress
    /// report comes after the last result.
    public func run(onResult: @escaping (PortResult) -> Void = { _ in },
                    onProgress: (ScanProgress) -> Void = { _ in }) throws -> PortScanSummary {
        let workers = workerCount
        guard workers > 1 else {
            var engine = try Engine(scanner: self, onResult: onResult)
            defer { engine.closeAll() }
            return engine.loop(onProgress: onProgress)
        }
        return try runWorkers(workers, onResult: onResult, onProgress: onProgress)
    }

    /// The calling thread's network namespace (device and inode of /proc/thread-self/ns/net).
    static func currentNetworkNamespace() -> [UInt64] {
        var status = stat()
        guard stat("/proc/thread-self/ns/net", &status) == 0 else { return [] }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    /// How many epoll loops share the scan. Over loopback and fast links nearly all of a connect
    /// scan's time is the kernel's work inside connect() (SYN out, reset in, socket reset), which
    /// runs on the calling CPU: one loop per core (at most `options.workers`) spreads it. Small
    /// scans and rate-limited ones keep one loop.
    var workerCount: Int {
        let wanted = options.workers > 0 ? options.workers : ProcessInfo.processInfo.activeProcessorCount
        guard wanted > 1, options.packetsPerSecond == nil, total >= 4096, options.concurrency >= 64 * wanted else { return 1 }
        return min(wanted, ProcessInfo.processInfo.activeProcessorCount, 8)
    }

    /// Several engines, each on a thread of its own (started from this one, so in its network
    /// namespace) with every `workers`-th attempt and its share of the concurrency. They hand
    /// their results over in batches (at their progress ticks, about ten a second, and at the
    /// end); this thread passes them on to `onResult` and reports the combined progress.
    private func runWorkers(_ workers: Int, onResult: @escaping (PortResult) -> Void,
                            onProgress: (ScanProgress) -> Void) throws -> PortScanSummary {
        final class Mailbox: @unchecked Sendable {
            let lock = NSLock()
            var pending: [PortResult] = []
            var done = 0
            var open = 0
            var summaries: [PortScanSummary] = []
            var errors: [Error] = []
        }
        final class Outbox: @unchecked Sendable { var results: [PortResult] = [] }
        let mailbox = Mailbox()
        let started = monotonicNanoseconds()
        let share = max(1, ConnectScanner.descriptorBound(wanted: max(1, options.concurrency)) / workers)
        // New threads start in the network namespace of the thread that creates them; checked
        // all the same, as a worker elsewhere would scan another machine's view of the targets.
        let namespace = Self.currentNetworkNamespace()
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                let outbox = Outbox()
                func handOver() {
                    mailbox.lock.lock()
                    mailbox.pending += outbox.results
                    mailbox.done += outbox.results.count
                    mailbox.open += outbox.results.reduce(0) { $0 + ($1.state == .open ? 1 : 0) }
                    mailbox.lock.unlock()
                    outbox.results.removeAll(keepingCapacity: true)
                }
                do {
                    guard Self.currentNetworkNamespace() == namespace else {
                        throw ScanError("A scan thread did not start in the scan's network namespace; the scan was stopped. Run it again with one worker (workers 1).")
                    }
                    var engine = try Engine(scanner: self, onResult: { outbox.results.append($0) },
                                            worker: worker, workers: workers, concurrency: share)
                    defer { engine.closeAll() }
                    let summary = engine.loop(onProgress: { _ in handOver() })
                    handOver()
                    mailbox.lock.lock()
                    mailbox.summaries.append(summary)
                    mailbox.lock.unlock()
                } catch {
                    cancel()
                    mailbox.lock.lock()
                    mailbox.errors.append(error)
                    mailbox.lock.unlock()
                }
            }
            thread.name = "netscouter-scan-\(worker)"
            thread.start()
        }
        func deliver() -> ScanProgress {
            mailbox.lock.lock()
            let batch = mailbox.pending
            mailbox.pending.removeAll(keepingCapacity: true)
            let done = mailbox.done, open = mailbox.open
            mailbox.lock.unlock()
            for result in batch { onResult(result) }
            let elapsed = Double(monotonicNanoseconds() - started) / 1e9
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            return ScanProgress(done: done, total: total, open: open, portsPerSecond: rate,
                                secondsRemaining: rate > 0 ? Double(total - done) / rate : nil)
        }
        while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            onProgress(deliver())
        }
        onProgress(deliver())
        if let error = mailbox.errors.first { throw error }
        return PortScanSummary(results: mailbox.summaries.flatMap(\.results), cancelled: isCancelled,
                               elapsedSeconds: Double(monotonicNanoseconds() - started) / 1e9,
                               concurrency: mailbox.summaries.reduce(0) { $0 + $1.concurrency })
    }

    /// Runs the scan on a new thread; `completion` gets the summary there.
    @discardableResult
    public func start(onResult: @escaping @Sendable (PortResult) -> Void,
                      onProgress: @escaping @Sendable (ScanProgress) -> Void = { _ in },
                      completion: @escaping @Sendable (Result<PortScanSummary, Error>) -> Void) -> Thread {
        let thread = Thread { [self] in
            completion(Result { try self.run(onResult: onResult, onProgress: onProgress) })
        }
        thread.name = "netscouter-scan"
        thread.start()
        return thread
    }
}

/// Monotonic nanoseconds.
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// The scan's mutable state, owned by the one thread in `run`.
private struct Engine {
    struct Probe { var host: Int32; var portIndex: Int32; var attempt: Int32 }
    enum Phase: UInt8 { case free, connecting, banner }
    struct Slot {
        var descriptor: Int32 = -1
        var probe = Probe(host: 0, portIndex: 0, attempt: 0)
        var phase: Phase = .free
        var generation: UInt32 = 0
        var started: UInt64 = 0
        var rtt: Double = 0
    }
    struct HostTiming { var smoothed: Double = 0; var variation: Double = 0; var samples = 0 }

    let scanner: ConnectScanner
    let onResult: (PortResult) -> Void
    let epoll: Int32
    let concurrency: Int
    var slots: [Slot]
    var freeSlots: [Int32]
    var deadlines = DeadlineHeap()
    var retries: [Probe] = []
    var retryHead = 0
    var nextFresh = 0
    var timing: [HostTiming]
    var results: [PortResult] = []
    var done = 0
    var openCount = 0
    var inFlight = 0
    let startTime = monotonicNanoseconds()
    var nextSendTime: UInt64 = 0
    let sendInterval: UInt64
    var bannerBuffer: [UInt8]
    var refused4: [Int32] = []
    var refused6: [Int32] = []
    /// Reused sockets already bound to a local port of their own (`pinLocalPort`).
    var pinned = Set<Int32>()

    /// This engine's attempts are every `stride`-th of all (hosts × ports), from the `worker`-th.
    let stride: Int

    /// `concurrency`, when given, is this engine's share, already bounded by RLIMIT_NOFILE.
    init(scanner: ConnectScanner, onResult: @escaping (PortResult) -> Void,
         worker: Int = 0, workers: Int = 1, concurrency share: Int? = nil) throws {
        self.scanner = scanner
        self.onResult = onResult
        stride = max(1, workers)
        nextFresh = worker
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw ScanError("Cannot create an epoll instance: \(String(cString: strerror(errno))).") }
        let bound = share ?? ConnectScanner.descriptorBound(wanted: max(1, scanner.options.concurrency))
        concurrency = max(1, min(bound, max(1, scanner.total / stride)))
        slots = Array(repeating: Slot(), count: concurrency)
        freeSlots = (0..<Int32(concurrency)).reversed()
        timing = Array(repeating: HostTiming(), count: scanner.hosts.count)
        sendInterval = scanner.options.packetsPerSecond.map { $0 > 0 ? 1_000_000_000 / UInt64($0) : 0 } ?? 0
        bannerBuffer = [UInt8](repeating: 0, count: max(1, scanner.options.bannerBytes))
        results.reserveCapacity(min(scanner.total / stride + 1, 1 << 20))
    }

    mutating func closeAll() {
        for index in slots.indices where slots[index].phase != .free {
            close(slots[index].descriptor)
        }
        for descriptor in refused4 + refused6 { close(descriptor) }
        close(epoll)
    }

    func timeoutNanoseconds(host: Int) -> UInt64 {
        let options = scanner.options
        let maximum = Double(options.timeoutMilliseconds) * 1e6
        let hostTiming = timing[host]
        guard hostTiming.samples > 0 else { return UInt64(maximum) }
        let adapted = hostTiming.smoothed + 4 * hostTiming.variation
        return UInt64(min(maximum, max(Double(options.minimumTimeoutMilliseconds) * 1e6, adapted)))
    }

    mutating func recordRTT(host: Int, nanoseconds: Double) {
        // RFC 6298: srtt and rttvar, first sample sets both.
        if timing[host].samples == 0 {
            timing[host].smoothed = nanoseconds
            timing[host].variation = nanoseconds / 2
        } else {
            timing[host].variation = 0.75 * timing[host].variation + 0.25 * abs(timing[host].smoothed - nanoseconds)
            timing[host].smoothed = 0.875 * timing[host].smoothed + 0.125 * nanoseconds
        }
        timing[host].samples += 1
    }

    mutating func nextProbe() -> Probe? {
        if retryHead < retries.count {
            let probe = retries[retryHead]
            retryHead += 1
            if retryHead == retries.count { retries.removeAll(keepingCapacity: true); retryHead = 0 }
            return probe
        }
        guard nextFresh < scanner.total else { return nil }
        // Hosts interleaved: consecutive attempts go to different hosts.
        let hostCount = scanner.hosts.count
        let probe = Probe(host: Int32(nextFresh % hostCount), portIndex: Int32(nextFresh / hostCount), attempt: 0)
        nextFresh += stride
        return probe
    }

    var hasWork: Bool { retryHead < retries.count || nextFresh < scanner.total }

    mutating func finish(_ probe: Probe, state: PortState, rtt: Double?, banner: String?, reason: String) {
        let result = PortResult(host: scanner.hosts[Int(probe.host)], port: scanner.ports[Int(probe.portIndex)],
                                state: state, rttMilliseconds: rtt, banner: banner, reason: reason)
        results.append(result)
        done += 1
        if state == .open { openCount += 1 }
        onResult(result)
    }

    /// Starts attempts until the slots are full, the rate limit says wait, or no work is left.
    /// Returns how long epoll may wait for the rate limit (milliseconds), or -1.
    mutating func launch() -> Int32 {
        while !freeSlots.isEmpty && hasWork {
            if sendInterval > 0 {
                let now = monotonicNanoseconds()
                if now < nextSendTime { return Int32(max(1, (nextSendTime - now) / 1_000_000)) }
                nextSendTime = max(nextSendTime, now) + sendInterval
            }
            guard let probe = nextProbe() else { break }
            if !connect(probe) { break }
        }
        return -1
    }

    /// One non-blocking connect. Returns false when the system is out of ports or descriptors for
    /// now (the probe is queued again and the loop waits for attempts in flight to finish).
    mutating func connect(_ probe: Probe) -> Bool {
        let host = scanner.hosts[Int(probe.host)]
        let port = scanner.ports[Int(probe.portIndex)]
        let family = host.address.isIPv4 ? AF_INET : AF_INET6
        let pooled = host.address.isIPv4 ? refused4.popLast() : refused6.popLast()
        let descriptor = pooled ?? socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if descriptor < 0 {
            requeueFront(probe)
            return false
        }
        let started = monotonicNanoseconds()
        var status = SocketAddress.with(host.address, port: port) { Glibc.connect(descriptor, $0, $1) }
        var error = status == 0 ? 0 : errno
        if pooled != nil && error == ECONNABORTED {
            // The first connect on a refused socket only resets it (Linux returns ECONNABORTED
            // and disconnects); the second one sends the SYN.
            status = SocketAddress.with(host.address, port: port) { Glibc.connect(descriptor, $0, $1) }
            error = status == 0 ? 0 : errno
        }
        if status != 0 && error != EINPROGRESS {
            closeSocket(descriptor)
            switch error {
            case EAGAIN, EADDRNOTAVAIL, ENOBUFS, EMFILE, ENFILE:
                requeueFront(probe)
                return inFlight > 0 ? false : true
            default:
                let (state, reason) = Self.classify(error: error)
                finish(probe, state: state, rtt: state == .filtered ? nil : Double(monotonicNanoseconds() - started) / 1e6, banner: nil, reason: reason)
                return true
            }
        }
        if status != 0 {
            // Over loopback and other fast paths the answer is often in before connect returns
            // (the reset is processed on the way out of the system call). A second connect then
            // reports it (and resets a refused socket for its next attempt), or says EALREADY
            // while the handshake is still under way, or succeeds once it has completed.
            let again = SocketAddress.with(host.address, port: port) { Glibc.connect(descriptor, $0, $1) }
            let pending = again == 0 ? 0 : errno
            if again != 0 && pending != EALREADY && pending != EINPROGRESS {
                let (state, reason) = Self.classify(error: pending)
                let elapsed = Double(monotonicNanoseconds() - started)
                if state != .filtered && probe.attempt == 0 { recordRTT(host: Int(probe.host), nanoseconds: elapsed) }
                recycleOrClose(descriptor, error: pending, ipv4: host.address.isIPv4)
                finish(probe, state: state, rtt: state == .filtered ? nil : elapsed / 1e6, banner: nil, reason: reason)
                return true
            }
        }
        let slotIndex = freeSlots.removeLast()
        slots[Int(slotIndex)].generation &+= 1
        slots[Int(slotIndex)].descriptor = descriptor
        slots[Int(slotIndex)].probe = probe
        slots[Int(slotIndex)].phase = .connecting
        slots[Int(slotIndex)].started = started
        inFlight += 1
        let token = UInt64(slotIndex) | UInt64(slots[Int(slotIndex)].generation) << 32
        _ = ns_epoll_add(epoll, descriptor, ns_epollout() | ns_epollerr() | ns_epollhup(), token)
        deadlines.push(deadline: started + timeoutNanoseconds(host: Int(probe.host)), token: token)
        return true
    }

    mutating func requeueFront(_ probe: Probe) {
        // Retried before anything new, so a port never starves.
        if retryHead > 0 { retryHead -= 1; retries[retryHead] = probe } else { retries.insert(probe, at: 0) }
    }

    static func classify(error: Int32) -> (PortState, String) {
        switch error {
        case 0: (.open, "syn-ack")
        case ECONNREFUSED: (.closed, "reset")
        case EHOSTUNREACH: (.filtered, "host-unreachable")
        case ENETUNREACH: (.filtered, "net-unreachable")
        case EHOSTDOWN: (.filtered, "host-down")
        case EACCES, EPERM: (.filtered, "admin-prohibited")
        case ENOPROTOOPT: (.filtered, "protocol-unreachable")
        case ETIMEDOUT: (.filtered, "timeout")
        default: (.filtered, "error-\(error)")
        }
    }

    /// A socket whose connect was refused can connect again: keeping a few saves the socket
    /// and close calls that cost as much as the connect itself (measured about 15 µs of 28 µs
    /// per closed port over loopback). Anything else is closed.
    mutating func recycleOrClose(_ descriptor: Int32, error: Int32, ipv4: Bool) {
        if error == ECONNREFUSED && (ipv4 ? refused4.count : refused6.count) < 64 {
            if !pinned.contains(descriptor) && pinLocalPort(descriptor, ipv4: ipv4) { pinned.insert(descriptor) }
            if ipv4 { refused4.append(descriptor) } else { refused6.append(descriptor) }
        } else {
            closeSocket(descriptor)
        }
    }

    mutating func closeSocket(_ descriptor: Int32) {
        pinned.remove(descriptor)
        close(descriptor)
    }

    /// Binds a reused socket to a local port of its own: the kernel then keeps that port across
    /// attempts (an explicitly bound port survives the disconnect) instead of searching for a free
    /// ephemeral port on every connect. Connecting to that very port of a local address meets the
    /// socket itself, which `isSelfConnection` reports as closed.
    func pinLocalPort(_ descriptor: Int32, ipv4: Bool) -> Bool {
        for _ in 0..<8 {
            let port = UInt16.random(in: 32768...60999)
            let bound = SocketAddress.with(ipv4 ? IPAddress(ipv4: 0) : IPAddress.unspecified, port: port) { bind(descriptor, $0, $1) }
            if bound == 0 { return true }
            if errno != EADDRINUSE { return false }
        }
        return false
    }

    mutating func release(_ slotIndex: Int, error: Int32 = -1) {
        if error == ECONNREFUSED {
            // Out of the epoll set by hand: the descriptor stays open for the next attempt.
            ns_epoll_del(epoll, slots[slotIndex].descriptor)
            recycleOrClose(slots[slotIndex].descriptor, error: error, ipv4: scanner.hosts[Int(slots[slotIndex].probe.host)].address.isIPv4)
        } else {
            // close() also takes the descriptor out of the epoll set (it is never duplicated).
            closeSocket(slots[slotIndex].descriptor)
        }
        slots[slotIndex].descriptor = -1
        slots[slotIndex].phase = .free
        slots[slotIndex].generation &+= 1
        freeSlots.append(Int32(slotIndex))
        inFlight -= 1
    }

    mutating func handle(slotIndex: Int, mask: UInt32) {
        let slot = slots[slotIndex]
        switch slot.phase {
        case .free:
            return
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(slot.descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 && mask & (ns_epollerr() | ns_epollhup()) != 0 && mask & ns_epollout() == 0 { error = ECONNRESET }
            let now = monotonicNanoseconds()
            let rtt = Double(now - slot.started)
            var (state, reason) = Self.classify(error: error)
            if state == .open && isSelfConnection(slot.descriptor) {
                // Connecting to a free local port can pick that very port as the source: TCP's
                // simultaneous open then "connects" the socket to itself. Nothing listens there.
                (state, reason) = (.closed, "self-connect")
            }
            if state != .filtered && slot.probe.attempt == 0 { recordRTT(host: Int(slot.probe.host), nanoseconds: rtt) }
            if state == .open && scanner.options.grabBanners {
                slots[slotIndex].phase = .banner
                slots[slotIndex].rtt = rtt / 1e6
                slots[slotIndex].generation &+= 1
                let token = UInt64(slotIndex) | UInt64(slots[slotIndex].generation) << 32
                ns_epoll_del(epoll, slot.descriptor)
                _ = ns_epoll_add(epoll, slot.descriptor, ns_epollin() | ns_epollrdhup() | ns_epollerr() | ns_epollhup(), token)
                deadlines.push(deadline: now + UInt64(scanner.options.bannerTimeoutMilliseconds) * 1_000_000, token: token)
                return
            }
            if state == .open { abortiveClose(slot.descriptor) }
            release(slotIndex, error: error)
            finish(slot.probe, state: state, rtt: state == .filtered ? nil : rtt / 1e6, banner: nil, reason: reason)
        case .banner:
            let count = recv(slot.descriptor, &bannerBuffer, bannerBuffer.count, Int32(MSG_DONTWAIT))
            let banner = count > 0 ? BannerText.sanitise(bannerBuffer[0..<count]) : nil
            abortiveClose(slot.descriptor)
            release(slotIndex)
            finish(slot.probe, state: .open, rtt: slot.rtt, banner: banner, reason: "syn-ack")
        }
    }

    func isSelfConnection(_ descriptor: Int32) -> Bool {
        var local = sockaddr_storage(), remote = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size), remoteLength = localLength
        let gotLocal = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &localLength) } }
        let gotRemote = withUnsafeMutablePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &remoteLength) } }
        guard gotLocal == 0, gotRemote == 0, localLength == remoteLength else { return false }
        return withUnsafeBytes(of: &local) { a in withUnsafeBytes(of: &remote) { b in
            a.prefix(Int(localLength)).elementsEqual(b.prefix(Int(remoteLength)))
        } }
    }

    /// Closes an established connection with a reset (SO_LINGER 0): no FIN exchange and no
    /// TIME_WAIT left behind for every open port of a large scan.
    func abortiveClose(_ descriptor: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    mutating func expire(now: UInt64) {
        while let top = deadlines.peek, top.deadline <= now {
            deadlines.pop()
            let slotIndex = Int(top.token & 0xFFFF_FFFF)
            let slot = slots[slotIndex]
            guard slot.phase != .free, UInt32(top.token >> 32) == slot.generation else { continue }
            // An answer may be waiting that the loop has not read yet (a busy machine, a big
            // batch of events): ask the socket itself before calling the port unanswered.
            var ready = pollfd(fd: slot.descriptor, events: Int16(slot.phase == .connecting ? POLLOUT : POLLIN), revents: 0)
            if poll(&ready, 1, 0) > 0 && ready.revents != 0 {
                handle(slotIndex: slotIndex, mask: UInt32(UInt16(bitPattern: ready.revents)))
                continue
            }
            switch slot.phase {
            case .connecting:
                release(slotIndex)
                if Int(slot.probe.attempt) < scanner.options.retries {
                    retries.append(Probe(host: slot.probe.host, portIndex: slot.probe.portIndex, attempt: slot.probe.attempt + 1))
                } else {
                    finish(slot.probe, state: .filtered, rtt: nil, banner: nil, reason: "timeout")
                }
            case .banner:
                abortiveClose(slot.descriptor)
                release(slotIndex)
                finish(slot.probe, state: .open, rtt: slot.rtt, banner: nil, reason: "syn-ack")
            case .free:
                break
            }
        }
    }

    mutating func progress() -> ScanProgress {
        let elapsed = Double(monotonicNanoseconds() - startTime) / 1e9
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(scanner.total - done) / rate : nil
        return ScanProgress(done: done, total: scanner.total, open: openCount, portsPerSecond: rate, secondsRemaining: remaining)
    }

    mutating func loop(onProgress: (ScanProgress) -> Void) -> PortScanSummary {
        var tokens = [UInt64](repeating: 0, count: 256)
        var masks = [UInt32](repeating: 0, count: 256)
        var lastProgress: UInt64 = 0
        while !scanner.isCancelled {
            let rateWait = launch()
            if inFlight == 0 && !hasWork { break }
            var wait: Int32 = 100
            if rateWait >= 0 { wait = min(wait, rateWait) }
            if let next = deadlines.peek {
                let now = monotonicNanoseconds()
                let untilDeadline = next.deadline > now ? Int32(min(100, (next.deadline - now + 999_999) / 1_000_000)) : 0
                wait = min(wait, untilDeadline)
            }
            if inFlight == 0 && rateWait < 0 { wait = 0 }
            let count = ns_epoll_wait(epoll, &tokens, &masks, 256, wait)
            if count > 0 {
                for index in 0..<Int(count) {
                    let slotIndex = Int(tokens[index] & 0xFFFF_FFFF)
                    guard UInt32(tokens[index] >> 32) == slots[slotIndex].generation else { continue }
                    handle(slotIndex: slotIndex, mask: masks[index])
                }
            }
            let now = monotonicNanoseconds()
            expire(now: now)
            if now - lastProgress > 100_000_000 {
                lastProgress = now
                onProgress(progress())
            }
        }
        onProgress(progress())
        return PortScanSummary(results: results, cancelled: scanner.isCancelled,
                               elapsedSeconds: Double(monotonicNanoseconds() - startTime) / 1e9, concurrency: concurrency)
    }
}

/// A binary min-heap of (deadline, token): the next attempt to time out is always at the top.
struct DeadlineHeap {
    struct Entry { var deadline: UInt64; var token: UInt64 }
    private var entries: [Entry] = []

    var peek: Entry? { entries.first }

    mutating func push(deadline: UInt64, token: UInt64) {
        entries.append(Entry(deadline: deadline, token: token))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        guard !entries.isEmpty else { return }
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
