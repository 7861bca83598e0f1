import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Minimal POSIX sockets on 127.0.0.1 for the tests that capture live traffic: they talk only
/// to listeners they opened themselves (the network rule). Shared by every test target.
public enum LoopbackSockets {
    public static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A socket bound to 127.0.0.1 on a port the kernel picks; returns (descriptor, port).
    public static func bind(type: Int32) throws -> (Int32, UInt16) {
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
    public final class UDPSender {
        public let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        public init() {}
        deinit { close(descriptor) }

        public func send(_ payload: [UInt8], to port: UInt16) {
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

    /// Connects, sends `payload`, half-closes and waits for the server's close: a clean
    /// SYN / SYN-ACK / ACK … FIN / FIN exchange.
    public static func tcpExchange(port: UInt16, payload: [UInt8]) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.init(rawValue: errno) ?? .ECONNREFUSED) }
        _ = payload.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        shutdown(descriptor, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 64)
        while recv(descriptor, &buffer, buffer.count, 0) > 0 {}
    }

    /// Accepts `count` connections on `listener`, reads each to end-of-stream, then closes it.
    public static func serve(listener: Int32, count: Int) -> Thread {
        let thread = Thread {
            for _ in 0..<count {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 256)
                while recv(client, &buffer, buffer.count, 0) > 0 {}
                close(client)
            }
        }
        thread.start()
        return thread
    }
}
