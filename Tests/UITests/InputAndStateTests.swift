@testable import UI
import XCTest

final class WidgetStateTests: XCTestCase {
    /// A dropdown and a scroll area with the same label share an ID; each keeps its own state
    /// (before, the second one's state replaced the first's, and a failed cast reset it).
    func testWidgetsOfDifferentStateTypesWithTheSameIDKeepTheirOwnState() throws {
        var choice = 0
        let harness = UIHarness(size: Size(900, 600)) { ui in
            ui.row([.fixed(200)])
            ui.dropdown("Same", options: ["A", "B", "C"], selection: &choice)
            ui.scrollArea("Same", rect: Rect(x: 500, y: 20, width: 300, height: 200)) {
                for index in 0..<30 { ui.label("line \(index)") }
            }
        }
        harness.frame()
        XCTAssertEqual(harness.items.filter { $0.kind == "dropdown" }.first?.id, harness.items.first { $0.kind == "scroll" }?.id,
                       "the same label in the same scope is the same ID")
        let firstLine = try XCTUnwrap(harness.item("Same/line 0")).rect.y
        harness.click(at: try XCTUnwrap(harness.items.first { $0.kind == "dropdown" }).rect.center)
        harness.frame()
        XCTAssertTrue(harness.exists("Same/B"), "the dropdown is open")
        harness.scroll(at: Point(650, 120), lines: -1)
        harness.frames(3)
        XCTAssertTrue(harness.exists("Same/B"), "scrolling the area did not reset the dropdown")
        XCTAssertEqual(try XCTUnwrap(harness.item("Same/line 0")).rect.y, firstLine - UIContext.wheelStep,
                       "the dropdown did not reset the scroll offset")
        harness.click("Same/C")
        XCTAssertEqual(choice, 2)
        XCTAssertEqual(try XCTUnwrap(harness.item("Same/line 0")).rect.y, firstLine - UIContext.wheelStep)
    }

    func testChildIDsAreSaltedHashesOfTheParent() {
        let ui = UIContext(measurer: FixedWidthTextMeasurer())
        let parent = ui.id("Flows")
        let scrollbar = ui.childID(of: parent, "scrollbar")
        XCTAssertEqual(scrollbar, ui.childID(of: parent, "scrollbar"), "stable")
        XCTAssertNotEqual(scrollbar, ui.childID(of: parent, "scroll"))
        XCTAssertNotEqual(scrollbar, ui.childID(of: ui.id("Hosts"), "scrollbar"))
        // Not a small offset from the parent, where a neighbouring widget's hash could sit.
        XCTAssertGreaterThan(scrollbar &- parent, 1 << 20)
        XCTAssertGreaterThan(parent &- scrollbar, 1 << 20)
        XCTAssertEqual(scrollbar, ui.withID("Flows") { ui.id("scrollbar") }, "the same rule as scoped labels")
    }

    /// Dragging a scroll area's thumb makes the salted child ID active, not the area itself.
    func testScrollbarThumbUsesItsSaltedID() throws {
        let harness = UIHarness(size: Size(400, 400)) { ui in
            ui.scrollArea("List", rect: Rect(x: 0, y: 0, width: 300, height: 200)) {
                for index in 0..<40 { ui.label("row \(index)") }
            }
        }
        harness.frames(2)
        let area = try XCTUnwrap(harness.item("List"))
        var press = InputSnapshot()
        press.mousePosition = Point(area.rect.maxX - 4, area.rect.y + 10)
        press.mouseDown[0] = true
        press.mousePressed[0] = true
        harness.frame(press)
        XCTAssertEqual(harness.ui.activeID, harness.ui.childID(of: area.id, "scrollbar"))
    }
}

final class InputOrderTests: XCTestCase {
    /// Typing and then clicking the next field between two frames: the text stays in the field
    /// it was typed into, and the click focuses the next field.
    func testTypingThenClickingTheNextFieldInOneFrameKeepsTheTextInTheFirstField() throws {
        var name = "", address = ""
        let harness = UIHarness { ui in
            ui.textField("Name", text: &name)
            ui.textField("Address", text: &address)
        }
        harness.frame()
        harness.click("Name")
        let next = try XCTUnwrap(harness.item("Address")).rect.center
        let frames = harness.send([.text("camera"), .mouseButton(.left, down: true, at: next), .mouseButton(.left, down: false, at: next)])
        XCTAssertEqual(frames, 2, "the click goes to the frame after the typing")
        XCTAssertEqual(name, "camera")
        XCTAssertEqual(address, "")
        XCTAssertTrue(harness.ui.isFocused(try XCTUnwrap(harness.item("Address")).id))
        harness.send([.text("10.0.0.7")])
        XCTAssertEqual(address, "10.0.0.7")
        XCTAssertEqual(name, "camera")

        // The other way round: a click on the first field and then typing, in one go.
        let first = try XCTUnwrap(harness.item("Name")).rect.center
        harness.send([.mouseButton(.left, down: true, at: first), .mouseButton(.left, down: false, at: first), .key(.end), .text(" 2")])
        XCTAssertEqual(name, "camera 2")
        XCTAssertEqual(address, "10.0.0.7")
    }

    /// Text and then a key between two frames: the key acts after the text, as typed.
    func testTextThenBackspaceInOneFrameDeletesTheLastTypedCharacter() {
        var text = "port"
        let harness = UIHarness { ui in ui.textField("Filter", text: &text) }
        harness.frame()
        harness.click("Filter")
        harness.press(.end)
        XCTAssertEqual(harness.send([.text(" 80"), .key(.backspace), .text("443"), .key(.home), .text("tcp ")]), 3)
        XCTAssertEqual(text, "tcp port 8443")
    }

    /// A press and then a move before the next frame presses where the button went down.
    func testAPressThenAMovePressesWhereTheButtonWentDown() throws {
        var clicked: [String] = []
        let harness = UIHarness { ui in
            ui.row([.fixed(120), .fixed(120)])
            if ui.button("Left").contains(.pressed) { clicked.append("Left") }
            if ui.button("Right").contains(.pressed) { clicked.append("Right") }
        }
        harness.frame()
        let left = try XCTUnwrap(harness.item("Left")).rect.center
        let right = try XCTUnwrap(harness.item("Right")).rect.center
        harness.send([.mouseButton(.left, down: true, at: left), .mouseMove(to: right)])
        XCTAssertEqual(harness.ui.activeID, try XCTUnwrap(harness.item("Left")).id, "the press landed on Left")
        harness.send([.mouseButton(.left, down: false, at: right)])
        XCTAssertEqual(clicked, [], "released elsewhere: no click")
        // A quick click (press and release between two frames) is one frame and one click.
        XCTAssertEqual(harness.send([.mouseButton(.left, down: true, at: right), .mouseButton(.left, down: false, at: right)]), 1)
        XCTAssertEqual(clicked, ["Right"])
    }

    func testQueueCarriesTheMouseDeltaAndKeepsPersistentState() {
        var queue = InputQueue(mousePosition: Point(10, 10))
        queue.push(.mouseMove(to: Point(15, 12)))
        queue.push(.mouseMove(to: Point(25, 2)))
        queue.push(.wheel(Point(0, 1)))
        var frame = queue.take()
        XCTAssertEqual(frame.mouseDelta, Point(15, -8))
        XCTAssertEqual(frame.wheel, Point(0, 1))
        queue.push(.mouseButton(.left, down: true, at: Point(25, 2)))
        frame = queue.take()
        XCTAssertEqual(frame.mouseDelta, .zero)
        XCTAssertEqual(frame.mouseDown, [true, false, false])
        frame = queue.take()
        XCTAssertEqual(frame.mouseDown, [true, false, false], "a held button stays held")
        XCTAssertEqual(frame.mousePressed, [false, false, false])
        queue.push(.mouseLeft)
        queue.push(.mouseMove(to: Point(40, 40)))
        XCTAssertEqual(queue.take().mouseDelta, .zero, "no jump when the mouse comes back into the window")
    }
}

final class HoverOptionTests: XCTestCase {
    /// With hover off (the kiosk), a resting mouse shows no crosshair and no tooltip; a press
    /// still reaches the widget.
    func testNoHoverLeavesNoCrosshairOrTooltipButClicksStillWork() throws {
        var clicks = 0
        let values: [Double] = [10, 20, 30, 40, 50]
        let harness = UIHarness(size: Size(600, 400)) { ui in
            ui.timeChart("Rate", series: [ChartSeries("TCP", color: Color(hex: 0xFF0000))], pointCount: 5, unit: .packetsPerSecond,
                         stacked: false, rect: Rect(x: 0, y: 0, width: 600, height: 300), timeLabel: { "t\($0)" }) { _, index in values[index] }
            if ui.button("Pause", rect: Rect(x: 10, y: 320, width: 100, height: 30)).contains(.pressed) { clicks += 1 }
        }
        func tooltipShown() -> Bool {
            harness.ui.drawList.commands.contains { if case let .text(text, _, _, _) = $0 { return text.hasPrefix("TCP: ") }; return false }
        }
        harness.frame()
        harness.moveMouse(to: Point(400, 150))
        XCTAssertTrue(tooltipShown(), "hovering shows the read-out")
        harness.ui.hoverEnabled = false
        harness.frames(2)
        XCTAssertFalse(tooltipShown())
        XCTAssertEqual(harness.ui.hotID, 0)
        XCTAssertFalse(harness.ui.drawList.commands.contains { if case .circle = $0 { return true }; return false }, "no crosshair dots")
        harness.click("Pause")
        XCTAssertEqual(clicks, 1)
    }
}

final class ItemRecordTests: XCTestCase {
    func testRecordsCarryARoleAndAValue() {
        var packets = 236
        let harness = UIHarness { ui in
            ui.itemAdd(Rect(x: 0, y: 0, width: 100, height: 40), id: 0, label: "Packets", kind: "counter", role: .counter("Packets"), value: "\(packets)")
            ui.withID("Jobs") {
                ui.itemAdd(Rect(x: 0, y: 50, width: 300, height: 24), id: 0, label: "row", kind: "row", role: .row("job 7"), value: "failed")
                ui.itemAdd(Rect(x: 0, y: 50, width: 100, height: 24), id: 0, label: "name", kind: "cell", role: .cell("job 7", "Name"), value: "Nightly | scan")
            }
        }
        harness.frame()
        XCTAssertEqual(harness.value(of: .counter("Packets")), "236")
        XCTAssertEqual(harness.value(of: .row("job 7")), "failed")
        XCTAssertEqual(harness.value(of: .cell("job 7", "Name")), "Nightly | scan", "values are not parsed, so any text is fine")
        XCTAssertNil(harness.value(of: .row("job 8")))
        XCTAssertNil(harness.value(of: .cell("job 7", "Status")))
        XCTAssertEqual(harness.items(ofRoleKind: "row").map(\.path), ["Jobs/row"])
        packets = 237
        harness.frame()
        XCTAssertEqual(harness.value(of: .counter("Packets")), "237")
    }
}
