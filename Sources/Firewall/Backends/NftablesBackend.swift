import Foundation
import Packets
import Synchronization

/// The Linux default: our own table `inet netscouter`, never anyone else's.
///
/// ```
/// table inet netscouter {
///   set ban4    { type ipv4_addr; flags timeout; }   # single IPv4 addresses
///   set ban4_24 { type ipv4_addr; flags timeout; }   # /24 networks, keyed by network address
///   set hit4    { type ipv4_addr; flags dynamic; }   # hit counters, made by the rules on first hit
///   set hit4_24 ...                                  # one ban/hit pair per family and prefix length in use
///   chain input   { type filter hook input priority -10; ip saddr @ban4 jump ban4_saddr;
///                   ip saddr & 255.255.255.0 @ban4_24 jump ban4_24_saddr; ... }
///   chain output  { ... daddr ... }
///   chain forward { ... both directions ... }
///   chain ban4_saddr { update @hit4 { ip saddr counter }; counter drop; }
/// }
/// ```
/// Networks live in one hash set per prefix length, matched with `ip saddr & MASK` (how ipset's
/// hash:net works), not in an interval set: loading 20,000 /24s into an interval set cost about
/// three times `ipset restore` (rbtree inserts, two elements per network, overlap checks), into
/// a hash about the same as single addresses. Elements carry timeouts but no counters: a per-
/// element counter is a per-CPU allocation that cost a third of a 20,000-entry load, so hits
/// are counted in the `hit` sets, whose elements (with a counter) are made by the rules only for
/// bans that are actually hit. The counting sits in a chain of its own, before the verdict
/// rule: when a hit set is full the update fails and only that rule stops, the drop still
/// happens. Priority -10 runs before the usual filter chains (priority 0, also iptables-nft's),
/// so an accept there cannot let a banned address through. Every change is one `nft -f -`
/// script: one atomic transaction however many elements it holds.
public final class NftablesBackend: FirewallBackend {
    public static let table = "netscouter"
    /// Before the filter chains (priority 0) of nftables and iptables-nft.
    public static let priority = -10
    /// Elements per `add element` statement (all statements still go in one transaction).
    static let elementsPerStatement = 1_000
    /// Per ban set: input 1 + output 1 + forward 2 jumps, and two counting chains of 2 rules.
    static let rulesPerSet = 8
    static let hookChains = ["input", "output", "forward"]

    /// The kernel sets for one family and prefix length: the bans and their hit counters.
    struct BanSet: Hashable, Comparable {
        var family: BlockTarget.Family
        var prefixLength: Int

        init(family: BlockTarget.Family, prefixLength: Int) {
            self.family = family
            self.prefixLength = prefixLength
        }

        init(_ target: BlockTarget) {
            self.init(family: target.family, prefixLength: target.prefixLength)
        }

        /// Reads `ban4`, `ban6_48`, `hit4_24` (with `prefix` "ban" or "hit"); nil for any other name.
        init?(name: String, prefix: String) {
            guard name.hasPrefix(prefix) else { return nil }
            let rest = name.dropFirst(prefix.count)
            let family: BlockTarget.Family
            if rest.hasPrefix("4") { family = .ipv4 } else if rest.hasPrefix("6") { family = .ipv6 } else { return nil }
            let maximum = family == .ipv4 ? 32 : 128
            let suffix = rest.dropFirst()
            if suffix.isEmpty {
                self.init(family: family, prefixLength: maximum)
            } else {
                guard suffix.hasPrefix("_"), let length = Int(suffix.dropFirst()), (0..<maximum).contains(length),
                      suffix.dropFirst() == "\(length)" else { return nil }
                self.init(family: family, prefixLength: length)
            }
        }

        var maximumPrefixLength: Int { family == .ipv4 ? 32 : 128 }
        var holdsSingleAddresses: Bool { prefixLength == maximumPrefixLength }
        private var suffix: String { (family == .ipv4 ? "4" : "6") + (holdsSingleAddresses ? "" : "_\(prefixLength)") }
        var name: String { "ban" + suffix }
        var hitsName: String { "hit" + suffix }
        var type: String { family == .ipv4 ? "ipv4_addr" : "ipv6_addr" }
        /// The counting chain for packets whose `direction` (saddr, daddr) is banned here.
        func chain(_ direction: String) -> String { "\(name)_\(direction)" }

        /// The packet's address in `direction`, masked to the prefix for networks.
        func key(_ direction: String) -> String {
            let address = "\(family == .ipv4 ? "ip" : "ip6") \(direction)"
            return holdsSingleAddresses ? address : "\(address) & \(mask)"
        }

        var mask: String {
            let hostBits = maximumPrefixLength - prefixLength
            if family == .ipv4 {
                return IPAddress(ipv4: hostBits >= 32 ? UInt32(0) : UInt32.max << UInt32(hostBits)).description
            }
            let high: UInt64 = hostBits >= 128 ? 0 : (hostBits <= 64 ? .max : UInt64.max << UInt64(hostBits - 64))
            let low: UInt64 = hostBits >= 64 ? 0 : (hostBits == 0 ? .max : UInt64.max << UInt64(hostBits))
            return IPAddress(high: high, low: low).description
        }

        /// The element that stands for `target` in this set: the (network) address.
        static func element(_ target: BlockTarget) -> String { target.address.description }

        /// The target an element of this set stands for.
        func target(_ element: String) -> BlockTarget? {
            guard let address = IPAddress(element), address.isIPv4 == (family == .ipv4) else { return nil }
            return BlockTarget(network: address, prefixLength: prefixLength)
        }

        /// IPv4 first, then longest prefix first (single addresses, /24 before /16): with
        /// overlapping bans, the narrowest one counts the hit.
        static func < (lhs: BanSet, rhs: BanSet) -> Bool {
            lhs.family != rhs.family ? lhs.family == .ipv4 : lhs.prefixLength > rhs.prefixLength
        }
    }

    /// Sets of earlier versions (interval sets with per-element counters): their bans move to
    /// the new sets the next time the chains are written.
    static let legacySets = ["blocked4", "blocked6", "blocked4net", "blocked6net"]

    public let name = "nftables"
    public let expiresEntriesItself = true
    public let action: BlockAction
    public let runner: any CommandRunner
    /// Ban sets this instance saw in place, with chains for exactly them and the right action:
    /// while every new entry goes to one of these, a change is only its elements (no listing).
    private let readySets = Mutex<Set<BanSet>?>(nil)

    public init(action: BlockAction = .drop, runner: any CommandRunner = ProcessCommandRunner()) {
        self.action = action
        self.runner = runner
    }

    // MARK: Scripts

    /// Creates the table and the ban/hit sets of `sets` when missing (`add` is idempotent and
    /// keeps elements); with `chains`, (re)writes every chain's rules for exactly `sets` and
    /// deletes `legacySets` (their rules go with the flush, in the same transaction).
    func setupScript(sets: Set<BanSet>, chains: Bool, deleting legacySets: [String] = []) -> String {
        let t = "inet \(Self.table)"
        let ordered = sets.sorted()
        var lines = ["add table \(t)"]
        for set in ordered {
            lines.append("add set \(t) \(set.name) { type \(set.type); flags timeout; }")
            lines.append("add set \(t) \(set.hitsName) { type \(set.type); flags dynamic; }")
        }
        guard chains else { return lines.joined(separator: "\n") + "\n" }
        for chain in Self.hookChains {
            lines.append("add chain \(t) \(chain) { type filter hook \(chain) priority \(Self.priority); policy accept; }")
            lines.append("flush chain \(t) \(chain)")
        }
        for set in ordered {
            for direction in ["saddr", "daddr"] {
                let chain = set.chain(direction)
                lines.append("add chain \(t) \(chain)")
                lines.append("flush chain \(t) \(chain)")
                lines.append("add rule \(t) \(chain) update @\(set.hitsName) { \(set.key(direction)) counter }")
                lines.append("add rule \(t) \(chain) counter \(action.rawValue)")
            }
        }
        // With reject, the refusal we send back (ICMP unreachable, TCP reset) to a banned address
        // passes the output chain: only new outbound connections are stopped there, or the
        // refusal itself would be dropped and the other side would wait for a timeout.
        let outbound = action == .reject ? " ct state new" : ""
        let jumps: [(chain: String, direction: String, suffix: String)] = [
            ("input", "saddr", ""), ("output", "daddr", outbound), ("forward", "saddr", ""), ("forward", "daddr", ""),
        ]
        for (chain, direction, suffix) in jumps {
            for set in ordered {
                lines.append("add rule \(t) \(chain) \(set.key(direction)) @\(set.name)\(suffix) jump \(set.chain(direction))")
            }
        }
        for legacy in legacySets { lines.append("delete set \(t) \(legacy)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The ban sets `entries` go to.
    static func sets(for entries: [BanEntry]) -> Set<BanSet> { Set(entries.map { BanSet($0.target) }) }

    /// `add element` statements for `entries`, each to the set of its family and prefix length.
    public func elementScript(_ entries: [BanEntry]) -> String {
        // Written as bytes: for 20,000 entries string interpolation and joins cost several ms.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * 32)
        for (set, members) in Dictionary(grouping: entries, by: { BanSet($0.target) }).sorted(by: { $0.key < $1.key }) {
            for chunk in members.chunked(Self.elementsPerStatement) {
                bytes += "add element inet \(Self.table) \(set.name) { ".utf8
                for index in chunk.indices {
                    if index != chunk.startIndex { bytes += ", ".utf8 }
                    Self.appendElement(chunk[index].target, to: &bytes)
                    if let timeout = chunk[index].timeoutSeconds {
                        bytes += " timeout ".utf8
                        Self.appendDecimal(timeout, to: &bytes)
                        bytes.append(UInt8(ascii: "s"))
                    }
                }
                bytes += " }\n".utf8
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `BanSet.element(target)`, appended.
    private static func appendElement(_ target: BlockTarget, to bytes: inout [UInt8]) {
        let address = target.address
        guard address.isIPv4 else { return bytes += address.description.utf8 }
        let value = address.ipv4Value
        appendDecimal(Int(value >> 24), to: &bytes)
        for shift: UInt32 in [16, 8, 0] {
            bytes.append(UInt8(ascii: "."))
            appendDecimal(Int(value >> shift & 0xFF), to: &bytes)
        }
    }

    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &bytes) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// For re-blocked targets: `add` (a no-op when present, so the `delete` cannot fail when the
    /// kernel already expired it) then `delete`, so the `add element` that follows in the same
    /// transaction creates the element anew with its new timeout or none (kernels before 6.12
    /// ignore a timeout on an `add` of an element that is there).
    public func replaceScript(_ entries: [BanEntry]) -> String {
        let replaced = entries.filter(\.replacesExisting).map { (set: BanSet($0.target).name, element: BanSet.element($0.target)) }
        guard !replaced.isEmpty else { return "" }
        return Self.deleteScript(replaced).split(separator: "\n").map { line in
            "add" + line.dropFirst("delete".count) + "\n" + line + "\n"
        }.joined()
    }

    /// `delete element` statements: each (set name, element) pair given.
    static func deleteScript(_ elements: [(set: String, element: String)]) -> String {
        var lines: [String] = []
        for (set, members) in Dictionary(grouping: elements, by: \.set).sorted(by: { $0.key < $1.key }) {
            for chunk in members.chunked(Self.elementsPerStatement) {
                lines.append("delete element inet \(Self.table) \(set) { \(chunk.map(\.element).joined(separator: ", ")) }")
            }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// What `block` runs when nothing is installed yet (dry runs).
    public func blockCommands(_ entries: [BanEntry]) -> [FirewallCommand] {
        [FirewallCommand("nft", ["-f", "-"], standardInput: setupScript(sets: Self.sets(for: entries), chains: true) + replaceScript(entries) + elementScript(entries))]
    }

    /// What `unblock` runs when every target is banned and none was hit yet (dry runs).
    public func unblockCommands(_ targets: [BlockTarget]) -> [FirewallCommand] {
        targets.isEmpty ? [] : [FirewallCommand("nft", ["-f", "-"], standardInput: Self.deleteScript(targets.map { (BanSet($0).name, BanSet.element($0)) }))]
    }

    public static let listCommand = FirewallCommand("nft", ["-j", "list", "table", "inet", table])
    /// The table without set elements: enough to see which sets and rules are in place.
    static let tersListCommand = FirewallCommand("nft", ["-j", "-t", "list", "table", "inet", table])

    // MARK: Running

    public func block(_ entries: [BanEntry]) throws {
        let needed = Self.sets(for: entries)
        let changes = replaceScript(entries) + elementScript(entries)
        if let ready = readySets.withLock({ $0 }), needed.isSubset(of: ready) {
            guard !entries.isEmpty else { return }
            do {
                // `list chain` makes the transaction fail (applying nothing) when a firewall
                // reload removed our chains, instead of filling sets no rule looks at.
                try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: Self.chainCheckScript + changes))
                return
            } catch let error as FirewallError where error.isMissingObject {
                // Someone changed or deleted the table since: look again and set it up.
                // Anything else (a timeout, a refused element) is the answer.
                readySets.withLock { $0 = nil }
            }
        }
        let listing = try listing(elements: false)
        var script: String
        var sets = needed
        if let listing, listing.isReady(for: needed, action: action) {
            sets = listing.banSets
            script = setupScript(sets: [], chains: false)
        } else {
            // Chains for every set already there, or bans in them would stop being enforced.
            sets.formUnion(listing?.banSets ?? [])
            var moved: [BanEntry] = []
            var counts = ""
            if let listing, !listing.legacySets.isEmpty, let full = try self.listing(elements: true) {
                let new = Set(entries.map(\.target))
                let legacy = full.legacyBans.filter { !new.contains($0.target) }
                moved = legacy.map { BanEntry(target: $0.target, timeoutSeconds: $0.expiresInSeconds.map { max(1, $0) }) }
                sets.formUnion(Self.sets(for: moved))
                // Their hits so far go along: a counter element can be added with its values.
                counts = legacy.filter { ($0.packets ?? 0) > 0 }.map { ban in
                    "add element inet \(Self.table) \(BanSet(ban.target).hitsName) { \(BanSet.element(ban.target)) counter packets \(ban.packets ?? 0) bytes \(ban.bytes ?? 0) }\n"
                }.joined()
            }
            script = setupScript(sets: sets, chains: true, deleting: listing?.legacySets ?? []) + elementScript(moved) + counts
        }
        try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: script + changes))
        readySets.withLock { $0 = sets }
    }

    static let chainCheckScript = hookChains.map { "list chain inet \(table) \($0)\n" }.joined()

    /// Installs the table, sets and chains (used at start-up even when there is nothing to re-apply).
    public func install() throws {
        try block([])
    }

    /// Deletes the bans on `targets` that are present and their hit counters (so a later ban on
    /// the same target starts from zero, also after the kernel expired the ban by itself).
    public func unblock(_ targets: [BlockTarget]) throws {
        guard !targets.isEmpty, let listing = try listing(elements: true) else { return }
        // Deleting an element the kernel already expired fails the whole transaction: delete only those present.
        var elements: [(set: String, element: String)] = []
        for target in targets {
            if let set = listing.banSetOf[target] {
                // An earlier version's interval sets hold networks as `a.b.c.d/n`.
                elements.append((set, Self.legacySets.contains(set) ? target.description : BanSet.element(target)))
            }
            if let set = listing.hitSetOf[target] { elements.append((set, BanSet.element(target))) }
        }
        guard !elements.isEmpty else { return }
        try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: Self.deleteScript(elements)))
    }

    /// The kernel expired these bans by itself; their hit counters are still there. Only the
    /// counters go: a ban element present now is a newer ban on the same target.
    public func forgetExpired(_ targets: [BlockTarget]) throws {
        guard !targets.isEmpty, let listing = try listing(elements: true) else { return }
        let elements = targets.compactMap { target in listing.hitSetOf[target].map { (set: $0, element: BanSet.element(target)) } }
        guard !elements.isEmpty else { return }
        try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: Self.deleteScript(elements)))
    }

    public func list() throws -> [KernelBan] {
        try listing(elements: true)?.bans ?? []
    }

    public func status() throws -> FirewallStatus {
        try listWithStatus().status
    }

    public func listWithStatus() throws -> (bans: [KernelBan], status: FirewallStatus) {
        guard let listing = try listing(elements: true) else {
            return ([], FirewallStatus(backend: name, installed: false, action: nil, entries: 0, droppedPackets: 0, droppedBytes: 0,
                                       detail: "table inet \(Self.table) is not installed (it is created by the first block)"))
        }
        return (listing.bans, FirewallStatus(backend: name, installed: listing.hookChains == Self.hookChains.count, action: listing.action,
                                             entries: listing.bans.count, droppedPackets: listing.packets, droppedBytes: listing.bytes,
                                             detail: "table inet \(Self.table): \(listing.rules) rules at priority \(Self.priority) over \(listing.banSets.count) sets, \(listing.bans.count) entries"))
    }

    struct Listing {
        var bans: [KernelBan] = []
        /// Which set holds each ban, and which hit set has a counter for it.
        var banSetOf: [BlockTarget: String] = [:]
        var hitSetOf: [BlockTarget: String] = [:]
        var banSets: Set<BanSet> = []
        /// Ban sets a hook chain jumps from.
        var jumpedSets: Set<BanSet> = []
        var legacySets: [String] = []
        /// Bans in `legacySets`.
        var legacyBans: [KernelBan] = []
        var rules = 0
        /// input, output and forward present.
        var hookChains = 0
        var action: BlockAction?
        var packets: UInt64 = 0
        var bytes: UInt64 = 0

        /// Our chains are in place for exactly the sets there, with `action`, and the sets
        /// `needed` exist: a change is only its elements.
        func isReady(for needed: Set<BanSet>, action expected: BlockAction) -> Bool {
            legacySets.isEmpty && hookChains == NftablesBackend.hookChains.count && (banSets.isEmpty || action == expected)
                && needed.isSubset(of: banSets) && jumpedSets == banSets
                && rules == banSets.count * NftablesBackend.rulesPerSet
        }
    }

    /// Our table as nft's JSON describes it (with or without set elements); nil when it does not exist.
    func listing(elements: Bool) throws -> Listing? {
        let command = elements ? Self.listCommand : Self.tersListCommand
        let result = try runner.run(command)
        if result.status != 0 {
            if result.standardError.contains("No such file or directory") { return nil }
            throw FirewallError.commandFailed(command: command.description, status: result.status, output: result.standardError)
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
        var hits: [BlockTarget: (packets: UInt64, bytes: UInt64)] = [:]
        var legacySetOf: [BlockTarget: String] = [:]
        for object in objects {
            if let set = object["set"] as? [String: Any], set["table"] as? String == table, let setName = set["name"] as? String {
                let elements = set["elem"] as? [Any] ?? []
                if let banSet = BanSet(name: setName, prefix: "ban") {
                    listing.banSets.insert(banSet)
                    for element in elements {
                        guard let parsed = parseElement(element, in: banSet) else { continue }
                        listing.banSetOf[parsed.target] = setName
                        listing.bans.append(KernelBan(target: parsed.target, expiresInSeconds: parsed.expires))
                    }
                } else if let hitSet = BanSet(name: setName, prefix: "hit") {
                    for element in elements {
                        guard let parsed = parseElement(element, in: hitSet) else { continue }
                        listing.hitSetOf[parsed.target] = setName
                        hits[parsed.target] = (parsed.packets, parsed.bytes)
                    }
                } else if legacySets.contains(setName) {
                    listing.legacySets.append(setName)
                    for element in elements {
                        guard let parsed = parseElement(element, in: nil) else { continue }
                        legacySetOf[parsed.target] = setName
                        listing.legacyBans.append(KernelBan(target: parsed.target, expiresInSeconds: parsed.expires,
                                                            packets: parsed.packets, bytes: parsed.bytes))
                    }
                }
            } else if let chain = object["chain"] as? [String: Any], chain["table"] as? String == table,
                      hookChains.contains(chain["name"] as? String ?? "") {
                listing.hookChains += 1
            } else if let rule = object["rule"] as? [String: Any], rule["table"] as? String == table {
                listing.rules += 1
                for expression in rule["expr"] as? [[String: Any]] ?? [] {
                    if let counter = expression["counter"] as? [String: Any] {
                        listing.packets += uint(counter["packets"])
                        listing.bytes += uint(counter["bytes"])
                    }
                    if expression.keys.contains("drop") { listing.action = .drop }
                    if expression.keys.contains("reject") { listing.action = .reject }
                    if hookChains.contains(rule["chain"] as? String ?? ""),
                       let right = (expression["match"] as? [String: Any])?["right"] as? String, right.hasPrefix("@"),
                       let banSet = BanSet(name: String(right.dropFirst()), prefix: "ban") {
                        listing.jumpedSets.insert(banSet)
                    }
                }
            }
        }
        // Bans without a hit element were not hit yet: zero, not unknown.
        for index in listing.bans.indices {
            let counted = hits[listing.bans[index].target]
            listing.bans[index].packets = counted?.packets ?? 0
            listing.bans[index].bytes = counted?.bytes ?? 0
        }
        // Until they move, bans in an earlier version's sets are bans too (that version's rules still enforce them).
        for ban in listing.legacyBans where listing.banSetOf[ban.target] == nil {
            listing.banSetOf[ban.target] = legacySetOf[ban.target]
            listing.bans.append(ban)
        }
        return listing
    }

    /// An element of `set` (nil: a legacy set, whose networks are `prefix` objects).
    private static func parseElement(_ element: Any, in set: BanSet?) -> (target: BlockTarget, expires: Int?, packets: UInt64, bytes: UInt64)? {
        var value: Any = element
        var fields: [String: Any] = [:]
        if let wrapper = element as? [String: Any], let inner = wrapper["elem"] as? [String: Any] {
            fields = inner
            value = inner["val"] as Any
        }
        let target: BlockTarget?
        if let text = value as? String {
            target = set.map { $0.target(text) } ?? (try? BlockTarget(parsing: text))
        } else if set == nil, let prefix = (value as? [String: Any])?["prefix"] as? [String: Any], let address = prefix["addr"] as? String,
                  let length = prefix["len"] as? Int {
            target = try? BlockTarget(parsing: "\(address)/\(length)")
        } else {
            target = nil
        }
        guard let target else { return nil }
        let counter = fields["counter"] as? [String: Any]
        return (target, fields["expires"] as? Int, uint(counter?["packets"]), uint(counter?["bytes"]))
    }

    private static func uint(_ value: Any?) -> UInt64 {
        if let number = value as? NSNumber { return number.uint64Value }
        return 0
    }
}
