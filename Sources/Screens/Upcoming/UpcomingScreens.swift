import UI

// The tab whose engine lands in a later issue (#10). It is already a `Screen`, so the issue that
// brings its engine replaces the empty state with the real view and adds nothing to the shell.
// Until then it says what it will do, with no controls that do nothing.

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
