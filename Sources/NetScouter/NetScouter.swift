import ArgumentParser
import Foundation
import Packets

@main
struct NetScouter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netscouter",
        abstract: "A network-security dashboard: live capture, traffic aggregates, scanning and threat intelligence.",
        discussion: """
            Live capture needs the CAP_NET_RAW capability:
              \(CapabilityHint.setcap())
            or run with sudo. Reading capture files needs no privileges.

            Exit status: 0 success; 1 an error (stderr says what and what to do); 3 a capture
            file (--read) was damaged or truncated part-way: the output covers the packets before
            the damage (JSON: "complete": false and "error") and stderr says where reading stopped;
            64 invalid command-line usage.
            """,
        subcommands: [GUICommand.self, InterfacesCommand.self, CaptureCommand.self, ScanCommand.self, ConnectionsCommand.self, DiscoverCommand.self,
                      ExportCommand.self, ScheduleCommand.self, BlockCommand.self, UnblockCommand.self, BlocksCommand.self, AllowlistCommand.self,
                      DaemonCommand.self, IntelCommand.self, LookupMACCommand.self, IoTCommand.self, ScreenshotCommand.self, IconCommand.self],
        defaultSubcommand: GUICommand.self
    )

    /// ArgumentParser's own `main`, plus the check that standard output was really written.
    static func main() {
        StandardOutputCheck.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            StandardOutputCheck.exitStatus = exitCode(for: error).rawValue
            exit(withError: error)
        }
    }
}

/// Exit statuses a script can tell apart (documented in the README and in `--help`).
enum ExitStatus {
    /// Everything went wrong that is not listed below (a message on stderr says what).
    static let failure: Int32 = 1
    /// A capture file could not be read to its end: the output covers the packets before the
    /// damage (JSON: `"complete": false` and `"error"`), and stderr says where and why.
    static let partialFile: Int32 = 3
}

/// Prints an actionable error on stderr and exits non-zero (never a stack trace).
func fail(_ message: CustomStringConvertible) -> ExitCode {
    var standardError = StandardError()
    print("netscouter: \(message)", to: &standardError)
    return ExitCode(ExitStatus.failure)
}

/// Reports that a capture file was read only in part (after the output was written) and returns
/// the exit status that says so.
func partialFileExit(_ error: CustomStringConvertible) -> ExitCode {
    var standardError = StandardError()
    print("netscouter: warning: \(error)", to: &standardError)
    return ExitCode(ExitStatus.partialFile)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
