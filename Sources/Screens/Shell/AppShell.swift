import Store
import Traffic
import UI
#if canImport(Glibc)
import Glibc
#endif

/// The window's frame: the tab bar, the active screen, the status bar and the global keyboard
/// shortcuts. It knows screens only as `Screen`s: a new tab is one type and one line in
/// `screenTypes`.
public final class AppShell {
    /// Every tab, in tab-bar order. (Metatypes of classes: immutable, so safe to share.)
    nonisolated(unsafe) public static let screenTypes: [any TabScreen.Type] = [
        DashboardScreen.self,
        ScannerScreen.self,
        IntelScreen.self,
        FirewallScreen.self,
        IoTMapScreen.self,
        SchedulerScreen.self,
        SettingsScreen.self,
    ]

    /// A tab, by its title.
    public struct Tab: Hashable, Sendable, CustomStringConvertible {
        public let title: String

        init(_ title: String) { self.title = title }

        /// The tab called `name`, ignoring case, spaces, '-' and '_' ("iot-map" is "IoT Map").
        public init?(name: String) {
            let wanted = name.lowercased().replacingSpaces()
            guard let match = AppShell.screenTypes.first(where: { $0.title.lowercased().replacingSpaces() == wanted }) else { return nil }
            title = match.title
        }

        public static var allCases: [Tab] { AppShell.screenTypes.map { Tab($0.title) } }

        public static let dashboard = Tab(DashboardScreen.title)
        public static let scanner = Tab(ScannerScreen.title)
        public static let intel = Tab(IntelScreen.title)
        public static let firewall = Tab(FirewallScreen.title)
        public static let iotMap = Tab(IoTMapScreen.title)
        public static let scheduler = Tab(SchedulerScreen.title)
        public static let settings = Tab(SettingsScreen.title)

        public var description: String { title }
    }

    /// The screens, in tab order (one per entry of `screenTypes`).
    public let screens: [any Screen]
    public let services: AppServices?
    /// Where workers post their results; drained at the start of every frame.
    public let inbox: UIInbox
    /// Toasts from screens and workers' results, shown whichever tab is open.
    public let toasts: ToastCenter
    public let capture: CaptureController
    /// Reputation lookups and geo/AS data, shared by the Intel tab and the tables' columns.
    public let intel: IntelModel
    /// Where rows ask to block an address (no handler without a firewall in this session).
    public let blockRequests = BlockRequests()
    /// The one confirm-block dialog (nil without a store or firewall).
    public let blockDialog: BlockDialog?
    /// Auto-block by consensus of the window's lookups (nil without a store or firewall).
    public let autoBlock: WindowAutoBlock?
    private var selectedIndex = 0
    /// How often frames come while only captured data changes (input draws at once).
    public var livePacing = LiveRedrawPacing()
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

    /// `services` nil leaves Settings and Scheduler without a store (tests, screenshots): they
    /// say so. With services the settings are read once here, before the first frame.
    /// `screenTypes` is the tab list (tests add one of their own to prove a tab needs nothing else).
    public init(capture: CaptureController, services: AppServices? = nil, inbox: UIInbox = UIInbox(),
                screenTypes: [any TabScreen.Type] = AppShell.screenTypes) {
        self.capture = capture
        self.inbox = inbox
        self.services = services
        let toasts = ToastCenter()
        self.toasts = toasts
        // Live captures keep their finished flows in the store.
        if let services { capture.flowHistoryWriter = services.writer }
        let intel = IntelModel(services: services, inbox: inbox, toasts: toasts)
        self.intel = intel
        let environment = ScreenEnvironment(capture: capture, services: services, inbox: inbox, toasts: toasts, intel: intel,
                                            blockRequests: blockRequests)
        if let firewall = services?.firewall {
            blockDialog = BlockDialog(model: BlockDialogModel(firewall: firewall, intel: intel, inbox: inbox, toasts: toasts))
        } else {
            blockDialog = nil
        }
        // Settings in force are handed over below (and after every Apply Settings).
        autoBlock = services?.firewall.map { WindowAutoBlock(firewall: $0, intel: intel, settings: .defaults, inbox: inbox, toasts: toasts) }
        screens = screenTypes.map { $0.make(environment) }
        // "Scan" on a host or flow row fills the Scanner's target and shows that tab.
        if let scanner = screens.lazy.compactMap({ $0 as? ScannerScreen }).first,
           let dashboard = screens.lazy.compactMap({ $0 as? DashboardScreen }).first {
            dashboard.onScan = { [weak self, weak scanner] address in
                scanner?.model.prefill(target: address)
                self?.selectedTab = .scanner
            }
        }
        // A finished LAN discovery fed the IoT inventory: the map shows it at once.
        if let scanner = screens.lazy.compactMap({ $0 as? ScannerScreen }).first,
           let iotMap = screens.lazy.compactMap({ $0 as? IoTMapScreen }).first {
            scanner.model.onDiscoveryFinished = { [weak iotMap] in iotMap?.model.discoveryFinished() }
        }
        // Every Block action (row buttons, `B`, the IoT map) opens the one dialog; a ban it
        // applies shows in the Firewall tab at once.
        if let blockDialog {
            blockRequests.handler = { [weak blockDialog] request in blockDialog?.model.open(request) }
            blockDialog.model.onBlocked = { [weak self] _ in self?.screen(FirewallScreen.self)?.model.refresh() }
        }
        autoBlock?.onBlocked = { [weak self] _ in self?.screen(FirewallScreen.self)?.model.refresh() }
        if let iotMap = screen(IoTMapScreen.self), blockRequests.isAvailable {
            iotMap.onBlock = { [weak self] address in self?.blockRequests.request(address, from: "IoT Map") }
        }
        if let settings = settingsScreen {
            let applied = settings.model.applied
            theme = applied.theme == "light" ? .light : .dark
            savedThemeSetting = applied.theme
            for screen in screens { screen.apply(applied) }
            blockDialog?.model.apply(applied)
            autoBlock?.apply(applied)
            settings.model.onApplied = { [weak self] settings, _ in self?.settingsApplied(settings) }
        }
        intel.apply(settingsScreen?.model.applied ?? .defaults)
    }

    /// The screen of type `type`, if the shell has one.
    public func screen<S: Screen>(_ type: S.Type) -> S? {
        screens.lazy.compactMap { $0 as? S }.first
    }

    /// The Dashboard (every shell has one: it owns the capture's controls).
    public var dashboard: DashboardScreen { screen(DashboardScreen.self)! }
    /// The Settings tab (nil without services: the tab says the store is unavailable).
    public var settingsScreen: SettingsScreen? { screen(SettingsScreen.self) }
    /// The Scanner tab.
    public var scannerScreen: ScannerScreen? { screen(ScannerScreen.self) }
    /// The Scheduler tab (nil without services).
    public var schedulerScreen: SchedulerScreen? { screen(SchedulerScreen.self) }

    public var selectedTab: Tab {
        get { Tab(screens[selectedIndex].title) }
        set { if let index = screens.firstIndex(where: { $0.title == newValue.title }) { selectedIndex = index } }
    }

    public var selectedScreen: any Screen { screens[selectedIndex] }

    /// Every screen's kiosk panels, in tab order.
    public var kioskPanels: [KioskPanel] { screens.flatMap(\.kioskPanels) }

    /// Runs on the UI thread (from the inbox) once new settings are saved.
    private func settingsApplied(_ settings: AppSettings) {
        if settings.theme != savedThemeSetting {
            savedThemeSetting = settings.theme
            theme = settings.theme == "light" ? .light : .dark
            themeToApply = theme
        }
        intel.apply(settings)
        autoBlock?.apply(settings)
        blockDialog?.model.apply(settings)
        for screen in screens { screen.apply(settings) }
    }

    /// True while short work started from the window (a save, an export, a job action) has not
    /// reported back through the inbox.
    public var hasPendingWork: Bool {
        screens.contains { $0.hasPendingWork } || blockDialog?.model.hasPendingWork == true || autoBlock?.hasPendingWork == true
    }

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
        // Waiting for a worker: look again soon even if the inbox has no wake handler (a job run
        // started here can take minutes, so poll those slowly).
        if hasPendingWork {
            ui.requestWake(at: ui.input.time + 0.05)
        } else if screens.contains(where: { $0.hasLongRunningWork }) {
            ui.requestWake(at: ui.input.time + 0.5)
        }
        // New packets: draw again after the live pacing interval (sooner when the ring fills
        // fast). A quiet live capture still redraws four times a second so the graph scrolls and
        // rates fall to zero; nothing else needs frames.
        let drained = capture.drain(now: wallClock())
        if drained > 0 {
            livePacing.schedule(ui, drained: drained, session: capture.session)
        } else if capture.isCapturing {
            ui.requestWake(at: ui.input.time + 0.25)
        }
        let shown = selectedScreen
        for screen in screens where screen !== shown { screen.backgroundTick(now: ui.input.time) }
        handleShortcuts(ui)
        let viewport = ui.viewport
        let statusHeight: Float = 24
        let tabHeight: Float = 34
        var tabIndex = selectedIndex
        ui.row([.fill], height: .fixed(tabHeight))
        ui.tabs("Tabs", screens.map(\.title), selection: &tabIndex)
        selectedIndex = screens.indices.contains(tabIndex) ? tabIndex : 0
        let content = Rect(x: viewport.x + ui.theme.padding, y: viewport.y + ui.theme.padding + tabHeight + ui.theme.spacing,
                           width: viewport.width - 2 * ui.theme.padding,
                           height: viewport.height - tabHeight - statusHeight - 2 * ui.theme.padding - ui.theme.spacing)
        let screen = selectedScreen
        screen.build(ui, in: content)
        // Above the screen: a Block asked for while building opens in this frame.
        blockDialog?.build(ui)
        // After the screen, so a toast posted while building shows in this frame.
        toasts.deliver(to: ui)
        let hints = ["Ctrl+Tab next tab"] + screen.shortcutHints + ["F11 full screen", "Ctrl+Q quit"]
        ui.statusBar(Rect(x: viewport.x, y: viewport.maxY - statusHeight, width: viewport.width, height: statusHeight),
                     left: screen.statusText ?? statusText, right: hints.joined(separator: " · "),
                     leftColor: screen.statusText == nil && capture.lastError != nil ? ui.theme.danger : nil)
    }

    /// The capture's state, for tabs without a status of their own.
    var statusText: String { capture.statusText }

    func handleShortcuts(_ ui: UIContext) {
        let input = ui.input
        if input.pressed(.character("q"), modifiers: .control) { quitRequested = true }
        if input.pressed(.tab, modifiers: .control) {
            let count = screens.count
            let step = input.modifiers.contains(.shift) ? count - 1 : 1
            selectedIndex = (selectedIndex + step) % count
        }
        if input.pressed(.f11) { fullscreenToggleRequested = true }
        // While the confirm-block dialog shows, Enter and Escape are its own.
        if blockDialog?.model.isOpen != true { selectedScreen.handleShortcuts(ui) }
    }
}

extension String {
    func replacingSpaces() -> String { filter { $0 != " " && $0 != "-" && $0 != "_" } }
}
