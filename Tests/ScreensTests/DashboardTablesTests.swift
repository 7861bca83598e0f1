import Capture
import Export
import Foundation
import Packets
import Traffic
import Screens
import UI
import XCTest
import NetScouterTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The dashboard's tables on `DataTable`: selection by item (flow, packet), headers that sort,
/// an export that reads like the screen.
final class DashboardTablesTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-packets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func open(_ path: String, in shell: AppShell, _ harness: UIHarness) {
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)
    }

    private func loadedShell() throws -> (AppShell, UIHarness, String) {
        let path = try writeDashboardFixture(in: directory)
        let shell = AppShell(capture: CaptureController())
        shell.wallClock = { 1_700_000_010_000_000_000 }
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        open(path, in: shell, harness)
        harness.click("Dashboard/Tables/Packets###Packets")
        harness.frames(2)
        return (shell, harness, path)
    }

    func testTheSelectedPacketStaysSelectedWhenTheTableIsResortedAndIsDroppedByTheNextFile() throws {
        let (shell, harness, path) = try loadedShell()
        let table = shell.dashboard.packetTable
        XCTAssertEqual(table.rows.count, 236)
        let rowsRect = try XCTUnwrap(harness.item("Dashboard/Packets")).rect
        let rowHeight = harness.ui.theme.rowHeight - 2
        // The fourth row.
        harness.click(at: Point(rowsRect.x + 40, rowsRect.y + harness.ui.theme.rowHeight + rowHeight * 3.5))
        harness.frame()
        let selected = try XCTUnwrap(table.selectedRow)
        XCTAssertEqual(shell.dashboard.packetSelection, 3)
        let detail = packetDetail(selected.packet).map(\.1)
        XCTAssertTrue(detail.allSatisfy { harness.drawnTexts.contains($0) || $0.count > 30 }, "its detail is shown")

        // Sort by length: the same packet stays selected at its new row, its detail still shown.
        harness.click("Dashboard/Packets/header:Length")
        harness.frame()
        XCTAssertEqual(table.sort, DataSort(column: "Length", ascending: true))
        XCTAssertEqual(table.rows.map(\.packet.wireLength), table.rows.map(\.packet.wireLength).sorted())
        XCTAssertEqual(table.selectedKey, selected.number)
        XCTAssertEqual(table.selectedRow?.packet.timestamp, selected.packet.timestamp)
        let newIndex = try XCTUnwrap(table.rows.firstIndex { $0.number == selected.number })
        XCTAssertEqual(shell.dashboard.packetSelection, newIndex, "the selection goes with the packet")

        // The longest packet (it moves to the end of the ascending sort) selected, then sorted descending.
        harness.click("Dashboard/Packets/header:Length")
        harness.frame()
        let longest = table.rows[0]
        harness.click("Dashboard/Packets/header:Length")
        harness.frame()
        XCTAssertEqual(table.rows.last?.number, longest.number)
        shell.dashboard.packetSelection = table.rows.count - 1
        harness.click("Dashboard/Packets/header:Length")
        harness.frame()
        XCTAssertEqual(table.sort, DataSort(column: "Length", ascending: false))
        XCTAssertEqual(shell.dashboard.packetSelection, 0)
        XCTAssertEqual(table.selectedKey, longest.number)

        // Another file: nothing of the old one stays selected.
        open(path, in: shell, harness)
        XCTAssertNil(table.selectedRow)
        XCTAssertTrue(harness.drawnTexts.contains("Select a packet to see its fields."))
    }

    /// While packets stream in (newest first, so every refresh pushes the rows down), the
    /// selected packet and its detail stay the same packet, not the same row number.
    func testTheSelectedPacketStaysTheSamePacketWhileNewOnesArrive() throws {
        let path = try writeDashboardFixture(in: directory)
        let shell = AppShell(capture: CaptureController())
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        harness.frame()
        harness.click("Dashboard/Tables/Packets###Packets")
        shell.dashboard.openFile(path, replay: true)  // paced over ~2.4 s
        let table = shell.dashboard.packetTable
        for _ in 0..<2000 where table.rows.count < 10 {
            harness.frame()
            usleep(2000)
        }
        XCTAssertTrue(shell.capture.isCapturing, "still streaming")
        let rowsRect = try XCTUnwrap(harness.item("Dashboard/Packets")).rect
        let rowHeight = harness.ui.theme.rowHeight - 2
        harness.click(at: Point(rowsRect.x + 40, rowsRect.y + harness.ui.theme.rowHeight + rowHeight * 3.5))
        let selected = try XCTUnwrap(table.selectedRow)
        let index = try XCTUnwrap(table.selectedIndex)
        let shownBefore = table.rows.count
        let time = try XCTUnwrap(packetDetail(selected.packet).first { $0.0 == "Time" }?.1)
        for _ in 0..<2000 where table.rows.count < shownBefore + 20 && shell.capture.isCapturing {
            harness.frame()
            usleep(2000)
        }
        harness.frame()
        XCTAssertGreaterThanOrEqual(table.rows.count, shownBefore + 20, "newer packets arrived and the table refreshed")
        XCTAssertEqual(table.selectedKey, selected.number)
        XCTAssertEqual(table.selectedRow?.packet.timestamp, selected.packet.timestamp)
        XCTAssertEqual(table.selectedIndex, index + table.rows.count - shownBefore, "the packet moved down with the newer ones above it")
        XCTAssertTrue(harness.drawnTexts.contains(time), "its detail still shows its own time")
        shell.capture.stop()
    }

    func testThePacketsNDJSONExportHasTheInfoTheScreenShows() throws {
        let (shell, harness, _) = try loadedShell()
        let shown = shell.dashboard.shownPackets()
        let tcp = try XCTUnwrap(shown.first { $0.transport == .tcp })
        XCTAssertTrue(harness.drawnTexts.contains(packetInfo(tcp)) || shown.firstIndex(where: { $0.transport == .tcp })! > 20)

        let path = directory.appendingPathComponent("packets.ndjson").path
        shell.dashboard.packetExport.setFormat(.ndjson)
        harness.replaceText(in: "Dashboard/Export packets/Path", with: path)
        harness.click("Dashboard/Export packets/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported 236 packets to \(path)") != nil })
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, shown.count)
        for (line, packet) in zip(lines, shown) {
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let info = try XCTUnwrap(record["info"] as? String)
            XCTAssertTrue(info.hasPrefix(packetInfo(packet)), "\(info) vs \(packetInfo(packet))")
            XCTAssertFalse(info.isEmpty)
        }
    }

    func testTheSelectedFlowStaysSelectedWhenResortedAndIsDroppedByTheNextFile() throws {
        let (shell, harness, path) = try loadedShell()
        harness.click("Dashboard/Tables/Flows (42)###Flows")
        harness.frames(2)
        let table = shell.dashboard.flowTable
        XCTAssertEqual(table.rows.count, 42)
        let rowsRect = try XCTUnwrap(harness.item("Dashboard/Flows")).rect
        let rowHeight = harness.ui.theme.rowHeight - 2
        harness.click(at: Point(rowsRect.x + 40, rowsRect.y + harness.ui.theme.rowHeight + rowHeight * 2.5))
        harness.frame()
        let selected = try XCTUnwrap(table.selectedRow)
        XCTAssertEqual(shell.dashboard.flowSelection, 2)
        XCTAssertEqual(table.selectedKey, DashboardScreen.FlowRowKey(table.rows[2]))

        // Sort by responder, then by initiator descending: the same flow stays highlighted.
        for header in ["Responder", "Initiator", "Initiator"] {
            harness.click("Dashboard/Flows/header:\(header)")
            harness.frame()
            let index = try XCTUnwrap(shell.dashboard.flowSelection)
            XCTAssertEqual(table.rows[index].key, selected.key, "sorted by \(header)")
            XCTAssertEqual(table.rows[index].firstSeen, selected.firstSeen)
        }
        XCTAssertEqual(table.sort, DataSort(column: "Initiator", ascending: false))
        let initiators = table.rows.map { endpoint($0.initiator, $0.initiatorPort) }
        XCTAssertEqual(table.rows.map(\.initiator), table.rows.map(\.initiator).sorted(by: >), "\(initiators)")
        // Keyboard: Down moves to the flow below it in this order.
        harness.press(.down)
        harness.frame()
        let index = try XCTUnwrap(shell.dashboard.flowSelection)
        XCTAssertNotEqual(table.rows[index].key, selected.key)

        open(path, in: shell, harness)
        XCTAssertNil(table.selectedKey, "another file: nothing of the old one selected")
        XCTAssertNil(shell.dashboard.flowSelection)
    }

    func testSlashFocusesTheCaptureFilterAfterAClickInATableAndEscapeReleasesTheTable() throws {
        let (shell, harness, _) = try loadedShell()
        let rowsRect = try XCTUnwrap(harness.item("Dashboard/Packets")).rect
        harness.click(at: Point(rowsRect.x + 40, rowsRect.y + harness.ui.theme.rowHeight + 5))
        harness.frame()
        XCTAssertNotEqual(harness.ui.focusedID, 0, "the table has the keyboard")
        XCTAssertNotNil(shell.dashboard.packetSelection)
        harness.type("/")
        harness.frame()
        XCTAssertEqual(harness.ui.focusedID, shell.dashboard.filterFieldID(harness.ui), "/ moved to the capture filter")
        XCTAssertEqual(shell.dashboard.filterText, "", "and was not typed into it")

        // Back in the table, Escape gives the keyboard up.
        harness.click(at: Point(rowsRect.x + 40, rowsRect.y + harness.ui.theme.rowHeight + 5))
        harness.frame()
        XCTAssertNotEqual(harness.ui.focusedID, 0)
        harness.press(.escape)
        harness.frame()
        XCTAssertEqual(harness.ui.focusedID, 0)
        let selection = shell.dashboard.packetSelection
        harness.press(.down)
        harness.frame()
        XCTAssertEqual(shell.dashboard.packetSelection, selection, "arrows no longer move the table")
    }

    func testTabCountsFollowTheRowFilter() throws {
        let (shell, harness, _) = try loadedShell()
        let hosts = shell.capture.traffic.hosts.count
        XCTAssertTrue(harness.exists("Dashboard/Tables/Hosts (\(hosts))###Hosts"))
        harness.click("Dashboard/Filter rows")
        harness.type("93.184.216.3")
        harness.frames(2)
        XCTAssertTrue(harness.exists("Dashboard/Tables/Flows (8 of 42)###Flows"), "40 flows spread over 5 servers")
        XCTAssertTrue(harness.exists("Dashboard/Tables/Hosts (1 of \(hosts))###Hosts"))
        let packets = shell.dashboard.shownPackets().count
        XCTAssertGreaterThan(packets, 0)
        XCTAssertTrue(harness.exists("Dashboard/Tables/Packets (\(packets) of 236)###Packets"))
        // The count is what the tab shows.
        harness.click("Dashboard/Tables/Hosts (1 of \(hosts))###Hosts")
        harness.frame()
        XCTAssertEqual(shell.dashboard.hostTable.rows.map(\.address.description), ["93.184.216.3"])
    }

    func testEnterOrADoubleClickOnAFlowShowsItsPackets() throws {
        let (shell, harness, _) = try loadedShell()
        harness.click("Dashboard/Tables/Flows (42)###Flows")
        harness.frames(2)
        let rowsRect = try XCTUnwrap(harness.item("Dashboard/Flows")).rect
        let firstRow = Point(rowsRect.x + 40, rowsRect.y + harness.ui.theme.rowHeight + 5)
        harness.click(at: firstRow, double: true)
        harness.frames(2)
        let flow = try XCTUnwrap(shell.dashboard.flowTable.rows.first)
        XCTAssertEqual(shell.dashboard.tableTab, 2, "the Packets tab")
        XCTAssertEqual(shell.dashboard.packetsOfFlow?.key, flow.key)
        let packets = shell.dashboard.packetTable.rows
        XCTAssertEqual(packets.count, Int(flow.totalPackets), "all of its packets (the file fits in the kept list)")
        XCTAssertTrue(packets.allSatisfy { FlowKey($0.packet) == flow.key })
        XCTAssertTrue(harness.items.contains { $0.path.hasPrefix("Dashboard/flow:Packets of \(endpoint(flow.initiator, flow.initiatorPort))") })

        harness.click("Dashboard/Show all packets")
        harness.frames(2)
        XCTAssertNil(shell.dashboard.packetsOfFlow)
        XCTAssertEqual(shell.dashboard.packetTable.rows.count, 236)

        // Enter on the selected flow does the same.
        harness.click("Dashboard/Tables/Flows (42)###Flows")
        harness.frames(2)
        harness.click(at: Point(firstRow.x, firstRow.y + harness.ui.theme.rowHeight - 2))
        harness.frame()
        let second = try XCTUnwrap(shell.dashboard.flowTable.selectedRow)
        harness.press(.enter)
        harness.frames(2)
        XCTAssertEqual(shell.dashboard.tableTab, 2)
        XCTAssertEqual(shell.dashboard.packetsOfFlow?.key, second.key)
        XCTAssertEqual(shell.dashboard.packetTable.rows.count, Int(second.totalPackets))
    }

    /// The tables keep up with the counters: on a live capture that starts quiet, the first
    /// flow shows in the table in the frame its count does (not up to a second later, with the tab
    /// saying "Flows (1)" over "No rows"), and after Stop no flow lingers under Active.
    func testTheTablesNeverLagTheCountersAndEmptyOnStop() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        let shell = AppShell(capture: CaptureController())
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        harness.frame()
        harness.click("Dashboard/Flow set/Active")
        XCTAssertEqual(shell.dashboard.flowSet, 0)
        XCTAssertTrue(shell.capture.begin(.live(LiveCaptureOptions(interface: "lo")), filter: "udp port \(port)"))
        XCTAssertTrue(runFrames(harness) { shell.capture.transition == nil })
        if let error = shell.capture.lastError {
            if error.contains("CAP_NET_RAW") { throw XCTSkip("Live capture is not permitted here: \(error)") }
            return XCTFail(error)
        }
        harness.frames(5)  // the table is built, empty, while nothing arrives
        XCTAssertTrue(harness.drawnTexts.contains("No rows"))
        LoopbackSockets.UDPSender().send(Array("first".utf8), to: port)
        for _ in 0..<500 where shell.capture.traffic.flowCounts.active == 0 {
            harness.frame()
            usleep(2000)
        }
        XCTAssertEqual(shell.capture.traffic.flowCounts.active, 1)
        XCTAssertTrue(harness.exists("Dashboard/Tables/Flows (1)###Flows"))
        XCTAssertFalse(harness.drawnTexts.contains("No rows"), "the tab counts one flow: the table shows it in the same frame")
        XCTAssertEqual(shell.dashboard.flowTable.rows.count, 1)

        harness.click("Dashboard/Stop")
        XCTAssertTrue(runFrames(harness) { shell.capture.transition == nil && !shell.capture.isCapturing })
        harness.frame()
        XCTAssertEqual(shell.capture.traffic.flowCounts.active, 0, "Stop finished the open flows")
        XCTAssertTrue(shell.dashboard.flowTable.rows.isEmpty, "no flow lingers under Active after Stop")
        XCTAssertTrue(harness.drawnTexts.contains("No rows"))
        XCTAssertTrue(harness.exists("Dashboard/Tables/Flows (0)###Flows"))
    }
}
