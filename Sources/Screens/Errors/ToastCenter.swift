import Foundation
import UI

/// The one toast path: notifications from screens and workers' results (drained from the inbox)
/// waiting to be shown as toasts. `AppShell.build` delivers them right after draining the inbox,
/// whichever tab is showing. UI thread only.
public final class ToastCenter {
    public private(set) var pending: [(message: String, kind: ToastKind)] = []

    public init() {}

    public func post(_ message: String, kind: ToastKind = .info) {
        pending.append((message, kind))
    }

    /// An error as a banner: what happened and what to do.
    public func post(_ error: any UserFacingError) {
        post(error.userText, kind: .error)
    }

    /// Hands the queued notifications to `ui`; errors stay up longer, they need reading.
    public func deliver(to ui: UIContext) {
        guard !pending.isEmpty else { return }
        for (message, kind) in pending { ui.toast(message, kind: kind, seconds: kind == .error ? 8 : 4) }
        pending.removeAll()
    }
}


/// "1,234,567".
func groupedNumber(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}
