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
    /// How far the mouse moved since the last frame, in logical pixels (0 when it left the window
    /// or came back): what a drag pans by.
    public var mouseDelta = Point(0, 0)
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

/// One thing that happened, in the order it happened. Backends and the test harness feed these
/// to an `InputQueue`, which turns them into per-frame snapshots.
public enum InputEvent: Sendable, Equatable {
    case mouseMove(to: Point)
    case mouseButton(MouseButton, down: Bool, at: Point, clicks: Int = 1)
    /// Wheel movement in lines; positive y scrolls up.
    case wheel(Point)
    case key(Key)
    case text(String)
    /// The clipboard's text, read when Ctrl+V was pressed.
    case clipboard(String?)
    case mouseLeft
    case focusLost
}

/// Gathers events into frames so that each frame means what the user did in order: events
/// that would change the meaning of earlier ones of the same frame go to the next frame, as
/// Dear ImGui's input queue trickles them. Typing and then clicking another field in the same
/// frame must type into the first field and then focus the second, not type into the second;
/// a press followed by a move must press where the button went down.
public struct InputQueue: Sendable {
    /// The frame being gathered (after the ready ones).
    public private(set) var gathering = InputSnapshot()
    private var ready: [InputSnapshot] = []
    private var buttonEvents: [(button: Int, down: Bool)] = []
    private var typed = false
    /// The frame being gathered has events nobody has taken yet.
    private var gatheringHasEvents = false

    public init(mousePosition: Point = Point(-1, -1)) {
        gathering.mousePosition = mousePosition
    }

    /// Whether events are waiting for a frame after `take` handed out an earlier one: build the
    /// next frame at once instead of waiting for new events.
    public var hasPendingInput: Bool { !ready.isEmpty || gatheringHasEvents }

    public mutating func push(_ event: InputEvent) {
        if splits(event) {
            ready.append(gathering)
            clearFrameParts()
        }
        apply(event)
        gatheringHasEvents = true
    }

    /// The oldest frame's input; the rest stay queued. `time` and `modifiers` (the platform's
    /// state now) are filled in when given.
    public mutating func take(time: Double? = nil, modifiers: Modifiers? = nil) -> InputSnapshot {
        var snapshot: InputSnapshot
        if ready.isEmpty {
            snapshot = gathering
            clearFrameParts()
        } else {
            snapshot = ready.removeFirst()
        }
        if let time { snapshot.time = time }
        if let modifiers { snapshot.modifiers = modifiers }
        return snapshot
    }

    /// Forgets the per-frame parts of the frame being gathered (presses, keys, text, wheel).
    public mutating func clearFrameParts() {
        gathering.mousePressed = [false, false, false]
        gathering.mouseReleased = [false, false, false]
        gathering.doubleClicked = false
        gathering.wheel = Point(0, 0)
        gathering.mouseDelta = Point(0, 0)
        gathering.keysPressed.removeAll(keepingCapacity: true)
        gathering.text = ""
        gathering.clipboard = nil
        gathering.focusLost = false
        buttonEvents.removeAll(keepingCapacity: true)
        typed = false
        gatheringHasEvents = false
    }

    private func splits(_ event: InputEvent) -> Bool {
        switch event {
        case let .mouseButton(button, down, _, _):
            if typed { return true }
            // A press and its release may share a frame (a quick click); anything more may not.
            let earlier = buttonEvents.filter { $0.button == button.rawValue }
            return earlier.count >= 2 || earlier.contains { !$0.down || down }
        case .key:
            // Widgets apply a frame's keys before its text, so a key typed after text (a
            // Backspace right after "ab") waits for the next frame.
            return !buttonEvents.isEmpty || !gathering.text.isEmpty
        case .text:
            return !buttonEvents.isEmpty
        case .mouseMove:
            return !buttonEvents.isEmpty
        case .wheel, .clipboard, .mouseLeft, .focusLost:
            return false
        }
    }

    private mutating func moveMouse(to point: Point) {
        let old = gathering.mousePosition
        if old != Point(-1, -1), point != Point(-1, -1) {
            gathering.mouseDelta.x += point.x - old.x
            gathering.mouseDelta.y += point.y - old.y
        }
        gathering.mousePosition = point
    }

    private mutating func apply(_ event: InputEvent) {
        switch event {
        case let .mouseMove(point):
            moveMouse(to: point)
        case let .mouseButton(button, down, point, clicks):
            moveMouse(to: point)
            let index = button.rawValue
            if down {
                gathering.mousePressed[index] = true
                gathering.mouseDown[index] = true
                if button == .left && clicks == 2 { gathering.doubleClicked = true }
            } else {
                gathering.mouseReleased[index] = true
                gathering.mouseDown[index] = false
            }
            buttonEvents.append((index, down))
        case let .wheel(amount):
            gathering.wheel.x += amount.x
            gathering.wheel.y += amount.y
        case let .key(key):
            gathering.keysPressed.append(key)
            typed = true
        case let .text(text):
            gathering.text += text
            typed = true
        case let .clipboard(text):
            gathering.clipboard = text
        case .mouseLeft:
            gathering.mousePosition = Point(-1, -1)
        case .focusLost:
            gathering.focusLost = true
            gathering.mouseDown = [false, false, false]
        }
    }
}
