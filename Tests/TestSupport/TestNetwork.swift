import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and waits for it (terminationHandler + semaphore: `waitUntilExit` costs about
/// 50 ms per child on Linux). Both pipes are read concurrently so neither can fill and block.
public enum Command {
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try locate(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = input.map { _ in Pipe() }
        if let inputPipe { process.standardInput = inputPipe } else { process.standardInput = FileHandle.nullDevice }
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if let inputPipe, let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inputPipe.fileHandleForWriting.close()
        }
        final class Collected: @unchecked Sendable { var data = Data() }
        let errorData = Collected()
        let readerDone = DispatchSemaphore(value: 0)
        Thread { errorData.data = error.fileHandleForReading.readDataToEndOfFile(); readerDone.signal() }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        readerDone.wait()
        finished.wait()
        return Output(status: process.terminationStatus,
                      standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData.data, as: UTF8.self))
    }

    /// Like `run`, but a non-zero exit is an error that quotes the command and its stderr.
    @discardableResult
    public static func check(_ arguments: [String], input: String? = nil) throws -> Output {
        let result = try run(arguments, input: input)
        guard result.status == 0 else {
            throw TestNetworkError("`\(arguments.joined(separator: " "))` exited \(result.status): \(result.standardError)")
        }
        return result
    }

    public static func locate(_ program: String) throws -> String {
        if program.hasPrefix("/") { return program }
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestNetworkError("\(program) is not installed (apt-get install it; the Makefile lists it in DEBIAN_PACKAGES).")
    }
}

public struct TestNetworkError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Network namespaces a test creates for itself and deletes when done (`remove()`, also from
/// `deinit`), so traffic and firewall rules never touch the machine's own interfaces.
///
/// Names are unique per process and instance; interface names stay under Linux's 15 characters.
public final class TestNetwork: @unchecked Sendable {
    public let tag: String
    public private(set) var namespaces: [String] = []
    nonisolated(unsafe) private static var counter = 0

    /// Skips (throws) when `ip netns` is unavailable or not permitted (needs root).
    public init() throws {
        Self.counter += 1
        tag = "ns\(getpid() % 100_000)x\(Self.counter)"
        guard getuid() == 0 else { throw TestNetworkError("network namespaces need root") }
        _ = try Command.locate("ip")
    }

    deinit { remove() }

    /// Creates namespace `<tag>-<name>` with its loopback up and unprivileged ICMP sockets allowed
    /// (a new namespace starts with ping_group_range "1 0": ping sockets fail with EACCES).
    @discardableResult
    public func add(_ name: String) throws -> String {
        let full = "\(tag)-\(name)"
        try Command.check(["ip", "netns", "add", full])
        namespaces.append(full)
        try Command.check(["ip", "-n", full, "link", "set", "lo", "up"])
        // No duplicate address detection: test addresses are unique and usable at once.
        try Command.check(["ip", "netns", "exec", full, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647",
                           "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"])
        return full
    }

    /// A veth pair: `left` in namespace `leftNamespace`, `right` in `rightNamespace`, both up.
    /// Addresses are CIDR strings (`10.9.0.1/24`, `fd00::1/64`); IPv6 duplicate detection is off
    /// so addresses are usable at once.
    public func veth(_ left: String, in leftNamespace: String, addresses leftAddresses: [String] = [], mac leftMAC: String? = nil,
                     _ right: String, in rightNamespace: String, addresses rightAddresses: [String] = [], mac rightMAC: String? = nil) throws {
        try Command.check(["ip", "-n", leftNamespace, "link", "add", left, "type", "veth", "peer", "name", right, "netns", rightNamespace])
        for (namespace, interface, addresses, mac) in [(leftNamespace, left, leftAddresses, leftMAC), (rightNamespace, right, rightAddresses, rightMAC)] {
            if let mac { try Command.check(["ip", "-n", namespace, "link", "set", interface, "address", mac]) }
            for address in addresses {
                try Command.check(["ip", "-n", namespace, "address", "add", address, "dev", interface] + (address.contains(":") ? ["nodad"] : []))
            }
            try Command.check(["ip", "-n", namespace, "link", "set", interface, "up"])
        }
    }

    /// A bridge `name` (up) in `namespace`; `attach` puts interfaces of that namespace on it.
    public func bridge(_ name: String, in namespace: String, attach interfaces: [String]) throws {
        try Command.check(["ip", "-n", namespace, "link", "add", name, "type", "bridge"])
        try Command.check(["ip", "-n", namespace, "link", "set", name, "up"])
        for interface in interfaces {
            try Command.check(["ip", "-n", namespace, "link", "set", interface, "master", name])
        }
    }

    /// Waits (up to 5 s) until `address` answers a ping from `namespace`: a fresh veth link
    /// needs a moment before IPv6 neighbour discovery succeeds.
    public func waitUntilReachable(_ address: String, from namespace: String) throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try Command.run(["ip", "netns", "exec", namespace, "ping", "-c", "1", "-W", "1", "-i", "0.2", address]).status == 0 { return }
            usleep(100_000)
        }
        throw TestNetworkError("\(address) is not reachable from namespace \(namespace) after 5 s")
    }

    /// Loads an nftables ruleset into `namespace` (`nft -f -`).
    public func nft(_ ruleset: String, in namespace: String) throws {
        try Command.check(["ip", "netns", "exec", namespace, "nft", "-f", "-"], input: ruleset)
    }

    /// Deletes every namespace this instance created (their veths and rules go with them).
    /// Drops the opening SYNs to `ports` ("1000-65535") in `namespace`: connect scans of those
    /// ports time out as filtered. Only opening SYNs, because on loopback the answers go to the
    /// scanner's own high ephemeral ports, and a plain dport rule would drop those resets too.
    public func dropOpeningSYNs(toPorts ports: String, in namespace: String) throws {
        try nft("""
            table inet t {
                chain input {
                    type filter hook input priority 0;
                    tcp flags & (syn | ack) == syn tcp dport \(ports) drop
                }
            }
            """, in: namespace)
    }

    public func remove() {
        for namespace in namespaces.reversed() {
            _ = try? Command.run(["ip", "netns", "del", namespace])
        }
        namespaces.removeAll()
    }
}
