import Dispatch
import Firewall
import Intel
import Store
import Synchronization

/// Auto-block by consensus in the window: every reputation answer the window's lookups produce
/// goes to the same `AutoBlocker` the daemon uses (enabled in the settings in force, consensus
/// at the threshold, recorded only when the firewall applied it), on a serial worker of its own
/// so lookups and the UI never wait for the firewall. A ban is announced and the Firewall tab
/// refreshed; a failure is shown (the ban service audited it); a refusal is shown once.
public final class WindowAutoBlock {
    /// The last decision per address, on the UI thread (tests, diagnostics).
    public private(set) var decisions: [String: AutoBlocker.Decision] = [:]
    /// Called on the UI thread after an address was blocked.
    public var onBlocked: ((String) -> Void)?

    /// What the worker side reads and counts.
    private final class Shared: Sendable {
        let settings: Mutex<AppSettings>
        let pending = Atomic<Int>(0)
        init(_ settings: AppSettings) { self.settings = Mutex(settings) }
        var current: AppSettings { settings.withLock { $0 } }
    }

    private let shared: Shared
    private let toasts: ToastCenter
    private var refusalsShown: Set<String> = []

    public init(firewall: @escaping @Sendable () throws -> FirewallService, intel: IntelModel, settings: AppSettings,
                inbox: UIInbox, toasts: ToastCenter) {
        let shared = Shared(settings)
        self.shared = shared
        self.toasts = toasts
        let model = UIThreadReference(self)
        let queue = DispatchQueue(label: "netscouter.window-auto-block", qos: .utility)
        intel.observers.add { reputation in
            // Nothing any threshold (1–3) blocks: no settings or firewall work at all.
            guard reputation.consensus.flagged >= 1, shared.current.autoBlockEnabled else { return }
            shared.pending.add(1, ordering: .relaxed)
            queue.async {
                let decision: AutoBlocker.Decision
                do {
                    decision = AutoBlocker(firewall: try firewall(), settings: { shared.current }).consider(reputation)
                } catch {
                    decision = .failed(error as? FirewallError ?? .other("\(error)"))
                }
                inbox.post {
                    shared.pending.add(-1, ordering: .relaxed)
                    model.object?.decided(decision, address: reputation.address, consensus: reputation.consensus)
                }
            }
        }
    }

    /// The settings in force (after Apply Settings).
    public func apply(_ settings: AppSettings) {
        shared.settings.withLock { $0 = settings }
    }

    /// True while answers wait for the firewall.
    public var hasPendingWork: Bool { shared.pending.load(ordering: .relaxed) > 0 }

    private func decided(_ decision: AutoBlocker.Decision, address: String, consensus: Consensus) {
        decisions[address] = decision
        switch decision {
        case let .blocked(target):
            toasts.post("Auto-blocked \(target): consensus \(consensus.text)", kind: .success)
            onBlocked?(target)
        case let .failed(failure):
            toasts.post("Auto-block of \(address) (consensus \(consensus.text)) failed: \(failure)", kind: .error)
        case let .refused(refusal):
            if refusalsShown.insert(address).inserted {
                toasts.post("Auto-block did not block \(address) (consensus \(consensus.text)): \(refusal.reason)", kind: .info)
            }
        case .disabled, .belowThreshold, .alreadyBlocked:
            break
        }
    }
}
