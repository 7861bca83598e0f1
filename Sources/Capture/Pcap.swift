import CPcap
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// Every way libpcap can fail us, each with a message that says what to do about it.
public enum PcapError: Error, Equatable, CustomStringConvertible {
    case cannotOpenFile(path: String, message: String)
    case permissionDenied(interface: String, message: String)
    case noSuchInterface(interface: String, message: String)
    case interfaceDown(interface: String, message: String)
    case activationFailed(interface: String, message: String)
    case badFilter(filter: String, message: String)
    case readFailed(message: String)
    case deviceListFailed(message: String)
    /// A pcap recording file could not be created (see `PcapRecorder`).
    case cannotCreateRecording(path: String, message: String)
    /// Writing a pcap recording failed part-way (typically a full disk).
    case recordingFailed(path: String, message: String)
    /// `PcapRecordingOptions.rotateBytes` was zero or negative.
    case invalidRotationSize(bytes: Int64)
    /// A capture file could not be read to its end (truncated, garbage appended, a damaged
    /// block). The packets before `byteOffset` were read and are in the results.
    case fileReadStopped(path: String, packetsRead: Int, byteOffset: Int64?, fileSize: Int64?, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpenFile(path, message):
            "Cannot open capture file \(path): \(message). Check the path and that it is a pcap or pcapng file."
        case let .permissionDenied(interface, message):
            "Capture on \(interface) needs the CAP_NET_RAW capability (\(message)). "
                + "Run `\(CapabilityHint.setcap(PcapError.executablePath))` once, or start NetScouter with sudo."
        case let .noSuchInterface(interface, message):
            "There is no capture interface named \(interface) (\(message)). Run `netscouter interfaces` to list them."
        case let .interfaceDown(interface, message):
            "Interface \(interface) is down (\(message)). Bring it up with `sudo ip link set \(interface) up` or pick another."
        case let .activationFailed(interface, message):
            "Cannot start capture on \(interface): \(message)."
        case let .badFilter(filter, message):
            "The capture filter \"\(filter)\" is not valid BPF syntax: \(message). Examples: `tcp port 443`, `host 10.0.0.7`, `udp and not port 53`."
        case let .readFailed(message):
            "Reading packets failed: \(message)."
        case let .deviceListFailed(message):
            "Cannot list capture interfaces: \(message)."
        case let .cannotCreateRecording(path, message):
            "Cannot create the capture file \(path): \(message). Choose a folder that exists and that you can write to."
        case let .recordingFailed(path, message):
            "Writing the capture file \(path) failed: \(message). Free some disk space or record to another folder; "
                + "the packets written before the failure are still in the file."
        case let .fileReadStopped(path, packetsRead, byteOffset, fileSize, reason):
            "Reading \(path) stopped after \(packetsRead) packet\(packetsRead == 1 ? "" : "s")"
                + (byteOffset.map { offset in "; the file is readable up to byte \(offset)" + (fileSize.map { " of \($0)" } ?? "") } ?? "")
                + ": \(reason). The results cover the packets before that point; the rest cannot be read (the file is "
                + "truncated, damaged, or uses a form libpcap does not support). Re-copy or re-capture it to get all of it."
        case let .invalidRotationSize(bytes):
            "The capture file rotation size must be a positive number of bytes, not \(bytes). Give a size such as 100 MB, or turn rotation off."
        }
    }

    /// The running binary, so the setcap hint can be pasted as is.
    static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "netscouter"
    }
}

/// Options for a live capture, mirroring the `pcap_set_*` calls made before activation.
///
/// The defaults are chosen by measurement (`make bench-live`): libpcap 1.10 on Linux uses a
/// TPACKET_V3 ring when immediate mode is off, where packets are packed one after another into
/// blocks, so the 8 MB buffer holds tens of thousands of small packets whatever the snap length.
/// Immediate mode forces TPACKET_V2, whose fixed frames are sized by the snap length: with
/// 262,144 bytes the same buffer holds about 30 packets and bursts are dropped by the kernel.
public struct LiveCaptureOptions: Sendable, Equatable {
    public var interface: String
    public var snapLength: Int32 = 262_144
    public var promiscuous: Bool = true
    /// Kernel buffer in bytes; 0 keeps libpcap's default.
    public var bufferSize: Int32 = 8 << 20
    /// Deliver each packet as soon as it arrives. Costs the TPACKET_V3 ring (see above): leave it
    /// off unless a fraction of `timeoutMilliseconds` of latency matters more than lost packets.
    public var immediateMode: Bool = false
    /// When not in immediate mode, the kernel hands over a partly filled block after this many
    /// milliseconds, which bounds the delay from a packet to the dashboard on a quiet link.
    public var timeoutMilliseconds: Int32 = 50

    public init(interface: String) { self.interface = interface }
}

/// One network interface as `pcap_findalldevs` reports it.
public struct CaptureDevice: Sendable, Equatable, Codable {
    public var name: String
    public var description: String?
    public var addresses: [String]
    public var isLoopback: Bool
    public var isUp: Bool
    public var isRunning: Bool
    public var isWireless: Bool
}

/// The one Swift wrapper around a `pcap_t`. Not thread-safe: the capture thread owns it, and
/// only `breakLoop()` may be called from elsewhere (libpcap documents it as such).
public final class PcapHandle: @unchecked Sendable {
    private let raw: OpaquePointer
    public let linkType: LinkType
    /// Whether `pcap_pkthdr.ts.tv_usec` holds nanoseconds rather than microseconds.
    private let nanosecondTimestamps: Bool
    public let sourceName: String

    private init(raw: OpaquePointer, sourceName: String, nanosecond: Bool) {
        self.raw = raw
        self.sourceName = sourceName
        nanosecondTimestamps = nanosecond
        linkType = LinkType(rawValue: pcap_datalink(raw))
    }

    deinit { pcap_close(raw) }

    /// Opens a pcap or pcapng file (libpcap reads both), with nanosecond timestamps.
    public static func openFile(_ path: String) throws(PcapError) -> PcapHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let raw = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            throw .cannotOpenFile(path: path, message: cString(errorBuffer))
        }
        return PcapHandle(raw: raw, sourceName: path, nanosecond: true)
    }

    /// Creates, configures and activates a live capture.
    public static func openLive(_ options: LiveCaptureOptions) throws(PcapError) -> PcapHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        let name = options.interface
        guard let raw = pcap_create(name, &errorBuffer) else {
            throw .activationFailed(interface: name, message: cString(errorBuffer))
        }
        pcap_set_snaplen(raw, options.snapLength)
        pcap_set_promisc(raw, options.promiscuous ? 1 : 0)
        if options.bufferSize > 0 { pcap_set_buffer_size(raw, options.bufferSize) }
        pcap_set_immediate_mode(raw, options.immediateMode ? 1 : 0)
        pcap_set_timeout(raw, options.timeoutMilliseconds)
        let nanosecond = pcap_set_tstamp_precision(raw, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        let status = pcap_activate(raw)
        if status < 0 {
            let message = status == PCAP_ERROR ? String(cString: pcap_geterr(raw)) : String(cString: pcap_statustostr(status))
            let detail = message.isEmpty ? String(cString: pcap_statustostr(status)) : message
            pcap_close(raw)
            switch status {
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw .permissionDenied(interface: name, message: detail)
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw .noSuchInterface(interface: name, message: detail)
            case PCAP_ERROR_IFACE_NOT_UP:
                throw .interfaceDown(interface: name, message: detail)
            default:
                // Some kernels report EPERM as a generic error; recognise it by libpcap's text.
                if detail.contains("ermission") || detail.contains("not permitted") {
                    throw .permissionDenied(interface: name, message: detail)
                }
                throw .activationFailed(interface: name, message: detail)
            }
        }
        return PcapHandle(raw: raw, sourceName: name, nanosecond: nanosecond)
    }

    /// Compiles `expression` for this handle's link type and installs it.
    public func setFilter(_ expression: String) throws(PcapError) {
        var program = bpf_program()
        guard pcap_compile(raw, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw .badFilter(filter: expression, message: String(cString: pcap_geterr(raw)))
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(raw, &program) == 0 else {
            throw .badFilter(filter: expression, message: String(cString: pcap_geterr(raw)))
        }
    }

    /// Whether `interface` is a loopback device (IFF_LOOPBACK in /sys/class/net/NAME/flags).
    /// False when that cannot be read, e.g. for the "any" pseudo-device.
    public static func isLoopback(interface: String) -> Bool {
        guard !interface.isEmpty, !interface.contains("/"), interface != ".", interface != ".." else { return false }
        guard let file = fopen("/sys/class/net/\(interface)/flags", "r") else { return false }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        var text = cString(buffer)
        while text.last?.isWhitespace == true { text.removeLast() }
        if text.hasPrefix("0x") { text.removeFirst(2) }
        guard let flags = UInt32(text, radix: 16) else { return false }
        return flags & UInt32(IFF_LOOPBACK) != 0
    }

    /// Asks the kernel not to hand this live capture the packets the host sends
    /// (PACKET_IGNORE_OUTGOING, Linux 4.20+). False when the kernel refuses; libpcap then still
    /// hides them where it must (on loopback), only later.
    @discardableResult
    public func ignoreOutgoingPackets() -> Bool {
        let descriptor = pcap_fileno(raw)
        guard descriptor >= 0 else { return false }
        var enabled: Int32 = 1
        return setsockopt(descriptor, Int32(SOL_PACKET), PACKET_IGNORE_OUTGOING, &enabled, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// Checks a filter's syntax without opening an interface (for the GUI's filter field).
    public static func validateFilter(_ expression: String, linkType: LinkType = .ethernet) throws(PcapError) {
        guard let dead = pcap_open_dead(linkType.rawValue, 262_144) else {
            throw .badFilter(filter: expression, message: "libpcap could not create a compiler handle")
        }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw .badFilter(filter: expression, message: String(cString: pcap_geterr(dead)))
        }
        pcap_freecode(&program)
    }

    public enum ReadResult {
        /// A packet: its bytes (valid until the next read), capture time in ns, and wire length.
        case packet(UnsafeRawBufferPointer, timestamp: Int64, wireLength: Int)
        /// No packet available now (non-blocking mode or a read timeout).
        case none
        /// The end of a capture file, or `breakLoop()` was called (libpcap reports both as -2).
        case endOfStream
    }

    @inline(__always)
    public func next() throws(PcapError) -> ReadResult {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(raw, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return .none }
            let h = header.pointee
            let timestamp = saturatingNanoseconds(seconds: Int64(h.ts.tv_sec), fraction: Int64(h.ts.tv_usec),
                                                  fractionIsNanoseconds: nanosecondTimestamps)
            return .packet(UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), timestamp: timestamp, wireLength: Int(h.len))
        case 0: return .none
        case PCAP_ERROR_BREAK:
            return .endOfStream
        default:
            throw .readFailed(message: String(cString: pcap_geterr(raw)))
        }
    }

    /// What `dispatch` did.
    public enum DispatchResult: Equatable {
        /// This many packets were handed over; 0 when none was queued (non-blocking mode).
        case packets(Int)
        /// `breakLoop()` was called, or the body asked to stop, after `handled` packets.
        case interrupted(handled: Int)
    }

    /// Hands the packets queued now, at most `limit` of them, to `body` in one libpcap call
    /// (`pcap_dispatch`): with TPACKET_V3 that is everything in the ready ring blocks, without a
    /// system call per packet. `body` gets each packet's bytes (valid only during the call), its
    /// capture time in nanoseconds and its wire length; it returns false to stop at once.
    public func dispatch(limit: Int32,
                         _ body: (UnsafeRawBufferPointer, _ timestamp: Int64, _ wireLength: Int) -> Bool) throws(PcapError) -> DispatchResult {
        try withoutActuallyEscaping(body) { (escapable) throws(PcapError) -> DispatchResult in
            var context = DispatchContext(body: escapable, nanosecond: nanosecondTimestamps, raw: raw)
            let status = withUnsafeMutablePointer(to: &context) { pointer in
                // A C callback cannot capture: the body travels through libpcap's user pointer.
                pcap_dispatch(raw, limit, { user, header, bytes in
                    let context = UnsafeMutableRawPointer(user!).assumingMemoryBound(to: DispatchContext.self)
                    guard let header, let bytes else { return }
                    let h = header.pointee
                    context.pointee.handled += 1
                    let keepGoing = context.pointee.body(UnsafeRawBufferPointer(start: bytes, count: Int(h.caplen)),
                                                         PcapHandle.nanoseconds(seconds: Int64(h.ts.tv_sec), fraction: Int64(h.ts.tv_usec),
                                                                                fractionIsNanoseconds: context.pointee.nanosecond),
                                                         Int(h.len))
                    if !keepGoing { pcap_breakloop(context.pointee.raw) }
                }, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self))
            }
            switch status {
            case 0...: return .packets(Int(status))
            case PCAP_ERROR_BREAK: return .interrupted(handled: context.handled)
            default: throw .readFailed(message: String(cString: pcap_geterr(raw)))
            }
        }
    }

    private struct DispatchContext {
        let body: (UnsafeRawBufferPointer, Int64, Int) -> Bool
        let nanosecond: Bool
        let raw: OpaquePointer
        var handled = 0
    }

    /// A capture time in nanoseconds since 1970, saturating instead of trapping on absurd values.
    @inline(__always)
    static func nanoseconds(seconds: Int64, fraction: Int64, fractionIsNanoseconds: Bool) -> Int64 {
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflowSum) = whole.addingReportingOverflow(fractionIsNanoseconds ? fraction : fraction &* 1000)
        return overflowSum ? (whole < 0 ? .min : .max) : sum
    }

    /// Non-blocking mode makes `next()` return `.none` at once when nothing is queued, so the
    /// capture thread can wait on `selectableDescriptor` with its own deadline.
    public func setNonBlocking(_ enabled: Bool) throws(PcapError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        if pcap_setnonblock(raw, enabled ? 1 : 0, &errorBuffer) != 0 {
            throw .readFailed(message: PcapHandle.cString(errorBuffer))
        }
    }

    public var selectableDescriptor: Int32 { pcap_get_selectable_fd(raw) }

    /// How far into a capture file reading has got, in bytes (nil for live captures). Only the
    /// thread that reads packets may ask: it is the position of libpcap's own FILE.
    public var fileOffset: Int64? {
        guard let file = pcap_file(raw) else { return nil }
        let offset = ftell(file)
        return offset >= 0 ? Int64(offset) : nil
    }

    /// Where the readable part of a capture file ends, as libpcap sees it: the byte after the
    /// last record it can read before its first error (nil when the file cannot be opened or reads
    /// to its end). Reads the whole file again, without a filter, so it is for the error path only.
    public static func endOfReadableRecords(_ path: String) -> Int64? {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let raw = pcap_open_offline(path, &errorBuffer), let file = pcap_file(raw) else { return nil }
        defer { pcap_close(raw) }
        var end = Int64(ftell(file))
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            switch pcap_next_ex(raw, &header, &data) {
            case 1: end = Int64(ftell(file))
            case PCAP_ERROR_BREAK: return nil
            default: return end
            }
        }
    }

    /// Safe to call from any thread: makes the owner's current or next read return `.interrupted`.
    public func breakLoop() { pcap_breakloop(raw) }

    /// `pcap_stats` of a live capture; nil for files. On Linux, libpcap 1.10 keeps running totals
    /// since the handle was opened (the kernel resets its own at each read): `ps_recv` counts the
    /// packets that passed the filter including those then dropped, `ps_drop` those the kernel
    /// dropped for want of ring space, and `ps_ifdrop` (promiscuous mode only) the interface's
    /// own receive drops from /proc/net/dev, for all its traffic. They are 32-bit counters that
    /// wrap; `LiveCaptureCounters` widens them.
    public func statistics() -> pcap_stat? {
        var stats = pcap_stat()
        guard pcap_stats(raw, &stats) == 0 else { return nil }
        return stats
    }

    /// Lists capture devices with their addresses.
    public static func devices() throws(PcapError) -> [CaptureDevice] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&list, &errorBuffer) == 0 else {
            throw .deviceListFailed(message: cString(errorBuffer))
        }
        defer { pcap_freealldevs(list) }
        var devices: [CaptureDevice] = []
        var cursor = list
        while let device = cursor {
            let entry = device.pointee
            var addresses: [String] = []
            var address = entry.addresses
            while let current = address {
                if let socketAddress = current.pointee.addr, let text = describe(socketAddress) { addresses.append(text) }
                address = current.pointee.next
            }
            let flags = entry.flags
            devices.append(CaptureDevice(
                name: String(cString: entry.name),
                description: entry.description.map { String(cString: $0) },
                addresses: addresses,
                isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0,
                isUp: flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                isWireless: flags & UInt32(PCAP_IF_WIRELESS) != 0
            ))
            cursor = entry.next
        }
        return devices
    }

    private static func describe(_ socketAddress: UnsafeMutablePointer<sockaddr>) -> String? {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                IPAddress(ipv4: UInt32(bigEndian: $0.pointee.sin_addr.s_addr)).description
            }
        case AF_INET6:
            return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                let words = withUnsafeBytes(of: pointer.pointee.sin6_addr) {
                    ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                }
                return IPAddress(high: UInt64(bigEndian: words.0), low: UInt64(bigEndian: words.1)).description
            }
        case AF_PACKET:
            return socketAddress.withMemoryRebound(to: sockaddr_ll.self, capacity: 1) { pointer in
                guard pointer.pointee.sll_halen == 6 else { return nil }
                let octets = withUnsafeBytes(of: pointer.pointee.sll_addr) { Array($0.prefix(6)) }
                return MACAddress(octets).description
            }
        default:
            return nil
        }
    }

    static func cString(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// seconds × 10^9 + fraction (nanoseconds, or microseconds × 1,000) without a trap: a pcapng file
/// may hold any 64-bit timestamp, and nanoseconds since 1970 run out in the year 2262. Values
/// beyond that are clamped to `Int64.max` (or `.min`), which every consumer treats as a time.
@inline(__always)
func saturatingNanoseconds(seconds: Int64, fraction: Int64, fractionIsNanoseconds: Bool) -> Int64 {
    let (whole, wholeOverflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    let (part, partOverflow) = fractionIsNanoseconds ? (fraction, false) : fraction.multipliedReportingOverflow(by: 1000)
    if wholeOverflow || partOverflow { return seconds < 0 || (partOverflow && fraction < 0) ? .min : .max }
    let (sum, sumOverflow) = whole.addingReportingOverflow(part)
    return sumOverflow ? (whole < 0 ? .min : .max) : sum
}

/// libpcap's savefile writer (`pcap_dump_open` / `pcap_dump` / `pcap_dump_flush` /
/// `pcap_dump_close`) bound to a capture handle, so the file gets the capture's own link type,
/// snapshot length and timestamp precision (nanosecond handles write nanosecond files).
///
/// Not thread-safe: use it on the thread that owns the handle it was opened on.
public final class PcapDumper {
    public let path: String
    private var raw: OpaquePointer?
    private let nanosecondTimestamps: Bool
    /// The file's size so far: the 24-byte file header plus 16 bytes and the captured bytes per
    /// record (buffered records included).
    public private(set) var byteCount: Int64 = 24
    public private(set) var packetCount = 0

    fileprivate init(raw: OpaquePointer, path: String, nanosecond: Bool) {
        self.raw = raw
        self.path = path
        nanosecondTimestamps = nanosecond
    }

    deinit {
        if let raw { pcap_dump_close(raw) }
    }

    public var isOpen: Bool { raw != nil }

    /// Appends one record. Write errors surface at the next `flush()` or `close()`, where stdio
    /// reports them.
    @inline(__always)
    public func write(_ packet: UnsafeRawBufferPointer, timestamp: Int64, wireLength: Int) {
        guard let raw else { preconditionFailure("write to a closed PcapDumper") }
        var seconds = timestamp / 1_000_000_000
        var fraction = timestamp % 1_000_000_000
        if fraction < 0 { seconds -= 1; fraction += 1_000_000_000 }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(seconds)
        header.ts.tv_usec = Int(nanosecondTimestamps ? fraction : fraction / 1000)
        header.caplen = UInt32(truncatingIfNeeded: packet.count)
        header.len = UInt32(truncatingIfNeeded: max(wireLength, packet.count))
        guard let bytes = packet.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        // pcap_dump's first argument is the dumper, passed as libpcap's generic `u_char *user`.
        pcap_dump(UnsafeMutableRawPointer(raw).assumingMemoryBound(to: UInt8.self), &header, bytes)
        byteCount += 16 + Int64(packet.count)
        packetCount += 1
    }

    /// Writes buffered records to the file, so readers (tcpdump, Wireshark) see them.
    public func flush() throws(PcapError) {
        guard let raw else { return }
        errno = 0
        let flushed = pcap_dump_flush(raw)
        // stdio may have failed earlier, when its buffer filled during `write`: check the sticky
        // error flag too, not only this flush.
        if flushed != 0 || ferror(pcap_dump_file(raw)) != 0 {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "write error"
            throw .recordingFailed(path: path, message: reason)
        }
    }

    /// Flushes and closes the file. Safe to call more than once; the file is closed even when the
    /// final flush fails (and that failure is thrown).
    public func close() throws(PcapError) {
        guard let raw else { return }
        defer {
            pcap_dump_close(raw)
            self.raw = nil
        }
        try flush()
    }
}

extension PcapHandle {
    /// Creates (or truncates) `path` and writes a pcap file header for this handle's link type,
    /// snapshot length and timestamp precision.
    public func openDumper(path: String) throws(PcapError) -> PcapDumper {
        guard let dumper = pcap_dump_open(raw, path) else {
            // libpcap reports "<path>: <reason>"; the error message names the path already.
            var message = String(cString: pcap_geterr(raw))
            if message.hasPrefix(path + ": ") { message.removeFirst(path.count + 2) }
            throw .cannotCreateRecording(path: path, message: message)
        }
        return PcapDumper(raw: dumper, path: path, nanosecond: nanosecondTimestamps)
    }
}

/// A BPF filter compiled for one link type and run by libpcap's own interpreter
/// (`pcap_offline_filter`) on packets that do not come through a pcap handle: the pcapng reader's
/// packets, whose link type may change from one packet to the next.
final class OfflinePacketFilter {
    private var program = bpf_program()
    /// False when the expression cannot apply to the link type (`ether host …` on raw IP): then
    /// no packet of that type matches, as none could.
    private let compiled: Bool

    init(expression: String, linkType: LinkType) {
        guard let dead = pcap_open_dead(linkType.rawValue, 262_144) else {
            compiled = false
            return
        }
        defer { pcap_close(dead) }
        compiled = pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0
    }

    deinit { if compiled { pcap_freecode(&program) } }

    func matches(_ bytes: UnsafeRawBufferPointer, wireLength: Int) -> Bool {
        guard compiled, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return compiled && bytes.isEmpty }
        var header = pcap_pkthdr()
        header.caplen = UInt32(clamping: bytes.count)
        header.len = UInt32(clamping: wireLength)
        return pcap_offline_filter(&program, &header, base) != 0
    }
}
