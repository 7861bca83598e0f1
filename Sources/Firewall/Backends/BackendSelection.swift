import Store

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

extension BlockAction {
    /// The configured action (settings `firewallAction`).
    public init(settings: AppSettings) {
        self = BlockAction(rawValue: settings.firewallAction) ?? .drop
    }
}
