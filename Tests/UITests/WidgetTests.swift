@testable import UI
import XCTest

final class IDTests: XCTestCase {
    func testIDsHashTheWholeLabelButShowOnlyThePartBeforeHashes() {
        let ui = UIContext(measurer: FixedWidthTextMeasurer())
        XCTAssertNotEqual(ui.id("Block##10.0.0.7"), ui.id("Block##10.0.0.8"))
        XCTAssertEqual(ui.visibleLabel("Block##10.0.0.7"), "Block")
        XCTAssertEqual(ui.id("Rx 10 pkts###counter"), ui.id("Rx 99 pkts###counter"), "### hashes only the key")
        let outer = ui.withID("a") { ui.id("OK") }
        let other = ui.withID("b") { ui.id("OK") }
        XCTAssertNotEqual(outer, other, "the same label in different scopes has different IDs")
    }
}

final class WidgetHarnessTests: XCTestCase {
    func testButtonClickAndHoverHotID() {
        var clicks = 0
        let harness = UIHarness { ui in
            if ui.button("Start").contains(.pressed) { clicks += 1 }
            ui.button("Stop")
        }
        harness.frame()
        harness.moveMouse(to: harness.item("Start")!.rect.center)
        harness.frame()
        XCTAssertEqual(harness.ui.hotID, harness.item("Start")!.id)
        harness.click("Start")
        XCTAssertEqual(clicks, 1)
        // Pressing on one button and releasing on another clicks neither.
        harness.drag(from: harness.item("Start")!.rect.center, to: harness.item("Stop")!.rect.center)
        XCTAssertEqual(clicks, 1)
    }

    func testTabsSwitchOnClick() {
        var selected = 0
        let harness = UIHarness { ui in
            ui.tabs("main", ["Dashboard", "Scanner", "Settings"], selection: &selected)
        }
        harness.frame()
        harness.click("main/Settings")
        XCTAssertEqual(selected, 2)
        harness.click("main/Dashboard")
        XCTAssertEqual(selected, 0)
    }

    func testCheckboxToggleAndRadio() {
        var enabled = false, mode = "1m"
        let harness = UIHarness { ui in
            ui.checkbox("Promiscuous", isOn: &enabled)
            ui.toggle("Stacked", isOn: &enabled)
            ui.radio("1 min", value: "1m", selection: &mode)
            ui.radio("5 min", value: "5m", selection: &mode)
        }
        harness.frame()
        harness.click("Promiscuous")
        XCTAssertTrue(enabled)
        harness.click("Stacked")
        XCTAssertFalse(enabled)
        harness.click("5 min")
        XCTAssertEqual(mode, "5m")
    }

    func testTextEditingWithSelectionCopyPasteAndSubmit() {
        var text = "tcp port 80"
        var submitted = false
        let harness = UIHarness { ui in
            if ui.textField("Filter", text: &text).contains(.submitted) { submitted = true }
        }
        harness.frame()
        harness.click("Filter")
        XCTAssertTrue(harness.ui.isFocused(harness.item("Filter")!.id))
        // Caret goes to the end on End; select the last two characters and replace them.
        harness.press(.end)
        harness.press(.left, modifiers: .shift)
        harness.press(.left, modifiers: .shift)
        harness.type("443")
        XCTAssertEqual(text, "tcp port 443")
        // Select all, copy, type over, paste back twice.
        harness.press(.character("a"), modifiers: .control)
        harness.press(.character("c"), modifiers: .control)
        XCTAssertEqual(harness.clipboard, "tcp port 443")
        harness.type("udp")
        XCTAssertEqual(text, "udp")
        harness.press(.backspace)
        XCTAssertEqual(text, "ud")
        harness.press(.home)
        harness.press(.delete)
        XCTAssertEqual(text, "d")
        harness.press(.character("a"), modifiers: .control)
        harness.press(.character("v"), modifiers: .control)
        XCTAssertEqual(text, "tcp port 443")
        harness.press(.enter)
        XCTAssertTrue(submitted)
        harness.press(.escape)
        XCTAssertFalse(harness.ui.isFocused(harness.item("Filter")!.id))
        harness.type("ignored")
        XCTAssertEqual(text, "tcp port 443", "an unfocused field ignores typing")
    }

    func testMaskedFieldHidesAndRefusesCopy() {
        var secret = "abc123"
        let harness = UIHarness { ui in ui.textField("API key", text: &secret, masked: true) }
        harness.frame()
        harness.click("API key")
        harness.press(.character("a"), modifiers: .control)
        harness.press(.character("c"), modifiers: .control)
        XCTAssertNil(harness.clipboard, "a secret never reaches the clipboard")
        let texts = harness.ui.drawList.commands.compactMap { command -> String? in
            if case let .text(text, _, _, _) = command { return text }
            return nil
        }
        XCTAssertFalse(texts.contains { $0.contains("abc") })
        XCTAssertTrue(texts.contains("••••••"))
    }

    func testModalConfirmBlocksTheBackgroundAndConfirms() {
        var showDialog = false
        var behindClicks = 0
        var result = ConfirmResult.none
        let harness = UIHarness { ui in
            if ui.button("Block 203.0.113.9").contains(.pressed) { showDialog = true }
            if ui.button("Behind").contains(.pressed) { behindClicks += 1 }
            let outcome = ui.confirmDialog("Block address?", message: "203.0.113.9 will be dropped by the firewall.",
                                           confirmLabel: "Block", destructive: true, isPresented: &showDialog)
            if outcome != .none { result = outcome }
        }
        harness.frame()
        harness.click("Block 203.0.113.9")
        harness.frame()
        XCTAssertTrue(showDialog)
        XCTAssertTrue(harness.exists("Block address?/Block"))
        // While the dialog is open, the button behind it does not react.
        let behind = harness.item("Behind")!.rect.center
        harness.click(at: behind)
        XCTAssertEqual(behindClicks, 0)
        harness.click("Block address?/Cancel")
        XCTAssertEqual(result, .cancelled)
        XCTAssertFalse(showDialog)
        showDialog = true
        harness.frame()
        harness.click("Block address?/Block")
        XCTAssertEqual(result, .confirmed)
        harness.frame()
        harness.click(at: behind)
        XCTAssertEqual(behindClicks, 1, "after closing, the background reacts again")
    }

    func testDropdownPicksAnOptionAndBlocksWhatIsUnderIt() {
        var choice = 0
        var underneath = 0
        let harness = UIHarness { ui in
            ui.row([.fixed(200)])
            ui.dropdown("Interface", options: ["lo", "eth0", "wlan0"], selection: &choice)
            ui.row([.fixed(200)])
            if ui.button("Under").contains(.pressed) { underneath += 1 }
        }
        harness.frame()
        harness.click("Interface")
        harness.frame()
        XCTAssertTrue(harness.exists("Interface/wlan0"))
        harness.click("Interface/eth0")
        XCTAssertEqual(choice, 1)
        XCTAssertEqual(underneath, 0, "the click went to the open list, not the button under it")
        harness.frame()
        XCTAssertFalse(harness.exists("Interface/wlan0"), "the list closes after a choice")
    }

    func testToastShowsThenExpires() {
        let harness = UIHarness { _ in }
        harness.frame()
        harness.ui.toast("Settings applied", kind: .success, seconds: 0.5)
        harness.frame()
        XCTAssertEqual(harness.ui.visibleToasts, ["Settings applied"])
        harness.frames(40)
        XCTAssertEqual(harness.ui.visibleToasts, [])
    }

    func testScrollAreaScrollsWithTheWheel() {
        let harness = UIHarness(size: Size(400, 300)) { ui in
            ui.scrollArea("log", rect: Rect(x: 0, y: 0, width: 400, height: 100)) {
                for index in 0..<50 { ui.label("line \(index)") }
            }
        }
        harness.frames(2)
        let before = harness.item("log/line 10")!.rect.y
        harness.scroll(at: Point(100, 50), lines: -2)
        harness.frame()
        XCTAssertEqual(harness.item("log/line 10")!.rect.y, before - 2 * UIContext.wheelStep)
    }
}

final class WrapTests: XCTestCase {
    func testWrapBreaksWordsAndOverlongWords() {
        let ui = UIContext(measurer: FixedWidthTextMeasurer(advance: 10, height: 14))
        XCTAssertEqual(ui.wrap("one two three", width: 75), ["one two", "three"])
        // 39 characters in 120 px (12 per line): broken between characters, nothing lost.
        let address = "2001:630:241:20f:c2ea:e93a:1234:5678:9a"
        let lines = ui.wrap("IPv6 " + address, width: 120)
        XCTAssertEqual(lines.joined(), "IPv6" + address)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 12 }, "\(lines)")
        XCTAssertEqual(ui.wrap("a\nb", width: 100), ["a", "b"])
    }
}
