import Foundation
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// ICMP echo over an unprivileged ping socket (SOCK_DGRAM, allowed by net.ipv4.ping_group_range),
/// or a raw socket (CAP_NET_RAW) where ping sockets are not allowed.
final class EchoSocket {
    let descriptor: Int32
    /// Raw sockets see every ICMP packet, IP header included; ping sockets only their own
    /// replies, without it (the kernel also sets the identifier and checksum).
    let isRaw: Bool

    init() throws {
        var descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
        var raw = false
        if descriptor < 0 {
            descriptor = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
            raw = true
        }
        guard descriptor >= 0 else {
            throw ScanError("ICMP echo skipped: this user may not open ping sockets (net.ipv4.ping_group_range) and raw sockets need CAP_NET_RAW. Allow ping sockets with `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`, or grant `\(CapabilityHint.setcap())`.")
        }
        self.descriptor = descriptor
        isRaw = raw
        var size: Int32 = 4 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    func close() { Glibc.close(descriptor) }

    func sendEcho(to address: IPAddress, identifier: UInt16, sequence: UInt16) {
        var packet: [UInt8] = [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xFF), UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        packet += Array("netscouter-discovery".utf8)
        let checksum = Self.checksum(packet)
        packet[2] = UInt8(checksum >> 8)
        packet[3] = UInt8(checksum & 0xFF)
        _ = SocketAddress.with(address, port: 0) { target, length in
            packet.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), target, length) }
        }
    }

    /// The source of one echo reply waiting on the socket; nil when none is (or it is not ours).
    func receiveReply(identifier: UInt16, buffer: inout [UInt8]) -> IPAddress? {
        while true {
            var source = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &length) }
            }
            guard count > 0 else { return nil }
            var offset = 0
            if isRaw {
                offset = Int(buffer[0] & 0x0F) * 4
                guard count >= offset + 8, buffer[offset + 4] == UInt8(identifier >> 8), buffer[offset + 5] == UInt8(identifier & 0xFF) else { continue }
            }
            guard count >= offset + 8, buffer[offset] == 0 else { continue }
            return withUnsafePointer(to: &source) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress.ipAddress($0) } }
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count { sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1]); index += 2 }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

/// The kernel's IPv4 neighbour (ARP) table, read with a netlink RTM_GETNEIGH dump. (/proc/net/arp
/// was measured to leave out complete entries while a sweep's incomplete ones come and go.)
public enum NeighbourTable {
    /// Entries of `interface` with a link-layer address (reachable, stale, delay, probe,
    /// permanent), in the calling thread's network namespace.
    public static func read(interface: String) -> [(IPAddress, MACAddress)] {
        let wantedIndex = Int32(if_nametoindex(interface))
        guard wantedIndex > 0 else { return [] }
        let descriptor = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        // nlmsghdr (16 bytes) + ndmsg (12 bytes): RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, AF_INET.
        var request = [UInt8](repeating: 0, count: 28)
        store(UInt32(28), at: 0, in: &request)
        store(UInt16(30), at: 4, in: &request)
        store(UInt16(0x301), at: 6, in: &request)
        store(UInt32(1), at: 8, in: &request)
        request[16] = UInt8(AF_INET)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == 28 else { return [] }
        var entries: [(IPAddress, MACAddress)] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return entries }
            var offset = 0
            while offset + 16 <= count {
                let length = Int(load(UInt32.self, at: offset, in: buffer))
                let type = load(UInt16.self, at: offset + 4, in: buffer)
                guard length >= 16, offset + length <= count else { return entries }
                if type == 3 /* NLMSG_DONE */ || type == 2 /* NLMSG_ERROR */ { return entries }
                if type == 28 /* RTM_NEWNEIGH */, length >= 28 {
                    let index = Int32(bitPattern: load(UInt32.self, at: offset + 20, in: buffer))
                    let state = load(UInt16.self, at: offset + 24, in: buffer)
                    var address: IPAddress?, mac: MACAddress?
                    var attribute = offset + 28
                    while attribute + 4 <= offset + length {
                        let attributeLength = Int(load(UInt16.self, at: attribute, in: buffer))
                        let attributeType = load(UInt16.self, at: attribute + 2, in: buffer)
                        guard attributeLength >= 4, attribute + attributeLength <= offset + length else { break }
                        if attributeType == 1 /* NDA_DST */, attributeLength == 8 {
                            address = IPAddress(buffer[attribute + 4], buffer[attribute + 5], buffer[attribute + 6], buffer[attribute + 7])
                        } else if attributeType == 2 /* NDA_LLADDR */, attributeLength == 10 {
                            mac = MACAddress(Array(buffer[(attribute + 4)..<(attribute + 10)]))
                        }
                        attribute += (attributeLength + 3) & ~3
                    }
                    let complete: UInt16 = 0x02 | 0x04 | 0x08 | 0x10 | 0x80
                    if index == wantedIndex, state & complete != 0, let address, let mac, mac != .zero {
                        entries.append((address, mac))
                    }
                }
                offset += (length + 3) & ~3
            }
        }
    }

    private static func store<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { for (i, byte) in $0.enumerated() { bytes[offset + i] = byte } }
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, in bytes: [UInt8]) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

/// Reverse DNS (PTR) names, looked up in parallel within a time budget: a slow resolver costs at
/// most the budget, and names it has not found by then stay empty.
///
/// The lookups run on threads of their own, not on Dispatch's pool: a thread inherits its
/// creator's network namespace, so a pool worker spawned from a namespaced discovery would stay
/// in that namespace and later run unrelated work there (tests saw 127.0.0.1 servers vanish).
public enum ReverseDNS {
    public static func lookup(_ addresses: [IPAddress], budgetSeconds: Double) -> [IPAddress: String] {
        final class Work: @unchecked Sendable {
            let lock = NSLock()
            var names: [IPAddress: String] = [:]
            var next = 0
            let addresses: [IPAddress]
            init(_ addresses: [IPAddress]) { self.addresses = addresses }
            func take() -> IPAddress? {
                lock.lock(); defer { lock.unlock() }
                guard next < addresses.count else { return nil }
                next += 1
                return addresses[next - 1]
            }
        }
        let work = Work(addresses)
        let group = DispatchGroup()
        for _ in 0..<min(16, addresses.count) {
            group.enter()
            Thread {
                defer { group.leave() }
                while let address = work.take() {
                    var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    let status = SocketAddress.with(address, port: 0) { target, length in
                        getnameinfo(target, length, &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                    }
                    guard status == 0 else { continue }
                    let name = String(cString: host)
                    work.lock.lock(); work.names[address] = name; work.lock.unlock()
                }
            }.start()
        }
        _ = group.wait(timeout: .now() + budgetSeconds)
        work.lock.lock(); defer { work.lock.unlock() }
        return work.names
    }
}
