import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts each command as a child process with an argument array (no shell). posix_spawn, not
/// Foundation.Process: Process needs CoreFoundation's run-loop sockets, which cannot be made in
/// a network namespace whose loopback is down (the command then hung), and costs more per child.
public struct ProcessCommandRunner: CommandRunner {
    /// Put in front of every command, e.g. `["ip", "netns", "exec", "test-a"]`.
    public var prefix: [String]
    /// Where programs are looked up, in order.
    public var searchPath: [String]
    /// Seconds a command may take before it is stopped (SIGTERM, then SIGKILL) and reported.
    public var timeout: Double

    public init(prefix: [String] = [], searchPath: [String] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"],
                timeout: Double = 30) {
        self.prefix = prefix
        self.searchPath = searchPath
        self.timeout = timeout
    }

    /// Runs every command inside network namespace `name` (`ip netns exec`).
    public static func inNamespace(_ name: String) -> ProcessCommandRunner {
        ProcessCommandRunner(prefix: ["ip", "netns", "exec", name])
    }

    public func locate(_ program: String) -> String? {
        if program.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        return searchPath.lazy.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func run(_ command: FirewallCommand) throws -> CommandResult {
        let argv = prefix + command.argv
        guard let executable = locate(argv[0]) else {
            throw FirewallError.toolMissing(tool: argv[0], package: Self.package(for: argv[0]))
        }
        // A fixed, minimal environment: nothing the caller's environment holds changes what runs.
        return try Spawn.run(executable: executable, arguments: argv,
                             environment: ["PATH=" + searchPath.joined(separator: ":"), "LC_ALL=C"],
                             input: command.standardInput.map { Array($0.utf8) }, timeout: timeout,
                             passNetAdmin: getuid() != 0 && NetAdminCapability.isEffective(), name: command.program)
    }

    static func package(for tool: String) -> String {
        switch tool {
        case "nft": "nftables"
        case "ip": "iproute2"
        case "iptables", "ip6tables": "iptables"
        case "ipset": "ipset"
        default: tool
        }
    }
}

