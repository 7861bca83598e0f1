import Firewall
import Foundation
import NetScouterTestSupport
import Packets
import Scan
import Store
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Two hosts in network namespaces this test creates: A (10.213.0.1, fd13::1) runs the firewall,
/// B (10.213.0.2, fd13::2) pings and connects to it over a veth pair. Every nft command runs
/// inside A through `ip netns exec`; the host's own ruleset is never touched. Deleted on `remove()`.
final class FirewallLab: @unchecked Sendable {
    let network: TestNetwork
    let a: String
    let b: String
    let directory: URL
    private(set) var database: NetScouterDatabase
    static let addressA = "10.213.0.1", addressB = "10.213.0.2"
    static let addressA6 = "fd13::1", addressB6 = "fd13::2"
    private var listeners: [Int32] = []

    init() throws {
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        guard ProcessCommandRunner().locate("nft") != nil else { throw XCTSkip("nft is not installed (apt-get install nftables; make test does).") }
        a = try network.add("fwa")
        b = try network.add("fwb")
        try network.veth("\(network.tag)a", in: a, addresses: ["\(Self.addressA)/24", "\(Self.addressA6)/64"],
                         "\(network.tag)b", in: b, addresses: ["\(Self.addressB)/24", "\(Self.addressB6)/64"])
        try network.waitUntilReachable(Self.addressA, from: b)
        try network.waitUntilReachable(Self.addressA6, from: b)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-firewall-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try NetScouterDatabase(directory: directory)
    }

    func remove() {
        for descriptor in listeners { shutdown(descriptor, Int32(SHUT_RDWR)); close(descriptor) }
        listeners.removeAll()
        network.remove()
        try? database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    var runnerA: ProcessCommandRunner { .inNamespace(a) }

    /// A ban service as a fresh process would make it: nftables in namespace A, A's own facts.
    func service(action: BlockAction = .drop, clock: @escaping @Sendable () -> Date = { Date() }) -> FirewallService {
        let runner = runnerA
        return FirewallService(backend: NftablesBackend(action: action, runner: runner), database: database,
                               facts: { try HostFacts.gather(runner: runner) }, clock: clock, privilegeCheck: {})
    }

    /// The same on the iptables + ipset fallback; skips the test when either tool is missing.
    func ipsetService(action: BlockAction = .drop, clock: @escaping @Sendable () -> Date = { Date() }) throws -> FirewallService {
        for (tool, package) in [("ipset", "ipset"), ("iptables", "iptables")] {
            do { _ = try ExternalTools.require(tool, package: package) } catch { throw XCTSkip("\(error)") }
        }
        let runner = runnerA
        return FirewallService(backend: IptablesIpsetBackend(action: action, runner: runner), database: database,
                               facts: { try HostFacts.gather(runner: runner) }, clock: clock, privilegeCheck: {})
    }

    /// A new database connection on the same file: what a restarted process opens.
    func reopenDatabase() throws {
        try database.close()
        database = try NetScouterDatabase(directory: directory)
    }

    /// One echo request from B to `address`, 1 s timeout.
    func pings(_ address: String) throws -> Bool {
        try Command.run(["ip", "netns", "exec", b, "ping", "-c", "1", "-W", "1", address]).status == 0
    }

    enum Connection: Equatable { case established, refused, timedOut }

    /// A TCP handshake from B to `address`:`port` within 1 s.
    func connect(_ address: String, port: UInt16) throws -> Connection {
        let script = """
            import socket,sys
            try:
                socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()
            except ConnectionRefusedError:
                sys.exit(2)
            except OSError:
                sys.exit(1)
            """
        switch try Command.run(["ip", "netns", "exec", b, "python3", "-c", script, address, String(port)]).status {
        case 0: return .established
        case 2: return .refused
        default: return .timedOut
        }
    }

    func connects(_ address: String, port: UInt16) throws -> Bool {
        try connect(address, port: port) == .established
    }

    /// A listener in A; the kernel's backlog completes handshakes without accepting.
    func listen(_ address: String, port: UInt16) throws {
        let parsed = IPAddress(address)!
        let descriptor = try NetworkNamespace.run(in: a) { () throws -> Int32 in
            let descriptor = socket(parsed.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = SocketAddress.with(parsed, port: port) { bind(descriptor, $0, $1) }
            guard descriptor >= 0, bound == 0, Glibc.listen(descriptor, 64) == 0 else {
                throw TestNetworkError("listen on [\(address)]:\(port): \(String(cString: strerror(errno)))")
            }
            return descriptor
        }
        listeners.append(descriptor)
    }

    /// The kernel's view of our table in A.
    func kernelBans() throws -> [BlockTarget: KernelBan] {
        Dictionary(try NftablesBackend(runner: runnerA).list().map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// As after a reboot: the kernel forgot every rule (only our table, only in A).
    func dropKernelTable() throws {
        try Command.check(["ip", "netns", "exec", a, "nft", "delete", "table", "inet", "netscouter"])
    }

    func audit() throws -> [AuditEvent] { try AuditLog(database: database).recent() }
}

/// Counts what reaches the process runner, so tests can prove nothing did.
final class CountingRunner: CommandRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var commands: [FirewallCommand] = []
    let inner: (any CommandRunner)?

    init(inner: (any CommandRunner)? = nil) { self.inner = inner }

    var ran: [FirewallCommand] { lock.lock(); defer { lock.unlock() }; return commands }

    func run(_ command: FirewallCommand) throws -> CommandResult {
        lock.lock(); commands.append(command); lock.unlock()
        guard let inner else { throw FirewallError.other("no backend may run in this test: \(command)") }
        return try inner.run(command)
    }
}

func temporaryDatabase() throws -> (NetScouterDatabase, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-firewall-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (try NetScouterDatabase(directory: directory), directory)
}
