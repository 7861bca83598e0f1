import Dispatch
import Foundation

/// What a long-running process (the window, `netscouter daemon`) does for bans: re-apply the
/// stored ones at start-up, then mark expired ones lifted (and, for backends without kernel
/// timeouts, remove them) every `sweepEvery` seconds. Work runs on a queue of its own.
public final class BanKeeper: @unchecked Sendable {
    public let firewall: FirewallService
    private let queue = DispatchQueue(label: "netscouter.firewall.bans")
    private var timer: DispatchSourceTimer?
    private let report: @Sendable (String, Bool) -> Void

    /// - Parameter report: a line and whether it is an error (logged by the daemon, shown by the window).
    public init(firewall: FirewallService, report: @escaping @Sendable (String, Bool) -> Void) {
        self.firewall = firewall
        self.report = report
    }

    /// Re-applies on the keeper's queue, then starts the sweep timer.
    public func start(sweepEvery: TimeInterval = 30) {
        queue.async { [self] in
            do {
                let outcome = try firewall.reapply()
                if outcome.reapplied + outcome.alreadyPresent + outcome.expired > 0 {
                    report("firewall: \(outcome.reapplied) ban(s) re-applied, \(outcome.alreadyPresent) already in place, \(outcome.expired) expired (\(firewall.backend.name))", false)
                }
            } catch {
                report("firewall: re-applying the stored bans failed: \(error)", true)
            }
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + sweepEvery, repeating: sweepEvery)
        timer.setEventHandler { [self] in
            do {
                let expired = try firewall.sweepExpired()
                if expired > 0 { report("firewall: \(expired) temporary ban(s) expired", false) }
            } catch {
                report("firewall: lifting expired bans failed: \(error)", true)
            }
        }
        timer.resume()
        self.timer = timer
    }

    public func stop() {
        timer?.cancel()
        timer = nil
        queue.sync {}
    }
}
