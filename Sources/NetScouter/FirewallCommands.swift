import ArgumentParser
import Firewall
import Foundation
import Packets
import Store

/// Options every firewall command shares: the database and the backend.
struct FirewallOptions: ParsableArguments {
    @OptionGroup var storage: StorageOptions

    @Option(help: "Firewall backend: auto (nftables, else iptables+ipset), nftables or iptables.")
    var backend: String = "auto"

    @Option(help: "What banned traffic gets: drop or reject (default: the firewallAction setting, \"drop\").")
    var action: String?

    func validate() throws {
        guard BackendChoice(rawValue: backend) != nil else { throw ValidationError("--backend must be auto, nftables or iptables.") }
        if let action, BlockAction(rawValue: action) == nil { throw ValidationError("--action must be drop or reject.") }
    }

    func openService() throws -> FirewallService {
        let database = try storage.openDatabase()
        do {
            return try FirewallService.configured(database: database, choice: BackendChoice(rawValue: backend)!,
                                                  action: action.flatMap(BlockAction.init(rawValue:)))
        } catch { throw fail("\(error)") }
    }
}

private func printError(_ line: String) {
    var standardError = StandardError()
    print(line, to: &standardError)
}

/// `netscouter block`.
struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Block addresses or networks in the firewall (nftables table inet netscouter).",
        discussion: """
            Refused, with the reason: loopback, this machine's addresses, the default gateways, the DNS
            resolvers (/etc/resolv.conf and systemd-resolved's upstream servers), link-local, multicast,
            ranges wider than /8 (IPv6 /16) and anything on the allowlist (`netscouter allowlist`); a
            temporary network ban is refused over a longer ban inside it. With explicit addresses nothing is blocked
            when one of them is invalid or refused; a --from-file list skips such lines and blocks the rest
            as one batch (FireHOL and Spamhaus DROP formats, # and ; comments).
            Changing the firewall needs CAP_NET_ADMIN:
              \(CapabilityHint.setcap())   (or run with sudo)
            Examples:
              netscouter block 203.0.113.9 --for 1h --reason "ssh brute force"
              netscouter block 198.51.100.0/24 2001:db8:bad::/48 --dry-run
              netscouter block --from-file drop.txt --for 7d
            """
    )

    @Argument(help: "IPv4/IPv6 addresses or CIDRs.")
    var targets: [String] = []

    @Option(name: .customLong("for"), help: "How long: 30s, 5m, 1h, 7d (at most 30d) or permanent.")
    var duration: String = "permanent"

    @Option(help: "Why (shown in `blocks` and the audit log).")
    var reason: String = ""

    @Option(help: "Import a blocklist file (one address or CIDR per line) as one batch.")
    var fromFile: String?

    @Flag(help: "Show exactly what would run, change nothing.")
    var dryRun = false

    @OptionGroup var firewall: FirewallOptions

    func validate() throws {
        if targets.isEmpty && fromFile == nil { throw ValidationError("Give addresses or CIDRs to block, or --from-file LIST.") }
        do { _ = try BanDuration(parsing: duration) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let duration = try! BanDuration(parsing: duration)
        if !dryRun {
            do { try NetAdminCapability.require() } catch { throw fail("\(error)") }
        }
        let service = try firewall.openService()
        var outcome: FirewallService.BlockOutcome
        var unreadable: [String] = []
        // Explicit addresses are all or nothing, also next to a --from-file list.
        var explicitProblem = false
        do {
            if let fromFile {
                let imported = try service.importBlocklist(path: fromFile, duration: duration, reason: reason.isEmpty ? nil : reason, dryRun: dryRun)
                outcome = imported.outcome
                unreadable = imported.list.unreadable
                if !targets.isEmpty {
                    let more = try service.block(targets, duration: duration, reason: reason, origin: .user, dryRun: dryRun, allOrNothing: true)
                    explicitProblem = !more.invalid.isEmpty || !more.refused.isEmpty
                    outcome.blocked += more.blocked
                    outcome.refused += more.refused
                    outcome.invalid += more.invalid
                    outcome.skipped += more.skipped
                    outcome.commands += more.commands
                    outcome.failure = outcome.failure ?? more.failure
                }
            } else {
                outcome = try service.block(targets, duration: duration, reason: reason, origin: .user, dryRun: dryRun, allOrNothing: true)
                explicitProblem = !outcome.invalid.isEmpty || !outcome.refused.isEmpty
            }
        } catch { throw fail("\(error)") }

        for line in outcome.invalid { printError("netscouter: \(line)") }
        for refusal in outcome.refused { printError("netscouter: \(refusal)") }
        for line in unreadable.prefix(20) { printError("netscouter: skipped unreadable \(line)") }
        for skipped in outcome.skipped.prefix(20) { print("\(skipped.target): skipped, \(skipped.reason)") }
        if explicitProblem && fromFile == nil {
            throw fail("nothing was blocked: fix or remove the addresses above (the allowlist and protections are explained in `netscouter block --help`).")
        }
        if let failure = outcome.failure {
            throw fail("blocking failed, nothing was recorded as blocked: \(failure)")
        }
        if dryRun {
            print("Dry run through \(outcome.backend): \(outcome.blocked.count) entr\(outcome.blocked.count == 1 ? "y" : "ies") would be blocked for \(duration) by running:")
            for command in outcome.commands { print(command.description) }
            return
        }
        if outcome.blocked.count <= 20 {
            for entry in outcome.blocked { print("blocked \(entry.target) for \(duration) (\(outcome.backend))") }
        } else {
            print("blocked \(outcome.blocked.count) entries for \(duration) in one batch (\(outcome.backend))")
        }
        if fromFile != nil {
            print("\(outcome.refused.count) refused, \(outcome.invalid.count) invalid, \(outcome.skipped.count) skipped, \(unreadable.count) unreadable lines")
        }
        if explicitProblem {
            throw fail("the list was imported, but none of the addresses given on the command line was blocked: fix or remove those above.")
        }
    }
}

/// `netscouter unblock`.
struct UnblockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock",
        abstract: "Lift the ban on an address or CIDR (exactly as it was blocked)."
    )

    @Argument(help: "IPv4/IPv6 addresses or CIDRs.")
    var targets: [String]

    @Flag(help: "Show exactly what would run, change nothing.")
    var dryRun = false

    @OptionGroup var firewall: FirewallOptions

    func validate() throws {
        for target in targets {
            do { _ = try BlockTarget(parsing: target) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        if !dryRun {
            do { try NetAdminCapability.require() } catch { throw fail("\(error)") }
        }
        let service = try firewall.openService()
        for target in targets {
            do {
                let outcome = try service.unblock(target, dryRun: dryRun)
                if dryRun {
                    outcome.commands.forEach { print($0.description) }
                } else {
                    print("unblocked \(outcome.target)\(outcome.liftedRecords == 0 ? " (it had no active ban in NetScouter's store)" : "")")
                }
            } catch { throw fail("unblocking \(target) failed: \(error)") }
        }
    }
}

/// `netscouter blocks`.
struct BlocksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocks",
        abstract: "List active bans with time left, hit counters and reason."
    )

    @Flag(help: "JSON array: target, source, reason, created_at, expires_at, seconds_left, packets, bytes, in_firewall.")
    var json = false

    @OptionGroup var firewall: FirewallOptions

    func run() throws {
        let service = try firewall.openService()
        let canRead = NetAdminCapability.isEffective()
        let bans: [FirewallService.BanStatus]
        do {
            if canRead { try service.sweepExpired() }
            bans = try service.activeBans(includeKernel: canRead)
        } catch { throw fail("\(error)") }
        if !canRead { printError("netscouter: without CAP_NET_ADMIN the hit counters cannot be read; showing the stored bans only.") }
        if json {
            let rows: [[String: Any]] = bans.map { ban in
                var row: [String: Any] = ["target": ban.target, "source": ban.record.source.rawValue, "reason": ban.record.reason,
                                          "created_at": ban.record.createdAt.timeIntervalSince1970, "in_firewall": ban.inFirewall]
                row["expires_at"] = ban.record.expiresAt?.timeIntervalSince1970 ?? NSNull()
                row["seconds_left"] = ban.secondsLeft ?? NSNull()
                row["packets"] = ban.packets ?? NSNull()
                row["bytes"] = ban.bytes ?? NSNull()
                return row
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if bans.isEmpty { print("No active bans."); return }
        print("TARGET                                      LEFT       HITS  SOURCE    REASON")
        for ban in bans {
            let left = ban.secondsLeft.map { BanDuration.text($0) } ?? "permanent"
            let hits = ban.packets.map(String.init) ?? "-"
            let missing = ban.inFirewall ? "" : " [not in the firewall: restart or `netscouter daemon` re-applies it]"
            print("\(ban.target.padding(toLength: 42, withPad: " ", startingAt: 0))  \(left.padding(toLength: 9, withPad: " ", startingAt: 0))  \(hits.padding(toLength: 5, withPad: " ", startingAt: 0)) \(ban.record.source.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(ban.record.reason)\(missing)")
        }
    }
}

/// `netscouter allowlist add|remove|list`.
struct AllowlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allowlist",
        abstract: "Addresses and CIDRs the firewall must never block.",
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add addresses or CIDRs to the allowlist.")
        @Argument var targets: [String]
        @Option(help: "A note shown with the entry.") var note: String = ""
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let service = try allowlistService(storage)
            for target in targets {
                do {
                    let result = try service.allow(target, note: note)
                    print(result.added ? "allowlisted \(result.entry)" : "\(result.entry) was already on the allowlist")
                    if !result.overlappingBans.isEmpty {
                        printError("netscouter: active bans overlap \(result.entry) and stay in force: \(result.overlappingBans.joined(separator: ", ")). "
                                   + "The allowlist only stops new bans; lift these with `netscouter unblock`.")
                    }
                } catch { throw fail("\(error)") }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove addresses or CIDRs from the allowlist.")
        @Argument var targets: [String]
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let service = try allowlistService(storage)
            for target in targets {
                do {
                    let result = try service.disallow(target)
                    if !result.removed { throw fail("\(result.entry) is not on the allowlist (see `netscouter allowlist list`).") }
                    print("removed \(result.entry) from the allowlist")
                } catch let error as ExitCode { throw error } catch { throw fail("\(error)") }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the allowlist.")
        @Flag(help: "JSON array of {entry, note, created_at}.") var json = false
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let database = try storage.openDatabase()
            let entries: [AllowlistEntry]
            do { entries = try AllowlistStore(database: database).all() } catch { throw fail("\(error)") }
            if json {
                let rows: [[String: Any]] = entries.map { ["entry": $0.entry, "note": $0.note, "created_at": $0.createdAt.timeIntervalSince1970] }
                print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            if entries.isEmpty { print("The allowlist is empty."); return }
            for entry in entries { print(entry.note.isEmpty ? entry.entry : "\(entry.entry)  # \(entry.note)") }
        }
    }

    /// The allowlist needs no firewall backend: any backend value will do.
    static func allowlistService(_ storage: StorageOptions) throws -> FirewallService {
        FirewallService(backend: NftablesBackend(), database: try storage.openDatabase())
    }
}

private func allowlistService(_ storage: StorageOptions) throws -> FirewallService {
    try AllowlistCommand.allowlistService(storage)
}
