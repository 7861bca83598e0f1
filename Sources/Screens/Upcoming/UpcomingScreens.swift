import UI

// The tabs whose engines land in later issues (#9). Each is already a `Screen`, so the
// issue that brings its engine replaces the empty state with the real view and adds nothing to
// the shell. Until then each says what it will do, with no controls that do nothing.

public final class FirewallScreen: TabScreen {
    public static let title = "Firewall"
    public static func make(_ environment: ScreenEnvironment) -> any Screen { FirewallScreen() }

    public static let plannedFeatures = [
        "Block a flagged address with one click, and auto-block by consensus when enabled.",
        "An allowlist, expiring bans and an audit log of every change.",
    ]

    public func build(_ ui: UIContext, in rect: Rect) {
        ui.emptyState(Self.title, heading: "Coming in a later release:", lines: Self.plannedFeatures, in: rect)
    }
}
