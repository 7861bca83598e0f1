import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts each command as a child process with an argument array (no shell), feeding its
/// standard input from a thread of its own and reading both output pipes concurrently, so a
/// 20,000-element script cannot deadlock on a full pipe.
public struct ProcessCommandRunner: CommandRunner {
    /// Put in front of every command, e.g. `["ip", "netns", "exec", "test-a"]`.
    public var prefix: [String]
    /// Where programs are looked up, in order.
    public var searchPath: [String]

    public init(prefix: [String] = [], searchPath: [String] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]) {
        self.prefix = prefix
        self.searchPath = searchPath
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        // A fixed, minimal environment: nothing the caller's environment holds changes what runs.
        process.environment = ["PATH": searchPath.joined(separator: ":"), "LC_ALL": "C"]
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let input = command.standardInput.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let readers = DispatchGroup()
        let collected = Collected()
        if let input, let text = command.standardInput {
            Self.ignoreBrokenPipes
            let handle = input.fileHandleForWriting
            Thread.detachNewThread {
                // Raw writes: a program that exits before reading its input (a failed `ip netns
                // exec`) gives EPIPE here, which ends the write instead of the process.
                var bytes = Array(text.utf8)[...]
                let descriptor = handle.fileDescriptor
                while !bytes.isEmpty {
                    let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { break }
                    bytes = bytes.dropFirst(written)
                }
                try? handle.close()
            }
        }
        readers.enter()
        Thread.detachNewThread {
            collected.error = error.fileHandleForReading.readDataToEndOfFile()
            readers.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        readers.wait()
        finished.wait()
        return CommandResult(status: process.terminationStatus,
                             standardOutput: String(decoding: outputData, as: UTF8.self),
                             standardError: String(decoding: collected.error, as: UTF8.self))
    }

    /// SIGPIPE would kill the whole program when a child closes its input early; ignored once,
    /// writes to a closed pipe fail with EPIPE instead (as servers and shells do it).
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

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

private final class Collected: @unchecked Sendable {
    var error = Data()
}
