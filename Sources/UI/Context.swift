/// A widget's identity: FNV-1a of its label (or explicit key) seeded with the enclosing ID.
public typealias WidgetID = UInt64

/// What happened to a widget this frame.
public struct Interaction: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let hovered = Interaction(rawValue: 1)
    /// Clicked (pressed and released inside), or activated from the keyboard.
    public static let pressed = Interaction(rawValue: 2)
    /// The value the widget edits changed.
    public static let changed = Interaction(rawValue: 4)
    /// Enter in a text field, or a confirming choice in a dialog.
    public static let submitted = Interaction(rawValue: 8)
    public static let rightClicked = Interaction(rawValue: 16)
}

/// One widget as laid out this frame: what the test harness searches and clicks.
public struct ItemRecord: Sendable {
    public var id: WidgetID
    public var rect: Rect
    /// Slash-joined ID path, e.g. "Firewall/Block##203.0.113.9" (recorded only when
    /// `UIContext.recordsItems` is on).
    public var path: String
    public var kind: String
    /// The part of `rect` inside the clip when it was added (empty when clipped away): where a
    /// click can actually land.
    public var visibleRect: Rect
    /// What the item stands for in the screen's terms (a counter, a job's row), so tests find it
    /// without knowing how its label is spelt.
    public var role: ItemRole?
    /// The value the item shows ("236", "failed"), read by tests instead of parsing labels.
    public var value: String?
}

/// What a recorded item stands for: a kind ("counter", "row", "cell") and a name within it
/// (the counter's title, the row's key, or row key and column title).
public struct ItemRole: Hashable, Sendable, CustomStringConvertible {
    public var kind: String
    public var name: String
    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }

    /// A figure on a dashboard, by title ("Packets").
    public static func counter(_ title: String) -> ItemRole { ItemRole(kind: "counter", name: title) }
    /// A table row, by the key of the thing it shows ("job 12"), not its position.
    public static func row(_ key: String) -> ItemRole { ItemRole(kind: "row", name: key) }
    /// One cell of a keyed row, by column title.
    public static func cell(_ rowKey: String, _ column: String) -> ItemRole { ItemRole(kind: "cell", name: rowKey + "\u{1F}" + column) }
    /// A drawn item of a canvas, by its key.
    public static func canvasItem(_ key: String) -> ItemRole { ItemRole(kind: "canvas item", name: key) }

    public var description: String { kind + " " + name.split(separator: "\u{1F}", omittingEmptySubsequences: false).joined(separator: " / ") }
}

/// The immediate-mode UI context: one per window. Each frame: `beginFrame`, build widgets,
/// `endFrame`, hand `drawList` to a backend. It holds no references to SDL or pcap.
public final class UIContext {
    public var theme: Theme
    /// HiDPI scale factor, applied by the backend when rendering (layout is in logical pixels).
    public var scale: Float = 1
    public let measurer: TextMeasuring

    public private(set) var input = InputSnapshot()
    public private(set) var viewport = Rect.zero
    public private(set) var frameNumber = 0

    /// The finished frame's drawing (valid after `endFrame`).
    public private(set) var drawList = DrawList()
    var overlayList = DrawList()
    var drawingToOverlay = false

    // Identity.
    var idStack: [WidgetID] = [fnvOffsetBasis]
    var nameStack: [String] = []

    // Interaction state (microui's hover/focus, Dear ImGui's hot/active).
    public private(set) var hotID: WidgetID = 0
    public private(set) var lastHotID: WidgetID = 0
    public internal(set) var activeID: WidgetID = 0
    /// The widget receiving keyboard input (text fields, tables).
    public internal(set) var focusedID: WidgetID = 0
    var activeSeenThisFrame = false
    var focusSeenThisFrame = false
    var nextHotID: WidgetID = 0

    // Layers: popups, dialogs and tooltips draw above the base layer and block input below them.
    var layer = 0
    var blockingRects: [Rect] = []
    var blockingRectsThisFrame: [Rect] = []
    var modalOpenLastFrame = false
    var modalOpenThisFrame = false

    // Layout and clipping.
    var layoutStack: [Layout] = []
    var clipStack: [Rect] = []

    /// Per-widget state that outlives a frame (caret position, scroll offsets, column widths),
    /// keyed by ID and state type: two widgets sharing an ID keep their own state, and a read
    /// can never find a value of another type.
    var storage: [WidgetStateKey: Any] = [:]
    var storageTouched: Set<WidgetStateKey> = []

    /// False where nobody points at the screen (a kiosk on a wall): the resting mouse hovers
    /// nothing (no crosshair, no tooltip frozen in place); only a press, hold or release
    /// reaches the widget under it.
    public var hoverEnabled = true { didSet { updateMouseCanHover() } }
    var mouseCanHover = true

    func updateMouseCanHover() {
        mouseCanHover = hoverEnabled || input.mouseDown.contains(true) || input.mousePressed.contains(true) || input.mouseReleased.contains(true)
    }

    public var recordsItems = false
    public private(set) var items: [ItemRecord] = []

    // Requests to the backend, read after `endFrame`.
    /// Text to put on the system clipboard.
    public var clipboardWrite: String?
    /// A text field has keyboard focus: the backend should enable text input events.
    public private(set) var wantsTextInput = false
    /// Something changes every frame (live data, an indeterminate progress bar): draw again as
    /// soon as the frame-rate cap allows.
    public var wantsAnotherFrame = false
    /// The earliest time (in `input.time`'s clock) something timed changes: the caret blinks,
    /// a toast expires. An idle backend may sleep until then.
    public private(set) var nextWakeTime: Double?

    public func requestWake(at time: Double) {
        nextWakeTime = min(nextWakeTime ?? time, time)
    }

    var toasts: [Toast] = []

    public init(theme: Theme = .dark, measurer: TextMeasuring) {
        self.theme = theme
        self.measurer = measurer
    }

    // MARK: Frame

    public func beginFrame(input: InputSnapshot, viewport: Rect) {
        self.input = input
        self.viewport = viewport
        frameNumber += 1
        drawList.removeAll()
        overlayList.removeAll()
        items.removeAll(keepingCapacity: true)
        idStack = [fnvOffsetBasis]
        nameStack.removeAll()
        layoutStack.removeAll()
        clipStack = [viewport]
        lastHotID = hotID
        nextHotID = 0
        activeSeenThisFrame = false
        focusSeenThisFrame = false
        blockingRects = blockingRectsThisFrame
        blockingRectsThisFrame.removeAll()
        modalOpenLastFrame = modalOpenThisFrame
        modalOpenThisFrame = false
        wantsAnotherFrame = false
        nextWakeTime = nil
        clipboardWrite = nil
        layer = 0
        if input.focusLost { activeID = 0 }
        updateMouseCanHover()
        pushLayout(bounds: viewport.insetBy(theme.padding, theme.padding))
    }

    /// Finishes the frame: checks every stack is balanced, releases stale active/focus IDs and
    /// puts the overlay (popups, dialogs, tooltips, toasts) on top of the base drawing.
    public func endFrame() {
        drawToasts()
        layoutStack.removeLast()
        precondition(layoutStack.isEmpty, "UI layout stack unbalanced at end of frame")
        precondition(idStack.count == 1, "UI ID stack unbalanced at end of frame")
        precondition(clipStack.count == 1, "UI clip stack unbalanced at end of frame")
        precondition(layer == 0, "UI layer stack unbalanced at end of frame")
        hotID = nextHotID
        // A widget that vanished while pressed or focused must not keep the mouse or keyboard.
        if !activeSeenThisFrame || !input.mouseDown[0] { activeID = 0 }
        if !focusSeenThisFrame { focusedID = 0 }
        wantsTextInput = focusedID != 0 && storage[WidgetStateKey(focusedID, TextFieldState.self)] != nil
        // The caret blinks every half second.
        if wantsTextInput { requestWake(at: ((input.time * 2).rounded(.down) + 1) / 2) }
        // Forget state of widgets that were not built this frame (unless it must persist); the
        // usual frame touches everything, so skip the scan then.
        if storage.count != storageTouched.count {
            storage = storage.filter { storageTouched.contains($0.key) || $0.value is PersistentWidgetState }
        }
        storageTouched.removeAll(keepingCapacity: true)
        // Merge the overlay, shifting its point indices behind the base list's points.
        let offset = drawList.pointCount
        let overlayPoints = overlayList.points
        _ = drawList.appendPoints(overlayPoints)
        drawList.append(.clip(nil))
        for command in overlayList.commands {
            switch command {
            case let .polyline(start, count, color, thickness):
                drawList.append(.polyline(start: start + offset, count: count, color, thickness: thickness))
            case let .area(start, baseline, count, color):
                drawList.append(.area(start: start + offset, baselineStart: baseline + offset, count: count, color))
            case let .polygon(start, count, color):
                drawList.append(.polygon(start: start + offset, count: count, color))
            default:
                drawList.append(command)
            }
        }
    }

    // MARK: Identity

    /// The ID of `label` in the current scope. Text after "##" is hashed but not shown, and
    /// "###key" hashes only the key (the visible label may change).
    public func id(_ label: String) -> WidgetID {
        let seed = idStack[idStack.count - 1]
        if let keyStart = label.indexAfter("###") { return fnv1a(label[keyStart...], seed: seed) }
        return fnv1a(label[...], seed: seed)
    }

    /// Runs `body` with `key` pushed on the ID stack (loops push each element's key).
    public func withID<Result>(_ key: String, _ body: () throws -> Result) rethrows -> Result {
        idStack.append(id(key))
        if recordsItems { nameStack.append(key) }
        defer {
            idStack.removeLast()
            if recordsItems { nameStack.removeLast() }
        }
        return try body()
    }

    /// The label as shown: everything before "##".
    public func visibleLabel(_ label: String) -> String {
        guard let start = label.indexOf("##") else { return label }
        return String(label[..<start])
    }

    func path(for label: String) -> String {
        nameStack.isEmpty ? label : nameStack.joined(separator: "/") + "/" + label
    }

    // MARK: Items and interaction

    /// Records a widget (for the harness) and tells whether it is visible at all; widgets that
    /// are clipped away skip their drawing.
    @discardableResult
    public func itemAdd(_ rect: Rect, id: WidgetID, label: String, kind: String, role: ItemRole? = nil, value: String? = nil) -> Bool {
        let visible = rect.intersection(currentClip)
        if recordsItems {
            items.append(ItemRecord(id: id, rect: rect, path: path(for: label), kind: kind, visibleRect: visible, role: role, value: value))
        }
        return !visible.isEmpty
    }

    /// Whether the mouse is over `rect` and allowed to interact with it (inside the clip, not
    /// under a popup or behind a modal dialog).
    public func mouseOver(_ rect: Rect) -> Bool {
        let mouse = input.mousePosition
        guard mouseCanHover, rect.contains(mouse), currentClip.contains(mouse) else { return false }
        if layer == 0 {
            if modalOpenLastFrame { return false }
            if blockingRects.contains(where: { $0.contains(mouse) }) { return false }
        }
        return true
    }

    /// The shared behaviour of clickable widgets: hot when hovered, active while pressed,
    /// pressed when released over it. Returns hovered/pressed/rightClicked.
    public func buttonBehavior(_ rect: Rect, id: WidgetID, focusOnPress: Bool = false) -> Interaction {
        var result: Interaction = []
        let over = mouseOver(rect)
        if activeID == id { activeSeenThisFrame = true }
        if over && (activeID == 0 || activeID == id) {
            nextHotID = id
            result.insert(.hovered)
            if input.mousePressed[0] {
                activeID = id
                activeSeenThisFrame = true
                if focusOnPress { focus(id) }
            }
            if input.mousePressed[1] { result.insert(.rightClicked) }
        }
        if activeID == id && input.mouseReleased[0] {
            if over { result.insert(.pressed) }
            activeID = 0
        }
        return result
    }

    public func isActive(_ id: WidgetID) -> Bool { activeID == id }
    public func isFocused(_ id: WidgetID) -> Bool { focusedID == id }

    /// Gives keyboard focus to a widget (e.g. the `/` shortcut focusing a filter field).
    public func focus(_ id: WidgetID, swallowTypedText: Bool = false) {
        focusedID = id
        focusSeenThisFrame = true
        // The key that moved focus (e.g. "/") must not also be typed into the field.
        if swallowTypedText { input.text = "" }
    }

    /// Marks the focused widget as still present this frame.
    func keepFocus(_ id: WidgetID) { if focusedID == id { focusSeenThisFrame = true } }

    public func clearFocus() { focusedID = 0 }

    /// True while a text field has the keyboard, so typed characters are text, not shortcuts
    /// (a focused table or list lets them through).
    public var isEditingText: Bool { focusedID != 0 && storage[WidgetStateKey(focusedID, TextFieldState.self)] != nil }

    // MARK: Per-widget state

    func state<State>(_ id: WidgetID, default make: @autoclosure () -> State) -> State {
        let key = WidgetStateKey(id, State.self)
        storageTouched.insert(key)
        // The key includes the type, so a stored value is always a `State`.
        if let existing = storage[key] { return existing as! State }
        let fresh = make()
        storage[key] = fresh
        return fresh
    }

    func setState<State>(_ id: WidgetID, _ value: State) {
        let key = WidgetStateKey(id, State.self)
        storageTouched.insert(key)
        storage[key] = value
    }

    /// The ID of a part of widget `parent` (its scrollbar, its rows area): the salt hashed with
    /// the parent's ID as the seed, the way `withID` scopes children. Adding small numbers to
    /// the parent instead would collide with a neighbour whose hash happens to be close.
    public func childID(of parent: WidgetID, _ salt: String) -> WidgetID {
        fnv1a(salt[...], seed: parent)
    }

    // MARK: Drawing

    public var currentClip: Rect { clipStack[clipStack.count - 1] }

    public func draw(_ command: DrawCommand) {
        if drawingToOverlay { overlayList.append(command) } else { drawList.append(command) }
    }

    public func appendPoints<S: Sequence>(_ points: S) -> Int where S.Element == Point {
        drawingToOverlay ? overlayList.appendPoints(points) : drawList.appendPoints(points)
    }

    /// Runs `body` with drawing and input restricted to `rect` (intersected with the current clip).
    public func withClip<Result>(_ rect: Rect, _ body: () throws -> Result) rethrows -> Result {
        let clipped = rect.intersection(currentClip)
        clipStack.append(clipped)
        draw(.clip(clipped))
        defer {
            clipStack.removeLast()
            draw(.clip(clipStack.count > 1 || layer > 0 ? currentClip : nil))
        }
        return try body()
    }

    /// Runs `body` on the overlay layer: drawn after everything else, and the given rect blocks
    /// mouse input to base-layer widgets from the next frame on.
    public func onOverlay<Result>(blocking rect: Rect?, modal: Bool = false, _ body: () throws -> Result) rethrows -> Result {
        let wasOverlay = drawingToOverlay
        let savedClips = clipStack
        drawingToOverlay = true
        layer += 1
        clipStack = [viewport]
        if let rect { blockingRectsThisFrame.append(rect) }
        if modal { modalOpenThisFrame = true }
        defer {
            drawingToOverlay = wasOverlay
            layer -= 1
            clipStack = savedClips
        }
        return try body()
    }

    public func textSize(_ text: String, _ role: FontRole = .body) -> Size { measurer.size(of: text, role: role) }

    /// Draws `text` vertically centred in `rect`, left, centre or right aligned, cut with an
    /// ellipsis when it does not fit.
    public func drawText(_ text: String, in rect: Rect, color: Color, role: FontRole = .body, alignment: TextAlignment = .left) {
        guard !text.isEmpty else { return }
        var shown = text
        var size = textSize(shown, role)
        if size.width > rect.width {
            shown = truncated(text, toWidth: rect.width, role: role)
            size = textSize(shown, role)
        }
        let x: Float
        switch alignment {
        case .left: x = rect.x
        case .center: x = rect.x + (rect.width - size.width) / 2
        case .right: x = rect.maxX - size.width
        }
        draw(.text(shown, at: Point(x.rounded(), (rect.y + (rect.height - size.height) / 2).rounded()), color, role))
    }

    func truncated(_ text: String, toWidth width: Float, role: FontRole) -> String {
        guard width > 0 else { return "" }
        // Binary search on the prefix length: measuring is the expensive part.
        var low = 0, high = text.count
        while low < high {
            let middle = (low + high + 1) / 2
            if textSize(String(text.prefix(middle)) + "…", role).width <= width { low = middle } else { high = middle - 1 }
        }
        return low == 0 ? "" : String(text.prefix(low)) + "…"
    }

    /// `text` shortened before its last `suffixCount` characters ("[2001:db8:…]:443"), or at
    /// the end when even the suffix does not fit.
    func truncated(_ text: String, toWidth width: Float, role: FontRole, keepingLast suffixCount: Int) -> String {
        let suffix = String(text.suffix(suffixCount))
        let head = String(text.dropLast(suffixCount))
        guard textSize("…" + suffix, role).width <= width else { return truncated(text, toWidth: width, role: role) }
        var low = 0, high = head.count
        while low < high {
            let middle = (low + high + 1) / 2
            if textSize(String(head.prefix(middle)) + "…" + suffix, role).width <= width { low = middle } else { high = middle - 1 }
        }
        return String(head.prefix(low)) + "…" + suffix
    }
}

public enum TextAlignment: Sendable { case left, center, right }

/// Widget state that survives frames in which the widget is not drawn (a table on a hidden tab
/// keeps its column widths and sort order).
protocol PersistentWidgetState {}

/// Where a widget's state is stored: its ID and the type of the state.
struct WidgetStateKey: Hashable {
    let id: WidgetID
    let type: ObjectIdentifier
    init<State>(_ id: WidgetID, _ type: State.Type) {
        self.id = id
        self.type = ObjectIdentifier(type)
    }
}

let fnvOffsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325

func fnv1a(_ text: Substring, seed: UInt64) -> UInt64 {
    var hash = seed
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash == 0 ? 1 : hash
}

extension String {
    /// Where `marker` starts, without Foundation.
    func indexOf(_ marker: String) -> String.Index? {
        guard let first = marker.first else { return nil }
        var index = startIndex
        while let found = self[index...].firstIndex(of: first) {
            if self[found...].hasPrefix(marker) { return found }
            index = self.index(after: found)
        }
        return nil
    }

    /// Just past `marker`.
    func indexAfter(_ marker: String) -> String.Index? {
        indexOf(marker).map { self.index($0, offsetBy: marker.count) }
    }
}
