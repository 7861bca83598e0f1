import Export
import Foundation
@testable import Screens
import Store
import UI
import XCTest

final class DataTableTests: XCTestCase {
    struct Host: Sendable, Equatable {
        var id: Int
        var address: String
        var bytes: Int
    }

    static func columns() -> [DataColumn<Host>] {
        [
            DataColumn("Address", width: 200, text: { $0.address }, sortBy: { $0.address }),
            DataColumn("Bytes", width: 100, alignment: .right, text: { "\($0.bytes)" }, sortBy: { $0.bytes }, export: { .number($0.bytes) }),
        ]
    }

    static let hosts = [Host(id: 1, address: "10.0.0.2", bytes: 500), Host(id: 2, address: "10.0.0.1", bytes: 900),
                        Host(id: 3, address: "10.0.0.3", bytes: 100), Host(id: 4, address: "192.168.1.9", bytes: 300)]

    /// A column with keys computed once per row sorts like its comparator, both ways, and asks
    /// for each row's key once per rebuild (not twice per comparison).
    func testKeyedColumnsComputeEachKeyOncePerSort() {
        final class Counter: @unchecked Sendable { var calls = 0 }
        let single = Counter(), batch = Counter()
        let keyed: DataColumn<Host> = DataColumn("Bytes", width: 100, text: { "\($0.bytes)" }, sortKey: { row in single.calls += 1; return row.bytes })
        let batched: DataColumn<Host> = DataColumn("Address", width: 100, text: { $0.address }, sortKey: { $0.address },
                                                   sortKeys: { rows in batch.calls += 1; return rows.map(\.address) })
        let many = (0..<1000).map { Host(id: $0, address: "10.\($0 % 7).\($0 % 13).\($0 % 251)", bytes: ($0 * 7919) % 1009) }
        let table = DataTable<Host, Int>("Hosts", columns: [keyed, batched], key: \.id, sort: DataSort(column: "Bytes", ascending: true))
        table.update(generation: 1, filter: "", now: 0, source: { many })
        XCTAssertEqual(single.calls, many.count, "one key per row")
        XCTAssertEqual(table.rows.map(\.bytes), many.map(\.bytes).sorted())
        table.sort = DataSort(column: "Bytes", ascending: false)
        table.update(generation: 1, filter: "", now: 0, source: { many })
        XCTAssertEqual(table.rows.map(\.bytes), many.map(\.bytes).sorted(by: >))
        table.sort = DataSort(column: "Address", ascending: true)
        table.update(generation: 1, filter: "", now: 0, source: { many })
        XCTAssertEqual(batch.calls, 1, "all keys in one call")
        XCTAssertEqual(table.rows.map(\.address), many.map(\.address).sorted())
        XCTAssertTrue(keyed.less!(many[1], many[2]) == (many[1].bytes < many[2].bytes), "the comparator agrees with the keys")
    }

    func testSortingFollowsItsColumnWhenTheColumnsAreReordered() {
        let table = DataTable<Host, Int>("Hosts", columns: Self.columns(), key: \.id)
        var filter = ""
        let harness = UIHarness { ui in
            table.update(generation: 0, filter: filter, now: 0, source: { Self.hosts })
            table.build(ui, in: Rect(x: 0, y: 0, width: 600, height: 300))
        }
        harness.frame()
        harness.click("Hosts/header:Bytes")
        harness.frame()
        XCTAssertEqual(table.sort, DataSort(column: "Bytes", ascending: true))
        XCTAssertEqual(table.rows.map(\.bytes), [100, 300, 500, 900])

        // Bytes first, Address second: the sort stays on Bytes, not on whatever column 1 is now.
        table.columns.reverse()
        harness.frame()
        XCTAssertEqual(table.rows.map(\.bytes), [100, 300, 500, 900])
        XCTAssertLessThan(harness.item("Hosts/header:Bytes")!.rect.x, harness.item("Hosts/header:Address")!.rect.x)
        // A click on the moved Address header sorts by address.
        harness.click("Hosts/header:Address")
        harness.frame()
        XCTAssertEqual(table.sort, DataSort(column: "Address", ascending: true))
        XCTAssertEqual(table.rows.map(\.address), ["10.0.0.1", "10.0.0.2", "10.0.0.3", "192.168.1.9"])
        filter = "10.0"
        harness.frame()
        XCTAssertEqual(table.rows.map(\.address), ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    }

    func testExportWritesTheValuesAndOrderTheTableShows() throws {
        let table = DataTable<Host, Int>("Hosts", columns: Self.columns(), key: \.id, sort: DataSort(column: "Bytes", ascending: false))
        var drawn: [[String]] = []
        let harness = UIHarness { ui in
            drawn.removeAll()
            table.update(generation: 0, filter: "10.0.0", now: 0, source: { Self.hosts })
            table.build(ui, in: Rect(x: 0, y: 0, width: 600, height: 300)) { _, host in
                drawn.append(table.columns.map { $0.text(host) })
            }
        }
        harness.frame()
        XCTAssertEqual(drawn, [["10.0.0.1", "900"], ["10.0.0.2", "500"], ["10.0.0.3", "100"]])

        let path = NSTemporaryDirectory() + "datatable-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Exporter.write(table.exportSource().makeTable(), format: .csv, to: path, kind: "hosts")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        XCTAssertEqual(lines, ["Address,Bytes"] + drawn.map { $0.joined(separator: ",") })
        // Typed values: the bytes stay numbers in JSON.
        XCTAssertEqual(table.exportTable().rows.first, [.string("10.0.0.1"), .integer(900)])
    }

    func testHundredThousandRowsStreamedInBatchesKeepTheSelectionAndTheScrollPosition() {
        // Sorted by bytes descending; every batch brings rows that sort above and below the selection.
        let table = DataTable<Host, Int>("Results", columns: Self.columns(), key: \.id, sort: DataSort(column: "Bytes", ascending: false))
        table.refreshInterval = 0
        var all: [Host] = []
        var generation = 0
        let harness = UIHarness(size: Size(800, 600)) { ui in
            table.update(generation: generation, filter: "", now: Double(generation), source: { all })
            table.build(ui, in: Rect(x: 0, y: 0, width: 800, height: 600))
        }
        func stream(_ batch: Range<Int>) {
            // Bytes interleave so new rows land among the old ones, not only at the end.
            all.append(contentsOf: batch.map { Host(id: $0, address: "10.\($0 >> 16).\($0 >> 8 & 255).\($0 & 255)", bytes: ($0 * 7919) % 100_003) })
            generation += 1
            harness.frame()
        }
        stream(0..<1000)
        harness.scroll(at: Point(400, 300), lines: -40)
        harness.frame()
        let top = table.visibleRows.lowerBound
        XCTAssertGreaterThan(top, 0, "scrolled down")
        // Select the fifth visible row with the mouse.
        let rowHeight = harness.ui.theme.rowHeight - 2
        let header = harness.ui.theme.rowHeight
        let item = harness.item("Results")!
        harness.click(at: Point(100, item.rect.y + header + rowHeight * 4.5 + 1))
        harness.frame()
        guard let selected = table.selectedKey, let selectedRow = table.selectedRow else { return XCTFail("a row is selected") }
        var batch = 1000
        while batch < 100_000 {
            stream(batch..<(min(batch + 11_000, 100_000)))
            batch += 11_000
            XCTAssertEqual(table.selectedKey, selected)
            XCTAssertEqual(table.selectedRow, selectedRow, "the same item stays selected")
            XCTAssertEqual(table.visibleRows.lowerBound, top, "the scroll position stays")
        }
        XCTAssertEqual(table.rows.count, 100_000)
        let index = table.selectedIndex!
        XCTAssertEqual(table.rows[index].id, selected)
        XCTAssertGreaterThan(index, top + 4, "rows sorted above it arrived, and it is still the one selected")
        // Keyboard navigation moves from the selected item, wherever it now is.
        harness.press(.down)
        harness.frame()
        XCTAssertEqual(table.selectedIndex, index + 1)
        XCTAssertEqual(table.selectedKey, table.rows[index + 1].id)
    }

    func testAnotherSourceSelectsNothing() {
        let table = DataTable<Host, Int>("Hosts", columns: Self.columns(), key: \.id)
        table.update(generation: 0, filter: "", now: 0, source: { Self.hosts })
        table.selectedKey = 3
        XCTAssertEqual(table.selectedIndex, 2)
        table.reset()
        table.update(generation: 1, filter: "", now: 0, source: { Array(Self.hosts.prefix(1)) })
        XCTAssertNil(table.selectedKey)
        XCTAssertNil(table.selectedIndex)
    }

    /// A table with `enableExport` draws its own export bar above its rows and writes exactly
    /// the rows shown (filtered, sorted) with its exported columns: `exportOnly` ones in their
    /// declared place, controls never.
    func testATableShowsItsOwnExportBarAndWritesTheRowsShown() throws {
        let directory = NSTemporaryDirectory() + "datatable-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inbox = UIInbox(), toasts = ToastCenter()
        var pressed: [Int] = []
        let columns: [DataColumn<Host>] = [.exportOnly("ID", key: "id") { .number($0.id) }] + Self.columns()
            + [.control("Block", width: 70) { row, column, host in if row.button(column, "Block##\(host.id)") { pressed.append(host.id) } }]
        let table = DataTable<Host, Int>("Hosts", columns: columns, key: \.id, sort: DataSort(column: "Bytes", ascending: false))
        table.enableExport("hosts", singular: "host", inbox: inbox, toasts: toasts, directory: directory)
        var drawn: [[String]] = []
        let harness = UIHarness(size: Size(800, 400)) { ui in
            inbox.drain()
            drawn.removeAll()
            table.update(generation: 0, filter: "10.0.0", now: 0, source: { Self.hosts })
            table.build(ui, in: Rect(x: 0, y: 0, width: 800, height: 400)) { _, host in
                drawn.append(table.shownColumns.filter(\.isExported).map { $0.text(host) })
            }
            toasts.deliver(to: ui)
        }
        harness.frame()
        XCTAssertEqual(table.shownColumns.map(\.title), ["Address", "Bytes", "Block"], "an export-only column is not drawn")
        XCTAssertEqual(drawn, [["10.0.0.1", "900"], ["10.0.0.2", "500"], ["10.0.0.3", "100"]])
        XCTAssertTrue(harness.drawnTexts.contains("3 hosts"))
        XCTAssertLessThan(try XCTUnwrap(harness.item("Export hosts/Export")).rect.maxY, try XCTUnwrap(harness.item("Hosts")).rect.y,
                          "the bar sits above the rows")
        XCTAssertEqual(table.exportBar?.path, directory + "/netscouter-hosts.csv")

        harness.click("Export hosts/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported 3 hosts to \(directory)/netscouter-hosts.csv") != nil })
        XCTAssertFalse(table.isExporting)
        let records = try pythonCSVRecords(directory + "/netscouter-hosts.csv")
        XCTAssertEqual(records.first, ["ID", "Address", "Bytes"])
        XCTAssertEqual(records.dropFirst().map { Array($0.dropFirst()) }, drawn, "the values and order drawn")
        XCTAssertEqual(records.dropFirst().map(\.first), ["2", "1", "3"])

        // JSON: the drop-down changes the format and the default path; numbers stay numbers.
        harness.click("Export hosts/Format")
        harness.click("Export hosts/Format/JSON")
        XCTAssertEqual(table.exportBar?.path, directory + "/netscouter-hosts.json")
        harness.click("Export hosts/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("netscouter-hosts.json") != nil })
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/netscouter-hosts.json"))) as? [String: Any])
        let json = try XCTUnwrap(document["records"] as? [[String: Any]])
        XCTAssertEqual(document["kind"] as? String, "hosts")
        XCTAssertEqual(json.compactMap { $0["address"] as? String }, ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        XCTAssertEqual(json.compactMap { $0["bytes"] as? Int }, [900, 500, 100])
        XCTAssertEqual(json.compactMap { $0["id"] as? Int }, [2, 1, 3])
        XCTAssertTrue(json.allSatisfy { $0["block"] == nil }, "controls are not exported")

        // The control column's buttons work, and the Settings export folder moves the default path.
        harness.click("Hosts/0/Block##2")
        XCTAssertEqual(pressed, [2])
        var settings = AppSettings.defaults
        settings.exportDirectory = directory + "/elsewhere"
        table.apply(settings)
        XCTAssertEqual(table.exportBar?.path, directory + "/elsewhere/netscouter-hosts.json")
    }
}
