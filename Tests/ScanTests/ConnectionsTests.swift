import Foundation
import NetScouterTestSupport
import Packets
@testable import Scan
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ConnectionsTests: XCTestCase {
    /// Sockets this test opens (a TCP listener and a connection to it, on 127.0.0.1 and ::1, and
    /// a UDP socket) appear with their endpoints, states and this process as owner.
    func testOwnSocketsAppearWithThisProcess() throws {
        var listeners: [Int32] = []
        var ports: [IPAddress: UInt16] = [:]
        defer { listeners.forEach { close($0) } }
        for address in [IPAddress("127.0.0.1")!, IPAddress("::1")!] {
            let listener = socket(address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            XCTAssertGreaterThanOrEqual(listener, 0)
            listeners.append(listener)
            XCTAssertEqual(SocketAddress.with(address, port: 0) { bind(listener, $0, $1) }, 0)
            XCTAssertEqual(listen(listener, 4), 0)
            ports[address] = localPort(listener)
            let client = socket(address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            listeners.append(client)
            XCTAssertEqual(SocketAddress.with(address, port: ports[address]!) { connect(client, $0, $1) }, 0)
        }
        let (udp, udpPort) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        listeners.append(udp)

        let entries = SocketTable().read()
        let executable = try XCTUnwrap(Bundle.main.executableURL).resolvingSymlinksInPath().path
        let user = SocketTable.userName(getuid())
        func assertMine(_ entry: SocketEntry?, _ what: String) {
            guard let entry else { return XCTFail("\(what) not listed") }
            XCTAssertEqual(entry.process?.pid, getpid(), what)
            XCTAssertEqual(entry.process?.executable, executable, what)
            XCTAssertEqual(entry.process?.commandLine, CommandLine.arguments, what)
            XCTAssertEqual(entry.process?.user, user, what)
        }
        for (address, port) in ports {
            let listening = entries.first { $0.transport == .tcp && $0.local == address && $0.localPort == port && $0.state == "LISTEN" }
            assertMine(listening, "listener on [\(address)]:\(port)")
            let connected = entries.first { $0.transport == .tcp && $0.remote == address && $0.remotePort == port && $0.state == "ESTABLISHED" }
            assertMine(connected, "connection to [\(address)]:\(port)")
            XCTAssertEqual(connected?.local, address)
        }
        let datagram = entries.first { $0.transport == .udp && $0.localPort == udpPort && $0.local == IPAddress("127.0.0.1")! }
        assertMine(datagram, "UDP socket on \(udpPort)")
        XCTAssertEqual(datagram?.state, "UNCONNECTED")
    }

    func testProcNetLinesParse() {
        let tcp = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0
               1: 0100007F:A2B4 0200A8C0:01BB 01 00000000:00000000 02:000A7D2C 00000000  1000        0 67890 2 0000000000000000 20 4 30 10 -1
            """
        let entries = SocketTable.parse(tcp, transport: .tcp)
        XCTAssertEqual(entries.map(\.local.description), ["127.0.0.1", "127.0.0.1"])
        XCTAssertEqual(entries.map(\.localPort), [8080, 41652])
        XCTAssertEqual(entries.map(\.remote.description), ["0.0.0.0", "192.168.0.2"])
        XCTAssertEqual(entries.map(\.remotePort), [0, 443])
        XCTAssertEqual(entries.map(\.state), ["LISTEN", "ESTABLISHED"])
        XCTAssertEqual(entries.map(\.uid), [0, 1000])
        XCTAssertEqual(entries.map(\.inode), [12345, 67890])
        let tcp6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
               1: B80D0120000000000000000001000000:0050 B80D0120000000000000000002000000:C350 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
            """
        let six = SocketTable.parse(tcp6, transport: .tcp)
        XCTAssertEqual(six.map(\.local.description), ["::1", "2001:db8::1"])
        XCTAssertEqual(six.map(\.remote.description), ["::", "2001:db8::2"])
        XCTAssertEqual(six.map(\.state), ["LISTEN", "TIME_WAIT"])
        XCTAssertEqual(six.map(\.remotePort), [0, 50000])
    }

    private func localPort(_ descriptor: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    }
}
