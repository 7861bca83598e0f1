import Store
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
    /// The Settings tab (nil without services: the tab shows what it will do).
    public let settingsScreen: SettingsScreen?
    /// The Scheduler tab (nil without services).
    public let schedulerScreen: SchedulerScreen?
    public let services: AppServices?
    /// Where workers post their results; drained at the start of every frame.
    public let inbox: UIInbox
    /// Toasts from workers' results, shown whichever tab is open.
    public let toasts = ToastCenter()
    public var selectedTab: Tab = .dashboard
    /// Set by Ctrl+Q; the run loop exits when it sees it.
    public private(set) var quitRequested = false
    /// Set by F11; the backend toggles full screen and clears it.
    public var fullscreenToggleRequested = false
    /// The theme in force. The caller sets the initial `ui.theme` (command-line flag,
    /// preferences); when Settings are applied with a different theme, `build` switches
    /// `ui.theme` to it itself, in the frame the save is confirmed, and updates this property,
    /// so callers that remember the theme (window preferences) read it from `ui.theme` or here.
    public var theme: Theme = .dark
    private var themeToApply: Theme?
    /// The theme setting last saved, so applying other settings never overrides a theme the
    /// caller chose (command line, window preferences).
    private var savedThemeSetting = "dark"

    /// `services` nil keeps Settings and Scheduler as placeholders (tests, screenshots). With
    /// services the settings are read once here, before the first frame.
    public init(capture: CaptureController, services: AppServices? = nil, inbox: UIInbox = UIInbox()) {
        self.inbox = inbox
        self.services = services
        var exportDirectory = ""
        if let services {
            let backend = StoreSettingsBackend(database: services.database, writer: services.writer, secrets: services.secrets,
                                               environment: services.environment)
            let settings = SettingsScreen(backend: backend, inbox: inbox)
            exportDirectory = settings.applied.exportDirectory
            theme = settings.applied.theme == "light" ? .light : .dark
            savedThemeSetting = settings.applied.theme
            settingsScreen = settings
            // Live captures keep their finished flows in the store.
            capture.flowHistoryWriter = services.writer
            schedulerScreen = SchedulerScreen(service: services.scheduleService, scheduler: services.scheduler, inbox: inbox,
                                              toasts: toasts, exportDirectory: exportDirectory)
        } else {
            settingsScreen = nil
            schedulerScreen = nil
        }
        dashboard = DashboardScreen(capture: capture, inbox: inbox, toasts: toasts, exportDirectory: exportDirectory)
        if let settings = settingsScreen { dashboard.apply(settings.applied) }
        settingsScreen?.onApplied = { [weak self] settings, _ in self?.settingsApplied(settings) }
    }

    /// Runs on the UI thread (from the inbox) once new settings are saved.
    private func settingsApplied(_ settings: AppSettings) {
        if settings.theme != savedThemeSetting {
            savedThemeSetting = settings.theme
            theme = settings.theme == "light" ? .light : .dark
            themeToApply = theme
        }
        dashboard.apply(settings)
        schedulerScreen?.exportDirectory = settings.exportDirectory
    }

    /// True while short work started from the window (a save, an export, a job action) has not
    /// reported back through the inbox.
    public var hasPendingWork: Bool {
        dashboard.isExporting || settingsScreen?.isSaving == true || schedulerScreen?.hasPendingWork == true
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
        // Workers' results first, so everything below sees them.
        if inbox.drain() > 0 { ui.wantsAnotherFrame = true }
        if let themeToApply {
            ui.theme = themeToApply
            self.themeToApply = nil
        }
        toasts.deliver(to: ui)
        // Waiting for a worker: look again soon even if the inbox has no wake handler (a job run
        // started here can take minutes, so poll those slowly).
        if hasPendingWork {
            ui.requestWake(at: ui.input.time + 0.05)
        } else if schedulerScreen?.hasRunsInFlight == true {
            ui.requestWake(at: ui.input.time + 0.5)
        }
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
        case .settings where settingsScreen != nil: settingsScreen?.build(ui, in: content)
        case .scheduler where schedulerScreen != nil: schedulerScreen?.build(ui, in: content)
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
