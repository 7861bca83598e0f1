import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Minimal POSIX sockets on 127.0.0.1 for the live recording test (copied from CaptureTests):
/// the test sends only to a port it bound itself.
enum LoopbackSockets {
    static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A socket bound to 127.0.0.1 on a port the kernel picks; returns (descriptor, port).
    static func bind(type: Int32) throws -> (Int32, UInt16) {
        let descriptor = socket(AF_INET, type, 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    /// One UDP socket for all datagrams, so they form one flow (one source port).
    final class UDPSender {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        deinit { close(descriptor) }

        func send(_ payload: [UInt8], to port: UInt16) {
            var address = loopbackAddress(port: port)
            _ = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }
}
