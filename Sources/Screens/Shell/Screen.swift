import Store
import UI

/// What every screen is given when the shell builds it.
///
/// `services` is nil in tests and screenshots without a store: screens that need it show an
/// empty state saying so.
public struct ScreenEnvironment {
    public let capture: CaptureController
    public let services: AppServices?
    /// Where background work posts its results (drained at the start of every frame).
    public let inbox: UIInbox
    /// The one toast path: results and errors shown whichever tab is open.
    public let toasts: ToastCenter
    /// Reputation lookups and the offline geo/AS data every table with addresses shares.
    public let intel: IntelModel
    /// "Block this address": every row showing a remote address offers it through here; the
    /// shell answers with the one confirm-block dialog.
    public let blockRequests: BlockRequests
}

/// A wall-screen panel a screen offers to kiosk mode: a title and a drawing with no controls.
public struct KioskPanel {
    public let title: String
    public let build: (UIContext, Rect) -> Void

    public init(title: String, build: @escaping (UIContext, Rect) -> Void) {
        self.title = title
        self.build = build
    }
}

/// What the shell shows in a tab: the view side of a screen. The shell does the rest (tab bar,
/// status bar, shortcuts, waking the frame loop for pending work, passing applied settings on,
/// kiosk panels).
///
/// A screen's state and work live in a UI-free model (tested without a `UIContext`); the screen
/// is the view: it reads the model in `build` and sends it intents. UI thread only.
public protocol Screen: AnyObject {
    /// The tab's title (also its name on the command line: `--tab "IoT Map"`).
    var title: String { get }

    /// Draws the screen into `rect` (between `beginFrame` and `endFrame`).
    func build(_ ui: UIContext, in rect: Rect)
    /// True while work started here has not reported back: the shell keeps frames coming.
    var hasPendingWork: Bool { get }
    /// True while long work (a job run: minutes) is in flight: the shell looks in slowly.
    var hasLongRunningWork: Bool { get }
    /// Takes the settings in force (at start and after Apply Settings).
    func apply(_ settings: AppSettings)
    /// The status bar's left text while this tab shows; nil for the capture status.
    var statusText: String? { get }
    /// The keyboard shortcuts this tab adds, for the status bar ("/ filter").
    var shortcutHints: [String] { get }
    /// Handles this tab's shortcuts; called before `build` while the tab shows.
    func handleShortcuts(_ ui: UIContext)
    /// Panels for kiosk mode, in rotation order.
    var kioskPanels: [KioskPanel] { get }
    /// Called every frame while another tab shows: work that must go on unseen (the IoT map
    /// saves the window capture's device announcements). Cheap when there is nothing to do.
    func backgroundTick(now: Double)
}

/// A tab of the window: a `Screen` the shell can make. Adding a tab is one type conforming to
/// this and one line in `AppShell.screenTypes`.
public protocol TabScreen: Screen {
    /// The tab's title, known before the screen is made.
    static var title: String { get }
    /// Makes the tab's screen; called once by the shell. A tab that cannot work in this session
    /// (no store) may return a different `Screen` that says why.
    static func make(_ environment: ScreenEnvironment) -> any Screen
}

extension TabScreen {
    public var title: String { Self.title }
}

extension Screen {
    public var hasPendingWork: Bool { false }
    public var hasLongRunningWork: Bool { false }
    public func apply(_ settings: AppSettings) {}
    public var statusText: String? { nil }
    public var shortcutHints: [String] { [] }
    public func backgroundTick(now: Double) {}
    public func handleShortcuts(_ ui: UIContext) {}
    public var kioskPanels: [KioskPanel] { [] }
}

extension UIContext {
    /// What a tab without its engine (or without the store it needs) shows instead of dead
    /// controls: a heading and what the tab does or will do.
    public func emptyState(_ title: String, heading: String, lines: [String], in rect: Rect) {
        panel(title, rect: rect) {
            row([.fill], height: .fixed(28))
            label(heading, color: theme.mutedText)
            for line in lines {
                row([.fill], height: .fixed(24))
                label("•  " + line)
            }
        }
    }
}
