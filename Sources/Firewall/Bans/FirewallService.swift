import Foundation
import GRDB
import Store

/// Bans end to end: parse → safety → backend (one batch) → store and audit log. A ban is
/// recorded only after the backend applied it; every failure is audited and returned.
///
/// Blocking: call from a worker thread (it runs processes and writes the database).
public final class FirewallService: Sendable {
    public let backend: any FirewallBackend
    public let database: NetScouterDatabase
    private let facts: @Sendable () throws -> HostFacts
    private let clock: @Sendable () -> Date
    private let privilegeCheck: @Sendable () throws -> Void

    /// - Parameters:
    ///   - facts: this machine's addresses, gateways and resolvers (default: gathered through the
    ///     backend's runner when a ban is checked, so a namespaced runner sees the namespace's).
    ///   - privilegeCheck: runs before any backend change (default: CAP_NET_ADMIN).
    public init(backend: any FirewallBackend, database: NetScouterDatabase,
                facts: (@Sendable () throws -> HostFacts)? = nil,
                clock: @escaping @Sendable () -> Date = { Date() },
                privilegeCheck: @escaping @Sendable () throws -> Void = { try NetAdminCapability.require() }) {
        self.backend = backend
        self.database = database
        let runner = Self.hostRunner(of: backend)
        self.facts = facts ?? { try HostFacts.gather(runner: runner) }
        self.clock = clock
        self.privilegeCheck = privilegeCheck
    }

    /// The runner the backend's commands go through (a namespaced one in tests and benchmarks),
    /// so the lock-out protections see the addresses of the machine the firewall runs on.
    static func hostRunner(of backend: any FirewallBackend) -> any CommandRunner {
        switch backend {
        case let nftables as NftablesBackend: nftables.runner
        case let iptables as IptablesIpsetBackend: iptables.runner
        default: ProcessCommandRunner()
        }
    }

    // MARK: Block

    public struct Skipped: Equatable, Sendable {
        public var target: String
        public var reason: String
    }

    public struct BlockOutcome: Sendable {
        public var blocked: [BanEntry] = []
        public var refused: [Refusal] = []
        /// Texts that are not addresses or CIDRs, with why.
        public var invalid: [String] = []
        public var skipped: [Skipped] = []
        /// Set when the backend failed: nothing of this batch was recorded as blocked.
        public var failure: FirewallError?
        /// With dry run: exactly what would run.
        public var commands: [FirewallCommand] = []
        public var dryRun = false
        public var backend = ""

        public var succeeded: Bool { failure == nil }
    }

    /// Blocks every valid, allowed target in one backend batch.
    /// - Parameter allOrNothing: when any text is invalid or refused, block nothing (the CLI's
    ///   explicit arguments: a typo must not leave half a command applied). Lists skip bad lines.
    public func block(_ texts: [String], duration: BanDuration, reason: String, origin: BanOrigin, dryRun: Bool = false,
                      allOrNothing: Bool = false) throws -> BlockOutcome {
        try FirewallChanges.exclusively(database: database) {
            try blockExclusively(texts, duration: duration, reason: reason, origin: origin, dryRun: dryRun, allOrNothing: allOrNothing)
        }
    }

    private func blockExclusively(_ texts: [String], duration: BanDuration, reason: String, origin: BanOrigin, dryRun: Bool,
                                  allOrNothing: Bool) throws -> BlockOutcome {
        var outcome = BlockOutcome()
        outcome.dryRun = dryRun
        outcome.backend = backend.name
        var parsed: [BlockTarget] = []
        for text in texts {
            do { parsed.append(try BlockTarget(parsing: text)) } catch { outcome.invalid.append("\(error)") }
        }
        if parsed.isEmpty { return outcome }

        let policy = SafetyPolicy(facts: try facts(), allowlist: try allowlist())
        var allowed: [BlockTarget] = []
        for target in parsed {
            if let refusal = policy.check(target) { outcome.refused.append(refusal) } else { allowed.append(target) }
        }
        if !dryRun && !outcome.refused.isEmpty {
            try database.write { db in
                for refusal in outcome.refused.prefix(Self.perTargetAuditLimit) {
                    try AuditLog.append(actor: origin.actor, action: "block.refused", subject: refusal.target,
                                        detail: "\(origin.why); \(refusal.kind.rawValue): \(refusal.reason)", at: clock(), in: db)
                }
            }
        }
        if allOrNothing && !(outcome.refused.isEmpty && outcome.invalid.isEmpty) { return outcome }
        // CIDRs either nest or are disjoint. Sorted by first address (wider first on a tie), a
        // target is inside an earlier one only if it is inside the last one kept.
        var kept: [BlockTarget] = []
        for target in Array(Set(allowed)).sorted() {
            if let last = kept.last, last.contains(target) {
                outcome.skipped.append(Skipped(target: target.description, reason: "inside \(last) of the same request"))
            } else {
                kept.append(target)
            }
        }
        let now = clock()
        let newExpiry = duration.timeInterval.map { now.addingTimeInterval($0) }
        let active = try BlockStore(database: database).active(at: now)
        var activeByTarget: [BlockTarget: [BlockRecord]] = [:]
        for record in active { if let target = try? BlockTarget(parsing: record.address) { activeByTarget[target, default: []].append(record) } }
        // Active bans never overlap each other (this function keeps it so): sorted, the only one
        // that can hold a target is the last one starting at or before it.
        let activeSorted = activeByTarget.keys.sorted()
        var superseded: [BlockTarget] = []
        var entries: [BanEntry] = []
        for target in kept {
            let start = Self.firstIndex(in: activeSorted) { $0.first > target.first || ($0.first == target.first && $0.prefixLength > target.prefixLength) }
            if start > 0, activeSorted[start - 1] != target, activeSorted[start - 1].contains(target) {
                outcome.skipped.append(Skipped(target: target.description, reason: "already blocked by \(activeSorted[start - 1])"))
                continue
            }
            // Narrower active bans inside this one: this one replaces them (one ban per address, so
            // hits count once), but only those it outlasts (or a permanent ban would be lost when
            // a wider temporary one expires).
            var inside: [BlockTarget] = []
            var index = start
            while index < activeSorted.count, target.contains(activeSorted[index]) {
                if activeSorted[index] != target { inside.append(activeSorted[index]) }
                index += 1
            }
            if let longer = Self.longerBan(inside, than: newExpiry, records: activeByTarget, now: now) {
                outcome.refused.append(Refusal(target: target.description, kind: .longerBanInside, reason: longer))
                continue
            }
            superseded += inside
            entries.append(BanEntry(target: target, timeoutSeconds: duration.timeInterval.map { Int($0) },
                                    replacesExisting: activeByTarget[target] != nil))
        }
        let longerInside = outcome.refused.filter { $0.kind == .longerBanInside }
        if !dryRun && !longerInside.isEmpty {
            try database.write { db in
                for refusal in longerInside.prefix(Self.perTargetAuditLimit) {
                    try AuditLog.append(actor: origin.actor, action: "block.refused", subject: refusal.target,
                                        detail: "\(origin.why); \(refusal.kind.rawValue): \(refusal.reason)", at: now, in: db)
                }
            }
        }
        if allOrNothing && !longerInside.isEmpty { return outcome }
        if entries.isEmpty { return outcome }
        if dryRun {
            outcome.commands = backend.unblockCommands(superseded) + backend.blockCommands(entries)
            outcome.blocked = entries
            return outcome
        }
        // A ban on one of these ran out but was not swept yet: sweep first, so its leftovers
        // (store record, hit counter) are gone before the new ban goes in, not after.
        let entryTargets = Set(entries.map(\.target))
        let lapsed = try BlockStore(database: database).expired(at: now).contains { record in
            (try? BlockTarget(parsing: record.address)).map(entryTargets.contains) ?? false
        }
        do {
            try privilegeCheck()
            if lapsed { try sweepExpired(at: now) }
            // The new ban first: the narrower ones it replaces stay enforced until it is in
            // (overlapping entries are fine in per-prefix sets and ipset hash:net).
            try backend.block(entries)
        } catch {
            let failure = error as? FirewallError ?? .other("\(error)")
            outcome.failure = failure
            try audit(entries.map(\.target), actor: origin.actor, action: "block.failed",
                      detail: "\(origin.why); \(reason.isEmpty ? "" : "reason: \(Self.clean(reason)); ")backend \(backend.name): \(failure)", at: now)
            return outcome
        }
        if !superseded.isEmpty {
            do {
                try backend.unblock(superseded)
            } catch {
                // Both stay in the kernel (harmless: the wider ban covers them) and in the store.
                try audit(superseded, actor: origin.actor, action: "unblock.failed", detail: "replacing with a wider ban: \(error)", at: now)
                superseded = []
            }
        }
        let cleanReason = Self.clean(reason)
        try database.write { db in
            for target in superseded {
                for record in activeByTarget[target] ?? [] { try BlockStore.remove(id: record.id!, at: now, in: db) }
            }
            for entry in entries {
                for record in activeByTarget[entry.target] ?? [] { try BlockStore.remove(id: record.id!, at: now, in: db) }
            }
            try BlockStore.addMany(addresses: entries.map(\.target.description), reason: cleanReason, source: origin.source,
                                   duration: duration.timeInterval, at: now, in: db)
            let detail = "\(origin.why); for \(duration)\(cleanReason.isEmpty ? "" : "; reason: \(cleanReason)"); backend \(backend.name)"
            try Self.audit(entries.map(\.target), actor: origin.actor, action: "block", detail: detail, at: now, in: db)
            if !superseded.isEmpty {
                try Self.audit(superseded, actor: origin.actor, action: "unblock", detail: "replaced by a wider ban", at: now, in: db)
            }
        }
        outcome.blocked = entries
        return outcome
    }

    /// Why the narrower bans `inside` a new ban ending at `newExpiry` (nil: permanent) must not be
    /// replaced by it: the first one that lasts longer; nil when the new ban outlasts them all.
    static func longerBan(_ inside: [BlockTarget], than newExpiry: Date?, records: [BlockTarget: [BlockRecord]], now: Date) -> String? {
        guard let newExpiry else { return nil }
        for narrower in inside {
            for record in records[narrower] ?? [] {
                guard let expiry = record.expiresAt else {
                    return "\(narrower) is banned permanently; unblock it first or block the network permanently"
                }
                if expiry > newExpiry {
                    let left = BanDuration.text(max(1, Int(expiry.timeIntervalSince(now).rounded(.up))))
                    return "\(narrower) is banned for another \(left), longer than this ban; unblock it first or block the network for longer"
                }
            }
        }
        return nil
    }

    /// The first index whose element satisfies `isAfter` (elements before it do not): binary search.
    static func firstIndex(in sorted: [BlockTarget], where isAfter: (BlockTarget) -> Bool) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if isAfter(sorted[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    // MARK: Unblock

    public struct UnblockOutcome: Sendable {
        public var target: BlockTarget
        public var liftedRecords: Int
        public var commands: [FirewallCommand] = []
    }

    /// Lifts the ban on `text` (exactly that address or CIDR).
    public func unblock(_ text: String, actor: String = "user", reason: String = "", dryRun: Bool = false) throws -> UnblockOutcome {
        try FirewallChanges.exclusively(database: database) { try unblockExclusively(text, actor: actor, reason: reason, dryRun: dryRun) }
    }

    private func unblockExclusively(_ text: String, actor: String, reason: String, dryRun: Bool) throws -> UnblockOutcome {
        let target = try BlockTarget(parsing: text)
        let now = clock()
        let active = try BlockStore(database: database).active(at: now)
        let records = active.filter { $0.address == target.description }
        if records.isEmpty, let covering = active.compactMap({ try? BlockTarget(parsing: $0.address) }).first(where: { $0 != target && $0.contains(target) }) {
            throw FirewallError.other("\(target) has no ban of its own: it is inside the ban on \(covering). Unblock \(covering) to let it through (and block the rest again if needed).")
        }
        if dryRun { return UnblockOutcome(target: target, liftedRecords: records.count, commands: backend.unblockCommands([target])) }
        do {
            try privilegeCheck()
            try backend.unblock([target])
        } catch {
            let failure = error as? FirewallError ?? .other("\(error)")
            try audit([target], actor: actor, action: "unblock.failed", detail: "backend \(backend.name): \(failure)", at: now)
            throw failure
        }
        try database.write { db in
            for record in records { try BlockStore.remove(id: record.id!, at: now, in: db) }
            try Self.audit([target], actor: actor, action: "unblock", detail: reason.isEmpty ? "manual" : Self.clean(reason), at: now, in: db)
        }
        return UnblockOutcome(target: target, liftedRecords: records.count)
    }

    // MARK: Expiry and start-up

    /// Marks bans whose time ran out as lifted (and, where the backend keeps no timeouts, removes
    /// them from it). Returns how many.
    @discardableResult
    public func sweepExpired() throws -> Int {
        try FirewallChanges.exclusively(database: database) { try sweepExpired(at: clock()) }
    }

    @discardableResult
    private func sweepExpired(at now: Date) throws -> Int {
        let store = BlockStore(database: database)
        let expired = try store.expired(at: now)
        guard !expired.isEmpty else { return 0 }
        // A target banned again since (a second record still running) keeps its kernel entry.
        let stillBanned = Set(try store.active(at: now).map(\.address))
        let targets = expired.filter { !stillBanned.contains($0.address) }.compactMap { try? BlockTarget(parsing: $0.address) }
        // Bans longer than the kernel's longest timeout went in permanent: lifted here.
        let outlivedKernelTimeout = backend.longestKernelTimeout.map { longest in
            expired.contains { record in record.expiresAt.map { $0.timeIntervalSince(record.createdAt) > TimeInterval(longest) } ?? false }
        } ?? false
        if !backend.expiresEntriesItself || outlivedKernelTimeout {
            try privilegeCheck()
            try backend.unblock(targets)
        } else {
            // Only hit counters go (the kernel already removed the bans): without the privilege
            // the store is still brought up to date.
            if (try? privilegeCheck()) != nil { try? backend.forgetExpired(targets) }
        }
        try database.write { db in
            for record in expired { try BlockStore.remove(id: record.id!, at: now, in: db) }
            try Self.audit(targets, actor: "firewall", action: "expire", detail: "temporary ban ran out", at: now, in: db)
        }
        return expired.count
    }

    public struct ReapplyOutcome: Sendable {
        public var reapplied: Int
        public var alreadyPresent: Int
        public var expired: Int
    }

    /// Seconds left, rounded up, after dropping what the store's REAL timestamps add below a
    /// millisecond (a 30-day ban read back at once must say 2,592,000, not 2,592,001).
    public static func wholeSecondsLeft(_ interval: TimeInterval) -> Int {
        max(0, Int(((interval * 1000).rounded() / 1000).rounded(.up)))
    }

    /// At start-up (window and daemon): puts every ban the store holds back into the firewall
    /// with its remaining time, in one batch. Bans the kernel still holds are left as they are.
    public func reapply() throws -> ReapplyOutcome {
        try FirewallChanges.exclusively(database: database) { try reapplyExclusively() }
    }

    private func reapplyExclusively() throws -> ReapplyOutcome {
        let expired = try sweepExpired(at: clock())
        let now = clock()
        let active = try BlockStore(database: database).active(at: now)
        guard !active.isEmpty else { return ReapplyOutcome(reapplied: 0, alreadyPresent: 0, expired: expired) }
        do {
            try privilegeCheck()
            let present = Set(try backend.list().map(\.target))
            var entries: [BanEntry] = []
            for record in active {
                guard let target = try? BlockTarget(parsing: record.address), !present.contains(target) else { continue }
                let left = record.expiresAt.map { max(1, Int($0.timeIntervalSince(now).rounded(.up))) }
                entries.append(BanEntry(target: target, timeoutSeconds: left))
            }
            if !entries.isEmpty { try backend.block(entries) }
            if !entries.isEmpty {
                try AuditLog(database: database).append(actor: "firewall", action: "reapply", subject: "\(entries.count) ban\(entries.count == 1 ? "" : "s")",
                                                        detail: "re-applied at start-up through \(backend.name)", at: now)
            }
            return ReapplyOutcome(reapplied: entries.count, alreadyPresent: active.count - entries.count, expired: expired)
        } catch {
            let failure = error as? FirewallError ?? .other("\(error)")
            try AuditLog(database: database).append(actor: "firewall", action: "reapply.failed", subject: "\(active.count) bans",
                                                    detail: "backend \(backend.name): \(failure)", at: now)
            throw failure
        }
    }

    // MARK: Listing

    public struct BanStatus: Sendable, Equatable {
        public var record: BlockRecord
        public var target: String
        /// Nil for a permanent ban.
        public var secondsLeft: Int?
        public var packets: UInt64?
        public var bytes: UInt64?
        /// False when the store has it but the firewall does not (re-apply needed).
        public var inFirewall: Bool
    }

    /// Active bans from the store, with the firewall's hit counters when it can be read.
    public func activeBans(includeKernel: Bool = true) throws -> [BanStatus] {
        try activeBans(kernelBans: includeKernel ? try? backend.list() : nil)
    }

    /// Active bans and the firewall's status (nil when it cannot be read) from one reading of it.
    public func overview() throws -> (bans: [BanStatus], status: FirewallStatus?) {
        let kernel = try? backend.listWithStatus()
        return (try activeBans(kernelBans: kernel?.bans), kernel?.status)
    }

    private func activeBans(kernelBans: [KernelBan]?) throws -> [BanStatus] {
        let now = clock()
        let records = try BlockStore(database: database).active(at: now)
        var kernel: [BlockTarget: KernelBan] = [:]
        let kernelKnown = kernelBans != nil
        for ban in kernelBans ?? [] { kernel[ban.target] = ban }
        return records.map { record in
            let target = try? BlockTarget(parsing: record.address)
            let ban = target.flatMap { kernel[$0] }
            return BanStatus(record: record, target: record.address,
                             secondsLeft: record.expiresAt.map { Self.wholeSecondsLeft($0.timeIntervalSince(now)) },
                             packets: ban?.packets, bytes: ban?.bytes, inFirewall: kernelKnown ? ban != nil : true)
        }
    }

    // MARK: Allowlist

    public func allowlist() throws -> [BlockTarget] {
        try AllowlistStore(database: database).all().compactMap { try? BlockTarget(parsing: $0.entry) }
    }

    /// Adds an address or CIDR to the allowlist. Returns the canonical entry, whether it was new,
    /// and the active bans that overlap it: the allowlist stops new bans, it lifts none.
    @discardableResult
    public func allow(_ text: String, note: String = "", actor: String = "user") throws -> (entry: String, added: Bool, overlappingBans: [String]) {
        let target = try BlockTarget(parsing: text)
        let now = clock()
        let added = try AllowlistStore(database: database).add(target.description, note: Self.clean(note), actor: actor, at: now)
        let overlapping = try BlockStore(database: database).active(at: now).map(\.address).filter { address in
            (try? BlockTarget(parsing: address)).map(target.overlaps) ?? false
        }
        return (target.description, added, Array(Set(overlapping)).sorted())
    }

    @discardableResult
    public func disallow(_ text: String, actor: String = "user") throws -> (entry: String, removed: Bool) {
        let target = try BlockTarget(parsing: text)
        return (target.description, try AllowlistStore(database: database).remove(target.description, actor: actor, at: clock()))
    }

    // MARK: Audit

    /// Above this many targets a change is one audit row (a 20,000-line list is one event).
    static let perTargetAuditLimit = 50

    private func audit(_ targets: [BlockTarget], actor: String, action: String, detail: String, at time: Date) throws {
        try database.write { db in try Self.audit(targets, actor: actor, action: action, detail: detail, at: time, in: db) }
    }

    static func audit(_ targets: [BlockTarget], actor: String, action: String, detail: String, at time: Date, in db: Database) throws {
        guard !targets.isEmpty else { return }
        if targets.count <= perTargetAuditLimit {
            for target in targets { try AuditLog.append(actor: actor, action: action, subject: target.description, detail: detail, at: time, in: db) }
        } else {
            let sample = targets.prefix(5).map(\.description).joined(separator: ", ")
            try AuditLog.append(actor: actor, action: action, subject: "\(targets.count) addresses",
                                detail: "\(detail); first: \(sample), …", at: time, in: db)
        }
    }

    /// Reasons are free text from users and lists: printable, one line, bounded.
    static func clean(_ text: String) -> String { FirewallError.clean(text, limit: 200) }
}
