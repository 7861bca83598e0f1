import Foundation
import UI

/// An error as a user reads it: what happened, and what to do about it. Every screen shows errors
/// through this one shape (a banner or toast via `ToastCenter.post(_:)`, or inline next to the
/// field it is about via `UIContext.fieldError`), so none of them falls back to a type dump.
public protocol UserFacingError: Error {
    /// What happened, in a sentence.
    var message: String { get }
    /// What the user can do about it; nil when there is nothing to do but read it.
    var remedy: String? { get }
}

extension UserFacingError {
    /// The message and the remedy as one text.
    public var userText: String {
        guard let remedy, !remedy.isEmpty else { return message }
        return message.hasSuffix(".") || message.hasSuffix("?") || message.hasSuffix("!") ? "\(message) \(remedy)" : "\(message). \(remedy)"
    }
}

/// A `UserFacingError` made on the spot, or wrapped around an error from a lower layer (whose own
/// text already says what happened) with a sentence of context in front.
public struct UserError: UserFacingError, Equatable, CustomStringConvertible {
    public var message: String
    public var remedy: String?

    public init(_ message: String, remedy: String? = nil) {
        self.message = message
        self.remedy = remedy
    }

    /// `context` says what was being done ("The scheduled jobs could not be read"); the
    /// underlying error's own text follows. A `UserFacingError` keeps its remedy.
    public init(_ context: String, underlying error: any Error, remedy: String? = nil) {
        let inner = UserError.from(error)
        message = "\(context): \(inner.message)"
        self.remedy = remedy ?? inner.remedy
    }

    /// Any error as a `UserFacingError`: one of ours as it is, a `LocalizedError` by its
    /// description, anything else by its own description (our lower layers' errors describe
    /// themselves for users: `PcapError`, `ExportError`, `ServiceError` …), and Foundation's
    /// errors by their localized description, never "Error Domain=… Code=…".
    public static func from(_ error: any Error) -> UserError {
        if let error = error as? UserError { return error }
        if let error = error as? any UserFacingError { return UserError(error.message, remedy: error.remedy) }
        if let localized = error as? any LocalizedError, let text = localized.errorDescription {
            return UserError(text, remedy: localized.recoverySuggestion)
        }
        // Foundation's errors (CocoaError, NSError) carry their sentence in the user info.
        let bridged = error as NSError
        if let text = bridged.userInfo[NSLocalizedDescriptionKey] as? String {
            return UserError(text, remedy: bridged.userInfo[NSLocalizedRecoverySuggestionErrorKey] as? String)
        }
        return UserError(String(describing: error))
    }

    public var description: String { userText }
}

/// An error as the user should read it: its own message and what to do, never a type dump.
func userMessage(_ error: any Error) -> String { UserError.from(error).userText }

/// A task was cancelled before it finished: not a failure to show.
public struct TaskCancelled: Error, Equatable {
    public init() {}
}

extension UIContext {
    /// An inline error under (or beside) the field it is about: drawn in the next layout cell, in
    /// the danger colour, wrapped to the cell. Recorded as an item labelled "error:<text>"
    /// (kind "error") so tests find it where the user sees it.
    public func fieldError(_ error: any UserFacingError, key: String) {
        let text = error.userText
        let rect = nextRect()
        itemAdd(rect, id: withID("field-error") { id(key) }, label: "error:" + text, kind: "error")
        let lines = wrap(text, width: max(40, rect.width))
        let lineHeight = max(14, rect.height / Float(max(1, lines.count)))
        for (index, line) in lines.enumerated() {
            drawText("⚠ " + line, in: Rect(x: rect.x, y: rect.y + Float(index) * lineHeight, width: rect.width, height: lineHeight),
                     color: theme.danger, role: .small)
        }
    }

    /// How many lines `fieldError` needs for `error` in `width`.
    public func fieldErrorLineCount(_ error: any UserFacingError, width: Float) -> Int {
        max(1, wrap(error.userText, width: max(40, width)).count)
    }
}
