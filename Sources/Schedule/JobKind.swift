/// What a scheduled job does. The raw values are what gets stored, so never change them.
public enum JobKind: String, CaseIterable, Sendable, Codable {
    case portScan = "port-scan"
    case lanDiscovery = "lan-discovery"
    /// Capture for N seconds, writing a pcap and the traffic aggregates.
    case captureWindow = "capture-window"
    case reputationRefresh = "reputation-refresh"
    /// Import a blocklist file into the firewall (one batch).
    case blocklistImport = "blocklist-import"

    /// For the UI.
    public var title: String {
        switch self {
        case .portScan: return "Port scan"
        case .lanDiscovery: return "LAN discovery"
        case .captureWindow: return "Capture window"
        case .reputationRefresh: return "Reputation refresh"
        case .blocklistImport: return "Blocklist import"
        }
    }
}
