/// One address or network to put in the firewall, with its remaining time (nil: permanent).
public struct BanEntry: Equatable, Sendable {
    public var target: BlockTarget
    /// Whole seconds; nil for a permanent ban.
    public var timeoutSeconds: Int?
    /// The firewall may already hold this target (a re-block): its element is replaced, so the
    /// new timeout (or permanence) takes effect. A plain add of an existing nftables element
    /// keeps its old timeout on kernels before 6.12 and never makes a temporary one permanent.
    public var replacesExisting: Bool

    public init(target: BlockTarget, timeoutSeconds: Int? = nil, replacesExisting: Bool = false) {
        self.target = target
        self.timeoutSeconds = timeoutSeconds
        self.replacesExisting = replacesExisting
    }
}

/// A ban as the kernel (or the platform firewall) holds it right now.
public struct KernelBan: Equatable, Sendable {
    public var target: BlockTarget
    /// Seconds left, when the backend keeps timeouts itself; nil: permanent or unknown.
    public var expiresInSeconds: Int?
    /// Packets and bytes dropped for this entry, when the backend counts per entry.
    public var packets: UInt64?
    public var bytes: UInt64?

    public init(target: BlockTarget, expiresInSeconds: Int? = nil, packets: UInt64? = nil, bytes: UInt64? = nil) {
        self.target = target
        self.expiresInSeconds = expiresInSeconds
        self.packets = packets
        self.bytes = bytes
    }
}

/// What blocked traffic gets: silently dropped, or refused (ICMP unreachable / TCP reset).
public enum BlockAction: String, Sendable, CaseIterable, Codable {
    case drop, reject
}

/// The backend's state in one look.
public struct FirewallStatus: Equatable, Sendable {
    public var backend: String
    /// Our table / set / anchor exists.
    public var installed: Bool
    public var action: BlockAction?
    public var entries: Int
    /// Packets and bytes the block rules matched, all entries together.
    public var droppedPackets: UInt64
    public var droppedBytes: UInt64
    public var detail: String

    public init(backend: String, installed: Bool, action: BlockAction?, entries: Int, droppedPackets: UInt64, droppedBytes: UInt64, detail: String) {
        self.backend = backend
        self.installed = installed
        self.action = action
        self.entries = entries
        self.droppedPackets = droppedPackets
        self.droppedBytes = droppedBytes
        self.detail = detail
    }
}

/// A firewall that can hold bans: nftables (Linux default), iptables + ipset (fallback),
/// Windows Defender Firewall through netsh, macOS pf through an anchor.
///
/// Entries arrive parsed (`BlockTarget`); backends render them from the parsed value only.
/// `*Commands` return exactly what `block`/`unblock` run when nothing is installed yet, for dry
/// runs and unit tests.
public protocol FirewallBackend: Sendable {
    /// "nftables", "iptables+ipset", "netsh", "pf".
    var name: String { get }
    /// Whether entries expire by themselves (kernel set timeouts). Otherwise the ban service's
    /// expiry sweep removes them.
    var expiresEntriesItself: Bool { get }
    func blockCommands(_ entries: [BanEntry]) -> [FirewallCommand]
    func unblockCommands(_ targets: [BlockTarget]) -> [FirewallCommand]
    /// Adds all entries in as few transactions as the backend allows (nftables: one).
    func block(_ entries: [BanEntry]) throws
    /// Removes the entries that are present; absent ones (already expired) are not an error.
    func unblock(_ targets: [BlockTarget]) throws
    func list() throws -> [KernelBan]
    func status() throws -> FirewallStatus
    /// Called for bans whose time ran out (after the backend expired them itself): drops what
    /// the backend keeps beside the ban, so a new ban on the same target starts afresh.
    func forgetExpired(_ targets: [BlockTarget]) throws
    /// The bans and the status from one reading of the firewall (the Firewall tab's refresh).
    func listWithStatus() throws -> (bans: [KernelBan], status: FirewallStatus)
    /// The longest timeout the kernel accepts for an entry (ipset: 2,147,483 s); longer bans go
    /// in permanent and the ban service's expiry sweep lifts them. Nil: no limit below 30 days.
    var longestKernelTimeout: Int? { get }
}

extension FirewallBackend {
    /// Nothing is kept beside a ban by default.
    public func forgetExpired(_ targets: [BlockTarget]) throws {}

    public func listWithStatus() throws -> (bans: [KernelBan], status: FirewallStatus) {
        (try list(), try status())
    }

    public var longestKernelTimeout: Int? { nil }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
