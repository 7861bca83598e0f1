import Store

/// Who or what asked for a ban, and why: what the audit log and the bans list show.
public enum BanOrigin: Equatable, Sendable {
    /// A person: the CLI, the window's Block button.
    case manual(actor: String)
    /// Auto-block: `flagged` of `total` reputation providers flag the address.
    case consensus(flagged: Int, total: Int)
    /// A scheduled job.
    case scheduled(job: String)
    /// A blocklist file.
    case imported(list: String)

    public static let user = BanOrigin.manual(actor: "user")

    public var source: BlockSource {
        switch self {
        case .manual: .manual
        case .consensus: .auto
        case .scheduled: .scheduled
        case .imported: .imported
        }
    }

    /// The audit log's "who".
    public var actor: String {
        switch self {
        case let .manual(actor): actor
        case .consensus: "auto-block"
        case let .scheduled(job): "scheduler: \(job)"
        case .imported: "import"
        }
    }

    /// The audit log's "why": manual, consensus 3/3, scheduled, imported list.
    public var why: String {
        switch self {
        case .manual: "manual"
        case let .consensus(flagged, total): "consensus \(flagged)/\(total)"
        case let .scheduled(job): "scheduled (\(job))"
        case let .imported(list): "imported list \(list)"
        }
    }
}
