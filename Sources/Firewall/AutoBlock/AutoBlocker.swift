import Foundation
import Intel
import Store

/// Auto-block by consensus: blocks an address only when (1) "Auto-block by consensus" is on in
/// settings, (2) at least `consensusThreshold` providers flag it, and (3) the firewall applied
/// the ban — only then is it recorded as blocked. A failure is audited (by the ban service) and
/// reported through `onFailure`, never hidden.
public final class AutoBlocker: Sendable {
    public enum Decision: Equatable, Sendable {
        case disabled
        case belowThreshold(flagged: Int, threshold: Int)
        case alreadyBlocked
        case blocked(String)
        case refused(Refusal)
        case failed(FirewallError)
    }

    public let firewall: FirewallService
    private let settings: @Sendable () throws -> AppSettings
    private let onFailure: @Sendable (String) -> Void

    public init(firewall: FirewallService, settings: (@Sendable () throws -> AppSettings)? = nil,
                onFailure: @escaping @Sendable (String) -> Void = { _ in }) {
        self.firewall = firewall
        let database = firewall.database
        self.settings = settings ?? { try SettingsStore(database: database).load() }
        self.onFailure = onFailure
    }

    /// Decides on one reputation result (from `ReputationService.lookup`).
    @discardableResult
    public func consider(_ reputation: AddressReputation) -> Decision {
        consider(address: reputation.address, consensus: reputation.consensus)
    }

    @discardableResult
    public func consider(address: String, consensus: Consensus) -> Decision {
        let current: AppSettings
        do { current = try settings() } catch {
            let failure = FirewallError.other("Auto-block could not read the settings: \(error)")
            onFailure(failure.description)
            return .failed(failure)
        }
        guard current.autoBlockEnabled else { return .disabled }
        guard consensus.flagged >= current.consensusThreshold else {
            return .belowThreshold(flagged: consensus.flagged, threshold: current.consensusThreshold)
        }
        do {
            if try firewall.activeBans(includeKernel: false).contains(where: { $0.target == address }) { return .alreadyBlocked }
            let duration: BanDuration = current.blockDuration.map { .seconds(min(Int($0), BanDuration.maximumSeconds)) } ?? .permanent
            let outcome = try firewall.block([address], duration: duration, reason: "reputation consensus \(consensus.text)",
                                             origin: .consensus(flagged: consensus.flagged, total: consensus.total))
            if let failure = outcome.failure {
                onFailure("Auto-block of \(address) failed: \(failure)")
                return .failed(failure)
            }
            if let refusal = outcome.refused.first { return .refused(refusal) }
            if let invalid = outcome.invalid.first { return .failed(.other(invalid)) }
            if outcome.blocked.isEmpty, outcome.skipped.first != nil { return .alreadyBlocked }
            return .blocked(address)
        } catch {
            let failure = error as? FirewallError ?? .other("\(error)")
            onFailure("Auto-block of \(address) failed: \(failure)")
            return .failed(failure)
        }
    }
}
