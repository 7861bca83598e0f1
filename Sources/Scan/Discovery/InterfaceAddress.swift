import CScan
import Foundation
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// An interface's IPv4 subnet and link-layer address, as the discovery sweep needs them.
public struct InterfaceAddress: Sendable, Equatable {
    public var name: String
    public var index: Int32
    public var mac: MACAddress
    public var address: IPAddress
    public var prefixLength: Int

    /// Every address of the subnet a sweep asks about: all but the network and broadcast
    /// addresses (a /31 or /32 keeps its one or two) and the interface's own address.
    public var sweepAddresses: [IPAddress] {
        let hostBits = 32 - prefixLength
        let network = hostBits == 32 ? 0 : address.ipv4Value & ~UInt32((UInt64(1) << UInt64(hostBits)) - 1)
        let count = UInt64(1) << UInt64(hostBits)
        let range: Range<UInt64> = hostBits >= 2 ? 1..<(count - 1) : 0..<count
        return range.map { IPAddress(ipv4: network &+ UInt32($0)) }.filter { $0 != address }
    }

    /// Every interface with an IPv4 address (the ones a sweep can cover), in getifaddrs order
    /// (in the calling thread's network namespace).
    public static func all() throws -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { throw ScanError("Cannot list the network interfaces: \(String(cString: strerror(errno))).") }
        var names: [String] = []
        var entry = list
        while let current = entry {
            entry = current.pointee.ifa_next
            let name = String(cString: current.pointee.ifa_name)
            if current.pointee.ifa_addr?.pointee.sa_family == sa_family_t(AF_INET), !names.contains(name) { names.append(name) }
        }
        freeifaddrs(list)
        // An interface that went away between the two reads is simply not listed.
        return names.compactMap { try? lookup($0) }
    }

    /// Looks `name` up with getifaddrs (in the calling thread's network namespace).
    public static func lookup(_ name: String) throws -> InterfaceAddress {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { throw ScanError("Cannot list the network interfaces: \(String(cString: strerror(errno))).") }
        defer { freeifaddrs(list) }
        var known: [String] = []
        var found: (IPAddress, Int)?
        var mac: MACAddress?
        var entry = list
        while let current = entry {
            entry = current.pointee.ifa_next
            let interface = String(cString: current.pointee.ifa_name)
            if !known.contains(interface) { known.append(interface) }
            guard interface == name, let socketAddress = current.pointee.ifa_addr else { continue }
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET where found == nil:
                guard let address = SocketAddress.ipAddress(socketAddress), let mask = SocketAddress.ipAddress(current.pointee.ifa_netmask) else { continue }
                found = (address, mask.ipv4Value.nonzeroBitCount)
            case AF_PACKET:
                socketAddress.withMemoryRebound(to: sockaddr_ll.self, capacity: 1) { link in
                    let length = Int(link.pointee.sll_halen)
                    if length == 6 {
                        let octets = withUnsafeBytes(of: link.pointee.sll_addr) { Array($0.prefix(6)) }
                        mac = MACAddress(octets)
                    }
                }
            default:
                break
            }
        }
        guard known.contains(name) else {
            throw ScanError("No interface \"\(name)\": choose one of \(known.joined(separator: ", ")) (`netscouter interfaces` lists them).")
        }
        guard let (address, prefix) = found else {
            throw ScanError("Interface \(name) has no IPv4 address, so there is no subnet to sweep: choose an interface with an IPv4 address.")
        }
        let index = Int32(if_nametoindex(name))
        return InterfaceAddress(name: name, index: index, mac: mac ?? .zero, address: address, prefixLength: prefix)
    }
}
