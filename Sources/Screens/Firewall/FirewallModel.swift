import Firewall
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
    }

    enum Request: Sendable {
        case refresh
        case unblock(String)
        case allow(String, note: String)
        case disallow(String)
    }

    public private(set) var snapshot = Snapshot()
    public private(set) var hasLoaded = false
    /// The last change's problem, shown above the tables (also posted as a toast).
    public private(set) var problem: String?
    private let task: BackgroundTask<Request, Never, Snapshot>

    public init(firewall: @escaping @Sendable () throws -> FirewallService, inbox: UIInbox, toasts: ToastCenter) {
        task = BackgroundTask("firewall", policy: .serial, inbox: inbox, toasts: toasts) { request, _ in
            let service = try firewall()
            switch request {
            case .refresh: break
            case let .unblock(target): try service.unblock(target, actor: "user", reason: "Firewall tab")
            case let .allow(text, note): try service.allow(text, note: note)
            case let .disallow(text): try service.disallow(text)
            }
            var snapshot = Snapshot()
            try? service.sweepExpired()
            snapshot.bans = try service.activeBans()
            snapshot.allowlist = try AllowlistStore(database: service.database).all()
            snapshot.audit = try AuditLog(database: service.database).recent(limit: 200)
            if let status = try? service.backend.status() {
                snapshot.status = "\(status.backend): \(status.entries) entries in the firewall, \(status.droppedPackets) packets \(status.action == .reject ? "rejected" : "dropped")"
            } else {
                snapshot.status = "\(service.backend.name): the firewall cannot be read (needs CAP_NET_ADMIN); showing the stored bans"
            }
            snapshot.readAt = Date()
            return snapshot
        }
    }

    public var hasPendingWork: Bool { task.isRunning }

    public func refresh() { send(.refresh) }
    public func unblock(_ target: String) { send(.unblock(target)) }
    public func allow(_ text: String, note: String) { send(.allow(text, note: note)) }
    public func disallow(_ entry: String) { send(.disallow(entry)) }

    private func send(_ request: Request) {
        task.start(request) { [weak self] outcome in
            switch outcome {
            case let .success(snapshot):
                self?.snapshot = snapshot
                self?.hasLoaded = true
                if case .refresh = request {} else { self?.problem = nil }
            case let .failure(error):
                self?.problem = error.userText
                self?.refresh()
            case .cancelled: break
            }
            return .unhandled
        }
    }

    /// Seconds left on `ban` at `now`, counting down from when the snapshot was read.
    public func secondsLeft(_ ban: FirewallService.BanStatus, at now: Date = Date()) -> Int? {
        ban.secondsLeft.map { max(0, $0 - Int(now.timeIntervalSince(snapshot.readAt))) }
    }
}
