import CScan
import Foundation
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// A host found on the local network.
public struct DiscoveredHost: Hashable, Sendable {
    public enum Source: String, Codable, Sendable, Comparable {
        case arp, icmp, neighbour
        public static func < (lhs: Source, rhs: Source) -> Bool { lhs.rawValue < rhs.rawValue }
    }
    public var address: IPAddress
    public var mac: MACAddress?
    public var name: String?
    /// Fastest answer to our ARP request or echo, milliseconds.
    public var rttMilliseconds: Double?
    /// How the host was seen.
    public var sources: Set<Source>
}

/// How a LAN discovery runs. Each address gets `tries` ARP requests and echo requests at most
/// (later rounds only for addresses that have not answered), frames go out at no more than
/// `framesPerSecond`, and each round ends `replyWaitMilliseconds` after its last frame.
public struct DiscoveryOptions: Sendable {
    public var framesPerSecond: Int = 2000
    public var tries: Int = 2
    public var replyWaitMilliseconds: Int = 250
    public var arp = true
    public var icmp = true
    public var neighbourTable = true
    public var reverseDNS = true
    /// Sweeping more than a /16 (65,536 addresses) needs this set.
    public var allowLargerThanSlash16 = false

    public init() {}
}

/// The outcome, with what could not be used (for the missing-capability message).
public struct DiscoveryResult: Sendable {
    public var interface: InterfaceAddress
    public var hosts: [DiscoveredHost]
    public var elapsedSeconds: Double
    /// Messages about methods that were skipped (e.g. ARP without CAP_NET_RAW).
    public var warnings: [String]
}

/// ARP sweep (AF_PACKET), ICMP echo (ping sockets, raw sockets as a fallback) and the kernel's
/// neighbour table for an interface's IPv4 subnet, all in the calling thread's network namespace.
public final class LanDiscovery: Sendable {
    public let interfaceName: String
    public let options: DiscoveryOptions
    private let cancelled = Synchronization.Atomic<Bool>(false)

    public init(interface: String, options: DiscoveryOptions = DiscoveryOptions()) {
        interfaceName = interface
        self.options = options
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public func run() throws -> DiscoveryResult {
        let started = monotonicNanoseconds()
        let interface = try InterfaceAddress.lookup(interfaceName)
        if interface.prefixLength < 16 && !options.allowLargerThanSlash16 {
            throw ScanError("\(interface.name)'s subnet \(interface.address)/\(interface.prefixLength) holds \(1 << (32 - interface.prefixLength)) addresses; sweeps larger than a /16 need --allow-large (they take long and flood the network).")
        }
        let targets = interface.sweepAddresses
        var index: [IPAddress: Int] = [:]
        for (position, address) in targets.enumerated() { index[address] = position }
        var warnings: [String] = []
        var found: [IPAddress: DiscoveredHost] = [:]

        var arpSocket: Int32 = -1
        if options.arp {
            arpSocket = Self.openARPSocket(interface)
            if arpSocket < 0 {
                warnings.append(errno == EPERM || errno == EACCES
                    ? "ARP sweep skipped: it needs the CAP_NET_RAW capability. Grant it with `\(CapabilityHint.setcap())` or run with sudo."
                    : "ARP sweep skipped: cannot open a packet socket on \(interface.name): \(String(cString: strerror(errno))).")
            }
        }
        defer { if arpSocket >= 0 { close(arpSocket) } }
        var icmp: EchoSocket?
        if options.icmp {
            do { icmp = try EchoSocket() } catch { warnings.append("\(error)") }
        }
        defer { icmp?.close() }

        var sentAt = [UInt64](repeating: 0, count: targets.count)
        var answered = [Bool](repeating: false, count: targets.count)
        let interval = UInt64(1_000_000_000 / max(1, options.framesPerSecond))
        var buffer = [UInt8](repeating: 0, count: 2048)
        let identifier = UInt16(truncatingIfNeeded: getpid())

        func note(_ address: IPAddress, mac: MACAddress?, source: DiscoveredHost.Source, at time: UInt64) {
            guard let position = index[address] else { return }
            answered[position] = true
            let rtt = sentAt[position] > 0 && time > sentAt[position] ? Double(time - sentAt[position]) / 1e6 : nil
            var host = found[address] ?? DiscoveredHost(address: address, mac: nil, name: nil, rttMilliseconds: nil, sources: [])
            if let mac { host.mac = mac }
            if let rtt { host.rttMilliseconds = min(host.rttMilliseconds ?? rtt, rtt) }
            host.sources.insert(source)
            found[address] = host
        }

        func drain(until deadline: UInt64) {
            var descriptors: [pollfd] = []
            if arpSocket >= 0 { descriptors.append(pollfd(fd: arpSocket, events: Int16(POLLIN), revents: 0)) }
            if let icmp { descriptors.append(pollfd(fd: icmp.descriptor, events: Int16(POLLIN), revents: 0)) }
            guard !descriptors.isEmpty else { return }
            while !cancelled.load(ordering: .relaxed) {
                let now = monotonicNanoseconds()
                let waitMilliseconds = deadline > now ? Int32((deadline - now + 999_999) / 1_000_000) : 0
                let ready = poll(&descriptors, nfds_t(descriptors.count), waitMilliseconds)
                if ready <= 0 { if monotonicNanoseconds() >= deadline { return } else { continue } }
                for slot in descriptors.indices where descriptors[slot].revents & Int16(POLLIN) != 0 {
                    let descriptor = descriptors[slot].fd
                    while true {
                        if descriptor == arpSocket {
                            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                            guard count > 0 else { break }
                            if let (address, mac) = ARPFrame.reply(buffer[0..<count], to: interface) {
                                note(address, mac: mac, source: .arp, at: monotonicNanoseconds())
                            }
                        } else if let icmp, let address = icmp.receiveReply(identifier: identifier, buffer: &buffer) {
                            note(address, mac: nil, source: .icmp, at: monotonicNanoseconds())
                        } else {
                            break
                        }
                    }
                }
                if monotonicNanoseconds() >= deadline { return }
            }
        }

        if arpSocket >= 0 || icmp != nil {
            for _ in 0..<max(1, options.tries) where !cancelled.load(ordering: .relaxed) {
                var next = monotonicNanoseconds()
                for position in targets.indices where !answered[position] {
                    if cancelled.load(ordering: .relaxed) { break }
                    // Read replies while pacing, so a full socket buffer never drops them.
                    drain(until: next)
                    let address = targets[position]
                    let now = monotonicNanoseconds()
                    if sentAt[position] == 0 { sentAt[position] = now }
                    if arpSocket >= 0 {
                        let frame = ARPFrame.request(for: address, from: interface)
                        _ = frame.withUnsafeBytes { send(arpSocket, $0.baseAddress, $0.count, 0) }
                    }
                    icmp?.sendEcho(to: address, identifier: identifier, sequence: UInt16(truncatingIfNeeded: position))
                    next = max(next, now) + interval * (arpSocket >= 0 && icmp != nil ? 2 : 1)
                }
                drain(until: monotonicNanoseconds() + UInt64(options.replyWaitMilliseconds) * 1_000_000)
                if answered.allSatisfy({ $0 }) { break }
            }
        }

        if options.neighbourTable {
            for (address, mac) in NeighbourTable.read(interface: interface.name) where index[address] != nil {
                var host = found[address] ?? DiscoveredHost(address: address, mac: nil, name: nil, rttMilliseconds: nil, sources: [])
                if host.mac == nil { host.mac = mac }
                host.sources.insert(.neighbour)
                found[address] = host
            }
        }
        var hosts = found.values.sorted { $0.address < $1.address }
        if options.reverseDNS {
            let names = ReverseDNS.lookup(hosts.map(\.address), budgetSeconds: 2)
            for position in hosts.indices { hosts[position].name = names[hosts[position].address] }
        }
        return DiscoveryResult(interface: interface, hosts: hosts, elapsedSeconds: Double(monotonicNanoseconds() - started) / 1e9, warnings: warnings)
    }

    static func openARPSocket(_ interface: InterfaceAddress) -> Int32 {
        let protocolARP = UInt16(0x0806)
        let descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(protocolARP.bigEndian))
        guard descriptor >= 0 else { return -1 }
        var link = sockaddr_ll()
        link.sll_family = UInt16(AF_PACKET)
        link.sll_protocol = protocolARP.bigEndian
        link.sll_ifindex = interface.index
        let bound = withUnsafePointer(to: &link) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
        }
        guard bound == 0 else {
            let saved = errno
            close(descriptor)
            errno = saved
            return -1
        }
        // Room for the replies of a /16 arriving while requests still go out.
        var size: Int32 = 4 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
    }
}

import Synchronization

/// Ethernet ARP frames: who-has requests out, is-at replies in.
enum ARPFrame {
    static func request(for target: IPAddress, from interface: InterfaceAddress) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 60)
        let mac = (0..<6).map { UInt8(truncatingIfNeeded: interface.mac.value >> (40 - 8 * UInt64($0))) }
        for i in 0..<6 { frame[i] = 0xFF; frame[6 + i] = mac[i] }
        frame[12] = 0x08; frame[13] = 0x06
        frame[14] = 0x00; frame[15] = 0x01          // hardware type: Ethernet
        frame[16] = 0x08; frame[17] = 0x00          // protocol type: IPv4
        frame[18] = 6; frame[19] = 4
        frame[20] = 0x00; frame[21] = 0x01          // request
        for i in 0..<6 { frame[22 + i] = mac[i] }
        let source = interface.address.ipv4Value, wanted = target.ipv4Value
        for i in 0..<4 {
            frame[28 + i] = UInt8(truncatingIfNeeded: source >> (24 - 8 * UInt32(i)))
            frame[38 + i] = UInt8(truncatingIfNeeded: wanted >> (24 - 8 * UInt32(i)))
        }
        return frame
    }

    /// The sender of an ARP reply addressed to this interface; nil for anything else.
    static func reply(_ frame: ArraySlice<UInt8>, to interface: InterfaceAddress) -> (IPAddress, MACAddress)? {
        let bytes = Array(frame)
        guard bytes.count >= 42, bytes[12] == 0x08, bytes[13] == 0x06, bytes[20] == 0, bytes[21] == 2,
              bytes[18] == 6, bytes[19] == 4 else { return nil }
        let sender = MACAddress(Array(bytes[22..<28]))
        let senderIP = IPAddress(bytes[28], bytes[29], bytes[30], bytes[31])
        let targetIP = IPAddress(bytes[38], bytes[39], bytes[40], bytes[41])
        guard targetIP == interface.address, !sender.isMulticast, sender != .zero else { return nil }
        return (senderIP, sender)
    }
}
