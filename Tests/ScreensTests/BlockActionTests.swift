import Capture
import Foundation
import Intel
import IoT
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

/// The Block action everywhere a row shows a remote address opens the one confirm-block dialog
/// (the shell's, with the place it was asked from). No firewall is touched here: the session's
/// ban service cannot be made, which the dialog shows as its backend; every test cancels.
/// Blocking itself is proved against nftables in a namespace (FirewallTests/BlockDialogTests).
final class BlockActionTests: XCTestCase {
    private var fixture: ServicesFixture!

    override func setUpWithError() throws { fixture = try ServicesFixture() }
    override func tearDownWithError() throws { fixture.tearDown() }

    struct NoFirewallHere: Error, CustomStringConvertible {
        var description: String { "no firewall in this test" }
    }

    private func makeShell(environment: [String: String] = [:], firewall: Bool = true) -> (AppShell, UIHarness) {
        let services = AppServices(database: fixture.database, writer: fixture.writer, secrets: fixture.secrets, scheduleService: fixture.service,
                                   scheduler: nil, environment: environment, firewall: firewall ? .custom({ throw NoFirewallHere() }) : .none)
        let shell = AppShell(capture: CaptureController(), services: services)
        let harness = UIHarness(size: Size(1500, 880)) { ui in shell.build(ui) }
        harness.frame()
        return (shell, harness)
    }

    /// The dialog is open for `address` asked from `place`, shows why there is no backend, and
    /// Cancel closes it.
    private func assertDialog(_ shell: AppShell, _ harness: UIHarness, address: String, place: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        let dialog = shell.blockDialog!
        XCTAssertEqual(dialog.model.request, BlockRequest(address: address, place: place), file: file, line: line)
        XCTAssertTrue(runFrames(harness) { !dialog.model.hasPendingWork }, file: file, line: line)
        harness.frame()
        XCTAssertEqual(harness.item("Block address/Address value")?.value, address, file: file, line: line)
        XCTAssertEqual(harness.item("Block address/Backend value")?.value, "none", file: file, line: line)
        XCTAssertEqual(harness.item("Block address/Problem")?.value, "no firewall in this test", file: file, line: line)
        harness.click("Block address/Cancel")
        XCTAssertFalse(dialog.model.isOpen, file: file, line: line)
    }

    func testIntelTabRowOffersBlockAndShowsTheVerdict() throws {
        let servers = try FakeReputationServers(flagged: ["185.220.101.4"])
        let (shell, harness) = makeShell(environment: servers.environment())
        let intel = try XCTUnwrap(shell.screen(IntelScreen.self))
        shell.selectedTab = .intel
        XCTAssertTrue(runFrames(harness) { !shell.intel.isConfiguring })
        XCTAssertNil(shell.intel.lookUp(text: "185.220.101.4"))
        let address = IPAddress("185.220.101.4")!
        XCTAssertTrue(runFrames(harness, upTo: 3000) { shell.intel.consensus(address)?.flagged == 3 })
        XCTAssertFalse(harness.exists("Block##185.220.101.4"), "only the selected row has the button")
        intel.table.selectedKey = address
        harness.frame()
        XCTAssertTrue(harness.ui.statusBarRightContains(BlockRequests.hint), "the status bar names the B shortcut")
        harness.click("Block##185.220.101.4")
        XCTAssertEqual(harness.item("Block address/Verdict value")?.value, "3/3 (3 of 3 providers answered)")
        assertDialog(shell, harness, address: "185.220.101.4", place: "Intel tab")
    }

    func testScannerResultAndConnectionRowsOfferBlock() throws {
        let listener = try ScanTestListener(namespace: nil)
        defer { listener.close() }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        XCTAssertEqual(SocketAddress.with(IPAddress("127.0.0.1")!, port: listener.port) { connect(client, $0, $1) }, 0)
        let (shell, harness) = makeShell()
        let screen = try XCTUnwrap(shell.scannerScreen)
        shell.selectedTab = .scanner
        harness.frame()

        // A scan result: the open listener on loopback.
        harness.replaceText(in: "Scanner/Target", with: "127.0.0.1")
        harness.replaceText(in: "Scanner/Ports", with: "\(listener.port)")
        harness.click("Scanner/Start")
        XCTAssertTrue(runFrames(harness, upTo: 3000) { !screen.model.isScanning && harness.item(.row("127.0.0.1 \(listener.port)")) != nil })
        harness.click(at: try XCTUnwrap(harness.item(.row("127.0.0.1 \(listener.port)"))).visibleRect.center)
        harness.frame()
        harness.click("Block##127.0.0.1")
        assertDialog(shell, harness, address: "127.0.0.1", place: "Scanner results")

        // A connection: the remote end of this test's own socket, with `B`.
        harness.click("Scanner/View/Connections")
        XCTAssertTrue(runFrames(harness) { screen.model.connectionsLoaded })
        harness.replaceText(in: "Scanner/Filter connections", with: ":\(listener.port)")
        var local = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) } }
        let key = "tcp 127.0.0.1:\(UInt16(bigEndian: local.sin_port)) 127.0.0.1:\(listener.port)"
        XCTAssertTrue(runFrames(harness) { harness.item(.row(key)) != nil })
        harness.click(at: try XCTUnwrap(harness.item(.row(key))).visibleRect.center)
        harness.frame()
        XCTAssertTrue(harness.exists("Block##127.0.0.1"))
        harness.press(.character("b"))
        assertDialog(shell, harness, address: "127.0.0.1", place: "Scanner connections")
    }

    func testIoTAnomalyRowAndTheMapOfferBlock() throws {
        try IoTMapTabTests.populate(fixture.database)
        let (shell, harness) = makeShell()
        let screen = try XCTUnwrap(shell.screen(IoTMapScreen.self))
        shell.selectedTab = .iotMap
        XCTAssertTrue(runFrames(harness) { screen.model.hasLoaded && !screen.model.isLoading })
        harness.frames(2)
        let anomaly = try XCTUnwrap(screen.anomaliesTable.rows.first)
        screen.anomaliesTable.selectedKey = anomaly.identity
        harness.frame()
        harness.click("Block##\(IoTMapTabTests.telnetHost)")
        assertDialog(shell, harness, address: IoTMapTabTests.telnetHost, place: "IoT Map anomalies")

        // The map's own Block (a flagged edge) goes to the same dialog.
        let edge = IoTMapGraph.edgeKey(device: IoTMapTabTests.cameraMAC, address: IoTMapTabTests.telnetHost)
        harness.click(at: try XCTUnwrap(harness.item(ItemRole(kind: "map edge", name: edge))).rect.center)
        harness.frame()
        let button = try XCTUnwrap(harness.items.first { $0.kind == "button" && $0.path.contains("Block \(IoTMapTabTests.telnetHost)") })
        harness.click(at: button.rect.center)
        assertDialog(shell, harness, address: IoTMapTabTests.telnetHost, place: "IoT Map")
    }

    /// A session without a firewall (screenshots) offers no Block anywhere and has no dialog.
    func testWithoutAFirewallNoBlockIsOffered() throws {
        try IoTMapTabTests.populate(fixture.database)
        let (shell, harness) = makeShell(firewall: false)
        XCTAssertNil(shell.blockDialog)
        XCTAssertNil(shell.autoBlock)
        let screen = try XCTUnwrap(shell.screen(IoTMapScreen.self))
        shell.selectedTab = .iotMap
        XCTAssertTrue(runFrames(harness) { screen.model.hasLoaded && !screen.model.isLoading })
        screen.anomaliesTable.selectedKey = try XCTUnwrap(screen.anomaliesTable.rows.first).identity
        harness.frames(2)
        XCTAssertNil(screen.onBlock)
        XCTAssertFalse(harness.ui.statusBarRightContains(BlockRequests.hint))
        XCTAssertFalse(harness.items.contains { $0.kind == "button" && $0.path.contains("Block") })
    }
}
