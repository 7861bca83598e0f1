@testable import UI
import XCTest

final class TableTests: XCTestCase {
    struct Host { var address: String; var bytes: Int }

    func testHundredThousandRowsOnlyBuildTheVisibleOnes() {
        var sort: TableSort?
        var selection: Int?
        var built: [Int] = []
        let harness = UIHarness(size: Size(800, 600)) { ui in
            built.removeAll()
            ui.table("Flows", columns: [TableColumn("Row", width: 100), TableColumn("Value", width: 100)], rowCount: 100_000,
                     sort: &sort, selection: &selection, rect: Rect(x: 0, y: 0, width: 800, height: 600)) { row in
                built.append(row.index)
                row.text(0, "\(row.index)")
            }
        }
        harness.frame()
        let rowHeight = harness.ui.theme.rowHeight - 2
        let expectedVisible = Int((600 - harness.ui.theme.rowHeight) / rowHeight) + 2
        XCTAssertLessThanOrEqual(built.count, expectedVisible)
        XCTAssertGreaterThan(built.count, 15)
        XCTAssertEqual(built.first, 0)
        // Scroll far down: still only a screenful, from the right place.
        harness.scroll(at: Point(400, 300), lines: -100_000)
        harness.frame()
        XCTAssertLessThanOrEqual(built.count, expectedVisible)
        XCTAssertEqual(built.last, 99_999)
    }

    func testHeaderClicksSortAndReverse() {
        var hosts = [Host(address: "10.0.0.2", bytes: 500), Host(address: "10.0.0.1", bytes: 900), Host(address: "10.0.0.3", bytes: 100)]
        var sort: TableSort?
        var selection: Int?
        var shown: [String] = []
        let harness = UIHarness { ui in
            if let sort {
                hosts.sort { sort.column == 0 ? ($0.address < $1.address) == sort.ascending : ($0.bytes < $1.bytes) == sort.ascending }
            }
            shown.removeAll()
            ui.table("Hosts", columns: [TableColumn("Address", width: 200), TableColumn("Bytes", width: 100, alignment: .right)],
                     rowCount: hosts.count, sort: &sort, selection: &selection, rect: Rect(x: 0, y: 0, width: 600, height: 300)) { row in
                shown.append(hosts[row.index].address)
                row.text(0, hosts[row.index].address)
                row.text(1, "\(hosts[row.index].bytes)")
            }
        }
        harness.frame()
        harness.click("Hosts/header:Bytes")
        harness.frame()
        XCTAssertEqual(sort, TableSort(column: 1, ascending: true))
        XCTAssertEqual(shown, ["10.0.0.3", "10.0.0.2", "10.0.0.1"])
        harness.click("Hosts/header:Bytes")
        harness.frame()
        XCTAssertEqual(shown, ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        harness.click("Hosts/header:Address")
        harness.frame()
        XCTAssertEqual(shown, ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        XCTAssertEqual(sort, TableSort(column: 0, ascending: true))
    }

    func testSelectionByClickAndKeyboardAndActivation() {
        var sort: TableSort?
        var selection: Int?
        var activated = 0
        let harness = UIHarness(size: Size(600, 400)) { ui in
            let result = ui.table("T", columns: [TableColumn("N", width: 100)], rowCount: 1000, sort: &sort, selection: &selection,
                                  rect: Rect(x: 0, y: 0, width: 600, height: 400)) { row in row.text(0, "row \(row.index)") }
            if result.contains(.submitted) { activated += 1 }
        }
        harness.frame()
        let rowHeight = harness.ui.theme.rowHeight - 2
        harness.click(at: Point(50, harness.ui.theme.rowHeight + rowHeight * 2.5))
        XCTAssertEqual(selection, 2)
        harness.press(.down)
        harness.press(.down)
        XCTAssertEqual(selection, 4)
        harness.press(.end)
        XCTAssertEqual(selection, 999)
        harness.frame()
        XCTAssertTrue(harness.items.contains { $0.path.hasSuffix("999") || $0.kind == "table" })
        harness.press(.pageUp)
        XCTAssertLessThan(selection!, 999)
        harness.press(.home)
        XCTAssertEqual(selection, 0)
        harness.press(.enter)
        XCTAssertEqual(activated, 1)
    }

    func testPerRowButtonsHaveKeyedIDsAndColumnsResize() {
        let addresses = ["203.0.113.9", "198.51.100.4"]
        var sort: TableSort?
        var selection: Int?
        var blocked: [String] = []
        let harness = UIHarness { ui in
            ui.table("Threats", columns: [TableColumn("Address", width: 200), TableColumn("Action", width: 100)], rowCount: addresses.count,
                     sort: &sort, selection: &selection, rect: Rect(x: 0, y: 0, width: 800, height: 300)) { row in
                row.text(0, addresses[row.index])
                if row.button(1, "Block##\(addresses[row.index])", style: .danger) { blocked.append(addresses[row.index]) }
            }
        }
        harness.frame()
        harness.click("Threats/1/Block##198.51.100.4")
        XCTAssertEqual(blocked, ["198.51.100.4"])
        // 300 px of columns in an 800 px table: both widen by the same factor.
        let header = harness.item("Threats/header:Address")!.rect
        let action = harness.item("Threats/header:Action")!.rect
        XCTAssertEqual(header.width / action.width, 2, accuracy: 0.02)
        XCTAssertEqual(action.maxX, 800, accuracy: 1)
        harness.drag(from: Point(header.maxX, header.center.y), to: Point(header.maxX + 80, header.center.y))
        harness.frame()
        XCTAssertEqual(harness.item("Threats/header:Address")!.rect.width, header.width + 80, "the edge followed the mouse")
    }

    func testColumnsWiderThanTheTableScrollSideways() throws {
        var sort: TableSort?
        var selection: Int?
        let columns = [TableColumn("Time", width: 100), TableColumn("Payload", width: 600), TableColumn("End", width: 100)]
        let view = Rect(x: 0, y: 0, width: 400, height: 300)
        let harness = UIHarness(size: Size(800, 600)) { ui in
            ui.table("Wide", columns: columns, rowCount: 3, sort: &sort, selection: &selection, rect: view) { row in
                row.text(2, "end \(row.index)")
            }
        }
        harness.frame()
        let end = try XCTUnwrap(harness.item("Wide/header:End")).rect
        XCTAssertEqual(end.x, 700, "the wide column keeps its width: End starts past the view")
        XCTAssertEqual(end.width, 100)

        // Wheel sideways over the table: End comes into view at the right edge.
        var input = InputSnapshot()
        input.mousePosition = Point(200, 100)
        input.wheel = Point(-100, 0)
        harness.frame(input)
        harness.frame()
        let scrolled = try XCTUnwrap(harness.item("Wide/header:End")).rect
        XCTAssertLessThanOrEqual(scrolled.maxX, 400)
        XCTAssertGreaterThan(scrolled.x, 200)
        XCTAssertEqual(end.x - scrolled.x, 400, "scrolled by exactly the overflow (800 wide in 400)")
        XCTAssertEqual(try XCTUnwrap(harness.item("Wide/header:Time")).rect.x, -400)

        // Shift+wheel back, then Right arrows with the table focused.
        input = InputSnapshot()
        input.mousePosition = Point(200, 100)
        input.wheel = Point(0, 100)
        input.modifiers = [.shift]
        harness.frame(input)
        harness.frame()
        XCTAssertEqual(try XCTUnwrap(harness.item("Wide/header:End")).rect.x, 700, "back to the start, rows not scrolled")
        harness.click(at: Point(200, 40))
        harness.press(.right)
        harness.frame()
        XCTAssertEqual(try XCTUnwrap(harness.item("Wide/header:End")).rect.x, 700 - 48)
    }

    func testATruncatedEndpointKeepsItsPortAndShowsTheWholeTextAsATooltip() throws {
        var sort: TableSort?
        var selection: Int?
        let endpoint = "[2001:db8:85a3::8a2e:370:7334]:50443"
        let harness = UIHarness(size: Size(800, 600)) { ui in
            ui.table("Flows", columns: [TableColumn("Initiator", width: 160), TableColumn("Info", width: 80), TableColumn("End", width: 100)],
                     rowCount: 1, sort: &sort, selection: &selection, rect: Rect(x: 0, y: 0, width: 400, height: 200)) { row in
                row.text(0, endpoint)
                row.text(1, "10050 → 47705 [ACK]")
                row.text(2, "short")
            }
        }
        func texts() -> [String] {
            harness.ui.drawList.commands.compactMap { command -> String? in
                if case let .text(text, _, _, _) = command { return text }
                return nil
            }
        }
        harness.frame()
        let cell = try XCTUnwrap(texts().first { $0.hasPrefix("[2001") })
        XCTAssertTrue(cell.hasSuffix("…]:50443"), cell)
        let column = try XCTUnwrap(harness.item("Flows/header:Initiator")).rect.width
        XCTAssertGreaterThan(harness.ui.textSize(endpoint).width, column, "too wide for the column even when widened")
        XCTAssertLessThanOrEqual(harness.ui.textSize(cell).width, column - harness.ui.theme.padding)
        XCTAssertFalse(texts().contains(endpoint), "the whole text only on hover")
        let info = try XCTUnwrap(texts().first { $0.hasPrefix("100") })
        XCTAssertTrue(info.hasSuffix("…"), "other text is cut at the end: \(info)")

        let rowY = harness.ui.theme.rowHeight + 8
        harness.moveMouse(to: Point(60, rowY))
        harness.frame()
        XCTAssertTrue(texts().contains(endpoint), "hovering the cell shows it whole")
        harness.moveMouse(to: Point(200, rowY))
        harness.frame()
        XCTAssertTrue(texts().contains("10050 → 47705 [ACK]"))
        harness.moveMouse(to: Point(300, rowY))
        harness.frame()
        XCTAssertFalse(texts().contains(endpoint))
        XCTAssertEqual(texts().filter { $0 == "short" }.count, 1, "a cell that fits has no tooltip")
    }
}
