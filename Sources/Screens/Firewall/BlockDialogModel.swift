import Firewall
import Foundation
import Intel
import Packets
import Store

/// The confirm-block dialog's state and intents, UI-free: which address, its verdict, the
/// chosen duration, the backend that will apply it; Confirm blocks through `FirewallService` on
/// a worker. A refusal (safety policy, allowlist) or a failure keeps the dialog open with its
/// reason; a ban closes it. UI thread only, except the firewall work.
public final class BlockDialogModel {
    /// The durations offered, as `netscouter block --for` reads them.
    public static let durationChoices = ["1h", "24h", "7d", "30d", "permanent"]

    public enum Phase: Equatable, Sendable {
        case closed
        case editing
        case blocking
        /// The safety policy or the allowlist refused it, or the address is not blockable.
        case refused(String)
        /// The firewall could not apply it (no privilege, no backend, a failing command).
        case failed(String)
    }

    public private(set) var phase = Phase.closed
    public private(set) var request: BlockRequest?
    public var durationIndex = 1
    /// Confirm shows exactly what would run instead of changing the firewall.
    public var dryRun = false
    /// The commands the last dry run would have run, one line each.
    public private(set) var dryRunLines: [String] = []
    /// Resolved on a worker when the dialog opens: "nftables", "iptables+ipset" …
    public private(set) var backendName: String?
    /// Why there is no backend (nothing installed), when there is none.
    public private(set) var backendProblem: String?
    /// Called on the UI thread after a ban was applied and recorded (the Firewall tab refreshes).
    public var onBlocked: ((String) -> Void)?

    private let intel: IntelModel?
    private let toasts: ToastCenter
    private let describer: BackgroundTask<Int, Never, String>
    private let blocker: BackgroundTask<BlockJob, Never, FirewallService.BlockOutcome>
    /// Bumps with every opening, so a late backend answer for an earlier opening is dropped.
    private var opening = 0

    struct BlockJob: Sendable {
        let address: String
        let duration: BanDuration
        let reason: String
        let dryRun: Bool
    }

    public init(firewall: @escaping @Sendable () throws -> FirewallService, intel: IntelModel?, inbox: UIInbox, toasts: ToastCenter) {
        self.intel = intel
        self.toasts = toasts
        describer = BackgroundTask("block-dialog-backend", policy: .coalesce, inbox: inbox) { _, _ in try firewall().backend.name }
        blocker = BackgroundTask("block-dialog", policy: .ignoreWhileRunning, inbox: inbox) { job, _ in
            try firewall().block([job.address], duration: job.duration, reason: job.reason, origin: .user, dryRun: job.dryRun, allOrNothing: true)
        }
    }

    public var isOpen: Bool { phase != .closed }
    public var isBlocking: Bool { blocker.isRunning }
    public var hasPendingWork: Bool { describer.isRunning || blocker.isRunning }

    /// Shows the dialog for `request` (ignored while it shows another address).
    public func open(_ request: BlockRequest) {
        guard !isOpen else { return }
        self.request = request
        phase = .editing
        backendName = nil
        backendProblem = nil
        dryRun = false
        dryRunLines = []
        opening += 1
        let current = opening
        // The verdict shows as it arrives: ask about the address now if nobody has.
        if let address = IPAddress(request.address) { intel?.lookUpVisible(address) }
        describer.start(current) { [weak self] outcome in
            guard let self, current == opening else { return .shown }
            switch outcome {
            case let .success(name): backendName = name
            case let .failure(error): backendProblem = error.userText
            case .cancelled: break
            }
            return .shown
        }
    }

    /// The settings' block duration preselected, when it is one of the choices.
    public func apply(_ settings: AppSettings) {
        let preferred: BanDuration = settings.blockDurationHours == 0 ? .permanent : .seconds(settings.blockDurationHours * 3600)
        if let index = Self.durationChoices.firstIndex(where: { (try? BanDuration(parsing: $0)) == preferred }) { durationIndex = index }
    }

    public var durationText: String { Self.durationChoices[min(max(0, durationIndex), Self.durationChoices.count - 1)] }

    /// "3/3 (3 of 3 providers answered)", or why there is none.
    public var verdictText: String {
        guard let request, let address = IPAddress(request.address) else { return "not looked up" }
        if let consensus = intel?.consensus(address) {
            return "\(consensus.text) (\(consensus.answered) of \(consensus.total) providers answered)"
        }
        if intel?.isPending(address) == true { return "looking up…" }
        return AddressScope.of(address).isGlobal ? "not looked up" : "not looked up (not an internet address)"
    }

    /// Whether the verdict reaches the flagged threshold (drawn in the danger colour).
    public var isFlagged: Bool {
        guard let request, let address = IPAddress(request.address), let intel, let consensus = intel.consensus(address) else { return false }
        return intel.isFlagged(consensus)
    }

    public var backendText: String {
        guard let backendName else { return backendProblem == nil ? "…" : "none" }
        return dryRun ? "\(backendName) (dry run: nothing is changed)" : backendName
    }

    /// What to show under the fields: the last refusal or failure, else why there is no backend.
    public var problem: String? {
        switch phase {
        case let .refused(reason), let .failed(reason): reason
        default: backendName == nil ? backendProblem : nil
        }
    }

    /// Blocks the address for the chosen duration on a worker.
    public func confirm() {
        guard let request, phase != .closed, !blocker.isRunning else { return }
        let duration: BanDuration
        do { duration = try BanDuration(parsing: durationText) } catch {
            phase = .failed("\(error)")
            return
        }
        phase = .blocking
        dryRunLines = []
        let job = BlockJob(address: request.address, duration: duration, reason: "Block from \(request.place)", dryRun: dryRun)
        blocker.start(job) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(result): finish(result, request: request, duration: duration)
            case let .failure(error): phase = .failed(error.userText)
            case .cancelled: phase = .editing
            }
            return .shown
        }
    }

    private func finish(_ result: FirewallService.BlockOutcome, request: BlockRequest, duration: BanDuration) {
        if let failure = result.failure {
            phase = .failed("The firewall (\(result.backend)) did not apply the ban: \(failure)")
        } else if let refusal = result.refused.first {
            phase = .refused("Refused (\(refusal.kind.rawValue)): \(refusal.reason).")
        } else if let invalid = result.invalid.first {
            phase = .refused("Refused: \(invalid)")
        } else if result.blocked.isEmpty, let skipped = result.skipped.first {
            phase = .refused("Nothing to do: \(skipped.target) is \(skipped.reason).")
        } else if result.dryRun {
            phase = .editing
            dryRunLines = result.commands.flatMap { $0.description.split(separator: "\n").map(String.init) }
        } else {
            let target = result.blocked.first?.target.description ?? request.address
            phase = .closed
            self.request = nil
            toasts.post("Blocked \(target) \(duration == .permanent ? "permanently" : "for \(duration)") (\(result.backend))", kind: .success)
            onBlocked?(target)
        }
    }

    /// Closes the dialog; nothing is blocked (a block already running still finishes and shows).
    public func cancel() {
        guard !blocker.isRunning else { return }
        phase = .closed
        request = nil
    }
}
