import Foundation
import Synchronization

/// The fallback where nftables is absent: two ipsets (`netscouter4`, `netscouter6`, hash:net
/// with per-entry timeouts and counters) matched by rules inserted first in INPUT, OUTPUT and
/// FORWARD of iptables and ip6tables. Batches go in through one `ipset restore`.
public final class IptablesIpsetBackend: FirewallBackend {
    public static let set4 = "netscouter4"
    public static let set6 = "netscouter6"

    public let name = "iptables+ipset"
    public let expiresEntriesItself = true
    public let action: BlockAction
    public let runner: any CommandRunner
    private let rulesReady = Mutex(false)

    public init(action: BlockAction = .drop, runner: any CommandRunner = ProcessCommandRunner()) {
        self.action = action
        self.runner = runner
    }

    private var target: String { action == .drop ? "DROP" : "REJECT" }

    public func createSetCommands() -> [FirewallCommand] {
        [FirewallCommand("ipset", ["create", Self.set4, "hash:net", "family", "inet", "timeout", "0", "counters", "-exist"]),
         FirewallCommand("ipset", ["create", Self.set6, "hash:net", "family", "inet6", "timeout", "0", "counters", "-exist"])]
    }

    /// The rule specifications (without `-I CHAIN 1` / `-C CHAIN`), per tool.
    public func ruleSpecifications() -> [(tool: String, chain: String, spec: [String])] {
        var rules: [(String, String, [String])] = []
        for (tool, set) in [("iptables", Self.set4), ("ip6tables", Self.set6)] {
            for (chain, direction) in [("INPUT", "src"), ("OUTPUT", "dst"), ("FORWARD", "src"), ("FORWARD", "dst")] {
                // With REJECT, our own refusal (TCP reset, ICMP unreachable) to a banned address
                // leaves through OUTPUT: only new outbound connections are stopped there, as the
                // nftables backend's `ct state new`, or the refusal itself would be rejected.
                let outbound = chain == "OUTPUT" && action == .reject ? ["-m", "conntrack", "--ctstate", "NEW"] : []
                rules.append((tool, chain, outbound + ["-m", "set", "--match-set", set, direction, "-j", target]))
            }
        }
        return rules
    }

    /// The rules inserted at the top of each chain (what `block` runs when a rule is missing).
    public func insertRuleCommands() -> [FirewallCommand] {
        ruleSpecifications().map { FirewallCommand($0.tool, Self.waitForLock + ["-I", $0.chain, "1"] + $0.spec) }
    }

    /// Wait at most 5 s for the xtables lock: a bare `-w` waits forever behind a stuck holder.
    static let waitForLock = ["-w", "5"]

    /// ipset's largest timeout (about 24.8 days); bans go to 30 days.
    public static let longestTimeout = 2_147_483
    public var longestKernelTimeout: Int? { Self.longestTimeout }

    /// `add` lines for `ipset restore -exist`, which also updates the timeout of an entry that is
    /// already there (a re-block; timeout 0 makes it permanent). A ban longer than ipset allows
    /// goes in permanent: the ban service's expiry sweep removes it when its time is up.
    public func restoreScript(_ entries: [BanEntry]) -> String {
        entries.map { entry in
            let timeout = entry.timeoutSeconds.map { $0 > Self.longestTimeout ? 0 : $0 } ?? 0
            return "add \(entry.target.family == .ipv4 ? Self.set4 : Self.set6) \(entry.target) timeout \(timeout)\n"
        }.joined()
    }

    public func blockCommands(_ entries: [BanEntry]) -> [FirewallCommand] {
        createSetCommands() + insertRuleCommands() + [FirewallCommand("ipset", ["restore", "-exist"], standardInput: restoreScript(entries))]
    }

    public func unblockCommands(_ targets: [BlockTarget]) -> [FirewallCommand] {
        let script = targets.map { "del \($0.family == .ipv4 ? Self.set4 : Self.set6) \($0)\n" }.joined()
        return targets.isEmpty ? [] : [FirewallCommand("ipset", ["restore", "-exist"], standardInput: script)]
    }

    public func block(_ entries: [BanEntry]) throws {
        do {
            try block(entries, setUp: !rulesReady.withLock { $0 })
        } catch let error as FirewallError where rulesReady.withLock({ $0 }) && error.isMissingObject {
            // A firewall reload destroyed our sets since this instance created them: again, once.
            rulesReady.withLock { $0 = false }
            try block(entries, setUp: true)
        }
    }

    private func block(_ entries: [BanEntry], setUp: Bool) throws {
        if setUp {
            for command in createSetCommands() { try runner.check(command) }
            for rule in ruleSpecifications() {
                // -C exits 1 when the rule is absent; insert it then, at the top.
                if try runner.run(FirewallCommand(rule.tool, Self.waitForLock + ["-C", rule.chain] + rule.spec)).status != 0 {
                    try runner.check(FirewallCommand(rule.tool, Self.waitForLock + ["-I", rule.chain, "1"] + rule.spec))
                }
            }
            rulesReady.withLock { $0 = true }
        }
        guard !entries.isEmpty else { return }
        try runner.check(FirewallCommand("ipset", ["restore", "-exist"], standardInput: restoreScript(entries)))
    }

    public func unblock(_ targets: [BlockTarget]) throws {
        for command in unblockCommands(targets) { try runner.check(command) }
    }

    public func list() throws -> [KernelBan] {
        var bans: [KernelBan] = []
        for set in [Self.set4, Self.set6] {
            let result = try runner.run(FirewallCommand("ipset", ["save", set]))
            guard result.status == 0 else { continue }
            bans += Self.parseSave(result.standardOutput)
        }
        return bans
    }

    /// Reads `ipset save` lines: `add netscouter4 10.0.0.0/24 timeout 29 packets 3 bytes 252`.
    static func parseSave(_ text: String) -> [KernelBan] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 3, words[0] == "add", let target = try? BlockTarget(parsing: words[2]) else { return nil }
            var ban = KernelBan(target: target)
            var index = 3
            while index + 1 < words.count {
                switch words[index] {
                case "timeout": ban.expiresInSeconds = Int(words[index + 1]).flatMap { $0 == 0 ? nil : $0 }
                case "packets": ban.packets = UInt64(words[index + 1])
                case "bytes": ban.bytes = UInt64(words[index + 1])
                default: break
                }
                index += 2
            }
            return ban
        }
    }

    public func status() throws -> FirewallStatus {
        let bans = try list()
        let installed = try runner.run(FirewallCommand("ipset", ["list", "-name"])).standardOutput.contains(Self.set4)
        return FirewallStatus(backend: name, installed: installed, action: action, entries: bans.count,
                              droppedPackets: bans.reduce(0) { $0 + ($1.packets ?? 0) }, droppedBytes: bans.reduce(0) { $0 + ($1.bytes ?? 0) },
                              detail: installed ? "ipsets \(Self.set4)/\(Self.set6), \(bans.count) entries" : "ipsets not created yet")
    }
}
