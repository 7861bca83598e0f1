import Capture
import Foundation
import Packets
import Screens
import Traffic
import UI
import XCTest

/// Writes a capture with known content: 40 TCP flows × 5 packets, 30 UDP datagrams, 4 ICMP,
/// 2 ARP, spread over 3 seconds.
func writeDashboardFixture(in directory: URL) throws -> String {
    let path = directory.appendingPathComponent("dashboard.pcap").path
    let writer = try PcapFileWriter(path: path, linkType: .ethernet)
    var time: Int64 = 1_700_000_000_000_000_000
    func next() -> Int64 { time += 10_000_000; return time }
    for flow in 0..<40 {
        let client = FrameBuilder.Endpoint(IPAddress(192, 168, 1, UInt8(10 + flow % 20)), UInt16(40000 + flow))
        let server = FrameBuilder.Endpoint(IPAddress(93, 184, 216, UInt8(flow % 5)), 443)
        for (flags, fromClient) in [(TCPFlags.syn, true), ([.syn, .ack], false), ([.ack], true), ([.ack, .psh], false), ([.fin, .ack], true)] as [(TCPFlags, Bool)] {
            let frame = FrameBuilder.ethernetIP(from: fromClient ? client : server, to: fromClient ? server : client, transport: .tcp,
                                                tcpFlags: flags, payload: fromClient ? [] : [UInt8](repeating: 0x55, count: 300))
            try writer.write(frame, timestamp: next())
        }
    }
    for index in 0..<30 {
        let frame = FrameBuilder.ethernetIP(from: .init(IPAddress(192, 168, 1, 2), 5353), to: .init(IPAddress(224, 0, 0, 251), 5353),
                                            transport: .udp, payload: [UInt8](repeating: UInt8(index), count: 60))
        try writer.write(frame, timestamp: next())
    }
    for _ in 0..<4 {
        try writer.write(FrameBuilder.ethernetIP(from: .init(IPAddress(192, 168, 1, 10), 0), to: .init(IPAddress(8, 8, 8, 8), 0), transport: .icmp),
                         timestamp: next())
    }
    for target in [1, 7] as [UInt8] {
        let arp = FrameBuilder.arp(operation: 1, senderMAC: MACAddress(value: 0x02_00_00_00_00_0A), senderIP: IPAddress(192, 168, 1, 10),
                                   targetMAC: .zero, targetIP: IPAddress(192, 168, 1, target))
        try writer.write(FrameBuilder.ethernet(source: MACAddress(value: 0x02_00_00_00_00_0A), destination: .broadcast, etherType: 0x0806, payload: arp),
                         timestamp: next())
    }
    try writer.close()
    return path
}

final class DashboardTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func makeShell() -> (AppShell, UIHarness) {
        let shell = AppShell(capture: CaptureController())
        shell.wallClock = { 1_700_000_010_000_000_000 }
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        return (shell, harness)
    }

    /// Frames until the file is fully read and drained.
    private func runUntilLoaded(_ shell: AppShell, _ harness: UIHarness) {
        runUntilCaptureFinished(shell, harness)
    }

    private func counter(_ harness: UIHarness, _ title: String) -> String? {
        harness.value(of: .counter(title))
    }

    func testOpeningAFileFromTheToolbarShowsItsCountsAndTables() throws {
        let path = try writeDashboardFixture(in: directory)
        let (shell, harness) = makeShell()
        harness.frame()
        harness.click("Dashboard/Capture file")
        harness.type(path)
        harness.click("Dashboard/Open file")
        runUntilLoaded(shell, harness)

        XCTAssertEqual(counter(harness, "Packets"), "236")
        XCTAssertEqual(counter(harness, "Flows"), "42", "40 TCP + 1 UDP multicast + 1 ICMP")
        // A finished file has no "now": its size and span, not the rate of its last second.
        XCTAssertEqual(counter(harness, "File"), "236 packets in 2.35 s")
        XCTAssertNil(counter(harness, "Packets/s"))
        XCTAssertNil(counter(harness, "Bit/s"))
        XCTAssertTrue(harness.drawnTexts.contains { $0.hasPrefix("Finished reading \(path) · 236 packets") })
        XCTAssertEqual(shell.capture.traffic.totals.packets(.arp), 2)
        // The flows table lists them, busiest first by default.
        XCTAssertTrue(harness.exists("Dashboard/Tables/Flows (42)###Flows"))
        // Switch to hosts and sort by address.
        harness.click("Dashboard/Tables/Hosts (\(shell.capture.traffic.hosts.count))###Hosts")
        harness.frame()
        XCTAssertEqual(shell.dashboard.tableTab, 1)
        harness.click("Dashboard/Hosts/header:Address")
        harness.frame()
        let sorted = shell.dashboard.hostTable.rows.map(\.address)
        XCTAssertEqual(sorted, sorted.sorted())
        XCTAssertEqual(shell.dashboard.hostSort, DataSort(column: "Address", ascending: true))
        // Filtering rows by text.
        harness.click("Dashboard/Filter rows")
        harness.type("93.184.216.3")
        harness.frame()
        XCTAssertEqual(shell.dashboard.hostTable.rows.map(\.address.description), ["93.184.216.3"])
    }

    /// The flows table switches between the flows still open and every flow of the capture;
    /// when a file ends, its flows are finished ("end of capture") and stay listed under All.
    func testFlowsTableActiveAndAllSwitch() throws {
        let path = try writeDashboardFixture(in: directory)
        let (shell, harness) = makeShell()
        shell.dashboard.openFile(path)
        runUntilLoaded(shell, harness)
        harness.frames(2)
        XCTAssertEqual(shell.dashboard.flowSet, 1, "All by default")
        XCTAssertEqual(shell.dashboard.flowTable.rows.count, 42)
        XCTAssertEqual(shell.capture.traffic.flowCounts.active, 0, "the file ended: nothing is open")
        XCTAssertTrue(shell.dashboard.flowTable.rows.allSatisfy { $0.endReason == .captureEnded })
        XCTAssertTrue(harness.drawnTexts.contains("end of capture"))
        harness.click("Dashboard/Flow set/Active")
        harness.frames(2)
        XCTAssertEqual(shell.dashboard.flowSet, 0)
        XCTAssertEqual(shell.dashboard.flowTable.rows.count, 0)
        XCTAssertTrue(harness.exists("Dashboard/Tables/Flows (0)###Flows"))
        harness.click("Dashboard/Flow set/All")
        harness.frames(2)
        XCTAssertEqual(shell.dashboard.flowSet, 1)
        XCTAssertEqual(shell.dashboard.flowTable.rows.count, 42)
        XCTAssertTrue(harness.exists("Dashboard/Tables/Flows (42)###Flows"))
    }

    /// A file keeps every one of its flows in the window, whatever the live history cap.
    func testAFileKeepsEveryFlowBeyondTheLiveHistoryCap() throws {
        let path = try writeDashboardFixture(in: directory)
        var configuration = TrafficConfiguration()
        configuration.flowHistoryLimit = 5
        let capture = CaptureController(configuration: configuration)
        XCTAssertTrue(capture.start(.file(path: path), filter: nil))
        for _ in 0..<2000 where capture.isCapturing || (capture.session?.ring.count ?? 0) > 0 {
            capture.drain()
            usleep(1000)
        }
        capture.drain()
        XCTAssertEqual(capture.traffic.flowCounts.seen, 42)
        XCTAssertEqual(capture.traffic.flows.allIncludingFinished.count, 42)
        XCTAssertEqual(capture.traffic.flows.history.droppedFromMemory, 0)
    }

    /// The dashboard and `netscouter capture --read` agree on the same file.
    func testDashboardCountsMatchTheCommandLine() throws {
        let path = try writeDashboardFixture(in: directory)
        let (shell, harness) = makeShell()
        shell.dashboard.openFile(path)
        runUntilLoaded(shell, harness)

        let binary = Bundle.main.bundleURL.appendingPathComponent("netscouter")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("netscouter not built at \(binary.path)") }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["capture", "--read", path, "--json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(counter(harness, "Packets"), "\(json["packets"] as! Int)")
        XCTAssertEqual(counter(harness, "Bytes"), formatBytes(UInt64(json["bytes"] as! Int)))
        XCTAssertEqual(counter(harness, "Hosts"), "\(json["hostCount"] as! Int)")
        XCTAssertEqual(counter(harness, "Flows"), "\(json["flowCount"] as! Int)")
        let protocols = try XCTUnwrap(json["protocols"] as? [String: [String: Int]])
        for protocolClass in ProtocolClass.allCases {
            XCTAssertEqual(Int(shell.capture.traffic.totals.packets(protocolClass)), protocols[protocolClass.description]?["packets"])
        }
    }

    func testBadFilterShowsAnErrorWithExamplesAndStartsNothing() throws {
        let path = try writeDashboardFixture(in: directory)
        let (shell, harness) = makeShell()
        harness.frame()
        harness.click("Dashboard/Capture filter")
        harness.type("tcp prot 80")
        shell.dashboard.openFile(path)
        harness.frame()
        XCTAssertNil(shell.capture.session)
        let banner = try XCTUnwrap(harness.items.first { $0.kind == "error" })
        XCTAssertTrue(banner.path.contains("not valid BPF syntax"), banner.path)
        harness.click("Dashboard/Dismiss")
        harness.frame()
        XCTAssertFalse(harness.items.contains { $0.kind == "error" })
    }

    func testReadingAFileShowsAProgressBar() throws {
        let path = try writeDashboardFixture(in: directory)
        let (shell, harness) = makeShell()
        shell.dashboard.openFile(path, replay: true)  // replay paces the file over ~2.4 s
        for _ in 0..<20 {
            harness.frame()
            usleep(10_000)
        }
        let bar = try XCTUnwrap(harness.items.first { $0.kind == "progress" })
        XCTAssertTrue(bar.path.contains("Reading dashboard.pcap"), bar.path)
        shell.capture.stop()
        harness.frame()
        XCTAssertFalse(harness.items.contains { $0.kind == "progress" }, "the bar goes away when reading stops")
    }

    func testMissingFileShowsTheFixInTheWindow() {
        let (shell, harness) = makeShell()
        shell.dashboard.openFile("/nonexistent/trace.pcap")
        harness.frame()
        XCTAssertTrue(harness.items.contains { $0.kind == "error" && $0.path.contains("Check the path") })
    }

    func testShortcutsSwitchTabsFocusTheFilterAndQuit() {
        let (shell, harness) = makeShell()
        harness.frame()
        harness.press(.tab, modifiers: .control)
        XCTAssertEqual(shell.selectedTab, .scanner)
        harness.frame()
        XCTAssertTrue(harness.items.contains { $0.path.contains("TCP port scans") || $0.path.hasPrefix("Scanner") })
        harness.press(.tab, modifiers: [.control, .shift])
        XCTAssertEqual(shell.selectedTab, .dashboard)
        harness.click("Tabs/Settings")
        XCTAssertEqual(shell.selectedTab, .settings)
        harness.click("Tabs/Dashboard")
        // "/" focuses the capture filter without typing the slash into it.
        harness.type("/")
        XCTAssertTrue(harness.ui.isFocused(shell.dashboard.filterFieldID(harness.ui)))
        harness.type("udp")
        XCTAssertEqual(shell.dashboard.filterText, "udp")
        harness.press(.f11)
        XCTAssertTrue(shell.fullscreenToggleRequested)
        XCTAssertFalse(shell.quitRequested)
        harness.press(.character("q"), modifiers: .control)
        XCTAssertTrue(shell.quitRequested)
    }

    /// `--scale 2` on a 1600×900 window lays out in 800×450: the graph used to get ~50 px with
    /// its axis labels on top of each other. It keeps the chart's minimum height now, and in a
    /// window too small even for that (640×400) its labels still stay apart.
    func testTheGraphKeepsItsMinimumHeightInASmallWindow() throws {
        let path = try writeDashboardFixture(in: directory)
        for size in [Size(640, 400), Size(800, 450), Size(800, 600), Size(1280, 800)] {
            let shell = AppShell(capture: CaptureController())
            let harness = UIHarness(size: size) { ui in shell.build(ui) }
            harness.frame()
            shell.dashboard.openFile(path)
            runUntilLoaded(shell, harness)
            let chart = try XCTUnwrap(harness.item("Dashboard/Packet rate/Rate"))
            let tables = try XCTUnwrap(harness.items.first { $0.kind == "table" })
            if size.height >= 450 {
                XCTAssertGreaterThanOrEqual(chart.rect.height, harness.ui.timeChartMinimumHeight, "\(size)")
                XCTAssertGreaterThan(tables.visibleRect.height, 50, "the tables keep a header and rows at \(size)")
            }
            let labelTops = harness.ui.drawList.commands.compactMap { command -> Float? in
                guard case let .text(text, point, _, _) = command, text.hasSuffix(" pps"), chart.rect.contains(point) else { return nil }
                return point.y
            }.sorted()
            XCTAssertGreaterThanOrEqual(labelTops.count, 2, "\(size)")
            for (upper, lower) in zip(labelTops, labelTops.dropFirst()) {
                XCTAssertGreaterThanOrEqual(lower - upper, harness.ui.measurer.lineHeight(.small), "y labels overlap at \(size)")
            }
        }
    }

    /// At 800 px nothing a user needs is cut: the capture filter is a usable field whose hint
    /// fits (not "BP…"), and every counter figure shows whole (not "129.7 …"), in one row so the
    /// graph keeps its room. At 1920 px the tables widen every column, not only the last.
    func testSmallWindowsCutNoFigureAndWideWindowsWidenEveryColumn() throws {
        let path = try writeDashboardFixture(in: directory)
        let placeholders = ["BPF filter, e.g. tcp port 443  (press / to edit)", "BPF filter, e.g. tcp port 443", "BPF filter (press /)", "BPF filter"]
        for size in [Size(800, 600), Size(800, 450), Size(1280, 800)] {
            let shell = AppShell(capture: CaptureController())
            let harness = UIHarness(size: size) { ui in shell.build(ui) }
            shell.dashboard.openFile(path)
            runUntilCaptureFinished(shell, harness)
            let filter = try XCTUnwrap(harness.item("Dashboard/Capture filter")).rect
            XCTAssertGreaterThanOrEqual(filter.width, 150, "\(size)")
            XCTAssertTrue(harness.drawnTexts.contains { placeholders.contains($0) }, "a whole hint at \(size)")
            XCTAssertFalse(harness.drawnTexts.contains { $0.hasPrefix("BP") && $0.hasSuffix("…") }, "\(size)")
            let counters = harness.items.filter { $0.kind == "counter" }
            XCTAssertEqual(counters.count, 8)
            XCTAssertEqual(Set(counters.map(\.rect.y)).count, 1, "one row of counters at \(size)")
            for counter in counters {
                let value = try XCTUnwrap(counter.value)
                XCTAssertTrue(harness.drawnTexts.contains(value), "\(counter.path) drawn whole at \(size): \(harness.drawnTexts.filter { $0.hasSuffix("…") })")
            }
            XCTAssertTrue(counters.contains { $0.value == "129.7 kbit/s" })
        }

        let shell = AppShell(capture: CaptureController())
        let harness = UIHarness(size: Size(1920, 1080)) { ui in shell.build(ui) }
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)
        let table = try XCTUnwrap(harness.item("Dashboard/Flows")).rect
        let declared: [(String, Float)] = [("Proto", 62), ("Initiator", 230), ("Packets", 80), ("Ended by", 110)]
        let factors = try declared.map { title, width in try XCTUnwrap(harness.item("Dashboard/Flows/header:\(title)")).rect.width / width }
        XCTAssertGreaterThan(factors[0], 1.2, "the columns widened")
        for factor in factors.dropLast() { XCTAssertEqual(factor, factors[0], accuracy: 0.05, "every column by the same factor: \(factors)") }
        // The last column also takes the pixels the others' rounding left over (at most one per column).
        let columnCount = Float(shell.dashboard.flowTable.shownColumns.count)
        XCTAssertEqual(factors.last! * 110, factors[0] * 110, accuracy: columnCount + 1, "the last column widened by the same factor: \(factors)")
        let last = try XCTUnwrap(harness.item("Dashboard/Flows/header:Ended by")).rect
        XCTAssertGreaterThan(last.maxX, table.maxX - 20, "the columns fill the table")
    }

    func testPlaceholdersHaveNoButtons() {
        let (shell, harness) = makeShell()
        // Dashboard, Scanner and Intel work without a store; the others say what they need or will do.
        for tab in AppShell.Tab.allCases where tab != .dashboard && tab != .intel && tab != .scanner {
            shell.selectedTab = tab
            harness.frame()
            let buttons = harness.items.filter { $0.kind == "button" }
            XCTAssertEqual(buttons.count, 0, "\(tab.title) shows dead buttons: \(buttons.map(\.path))")
        }
    }

    func testKioskRotatesAndExitsOnlyWithTheCombination() {
        let capture = CaptureController()
        let kiosk = KioskScreen(capture: capture, rotateSeconds: 1)
        let harness = UIHarness(size: Size(1920, 1080), frameTime: 0.25) { ui in kiosk.build(ui) }
        harness.frame()
        XCTAssertEqual(kiosk.page, 0)
        XCTAssertTrue(harness.drawnTexts.contains("NetScouter · Packet rate"), "each panel has a title")
        harness.frames(5)
        XCTAssertEqual(kiosk.page, 1)
        XCTAssertTrue(harness.drawnTexts.contains("NetScouter · Summary"))
        XCTAssertEqual(harness.items.filter { $0.kind == "button" || $0.kind == "textfield" }.count, 0, "no controls in kiosk mode")
        harness.press(.character("q"), modifiers: .control)
        XCTAssertFalse(kiosk.exitRequested)
        harness.press(.escape)
        XCTAssertFalse(kiosk.exitRequested)
        harness.press(.character("q"), modifiers: [.control, .alt])
        XCTAssertTrue(kiosk.exitRequested)
    }

    /// A mouse resting on the wall's graph leaves no crosshair and no tooltip behind: the kiosk
    /// turns hover off (nobody points at a wall). (That the graph hovers with hover on is
    /// HoverOptionTests' sanity check.)
    func testKioskGraphShowsNoCrosshairOrTooltipUnderARestingMouse() throws {
        let path = try writeDashboardFixture(in: directory)
        let capture = CaptureController()
        XCTAssertTrue(capture.start(.file(path: path), filter: nil))
        var drained = 0
        while capture.isCapturing || (capture.session?.ring.count ?? 0) > 0 {
            if capture.drain() == 0 { usleep(1000) }
            drained += 1
            if drained > 5000 { return XCTFail("the file never finished") }
        }
        let kiosk = KioskScreen(capture: capture, rotateSeconds: 600)
        let harness = UIHarness(size: Size(1920, 1080)) { ui in kiosk.build(ui) }
        harness.frame()
        XCTAssertEqual(kiosk.page, 0, "the graph page")
        let chart = try XCTUnwrap(harness.items.first { $0.kind == "chart" })
        harness.moveMouse(to: Point(chart.rect.center.x, chart.rect.center.y))
        harness.frames(3)
        func readOut() -> [String] {
            harness.ui.drawList.commands.compactMap { command in
                guard case let .text(text, _, _, _) = command, text.hasPrefix("Total: ") || text.hasPrefix("TCP: ") else { return nil }
                return text
            }
        }
        XCTAssertEqual(readOut(), [], "no tooltip on the wall")
        XCTAssertEqual(harness.ui.hotID, 0, "nothing is hovered")
        XCTAssertFalse(harness.ui.drawList.commands.contains { if case .circle = $0 { return true }; return false }, "no crosshair dots")

    }
}
