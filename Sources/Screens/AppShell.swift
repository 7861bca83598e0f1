import Traffic
import UI
#if canImport(Glibc)
import Glibc
#endif

/// The window's frame: the tab bar, the active screen, the status bar and the global keyboard
/// shortcuts. Later issues add their screens to `Tab`.
public final class AppShell {
    public enum Tab: Int, CaseIterable, Sendable {
        case dashboard, scanner, intel, firewall, iotMap, scheduler, settings

        public var title: String {
            switch self {
            case .dashboard: "Dashboard"
            case .scanner: "Scanner"
            case .intel: "Intel"
            case .firewall: "Firewall"
            case .iotMap: "IoT Map"
            case .scheduler: "Scheduler"
            case .settings: "Settings"
            }
        }

        public init?(name: String) {
            guard let match = Tab.allCases.first(where: { $0.title.lowercased().replacingSpaces() == name.lowercased().replacingSpaces() }) else { return nil }
            self = match
        }

        /// What a screen that has not landed yet will do (shown instead of dead controls).
        var comingSoon: [String] {
            switch self {
            case .dashboard: []
            case .scanner: ["TCP port scans of hosts, CIDR ranges and IPv6 addresses, with progress and results per port.",
                            "Established connections with the process that owns each one.",
                            "LAN discovery by ping and ARP sweep."]
            case .intel: ["Reputation of every remote address from AbuseIPDB, VirusTotal and AlienVault OTX.",
                          "Consensus per address shown as flagged/3, with country, ASN and provider from offline data."]
            case .firewall: ["Block a flagged address with one click, and auto-block by consensus when enabled.",
                             "An allowlist, expiring bans and an audit log of every change."]
            case .iotMap: ["An inventory of devices by MAC and IP with type and first/last seen.",
                           "Outbound flows from IoT devices to external destinations, with country, provider and port risk rules."]
            case .scheduler: ["Scheduled port scans, LAN discovery, capture windows and reputation refreshes,",
                              "every N minutes or by cron expression, with a history of runs."]
            case .settings: ["API keys (masked), thresholds and toggles, applied with Apply Settings."]
            }
        }
    }

    public let dashboard: DashboardScreen
    public var selectedTab: Tab = .dashboard
    /// Set by Ctrl+Q; the run loop exits when it sees it.
    public private(set) var quitRequested = false
    /// Set by F11; the backend toggles full screen and clears it.
    public var fullscreenToggleRequested = false
    public var theme: Theme = .dark

    public init(capture: CaptureController) {
        dashboard = DashboardScreen(capture: capture)
    }

    public var capture: CaptureController { dashboard.capture }

    /// Epoch nanoseconds; injectable so tests control time.
    public var wallClock: () -> Int64 = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Builds one frame: drains the capture ring into the aggregates first, then the widgets.
    /// Call between `beginFrame` and `endFrame`.
    public func build(_ ui: UIContext) {
        // New packets: draw again at the frame-rate cap. A quiet live capture still redraws four
        // times a second so the graph scrolls and rates fall to zero; nothing else needs frames.
        if capture.drain(now: wallClock()) > 0 {
            ui.wantsAnotherFrame = true
        } else if capture.isCapturing {
            ui.requestWake(at: ui.input.time + 0.25)
        }
        handleShortcuts(ui)
        let viewport = ui.viewport
        let statusHeight: Float = 24
        let tabHeight: Float = 34
        var tabIndex = selectedTab.rawValue
        ui.row([.fill], height: .fixed(tabHeight))
        ui.tabs("Tabs", Tab.allCases.map(\.title), selection: &tabIndex)
        selectedTab = Tab(rawValue: tabIndex) ?? .dashboard
        let content = Rect(x: viewport.x + ui.theme.padding, y: viewport.y + ui.theme.padding + tabHeight + ui.theme.spacing,
                           width: viewport.width - 2 * ui.theme.padding,
                           height: viewport.height - tabHeight - statusHeight - 2 * ui.theme.padding - ui.theme.spacing)
        switch selectedTab {
        case .dashboard: dashboard.build(ui, in: content)
        default: placeholder(ui, selectedTab, in: content)
        }
        ui.statusBar(Rect(x: viewport.x, y: viewport.maxY - statusHeight, width: viewport.width, height: statusHeight),
                     left: statusText, right: "Ctrl+Tab next tab · / filter · F11 full screen · Ctrl+Q quit",
                     leftColor: capture.lastError != nil ? ui.theme.danger : nil)
    }

    var statusText: String {
        if let error = capture.lastError { return error }
        guard let source = capture.sourceName else { return "Idle — pick an interface and press Start, or open a capture file." }
        let statistics = capture.statistics
        let state = capture.isCapturing ? "Capturing from" : "Finished reading"
        return "\(state) \(source) · \(capture.traffic.totals.packets) packets · drops: kernel \(statistics?.kernelDrops ?? 0), ring \(statistics?.ringOverflows ?? 0)"
    }

    func handleShortcuts(_ ui: UIContext) {
        let input = ui.input
        if input.pressed(.character("q"), modifiers: .control) { quitRequested = true }
        if input.pressed(.tab, modifiers: .control) {
            let count = Tab.allCases.count
            let step = input.modifiers.contains(.shift) ? count - 1 : 1
            selectedTab = Tab(rawValue: (selectedTab.rawValue + step) % count) ?? .dashboard
        }
        if input.pressed(.f11) { fullscreenToggleRequested = true }
        if ui.focusedID == 0, input.text == "/" || input.keysPressed.contains(.character("/")), selectedTab == .dashboard {
            ui.focus(dashboard.filterFieldID(ui), swallowTypedText: true)
        }
    }

    func placeholder(_ ui: UIContext, _ tab: Tab, in rect: Rect) {
        ui.panel(tab.title, rect: rect) {
            ui.row([.fill], height: .fixed(28))
            ui.label("Coming in a later release:", color: ui.theme.mutedText)
            for line in tab.comingSoon {
                ui.row([.fill], height: .fixed(24))
                ui.label("•  " + line)
            }
        }
    }
}

extension String {
    func replacingSpaces() -> String { filter { $0 != " " && $0 != "-" && $0 != "_" } }
}
