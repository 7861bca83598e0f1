import Foundation
import NetScouterTestSupport
import Packets
import Scan
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener made inside a test namespace. Connections are accepted and, when a banner is
/// given, sent it before closing; otherwise the kernel's backlog completes handshakes on its own.
final class TestListener: @unchecked Sendable {
    let descriptor: Int32
    let port: UInt16
    private var acceptor: Thread?

    init(namespace: String, address: IPAddress, port: UInt16, banner: [UInt8]? = nil) throws {
        let descriptor = try NetworkNamespace.run(in: namespace) { () throws -> Int32 in
            let family = address.isIPv4 ? AF_INET : AF_INET6
            let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw TestNetworkError("socket: \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if !address.isIPv4 { setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
            let bound = SocketAddress.with(address, port: port) { bind(descriptor, $0, $1) }
            guard bound == 0, listen(descriptor, 512) == 0 else {
                let message = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw TestNetworkError("listen on [\(address)]:\(port): \(message)")
            }
            return descriptor
        }
        self.descriptor = descriptor
        self.port = port
        if let banner {
            let thread = Thread {
                while true {
                    let client = accept(descriptor, nil, nil)
                    guard client >= 0 else { return }
                    _ = banner.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    usleep(200_000)
                    Glibc.close(client)
                }
            }
            thread.start()
            acceptor = thread
        }
    }

    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }
}

extension PortScanSummary {
    func ports(_ state: PortState, host: IPAddress) -> [UInt16] {
        results.filter { $0.state == state && $0.host.address == host }.map(\.port).sorted()
    }
}
