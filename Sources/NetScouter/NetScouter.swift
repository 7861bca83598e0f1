import ArgumentParser
import Foundation

@main
struct NetScouter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netscouter",
        abstract: "A network-security dashboard: live capture, traffic aggregates, scanning and threat intelligence.",
        discussion: """
            Live capture needs the CAP_NET_RAW capability:
              sudo setcap cap_net_raw,cap_net_admin=eip "$(command -v netscouter)"
            or run with sudo. Reading capture files needs no privileges.
            """,
        subcommands: [GUICommand.self, InterfacesCommand.self, CaptureCommand.self, ScanCommand.self, ConnectionsCommand.self, DiscoverCommand.self,
                      ExportCommand.self, ScheduleCommand.self,
                      DaemonCommand.self, ScreenshotCommand.self, IconCommand.self],
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

/// Prints an actionable error on stderr and exits non-zero (never a stack trace).
func fail(_ message: CustomStringConvertible) -> ExitCode {
    var standardError = StandardError()
    print("netscouter: \(message)", to: &standardError)
    return ExitCode(1)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
