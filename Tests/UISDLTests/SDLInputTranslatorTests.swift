import CSDL2
import UI
@testable import UISDL
import XCTest

/// Event translation, fed with hand-made SDL events: no window or display needed.
final class SDLInputTranslatorTests: XCTestCase {
    func keyDown(_ sym: SDL_KeyCode, mod: SDL_Keymod = KMOD_NONE, repeat isRepeat: Bool = false) -> SDL_Event {
        var event = SDL_Event()
        event.type = SDL_KEYDOWN.rawValue
        event.key.keysym.sym = SDL_Keycode(bitPattern: sym.rawValue)
        event.key.keysym.mod = UInt16(mod.rawValue)
        event.key.repeat = isRepeat ? 1 : 0
        return event
    }

    func mouseButton(down: Bool, _ button: Int32, x: Int32, y: Int32, clicks: UInt8 = 1) -> SDL_Event {
        var event = SDL_Event()
        event.type = down ? SDL_MOUSEBUTTONDOWN.rawValue : SDL_MOUSEBUTTONUP.rawValue
        event.button.button = UInt8(button)
        event.button.x = x
        event.button.y = y
        event.button.clicks = clicks
        return event
    }

    func windowEvent(_ id: SDL_WindowEventID) -> SDL_Event {
        var event = SDL_Event()
        event.type = SDL_WINDOWEVENT.rawValue
        event.window.event = UInt8(id.rawValue)
        return event
    }

    func testKeysMapToUIKeys() {
        let none: Modifiers = []
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_TAB.rawValue), modifiers: none), .tab)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_RETURN.rawValue), modifiers: none), .enter)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(bitPattern: SDLK_KP_ENTER.rawValue), modifiers: none), .enter)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_ESCAPE.rawValue), modifiers: none), .escape)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_BACKSPACE.rawValue), modifiers: none), .backspace)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_DELETE.rawValue), modifiers: none), .delete)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(bitPattern: SDLK_LEFT.rawValue), modifiers: none), .left)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(bitPattern: SDLK_PAGEDOWN.rawValue), modifiers: none), .pageDown)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(bitPattern: SDLK_HOME.rawValue), modifiers: none), .home)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(bitPattern: SDLK_F11.rawValue), modifiers: none), .f11)
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_SPACE.rawValue), modifiers: none), .space)
        // Letters only as keys with Ctrl; plain typing comes as text input.
        XCTAssertNil(SDLInputTranslator.key(SDL_Keycode(SDLK_a.rawValue), modifiers: none))
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_a.rawValue), modifiers: .control), .character("a"))
        XCTAssertEqual(SDLInputTranslator.key(SDL_Keycode(SDLK_a.rawValue), modifiers: [.control, .shift]), .character("a"))
        XCTAssertNil(SDLInputTranslator.key(SDL_Keycode(bitPattern: SDLK_F1.rawValue), modifiers: .control))
        XCTAssertEqual(SDLInputTranslator.modifiers(UInt16(KMOD_LCTRL.rawValue | KMOD_RSHIFT.rawValue)), [.control, .shift])
        XCTAssertEqual(SDLInputTranslator.modifiers(UInt16(KMOD_RALT.rawValue)), [.alt])
    }

    func testKeyEventsIncludingRepeatsAndClipboardPaste() {
        var translator = SDLInputTranslator()
        translator.beginFrame()
        var clipboardReads = 0
        let clipboard = { () -> String? in
            clipboardReads += 1
            return "10.0.0.7"
        }
        XCTAssertEqual(translator.handle(keyDown(SDLK_BACKSPACE), clipboard: clipboard), .handled)
        XCTAssertEqual(translator.handle(keyDown(SDLK_BACKSPACE, repeat: true), clipboard: clipboard), .handled)
        XCTAssertEqual(translator.handle(keyDown(SDLK_x), clipboard: clipboard), .ignored)
        XCTAssertEqual(clipboardReads, 0, "the clipboard is read only for Ctrl+V")
        XCTAssertEqual(translator.handle(keyDown(SDLK_v, mod: KMOD_LCTRL), clipboard: clipboard), .handled)
        XCTAssertEqual(translator.input.keysPressed, [.backspace, .backspace, .character("v")])
        XCTAssertEqual(translator.input.clipboard, "10.0.0.7")
        XCTAssertEqual(clipboardReads, 1)
        translator.beginFrame()
        XCTAssertEqual(translator.input.keysPressed, [])
        XCTAssertNil(translator.input.clipboard)
    }

    func testTextInput() {
        var translator = SDLInputTranslator()
        var event = SDL_Event()
        event.type = SDL_TEXTINPUT.rawValue
        withUnsafeMutableBytes(of: &event.text.text) { bytes in
            for (i, byte) in "hé".utf8.enumerated() { bytes[i] = byte }
        }
        _ = translator.handle(event, clipboard: { nil })
        _ = translator.handle(event, clipboard: { nil })
        XCTAssertEqual(translator.input.text, "héhé")
    }

    func testMouseButtonsPositionsAndDoubleClicks() {
        var translator = SDLInputTranslator()
        translator.pointScale = 0.5  // window coordinates are twice the logical pixels (scale 2)
        translator.beginFrame()
        var motion = SDL_Event()
        motion.type = SDL_MOUSEMOTION.rawValue
        motion.motion.x = 200
        motion.motion.y = 100
        _ = translator.handle(motion, clipboard: { nil })
        XCTAssertEqual(translator.input.mousePosition, Point(100, 50))
        _ = translator.handle(mouseButton(down: true, SDL_BUTTON_LEFT, x: 202, y: 100), clipboard: { nil })
        _ = translator.handle(mouseButton(down: false, SDL_BUTTON_LEFT, x: 202, y: 100), clipboard: { nil })
        _ = translator.handle(mouseButton(down: true, SDL_BUTTON_RIGHT, x: 202, y: 100), clipboard: { nil })
        XCTAssertEqual(translator.input.mousePressed, [true, true, false])
        XCTAssertEqual(translator.input.mouseReleased, [true, false, false])
        XCTAssertEqual(translator.input.mouseDown, [false, true, false])
        XCTAssertFalse(translator.input.doubleClicked)
        translator.beginFrame()
        XCTAssertEqual(translator.input.mousePressed, [false, false, false])
        XCTAssertEqual(translator.input.mouseDown, [false, true, false], "held buttons persist across frames")
        _ = translator.handle(mouseButton(down: true, SDL_BUTTON_LEFT, x: 202, y: 100, clicks: 2), clipboard: { nil })
        XCTAssertTrue(translator.input.doubleClicked)
        XCTAssertEqual(translator.input.mousePosition, Point(101, 50))
    }

    func testWheelWindowEventsAndQuit() {
        var translator = SDLInputTranslator()
        translator.beginFrame()
        var wheel = SDL_Event()
        wheel.type = SDL_MOUSEWHEEL.rawValue
        wheel.wheel.preciseY = 1.5
        wheel.wheel.preciseX = -1
        _ = translator.handle(wheel, clipboard: { nil })
        _ = translator.handle(wheel, clipboard: { nil })
        XCTAssertEqual(translator.input.wheel, Point(-2, 3))

        _ = translator.handle(mouseButton(down: true, SDL_BUTTON_LEFT, x: 1, y: 1), clipboard: { nil })
        XCTAssertEqual(translator.handle(windowEvent(SDL_WINDOWEVENT_FOCUS_LOST), clipboard: { nil }), .handled)
        XCTAssertTrue(translator.input.focusLost)
        XCTAssertEqual(translator.input.mouseDown, [false, false, false], "focus loss drops held buttons")
        XCTAssertEqual(translator.handle(windowEvent(SDL_WINDOWEVENT_SIZE_CHANGED), clipboard: { nil }), .resized)
        _ = translator.handle(windowEvent(SDL_WINDOWEVENT_LEAVE), clipboard: { nil })
        XCTAssertEqual(translator.input.mousePosition, Point(-1, -1))

        var quit = SDL_Event()
        quit.type = SDL_QUIT.rawValue
        XCTAssertEqual(translator.handle(quit, clipboard: { nil }), .quit)
        let frame = translator.takeFrame(modifiers: UInt16(KMOD_LSHIFT.rawValue), time: 12.5)
        XCTAssertEqual(frame.modifiers, .shift)
        XCTAssertEqual(frame.time, 12.5)
        XCTAssertEqual(frame.wheel, Point(-2, 3))
        XCTAssertEqual(translator.input.wheel, Point(0, 0), "taking a frame clears its per-frame parts")
    }

    /// Typing and then clicking elsewhere between two frames: the text belongs to the frame
    /// before the click, so it lands in the field that had focus while it was typed.
    func testTextThenClickInOnePollBecomesTwoFramesInOrder() {
        var translator = SDLInputTranslator()
        var text = SDL_Event()
        text.type = SDL_TEXTINPUT.rawValue
        withUnsafeMutableBytes(of: &text.text.text) { bytes in
            for (index, byte) in "abc".utf8.enumerated() { bytes[index] = byte }
            bytes[3] = 0
        }
        var motion = SDL_Event()
        motion.type = SDL_MOUSEMOTION.rawValue
        motion.motion.x = 10
        motion.motion.y = 20
        _ = translator.handle(motion, clipboard: { nil })
        motion.motion.x = 40
        motion.motion.y = 25
        _ = translator.handle(motion, clipboard: { nil })
        _ = translator.handle(text, clipboard: { nil })
        _ = translator.handle(mouseButton(down: true, SDL_BUTTON_LEFT, x: 300, y: 200), clipboard: { nil })
        _ = translator.handle(mouseButton(down: false, SDL_BUTTON_LEFT, x: 300, y: 200), clipboard: { nil })
        XCTAssertTrue(translator.hasPendingInput)
        let typing = translator.takeFrame(modifiers: 0, time: 1)
        XCTAssertEqual(typing.text, "abc")
        XCTAssertEqual(typing.mousePressed, [false, false, false])
        XCTAssertEqual(typing.mousePosition, Point(40, 25))
        XCTAssertEqual(typing.mouseDelta, Point(30, 5), "the delta between the two motions")
        XCTAssertTrue(translator.hasPendingInput, "the click waits for the next frame")
        let click = translator.takeFrame(modifiers: 0, time: 1)
        XCTAssertFalse(translator.hasPendingInput)
        XCTAssertEqual(click.text, "")
        XCTAssertEqual(click.mousePressed, [true, false, false])
        XCTAssertEqual(click.mouseReleased, [true, false, false])
        XCTAssertEqual(click.mousePosition, Point(300, 200))
        XCTAssertEqual(click.mouseDelta, Point(260, 175))
    }
}
