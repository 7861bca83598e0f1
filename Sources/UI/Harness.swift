/// Drives a `UIContext` without a screen, as imgui_test_engine does: a fixed viewport, a fixed
/// frame time and scripted input. Widgets are found by their ID path from the last frame's
/// `itemAdd` records, so tests click "Dashboard/Start" rather than coordinates.
public final class UIHarness {
    public let ui: UIContext
    public var viewport: Rect
    public private(set) var time: Double = 0
    public let frameTime: Double
    /// Builds one whole frame (the application's frame function).
    public var build: (UIContext) -> Void
    private var mouse = Point(-1, -1)
    public var clipboard: String?

    public init(size: Size = Size(1280, 800), measurer: TextMeasuring = FixedWidthTextMeasurer(), theme: Theme = .dark,
                frameTime: Double = 1.0 / 60, build: @escaping (UIContext) -> Void) {
        ui = UIContext(theme: theme, measurer: measurer)
        ui.recordsItems = true
        viewport = Rect(x: 0, y: 0, width: size.width, height: size.height)
        self.frameTime = frameTime
        self.build = build
    }

    /// Runs one frame with `input` (mouse position and time are filled in).
    public func frame(_ input: InputSnapshot = InputSnapshot()) {
        var input = input
        if input.mousePosition == Point(-1, -1) { input.mousePosition = mouse }
        if input.mouseDelta == .zero, mouse != Point(-1, -1), input.mousePosition != Point(-1, -1) {
            input.mouseDelta = Point(input.mousePosition.x - mouse.x, input.mousePosition.y - mouse.y)
        }
        mouse = input.mousePosition
        input.time = time
        if input.clipboard == nil { input.clipboard = clipboard }
        ui.beginFrame(input: input, viewport: viewport)
        build(ui)
        ui.endFrame()
        if let written = ui.clipboardWrite { clipboard = written }
        time += frameTime
    }

    public func frames(_ count: Int) { for _ in 0..<count { frame() } }

    /// Delivers `events` as a backend would if they all arrived between two frames: in order,
    /// cut into as many frames as their order needs (see `InputQueue`). Returns the frames run.
    @discardableResult
    public func send(_ events: [InputEvent]) -> Int {
        var queue = InputQueue(mousePosition: mouse)
        for event in events { queue.push(event) }
        var count = 0
        repeat {
            frame(queue.take())
            count += 1
        } while queue.hasPendingInput
        return count
    }

    /// Items recorded in the last frame.
    public var items: [ItemRecord] { ui.items }

    /// The item whose path is `path`, or ends with "/" + `path`.
    public func item(_ path: String) -> ItemRecord? {
        ui.items.last { $0.path == path } ?? ui.items.last { $0.path.hasSuffix("/" + path) }
    }

    public func exists(_ path: String) -> Bool { item(path) != nil }

    /// The last item recorded with `role` in the last frame.
    public func item(_ role: ItemRole) -> ItemRecord? {
        ui.items.last { $0.role == role }
    }

    /// The value shown by the item with `role` (a counter's figure, a row's status); nil when
    /// no such item was drawn.
    public func value(of role: ItemRole) -> String? {
        item(role)?.value
    }

    /// Every item of a role kind ("row", "counter") in drawing order.
    public func items(ofRoleKind kind: String) -> [ItemRecord] {
        ui.items.filter { $0.role?.kind == kind }
    }

    /// Moves the mouse to the item's centre, presses in one frame and releases in the next.
    public func click(_ path: String, button: MouseButton = .left, double: Bool = false, file: StaticString = #file, line: UInt = #line) {
        guard let target = item(path) else {
            preconditionFailure("UIHarness: no item \"\(path)\". Known: \(ui.items.map(\.path).filter { !$0.isEmpty }.prefix(60).joined(separator: ", "))", file: file, line: line)
        }
        precondition(!target.visibleRect.isEmpty, "UIHarness: \"\(path)\" is clipped out of view (scroll to it first)", file: file, line: line)
        click(at: target.visibleRect.center, button: button, double: double)
    }

    public func click(at point: Point, button: MouseButton = .left, double: Bool = false) {
        moveMouse(to: point)
        var press = InputSnapshot()
        press.mousePosition = point
        press.mouseDown[button.rawValue] = true
        press.mousePressed[button.rawValue] = true
        press.doubleClicked = double
        frame(press)
        var release = InputSnapshot()
        release.mousePosition = point
        release.mouseReleased[button.rawValue] = true
        frame(release)
    }

    /// Presses at `from`, moves to `to` over a few frames, releases there.
    public func drag(from: Point, to: Point, steps: Int = 4) {
        moveMouse(to: from)
        var press = InputSnapshot()
        press.mousePosition = from
        press.mouseDown[0] = true
        press.mousePressed[0] = true
        frame(press)
        for step in 1...steps {
            var move = InputSnapshot()
            let t = Float(step) / Float(steps)
            move.mousePosition = Point(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t)
            move.mouseDown[0] = true
            frame(move)
        }
        var release = InputSnapshot()
        release.mousePosition = to
        release.mouseReleased[0] = true
        frame(release)
    }

    public func moveMouse(to point: Point) {
        var input = InputSnapshot()
        input.mousePosition = point
        frame(input)
    }

    public func scroll(at point: Point, lines: Float) {
        var input = InputSnapshot()
        input.mousePosition = point
        input.wheel = Point(0, lines)
        frame(input)
    }

    /// Types `text` as one frame of text input.
    public func type(_ text: String) {
        var input = InputSnapshot()
        input.text = text
        frame(input)
    }

    public func press(_ key: Key, modifiers: Modifiers = []) {
        var input = InputSnapshot()
        input.keysPressed = [key]
        input.modifiers = modifiers
        frame(input)
    }
}
