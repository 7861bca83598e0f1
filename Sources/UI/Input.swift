/// Keys the widget layer reacts to. The backend maps SDL keycodes onto these.
public enum Key: Hashable, Sendable {
    case tab, enter, escape, backspace, delete, left, right, up, down, home, end, pageUp, pageDown, space, f11
    /// A printable key used with a modifier (Ctrl+A, Ctrl+C, …), lower-case.
    case character(Character)
}

public struct Modifiers: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let shift = Modifiers(rawValue: 1)
    public static let control = Modifiers(rawValue: 2)
    public static let alt = Modifiers(rawValue: 4)
}

public enum MouseButton: Int, Sendable { case left = 0, right, middle }

/// Everything that happened since the last frame, gathered by the backend (or a test harness)
/// before the frame is built. Widgets read it; nothing else feeds them input.
public struct InputSnapshot: Sendable {
    public var mousePosition = Point(-1, -1)
    /// Buttons held down now.
    public var mouseDown: [Bool] = [false, false, false]
    /// Buttons that went down during this frame.
    public var mousePressed: [Bool] = [false, false, false]
    /// Buttons that went up during this frame.
    public var mouseReleased: [Bool] = [false, false, false]
    /// Double click of the left button this frame.
    public var doubleClicked = false
    /// Wheel movement in lines; positive is away from the user (scroll up).
    public var wheel = Point(0, 0)
    /// Keys pressed this frame, including key repeats, in order.
    public var keysPressed: [Key] = []
    public var modifiers: Modifiers = []
    /// Text typed this frame (already composed by the platform).
    public var text = ""
    /// The clipboard's text; backends fill it in the frame Ctrl+V is pressed.
    public var clipboard: String?
    /// Seconds since an arbitrary start, for caret blinking, toasts and tooltips.
    public var time: Double = 0
    /// The window lost focus this frame (drop active drags).
    public var focusLost = false

    public init() {}

    public func pressed(_ key: Key, modifiers required: Modifiers = []) -> Bool {
        keysPressed.contains(key) && modifiers.isSuperset(of: required)
            && (required.contains(.control) || !modifiers.contains(.control))
    }
}
