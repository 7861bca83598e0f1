import Capture
import Foundation
import Jobs
import NetScouterTestSupport
import Packets
import Scan
import Screens
import Store
import UI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The Scanner tab driven through the window as a user drives it (fields, buttons, keys), with
/// a real store. Port scans go only into a network namespace the test creates, whose loopback
/// holds nothing but the test's listeners and whose firewall drops the high ports (so a
/// full-range scan runs long enough to cancel).
final class ScannerTabTests: XCTestCase {
    private var fixture: ServicesFixture!
    private var network: TestNetwork?
    private var directory: URL!

    override func setUpWithError() throws {
        fixture = try ServicesFixture()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-scanner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        network?.remove()
        fixture.tearDown()
        try? FileManager.default.removeItem(at: directory)
    }

    private func makeShell() -> (AppShell, ScannerScreen, UIHarness) {
        let shell = AppShell(capture: CaptureController(), services: fixture.services)
        shell.selectedTab = .scanner
        let screen = shell.scannerScreen!
        let harness = UIHarness(size: Size(1400, 860)) { ui in shell.build(ui) }
        harness.frame()
        return (shell, screen, harness)
    }

    /// A namespace with listeners on 127.0.0.1 ports 22, 80 and 8080 and every port from 10000
    /// up dropped by nftables.
    private func scanNamespace() throws -> (String, [ScanTestListener]) {
        let network: TestNetwork
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        self.network = network
        let namespace = try network.add("tab")
        try network.dropOpeningSYNs(toPorts: "10000-65535", in: namespace)
        let listeners = try [22, 80, 8080].map { try ScanTestListener(namespace: namespace, port: UInt16($0)) }
        return (namespace, listeners)
    }

    private func shownRows(_ harness: UIHarness) -> [String: String] {
        Dictionary(harness.items.filter { $0.kind == "scanrow" }.compactMap { item in item.role.map { ($0.name, item.value ?? "") } },
                   uniquingKeysWith: { first, _ in first })
    }

    /// The acceptance test: a scan started from the tab streams rows, Cancel stops it, the
    /// rows stay (on screen, in the export and in the store).
    func testAScanStartedFromTheTabStreamsRowsCancelStopsItTheRowsStay() throws {
        let (namespace, listeners) = try scanNamespace()
        defer { listeners.forEach { $0.close() } }
        let (shell, screen, harness) = makeShell()
        screen.model.networkNamespace = namespace
        XCTAssertNil(shell.selectedScreen.statusText)
        XCTAssertTrue(harness.exists("Scanner/View/Connections"))

        harness.replaceText(in: "Scanner/Target", with: "127.0.0.1")
        harness.click("Scanner/All")
        XCTAssertEqual(screen.model.portsText, "-")
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains("1 host"))
        XCTAssertTrue(harness.drawnTexts.contains("65,535 ports"))
        XCTAssertTrue(harness.ui.items.contains { $0.path.hasSuffix("Scanner/Start") })
        harness.click("Scanner/Start")
        XCTAssertTrue(screen.model.isScanning)
        XCTAssertTrue(shell.hasPendingWork, "frames keep coming while the scan runs")

        // Rows stream in while the scan runs: the open ports below the dropped range.
        var sawProgress = false
        XCTAssertTrue(runFrames(harness, upTo: 3000) {
            if let value = harness.value(of: .counter("Scanned")), value.hasSuffix("/65535") { sawProgress = true }
            return shownRows(harness).count == 3
        })
        XCTAssertTrue(screen.model.isScanning, "the dropped ports keep it running")
        XCTAssertTrue(sawProgress)
        XCTAssertEqual(shownRows(harness), ["127.0.0.1 22": "open", "127.0.0.1 80": "open", "127.0.0.1 8080": "open"])
        let status = try XCTUnwrap(shell.selectedScreen.statusText)
        XCTAssertTrue(status.hasPrefix("Scanning 127.0.0.1: ") && status.contains("3 open") && status.contains("ports/s"), status)
        XCTAssertTrue(harness.exists("Scanner/Cancel"))
        XCTAssertFalse(harness.exists("Scanner/Start"))
        XCTAssertTrue(harness.ui.statusBarRightContains("Esc cancel scan"))

        // A row selected while rows stream stays selected; its detail shows.
        let row = try XCTUnwrap(harness.item(.row("127.0.0.1 80")))
        harness.click(at: row.visibleRect.center)
        harness.frame()
        XCTAssertEqual(screen.resultsTable.selectedKey, ScannerScreen.PortKey(address: IPAddress("127.0.0.1")!, port: 80))
        XCTAssertTrue(harness.drawnTexts.contains("80/tcp"))
        XCTAssertTrue(harness.drawnTexts.contains("syn-ack"))

        // Cancel: the scan stops, long before the dropped ports' timeouts; the rows stay.
        let doneAtCancel = screen.model.progress?.done ?? 0
        harness.click("Scanner/Cancel")
        XCTAssertTrue(runFrames(harness, upTo: 3000) { !screen.model.isScanning })
        harness.frame()
        XCTAssertEqual(shownRows(harness), ["127.0.0.1 22": "open", "127.0.0.1 80": "open", "127.0.0.1 8080": "open"])
        XCTAssertEqual(screen.resultsTable.selectedRow?.port, 80, "the selection stays too")
        let done = try XCTUnwrap(screen.model.progress?.done)
        XCTAssertGreaterThanOrEqual(done, doneAtCancel)
        XCTAssertLessThan(done, 65535, "cancelled, not finished")
        let summary = try XCTUnwrap(screen.model.lastSummary)
        XCTAssertTrue(summary.hasPrefix("Cancelled: 1 host, "), summary)
        XCTAssertEqual(shell.selectedScreen.statusText, summary)
        XCTAssertTrue(harness.exists("Scanner/Start"))

        // Saved as the port-scan job saves scans, and exported as shown.
        let scanID = try XCTUnwrap(screen.model.savedScanID)
        let store = ScanStore(database: fixture.database)
        XCTAssertEqual(try store.scan(id: scanID)?.status, "cancelled")
        XCTAssertEqual(try store.results(forScan: scanID).map(\.port), [22, 80, 8080])
        let csv = directory.appendingPathComponent("ports.csv").path
        harness.replaceText(in: "Scanner/Export ports/Path", with: csv)
        harness.click("Scanner/Export ports/Export")
        XCTAssertTrue(runFrames(harness) { screen.resultsTable.exportBar?.lastResult != nil })
        XCTAssertEqual(screen.resultsTable.exportBar?.lastResult?.message, "Exported 3 ports to \(csv)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        XCTAssertEqual(lines.first, "Host,Port,State,Service,Banner,RTT,Consensus,Country,AS")
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(3).joined(separator: ",") }.sorted(),
                       ["127.0.0.1,22,open", "127.0.0.1,80,open", "127.0.0.1,8080,open"])

        // JSON: the CLI's keys, the port as an integer.
        harness.click("Scanner/Export ports/Format")
        harness.click("Scanner/Export ports/Format/JSON")
        let json = directory.appendingPathComponent("ports.json").path
        harness.replaceText(in: "Scanner/Export ports/Path", with: json)
        harness.click("Scanner/Export ports/Export")
        XCTAssertTrue(runFrames(harness) { screen.resultsTable.exportBar?.lastResult?.message.hasSuffix(json) == true })
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        XCTAssertEqual(object["kind"] as? String, "ports")
        XCTAssertEqual(object["columns"] as? [String], ["host", "port", "state", "service", "banner", "rtt_ms", "consensus", "country", "as"])
        let records = try XCTUnwrap(object["records"] as? [[String: Any]])
        XCTAssertEqual(records.compactMap { $0["port"] as? Int }.sorted(), [22, 80, 8080])
        XCTAssertEqual(Set(records.compactMap { $0["service"] as? String }), ["ssh", "http", "http-alt"])
        XCTAssertTrue(records.allSatisfy { $0["rtt_ms"] is Double && $0["state"] as? String == "open" })
    }

    /// The keyboard: Enter in the target field starts, Escape cancels; a bad target shows the
    /// parser's message under the field and Enter starts nothing.
    func testEnterStartsEscapeCancelsAndBadInputIsShownInline() throws {
        let (namespace, listeners) = try scanNamespace()
        defer { listeners.forEach { $0.close() } }
        let (_, screen, harness) = makeShell()
        screen.model.networkNamespace = namespace

        harness.replaceText(in: "Scanner/Target", with: "127.0.0.300")
        harness.press(.enter)
        XCTAssertFalse(screen.model.isScanning)
        harness.frame()
        let expected = try XCTUnwrap(screen.model.targetCheck.message)
        XCTAssertTrue(expected.contains("\"127.0.0.300\" is not a valid IPv4 address"), expected)
        XCTAssertTrue(harness.items.contains { $0.kind == "error" && $0.path.hasSuffix("error:" + expected) })

        harness.replaceText(in: "Scanner/Ports", with: "22,80-")
        harness.frame()
        XCTAssertEqual(screen.model.portsText, "22,80-")
        harness.replaceText(in: "Scanner/Target", with: "127.0.0.1")
        harness.frame()
        XCTAssertFalse(harness.items.contains { $0.kind == "error" })
        harness.press(.enter)
        XCTAssertTrue(screen.model.isScanning, "Enter in the target field starts the scan")
        XCTAssertTrue(runFrames(harness, upTo: 3000) { (screen.model.progress?.done ?? 0) >= 9921 && shownRows(harness).count == 3 },
                      "\(String(describing: screen.model.progress)) \(shownRows(harness))")
        // All states while it runs: closed ports join the table; a selected row stays selected
        // while more rows stream in behind it.
        harness.click("Scanner/All states")
        harness.frame()
        XCTAssertGreaterThan(screen.resultsTable.rows.count, 9000)
        let key = ScannerScreen.PortKey(address: IPAddress("127.0.0.1")!, port: 8080)
        screen.resultsTable.selectedKey = key
        let before = screen.model.results.count
        XCTAssertTrue(runFrames(harness, upTo: 3000) { screen.resultsTable.rows.count > before }, "filtered ports stream in")
        XCTAssertEqual(screen.resultsTable.selectedKey, key)
        XCTAssertEqual(screen.resultsTable.selectedRow?.port, 8080)
        XCTAssertTrue(screen.resultsTable.rows.contains { $0.state == .filtered })
        harness.press(.escape)
        XCTAssertTrue(screen.model.cancelRequested)
        XCTAssertTrue(runFrames(harness, upTo: 3000) { !screen.model.isScanning })
        harness.frame()
        XCTAssertEqual(screen.resultsTable.selectedRow?.port, 8080)
        XCTAssertTrue(screen.model.lastSummary?.hasPrefix("Cancelled:") == true)
    }

    /// "Scan" on a dashboard host row and on a flow row puts the address into the Scanner's
    /// target and switches to the tab (nothing is scanned until Start).
    func testScanActionOnDashboardRowsFillsTheTargetAndShowsTheScanner() throws {
        let path = try writeDashboardFixture(in: directory)
        let (shell, screen, harness) = makeShell()
        shell.selectedTab = .dashboard
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)

        shell.dashboard.tableTab = 1
        harness.frame()
        let host = try XCTUnwrap(shell.dashboard.hostTable.rows.first)
        XCTAssertFalse(harness.exists("Scan##\(host.address)"), "only the selected row has the button")
        shell.dashboard.hostTable.selectedKey = host.address
        harness.frame()
        harness.click("Scan##\(host.address)")
        XCTAssertEqual(shell.selectedTab, .scanner)
        XCTAssertEqual(screen.model.targetText, host.address.description)
        XCTAssertEqual(screen.model.view, .portScan)
        XCTAssertFalse(screen.model.isScanning)
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains("1 host"))

        shell.selectedTab = .dashboard
        shell.dashboard.tableTab = 0
        harness.frame()
        let flow = try XCTUnwrap(shell.dashboard.flowTable.rows.first)
        shell.dashboard.flowTable.selectedKey = DashboardScreen.FlowRowKey(flow)
        harness.frame()
        harness.click("Scan##\(flow.responder)")
        XCTAssertEqual(shell.selectedTab, .scanner)
        XCTAssertEqual(screen.model.targetText, flow.responder.description)
    }

    /// The Connections view lists this test's own connection with its process; "Scan remote
    /// address" on it fills the port scan's target.
    func testConnectionsViewShowsProcessesAndScansARemoteAddress() throws {
        let listener = try ScanTestListener(namespace: nil)
        defer { listener.close() }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        XCTAssertEqual(SocketAddress.with(IPAddress("127.0.0.1")!, port: listener.port) { connect(client, $0, $1) }, 0)
        var local = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) } }
        let key = "tcp 127.0.0.1:\(UInt16(bigEndian: local.sin_port)) 127.0.0.1:\(listener.port)"

        let (shell, screen, harness) = makeShell()
        harness.click("Scanner/View/Connections")
        XCTAssertEqual(screen.model.view, .connections)
        XCTAssertTrue(runFrames(harness) { screen.model.connectionsLoaded })
        harness.frame()
        // Sorted by process: sockets no process holds (TIME_WAIT, not yet accepted) come last.
        let unowned = screen.connectionsTable.rows.map { $0.process == nil }
        XCTAssertEqual(unowned, unowned.sorted { !$0 && $1 })
        XCTAssertEqual(screen.connectionsTable.rows.count, screen.model.connections.count)
        // This machine may have many sockets: the filter narrows the table to the test's own.
        harness.replaceText(in: "Scanner/Filter connections", with: ":\(listener.port)")
        XCTAssertTrue(runFrames(harness) { harness.item(.row(key)) != nil })
        XCTAssertEqual(screen.connectionsTable.rows.count, 3, "the listener and both ends of the connection")
        XCTAssertEqual(harness.value(of: .row(key)), "\(getpid())")
        XCTAssertNotNil(harness.ui.nextWakeTime, "the view asks for a frame when the next refresh is due")
        harness.click(at: try XCTUnwrap(harness.item(.row(key))).visibleRect.center)
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains(String(getpid())))
        XCTAssertTrue(harness.drawnTexts.contains("ESTABLISHED"))
        harness.click("Scan remote address")
        XCTAssertEqual(screen.model.view, .portScan)
        XCTAssertEqual(screen.model.targetText, "127.0.0.1")
        XCTAssertEqual(shell.selectedTab, .scanner)
    }
}

extension ScannerTabTests {
    /// The LAN view in namespaces: the interface list comes from a worker, Discover fills the
    /// table with each peer and its MAC, Enter on a host fills the port scan's target.
    func testLanViewDiscoversThePeersOfTheChosenInterface() throws {
        let network: TestNetwork
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        self.network = network
        let (scanner, expected) = try buildTestLAN(network, subnet: "10.82.0", peers: 3)
        let (_, screen, harness) = makeShell()
        screen.model.networkNamespace = scanner
        screen.model.reverseDNS = false
        harness.click("Scanner/View/LAN")
        XCTAssertTrue(screen.model.isReadingInterfaces || screen.model.interfacesLoaded)
        XCTAssertTrue(runFrames(harness) { harness.exists("Scanner/Interface") })
        XCTAssertEqual(screen.model.pickedInterface?.name, "lan0")
        harness.click("Scanner/Discover")
        XCTAssertTrue(screen.model.isDiscovering)
        XCTAssertTrue(runFrames(harness, upTo: 3000) { !screen.model.isDiscovering })
        harness.frame()
        let rows = Dictionary(uniqueKeysWithValues: harness.items.filter { $0.kind == "lanrow" }.compactMap { item in item.role.map { ($0.name, item.value ?? "") } })
        XCTAssertEqual(rows, expected)
        XCTAssertTrue(harness.drawnTexts.contains { $0.hasPrefix("3 hosts up on lan0 (10.82.0.1/24)") })
        let first = try XCTUnwrap(harness.item(.row(expected.keys.sorted().first!)))
        harness.click(at: first.visibleRect.center, double: true)
        XCTAssertEqual(screen.model.view, .portScan)
        XCTAssertEqual(screen.model.targetText, expected.keys.sorted().first)
    }
}

extension UIContext {
    /// Whether the status bar's right side (the shortcut hints) contains `text`.
    func statusBarRightContains(_ text: String) -> Bool {
        drawList.commands.contains { command in
            if case let .text(drawn, _, _, _) = command { return drawn.contains(text) }
            return false
        }
    }
}
