import Foundation
import Synchronization

/// The Linux default: our own table `inet netscouter`, never anyone else's.
///
/// ```
/// table inet netscouter {
///   set blocked4    { type ipv4_addr; flags timeout; counter; }            # single addresses: a hash
///   set blocked4net { type ipv4_addr; flags interval, timeout; counter; }  # networks: an interval tree
///   set blocked6 / blocked6net                                             # the same for IPv6
///   chain input   { type filter hook input priority -10; ip saddr @blocked4 counter drop; ... }
///   chain output  { ... ip daddr @blocked4 counter drop ... }
///   chain forward { ... both directions ... }
/// }
/// ```
/// Every element carries its own timeout and hit counter. Single addresses go to hash sets
/// because loading 20,000 of them there costs about a third of an interval set (measured with
/// `make bench`); networks need the interval sets. Priority -10 runs before the usual filter
/// chains (priority 0, also iptables-nft's), so an accept there cannot let a banned address
/// through. Every change is one `nft -f -` script: one atomic transaction however many
/// elements it holds.
public final class NftablesBackend: FirewallBackend {
    public static let table = "netscouter"
    public static let set4 = "blocked4"
    public static let set6 = "blocked6"
    public static let set4Networks = "blocked4net"
    public static let set6Networks = "blocked6net"
    /// Before the filter chains (priority 0) of nftables and iptables-nft.
    public static let priority = -10
    /// Elements per `add element` statement (all statements still go in one transaction).
    static let elementsPerStatement = 1_000
    /// input 4 + output 4 + forward 8.
    static let ruleCount = 16

    /// Each set with its family and whether it holds networks.
    static let sets: [(name: String, family: BlockTarget.Family, networks: Bool)] = [
        (set4, .ipv4, false), (set4Networks, .ipv4, true), (set6, .ipv6, false), (set6Networks, .ipv6, true),
    ]

    static func set(for target: BlockTarget) -> String {
        switch (target.family, target.isSingleAddress) {
        case (.ipv4, true): set4
        case (.ipv4, false): set4Networks
        case (.ipv6, true): set6
        case (.ipv6, false): set6Networks
        }
    }

    public let name = "nftables"
    public let expiresEntriesItself = true
    public let action: BlockAction
    public let runner: any CommandRunner
    /// Whether this instance saw our chains in place with the right action (saves a listing).
    private let chainsReady = Mutex(false)

    public init(action: BlockAction = .drop, runner: any CommandRunner = ProcessCommandRunner()) {
        self.action = action
        self.runner = runner
    }

    // MARK: Scripts

    /// Creates the table and sets when missing (`add` is idempotent and keeps elements); with
    /// `chains`, (re)writes the three chains' rules.
    public func setupScript(chains: Bool) -> String {
        let t = "inet \(Self.table)"
        var lines = ["add table \(t)"]
        for (name, family, networks) in Self.sets {
            let type = family == .ipv4 ? "ipv4_addr" : "ipv6_addr"
            lines.append("add set \(t) \(name) { type \(type); flags \(networks ? "interval, timeout" : "timeout"); counter; }")
        }
        guard chains else { return lines.joined(separator: "\n") + "\n" }
        let verdict = "counter \(action.rawValue)"
        // With reject, the refusal we send back (ICMP unreachable, TCP reset) to a banned address
        // passes the output chain: only new outbound connections are stopped there, or the
        // refusal itself would be dropped and the other side would wait for a timeout.
        let outbound = action == .reject ? " ct state new" : ""
        func matches(_ direction: String, _ suffix: String = "") -> [String] {
            ["ip \(direction) @\(Self.set4)\(suffix)", "ip \(direction) @\(Self.set4Networks)\(suffix)",
             "ip6 \(direction) @\(Self.set6)\(suffix)", "ip6 \(direction) @\(Self.set6Networks)\(suffix)"]
        }
        let rules: [(chain: String, matches: [String])] = [
            ("input", matches("saddr")),
            ("output", matches("daddr", outbound)),
            ("forward", matches("saddr") + matches("daddr")),
        ]
        for (chain, _) in rules {
            lines.append("add chain \(t) \(chain) { type filter hook \(chain) priority \(Self.priority); policy accept; }")
            lines.append("flush chain \(t) \(chain)")
        }
        for (chain, matches) in rules {
            for match in matches { lines.append("add rule \(t) \(chain) \(match) \(verdict)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `add element` statements for `entries`, each to the set of its family and kind.
    public func elementScript(_ entries: [BanEntry]) -> String {
        var lines: [String] = []
        let bySet = Dictionary(grouping: entries) { Self.set(for: $0.target) }
        for (set, _, _) in Self.sets {
            for chunk in (bySet[set] ?? []).chunked(Self.elementsPerStatement) {
                let elements = chunk.map { entry in
                    entry.timeoutSeconds.map { "\(entry.target) timeout \($0)s" } ?? entry.target.description
                }
                lines.append("add element inet \(Self.table) \(set) { \(elements.joined(separator: ", ")) }")
            }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// For re-blocked targets: `add` (a no-op when present, so the `delete` cannot fail when the
    /// kernel already expired it) then `delete`, so the `add element` that follows in the same
    /// transaction creates the element anew with its new timeout or none.
    public func replaceScript(_ entries: [BanEntry]) -> String {
        let replaced = entries.filter(\.replacesExisting).map(\.target)
        guard !replaced.isEmpty else { return "" }
        return deleteScript(replaced).split(separator: "\n").map { line in
            "add" + line.dropFirst("delete".count) + "\n" + line + "\n"
        }.joined()
    }

    public func deleteScript(_ targets: [BlockTarget]) -> String {
        var lines: [String] = []
        let bySet = Dictionary(grouping: targets, by: Self.set(for:))
        for (set, _, _) in Self.sets {
            for chunk in (bySet[set] ?? []).chunked(Self.elementsPerStatement) {
                lines.append("delete element inet \(Self.table) \(set) { \(chunk.map(\.description).joined(separator: ", ")) }")
            }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    public func blockCommands(_ entries: [BanEntry]) -> [FirewallCommand] {
        [FirewallCommand("nft", ["-f", "-"], standardInput: setupScript(chains: true) + replaceScript(entries) + elementScript(entries))]
    }

    public func unblockCommands(_ targets: [BlockTarget]) -> [FirewallCommand] {
        targets.isEmpty ? [] : [FirewallCommand("nft", ["-f", "-"], standardInput: deleteScript(targets))]
    }

    public static let listCommand = FirewallCommand("nft", ["-j", "list", "table", "inet", table])

    // MARK: Running

    public func block(_ entries: [BanEntry]) throws {
        let ready = try chainsAreReady()
        do {
            // With the chains taken as ready, `list chain` makes the transaction fail (applying
            // nothing) when they are gone, instead of filling sets no rule looks at.
            try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: setupScript(chains: !ready) + (ready ? Self.chainCheckScript : "")
                                                + replaceScript(entries) + elementScript(entries)))
        } catch let error as FirewallError where ready && error.isMissingObject {
            // A firewall reload (`nft flush ruleset`, a restarted firewall service) removed our
            // chains since this instance saw them: write them again, once.
            chainsReady.withLock { $0 = false }
            try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: setupScript(chains: true) + replaceScript(entries) + elementScript(entries)))
        }
        chainsReady.withLock { $0 = true }
    }

    static let chainCheckScript = ["input", "output", "forward"].map { "list chain inet \(table) \($0)\n" }.joined()

    /// Installs the table, sets and chains (used at start-up even when there is nothing to re-apply).
    public func install() throws {
        try block([])
    }

    public func unblock(_ targets: [BlockTarget]) throws {
        guard !targets.isEmpty else { return }
        // Deleting an element the kernel already expired fails the whole transaction: delete only those present.
        let present = Set(try listing()?.bans.map(\.target) ?? [])
        let toDelete = targets.filter(present.contains)
        guard !toDelete.isEmpty else { return }
        try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: deleteScript(toDelete)))
    }

    public func list() throws -> [KernelBan] {
        try listing()?.bans ?? []
    }

    public func status() throws -> FirewallStatus {
        try listWithStatus().status
    }

    public func listWithStatus() throws -> (bans: [KernelBan], status: FirewallStatus) {
        guard let listing = try listing() else {
            return ([], FirewallStatus(backend: name, installed: false, action: nil, entries: 0, droppedPackets: 0, droppedBytes: 0,
                                       detail: "table inet \(Self.table) is not installed (it is created by the first block)"))
        }
        return (listing.bans, FirewallStatus(backend: name, installed: listing.rules > 0, action: listing.action, entries: listing.bans.count,
                                             droppedPackets: listing.packets, droppedBytes: listing.bytes,
                                             detail: "table inet \(Self.table): \(listing.rules) rules at priority \(Self.priority), \(listing.bans.count) entries"))
    }

    /// Rules there and with the configured action: no need to rewrite the chains.
    private func chainsAreReady() throws -> Bool {
        if chainsReady.withLock({ $0 }) { return true }
        guard let listing = try listing() else { return false }
        return listing.rules == Self.ruleCount && listing.action == action
    }

    struct Listing {
        var bans: [KernelBan] = []
        var rules = 0
        var action: BlockAction?
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
    }

    /// Our table as nft's JSON describes it; nil when it does not exist.
    func listing() throws -> Listing? {
        let result = try runner.run(Self.listCommand)
        if result.status != 0 {
            if result.standardError.contains("No such file or directory") { return nil }
            throw FirewallError.commandFailed(command: Self.listCommand.description, status: result.status, output: result.standardError)
        }
        return try Self.parseListing(result.standardOutput)
    }

    /// Reads `nft -j list table inet netscouter`.
    static func parseListing(_ json: String) throws -> Listing {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let objects = root["nftables"] as? [[String: Any]] else {
            throw FirewallError.other("nft printed JSON that NetScouter cannot read: \(FirewallError.clean(json))")
        }
        var listing = Listing()
        for object in objects {
            if let set = object["set"] as? [String: Any], set["table"] as? String == table,
               let setName = set["name"] as? String, sets.contains(where: { $0.name == setName }) {
                for element in set["elem"] as? [Any] ?? [] {
                    if let ban = parseElement(element) { listing.bans.append(ban) }
                }
            } else if let rule = object["rule"] as? [String: Any], rule["table"] as? String == table {
                listing.rules += 1
                for expression in rule["expr"] as? [[String: Any]] ?? [] {
                    if let counter = expression["counter"] as? [String: Any] {
                        listing.packets += uint(counter["packets"])
                        listing.bytes += uint(counter["bytes"])
                    }
                    if expression.keys.contains("drop") { listing.action = .drop }
                    if expression.keys.contains("reject") { listing.action = .reject }
                }
            }
        }
        return listing
    }

    private static func parseElement(_ element: Any) -> KernelBan? {
        var value: Any = element
        var fields: [String: Any] = [:]
        if let wrapper = element as? [String: Any], let inner = wrapper["elem"] as? [String: Any] {
            fields = inner
            value = inner["val"] as Any
        }
        let target: BlockTarget?
        if let text = value as? String {
            target = try? BlockTarget(parsing: text)
        } else if let prefix = (value as? [String: Any])?["prefix"] as? [String: Any], let address = prefix["addr"] as? String,
                  let length = prefix["len"] as? Int {
            target = try? BlockTarget(parsing: "\(address)/\(length)")
        } else {
            // A "range" element: never written by NetScouter.
            target = nil
        }
        guard let target else { return nil }
        let counter = fields["counter"] as? [String: Any]
        return KernelBan(target: target, expiresInSeconds: fields["expires"] as? Int,
                         packets: counter.map { uint($0["packets"]) }, bytes: counter.map { uint($0["bytes"]) })
    }

    private static func uint(_ value: Any?) -> UInt64 {
        if let number = value as? NSNumber { return number.uint64Value }
        return 0
    }
}
