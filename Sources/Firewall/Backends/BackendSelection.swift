import Store
import Synchronization

/// Which backend to use on this machine.
public enum BackendChoice: String, Sendable, CaseIterable {
    case auto, nftables, iptables

    /// nftables when `nft` is installed, else iptables + ipset when both are, else an error
    /// that says what to install.
    public func make(action: BlockAction, runner: ProcessCommandRunner = ProcessCommandRunner()) throws -> any FirewallBackend {
        let hasNft = runner.locate("nft") != nil
        let hasIptables = runner.locate("iptables") != nil && runner.locate("ipset") != nil
        switch self {
        case .nftables:
            guard hasNft else { throw FirewallError.toolMissing(tool: "nft", package: "nftables") }
            return NftablesBackend(action: action, runner: runner)
        case .iptables:
            guard hasIptables else { throw FirewallError.toolMissing(tool: "iptables and ipset", package: "iptables ipset") }
            return IptablesIpsetBackend(action: action, runner: runner)
        case .auto:
            if hasNft { return NftablesBackend(action: action, runner: runner) }
            if hasIptables { return IptablesIpsetBackend(action: action, runner: runner) }
            throw FirewallError.toolMissing(tool: "nft", package: "nftables")
        }
    }
}

extension FirewallService {
    /// The firewall this machine's settings ask for: `choice` of backend (default: nftables,
    /// else iptables + ipset) with `action`, or the `firewallAction` setting when nil. The one
    /// way the CLI, the window, the daemon and scheduled jobs open it.
    /// - Throws: the settings could not be read (the action would be a guess), or no backend is
    ///   installed (`toolMissing`, saying what to install).
    public static func configured(database: NetScouterDatabase, choice: BackendChoice = .auto, action: BlockAction? = nil) throws -> FirewallService {
        FirewallService(backend: try choice.make(action: try action ?? configuredAction(database: database)), database: database)
    }

    /// The `firewallAction` setting; an unreadable settings table is an error, not a guess.
    public static func configuredAction(database: NetScouterDatabase) throws -> BlockAction {
        do { return BlockAction(settings: try SettingsStore(database: database).load()) } catch {
            throw FirewallError.other("The settings could not be read, so the firewall action (drop or reject) is unknown: \(error). Nothing was changed.")
        }
    }
}

/// A long-running process's ban service (the window's): built once and kept while the
/// configured action stays the same, so its backend keeps what it learned of the kernel table
/// and a ban after the first is one `nft` run; rebuilt when Apply Settings changed the action.
public final class ConfiguredFirewall: Sendable {
    private let database: NetScouterDatabase
    private let current = Mutex<(action: BlockAction, service: FirewallService)?>(nil)

    public init(database: NetScouterDatabase) { self.database = database }

    /// Blocking (reads the settings, looks for `nft`): call on a worker.
    public func service() throws -> FirewallService {
        let action = try FirewallService.configuredAction(database: database)
        return try current.withLock { current throws(FirewallError) -> FirewallService in
            if let current, current.action == action { return current.service }
            let service: FirewallService
            do { service = FirewallService(backend: try BackendChoice.auto.make(action: action), database: database) } catch {
                throw error as? FirewallError ?? .other("\(error)")
            }
            current = (action, service)
            return service
        }
    }
}

extension BlockAction {
    /// The configured action (settings `firewallAction`).
    public init(settings: AppSettings) {
        self = BlockAction(rawValue: settings.firewallAction) ?? .drop
    }
}
