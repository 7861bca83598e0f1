import Firewall
import Dispatch
import Foundation
import Store

/// The Firewall tab's state and intents, UI-free: active bans with time left and hits, the
/// allowlist and the audit log, read and changed through `FirewallService` on a worker.
public final class FirewallModel {
    public struct Snapshot: Sendable {
        public var bans: [FirewallService.BanStatus] = []
        public var allowlist: [AllowlistEntry] = []
        public var audit: [AuditEvent] = []
        public var status: String = ""
        /// When it was read: time left counts down from here.
        public var readAt = Date()
        /// What the change that produced this snapshot wants the user to know (posted as a toast).
        public var notice: String?
    }

    enum Change: Sendable {
        case unblock(String)
        case allow(String, note: String)
        case disallow(String)
    }

    public private(set) var snapshot = Snapshot()
    public private(set) var hasLoaded = false
    /// The last change's or refresh's problem, shown above the tables (also posted as a toast).
    public private(set) var problem: String?
    /// Refreshes coalesce (a slow firewall never queues one per 5 s tick); changes run in order.
    /// Both share one queue: they never run at the same time.
    private let refresher: BackgroundTask<Void, Never, Snapshot>
    private let changes: BackgroundTask<Change, Never, Snapshot>
    private let toasts: ToastCenter

    public init(firewall: @escaping @Sendable () throws -> FirewallService, inbox: UIInbox, toasts: ToastCenter) {
        self.toasts = toasts
        let queue = DispatchQueue(label: "netscouter.task.firewall", qos: .userInitiated)
        refresher = BackgroundTask("firewall.refresh", policy: .coalesce, queue: queue, inbox: inbox, toasts: toasts) { _, _ in
            try Self.read(try firewall())
        }
        changes = BackgroundTask("firewall.change", policy: .serial, queue: queue, inbox: inbox, toasts: toasts) { change, _ in
            let service = try firewall()
            var notice: String?
            switch change {
            case let .unblock(target): try service.unblock(target, actor: "user", reason: "Firewall tab")
            case let .allow(text, note):
                let result = try service.allow(text, note: note)
                if !result.overlappingBans.isEmpty {
                    notice = "\(result.entry) is allowlisted, but active bans overlap it and stay in force: \(result.overlappingBans.joined(separator: ", ")). Unblock them to let it through."
                }
            case let .disallow(text): try service.disallow(text)
            }
            var snapshot = try Self.read(service)
            snapshot.notice = notice
            return snapshot
        }
    }

    /// Bans, allowlist, audit log and the firewall's status, the kernel read once.
    static func read(_ service: FirewallService) throws -> Snapshot {
        var snapshot = Snapshot()
        // Not a reason to show nothing, but said: stale bans would otherwise linger unexplained.
        var sweepProblem: String?
        do { try service.sweepExpired() } catch { sweepProblem = "expired bans were not cleared: \(error)" }
        let overview = try service.overview()
        snapshot.bans = overview.bans
        snapshot.allowlist = try AllowlistStore(database: service.database).all()
        snapshot.audit = try AuditLog(database: service.database).recent(limit: 200)
        if let status = overview.status {
            snapshot.status = "\(status.backend): \(status.entries) entries in the firewall, \(status.droppedPackets) packets \(status.action == .reject ? "rejected" : "dropped")"
        } else {
            snapshot.status = "\(service.backend.name): the firewall cannot be read (needs CAP_NET_ADMIN); showing the stored bans"
        }
        if let sweepProblem { snapshot.status += " — " + sweepProblem }
        snapshot.readAt = Date()
        return snapshot
    }

    public var hasPendingWork: Bool { refresher.isRunning || changes.isRunning }

    public func refresh() {
        refresher.start(()) { [weak self] outcome in
            switch outcome {
            case let .success(snapshot): self?.loaded(snapshot)
            case let .failure(error):
                // Shown, and not retried: the next periodic refresh tries again. The same problem
                // again (nft still missing) stays inline instead of a toast every 5 s.
                let repeated = self?.problem == error.userText
                self?.problem = error.userText
                return repeated ? .shown : .unhandled
            case .cancelled: break
            }
            return .unhandled
        }
    }

    public func unblock(_ target: String) { send(.unblock(target)) }
    public func allow(_ text: String, note: String) { send(.allow(text, note: note)) }
    public func disallow(_ entry: String) { send(.disallow(entry)) }

    private func send(_ change: Change) {
        let toasts = toasts
        changes.start(change) { [weak self] outcome in
            switch outcome {
            case let .success(snapshot):
                self?.loaded(snapshot)
                self?.problem = nil
                if let notice = snapshot.notice { toasts.post(notice, kind: .info) }
            case let .failure(error):
                self?.problem = error.userText
                // The change may have half happened (in the firewall, not the store): show what is.
                self?.refresh()
            case .cancelled: break
            }
            return .unhandled
        }
    }

    private func loaded(_ snapshot: Snapshot) {
        self.snapshot = snapshot
        hasLoaded = true
    }

    /// Seconds left on `ban` at `now`, counting down from when the snapshot was read.
    public func secondsLeft(_ ban: FirewallService.BanStatus, at now: Date = Date()) -> Int? {
        ban.secondsLeft.map { max(0, $0 - Int(now.timeIntervalSince(snapshot.readAt))) }
    }
}
