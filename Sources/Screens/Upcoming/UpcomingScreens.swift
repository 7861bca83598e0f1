import UI

// The tabs whose engines land in later issues (#7, #8, #10; the Firewall tab is in Screens/Firewall). Each is already a `Screen`, so the
// issue that brings its engine replaces the empty state with the real view and adds nothing to
// the shell. Until then each says what it will do, with no controls that do nothing.

public final class ScannerScreen: TabScreen {
    public static let title = "Scanner"
    public static func make(_ environment: ScreenEnvironment) -> any Screen { ScannerScreen() }

    public static let plannedFeatures = [
        "TCP port scans of hosts, CIDR ranges and IPv6 addresses, with progress and results per port.",
        "Established connections with the process that owns each one.",
        "LAN discovery by ping and ARP sweep.",
    ]

    public func build(_ ui: UIContext, in rect: Rect) {
        ui.emptyState(Self.title, heading: "Coming in a later release:", lines: Self.plannedFeatures, in: rect)
    }
}

public final class IntelScreen: TabScreen {
    public static let title = "Intel"
    public static func make(_ environment: ScreenEnvironment) -> any Screen { IntelScreen() }

    public static let plannedFeatures = [
        "Reputation of every remote address from AbuseIPDB, VirusTotal and AlienVault OTX.",
        "Consensus per address shown as flagged/3, with country, ASN and provider from offline data.",
    ]

    public func build(_ ui: UIContext, in rect: Rect) {
        ui.emptyState(Self.title, heading: "Coming in a later release:", lines: Self.plannedFeatures, in: rect)
    }
}

public final class IoTMapScreen: TabScreen {
    public static let title = "IoT Map"
    public static func make(_ environment: ScreenEnvironment) -> any Screen { IoTMapScreen() }

    public static let plannedFeatures = [
        "An inventory of devices by MAC and IP with type and first/last seen.",
        "Outbound flows from IoT devices to external destinations, with country, provider and port risk rules.",
    ]

    public func build(_ ui: UIContext, in rect: Rect) {
        ui.emptyState(Self.title, heading: "Coming in a later release:", lines: Self.plannedFeatures, in: rect)
    }
}
