import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Outside references (tcpdump, tshark, capinfos) for tests that check our results against them.
public enum ExternalTools {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The path of `tool`, installing its Debian `package` first when it is missing and we are
    /// root (as the Makefile's `deps` does). Throws `Missing` when it cannot be had.
    public static func require(_ tool: String, package: String) throws -> String {
        for folder in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(tool)") {
            return "\(folder)/\(tool)"
        }
        if getuid() == 0 {
            var environment = ProcessInfo.processInfo.environment
            environment["DEBIAN_FRONTEND"] = "noninteractive"
            _ = try? run("/usr/bin/apt-get", ["install", "-y", "-qq", package], environment: environment)
            for folder in ["/usr/bin", "/usr/sbin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(tool)") {
                return "\(folder)/\(tool)"
            }
        }
        throw Missing(description: "\(tool) is not installed; install it with `sudo apt-get install \(package)` (make test does).")
    }

    public struct Result {
        public var status: Int32
        /// True when the program was killed by a signal (a trap is SIGILL or SIGTRAP); `status` is then the signal.
        public var signaled = false
        public var standardOutput: String
        public var standardError: String
    }

    /// Runs a program to its end, reading stdout and stderr concurrently (so neither pipe fills).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        final class Collected: @unchecked Sendable { var data = Data() }
        let errorData = Collected()
        let errorRead = DispatchSemaphore(value: 0)
        Thread {
            errorData.data = error.fileHandleForReading.readDataToEndOfFile()
            errorRead.signal()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorRead.wait()
        done.wait()
        return Result(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                      standardOutput: String(decoding: outputData, as: UTF8.self),
                      standardError: String(decoding: errorData.data, as: UTF8.self))
    }
}
