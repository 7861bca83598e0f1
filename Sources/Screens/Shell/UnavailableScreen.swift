import UI

/// A tab that cannot work in this session (no store): says why, and what it does when it can.
public final class UnavailableScreen: Screen {
    public let title: String
    let reason: String
    let lines: [String]

    public init(title: String, reason: String, lines: [String]) {
        self.title = title
        self.reason = reason
        self.lines = lines
    }

    public func build(_ ui: UIContext, in rect: Rect) {
        ui.emptyState(title, heading: reason, lines: lines, in: rect)
    }
}
