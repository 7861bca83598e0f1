import CSDL2
import UI

/// Turns SDL events into the UI's `InputSnapshot`. Holds what persists between frames (mouse
/// position, buttons held) and resets the per-frame parts (presses, keys, text, wheel) in
/// `beginFrame`. Pure apart from the clipboard, which is read through a closure only when
/// Ctrl+V is pressed.
struct SDLInputTranslator {
    enum Outcome: Equatable {
        case handled
        case ignored
        case quit
        /// The window's size (or pixel ratio) changed: recompute the viewport.
        case resized
        /// The renderer lost its textures: drop the text cache.
        case texturesLost
    }

    /// Events in order, cut into frames so that a frame never mixes events whose order matters.
    private var queue = InputQueue()
    /// The frame being gathered.
    var input: InputSnapshot { queue.gathering }
    /// Events beyond the next frame are waiting: build the next frame without waiting.
    var hasPendingInput: Bool { queue.hasPendingInput }
    /// Logical pixels per window coordinate: the pixel ratio divided by the scale.
    var pointScale: Float = 1

    /// Clears everything that describes a single frame.
    mutating func beginFrame() {
        queue.clearFrameParts()
    }

    /// The next frame's input (the oldest gathered frame), stamped with the modifiers and time.
    mutating func takeFrame(modifiers: UInt16, time: Double) -> InputSnapshot {
        queue.take(time: time, modifiers: Self.modifiers(modifiers))
    }

    mutating func handle(_ event: SDL_Event, clipboard readClipboard: () -> String?) -> Outcome {
        var event = event
        switch event.type {
        case SDL_QUIT.rawValue:
            return .quit
        case SDL_MOUSEMOTION.rawValue:
            queue.push(.mouseMove(to: logical(event.motion.x, event.motion.y)))
        case SDL_MOUSEBUTTONDOWN.rawValue, SDL_MOUSEBUTTONUP.rawValue:
            guard let button = Self.button(event.button.button) else { return .ignored }
            queue.push(.mouseButton(button, down: event.type == SDL_MOUSEBUTTONDOWN.rawValue,
                                    at: logical(event.button.x, event.button.y), clicks: Int(event.button.clicks)))
        case SDL_MOUSEWHEEL.rawValue:
            queue.push(.wheel(Point(event.wheel.preciseX, event.wheel.preciseY)))
        case SDL_KEYDOWN.rawValue:
            let mods = Self.modifiers(event.key.keysym.mod)
            guard let key = Self.key(event.key.keysym.sym, modifiers: mods) else { return .ignored }
            queue.push(.key(key))
            if key == .character("v") && mods.contains(.control) { queue.push(.clipboard(readClipboard())) }
        case SDL_TEXTINPUT.rawValue:
            queue.push(.text(withUnsafeBytes(of: &event.text.text) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }))
        case SDL_WINDOWEVENT.rawValue:
            switch UInt32(event.window.event) {
            case SDL_WINDOWEVENT_SIZE_CHANGED.rawValue, SDL_WINDOWEVENT_RESIZED.rawValue, SDL_WINDOWEVENT_DISPLAY_CHANGED.rawValue:
                return .resized
            case SDL_WINDOWEVENT_FOCUS_LOST.rawValue:
                queue.push(.focusLost)
            case SDL_WINDOWEVENT_LEAVE.rawValue:
                queue.push(.mouseLeft)
            default:
                break
            }
        case SDL_RENDER_TARGETS_RESET.rawValue, SDL_RENDER_DEVICE_RESET.rawValue:
            return .texturesLost
        default:
            return .ignored
        }
        return .handled
    }

    private func logical(_ x: Int32, _ y: Int32) -> Point {
        Point(Float(x) * pointScale, Float(y) * pointScale)
    }

    // MARK: Mappings

    static func button(_ sdlButton: UInt8) -> MouseButton? {
        switch Int32(sdlButton) {
        case SDL_BUTTON_LEFT: .left
        case SDL_BUTTON_RIGHT: .right
        case SDL_BUTTON_MIDDLE: .middle
        default: nil
        }
    }

    static func modifiers(_ mod: UInt16) -> Modifiers {
        var result: Modifiers = []
        let raw = UInt32(mod)
        if raw & KMOD_SHIFT.rawValue != 0 { result.insert(.shift) }
        if raw & KMOD_CTRL.rawValue != 0 { result.insert(.control) }
        if raw & KMOD_ALT.rawValue != 0 { result.insert(.alt) }
        return result
    }

    /// The UI key for an SDL keycode: navigation and editing keys always, printable keys only
    /// with Ctrl (as lower-case characters; plain typing arrives as text input).
    static func key(_ sym: SDL_Keycode, modifiers: Modifiers) -> Key? {
        switch UInt32(bitPattern: sym) {
        case SDLK_TAB.rawValue: return .tab
        case SDLK_RETURN.rawValue, SDLK_RETURN2.rawValue, SDLK_KP_ENTER.rawValue: return .enter
        case SDLK_ESCAPE.rawValue: return .escape
        case SDLK_BACKSPACE.rawValue: return .backspace
        case SDLK_DELETE.rawValue: return .delete
        case SDLK_LEFT.rawValue: return .left
        case SDLK_RIGHT.rawValue: return .right
        case SDLK_UP.rawValue: return .up
        case SDLK_DOWN.rawValue: return .down
        case SDLK_HOME.rawValue: return .home
        case SDLK_END.rawValue: return .end
        case SDLK_PAGEUP.rawValue: return .pageUp
        case SDLK_PAGEDOWN.rawValue: return .pageDown
        case SDLK_SPACE.rawValue: return .space
        case SDLK_F11.rawValue: return .f11
        // "/" focuses the filter field while no field has focus, when text input is off.
        case SDLK_SLASH.rawValue where !modifiers.contains(.control): return .character("/")
        default: break
        }
        guard modifiers.contains(.control), sym > 32, sym < 127, let scalar = Unicode.Scalar(UInt32(sym)) else { return nil }
        return .character(Character(String(scalar).lowercased()))
    }
}
