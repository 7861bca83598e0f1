import Foundation

/// Windows Defender Firewall through `netsh advfirewall`: one inbound and one outbound rule per
/// target, named after it so it can be deleted by name. netsh has no timeouts: the ban
/// service's expiry sweep removes temporary bans.
public struct NetshBackend: FirewallBackend {
    public let name = "netsh"
    public let expiresEntriesItself = false
    public let runner: any CommandRunner

    public init(runner: any CommandRunner = ProcessCommandRunner()) {
        self.runner = runner
    }

    public static func ruleName(_ target: BlockTarget) -> String { "NetScouter block \(target)" }

    public func blockCommands(_ entries: [BanEntry]) -> [FirewallCommand] {
        entries.flatMap { entry in
            ["in", "out"].map { direction in
                FirewallCommand("netsh", ["advfirewall", "firewall", "add", "rule", "name=\(Self.ruleName(entry.target))",
                                          "dir=\(direction)", "action=block", "remoteip=\(entry.target)", "enable=yes"])
            }
        }
    }

    public func unblockCommands(_ targets: [BlockTarget]) -> [FirewallCommand] {
        // Without dir=, delete removes every rule of that name: both directions.
        targets.map { FirewallCommand("netsh", ["advfirewall", "firewall", "delete", "rule", "name=\(Self.ruleName($0))"]) }
    }

    public func block(_ entries: [BanEntry]) throws {
        for command in blockCommands(entries) { try runner.check(command) }
    }

    /// A rule already gone (deleted by hand, or never added) is not an error; anything else is.
    public func unblock(_ targets: [BlockTarget]) throws {
        for command in unblockCommands(targets) {
            let result = try runner.run(command)
            guard result.status != 0 else { continue }
            let output = result.standardOutput + result.standardError
            if output.contains("No rules match the specified criteria") { continue }
            throw FirewallError.commandFailed(command: command.description, status: result.status,
                                              output: output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    public func list() throws -> [KernelBan] {
        throw FirewallError.unsupported("Listing Windows firewall rules is not supported; NetScouter's own store lists the bans.")
    }

    public func status() throws -> FirewallStatus {
        throw FirewallError.unsupported("The netsh backend runs on Windows only.")
    }
}

/// macOS pf: a table `<netscouter>` in the anchor `netscouter`, loaded with block rules for
/// both directions. The main ruleset must include the anchor (`anchor "netscouter"` in
/// /etc/pf.conf). pf tables have no per-entry timeout: the expiry sweep removes entries.
public struct PfBackend: FirewallBackend {
    public static let anchor = "netscouter"
    public static let table = "netscouter"

    public let name = "pf"
    public let expiresEntriesItself = false
    public let action: BlockAction
    public let runner: any CommandRunner

    public init(action: BlockAction = .drop, runner: any CommandRunner = ProcessCommandRunner()) {
        self.action = action
        self.runner = runner
    }

    public var anchorRules: String {
        let verdict = action == .drop ? "block drop" : "block return"
        return "table <\(Self.table)> persist\n\(verdict) in quick from <\(Self.table)> to any\n\(verdict) out quick from any to <\(Self.table)>\n"
    }

    public var loadAnchorCommand: FirewallCommand {
        FirewallCommand("pfctl", ["-a", Self.anchor, "-f", "-"], standardInput: anchorRules)
    }

    public func blockCommands(_ entries: [BanEntry]) -> [FirewallCommand] {
        guard !entries.isEmpty else { return [loadAnchorCommand] }
        return [loadAnchorCommand, FirewallCommand("pfctl", ["-a", Self.anchor, "-t", Self.table, "-T", "add"] + entries.map(\.target.description))]
    }

    public func unblockCommands(_ targets: [BlockTarget]) -> [FirewallCommand] {
        targets.isEmpty ? [] : [FirewallCommand("pfctl", ["-a", Self.anchor, "-t", Self.table, "-T", "delete"] + targets.map(\.description))]
    }

    public static let showCommand = FirewallCommand("pfctl", ["-a", anchor, "-t", table, "-T", "show"])

    public func block(_ entries: [BanEntry]) throws {
        for command in blockCommands(entries) { try runner.check(command) }
    }

    public func unblock(_ targets: [BlockTarget]) throws {
        for command in unblockCommands(targets) { try runner.check(command) }
    }

    public func list() throws -> [KernelBan] {
        try runner.check(Self.showCommand).standardOutput.split(separator: "\n").compactMap {
            (try? BlockTarget(parsing: String($0)))
        }.map { KernelBan(target: $0) }
    }

    public func status() throws -> FirewallStatus {
        let bans = try list()
        return FirewallStatus(backend: name, installed: true, action: action, entries: bans.count, droppedPackets: 0, droppedBytes: 0,
                              detail: "pf anchor \(Self.anchor), table <\(Self.table)>")
    }
}
