import Capture
import Foundation
import Screens
import Store
import UI
import XCTest

/// A tab that exists only in this test: one type, handed to the shell as one more entry of its
/// tab list. Everything the shell does for a tab must work for it.
private final class ProbeScreen: TabScreen {
    static let title = "Probe"
    static func make(_ environment: ScreenEnvironment) -> any Screen { ProbeScreen() }

    var builtRects: [Rect] = []
    var appliedExportDirectories: [String] = []
    var working = false
    var shortcutPresses = 0

    func build(_ ui: UIContext, in rect: Rect) {
        builtRects.append(rect)
        ui.withID("Probe") { ui.panel("Probe", rect: rect) { ui.row([.fill]); ui.label("probe body") } }
    }
    var hasPendingWork: Bool { working }
    func apply(_ settings: AppSettings) { appliedExportDirectories.append(settings.exportDirectory) }
    var statusText: String? { "Probe status" }
    var shortcutHints: [String] { ["P probe"] }
    func handleShortcuts(_ ui: UIContext) { if ui.input.pressed(.character("p")) { shortcutPresses += 1 } }
    var kioskPanels: [KioskPanel] { [KioskPanel(title: "Probe panel") { ui, rect in ui.drawText("probe panel", in: rect, color: ui.theme.text) }] }
}

final class ShellTests: XCTestCase {
    func testANewTabIsOneTypeAndOneLineInTheTabList() throws {
        let fixture = try ServicesFixture()
        defer { fixture.tearDown() }
        let shell = AppShell(capture: CaptureController(), services: fixture.services, screenTypes: AppShell.screenTypes + [ProbeScreen.self])
        let probe = try XCTUnwrap(shell.screen(ProbeScreen.self))
        XCTAssertEqual(probe.appliedExportDirectories, [AppSettings.defaults.exportDirectory], "it gets the settings in force at start")
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        harness.frame()
        XCTAssertTrue(harness.exists("Tabs/Probe"), "it is in the tab bar")

        // Reached with Ctrl+Shift+Tab from the first tab (it is last), drawn in the content area.
        harness.press(.tab, modifiers: [.control, .shift])
        XCTAssertEqual(shell.selectedTab.title, "Probe")
        harness.frame()
        XCTAssertTrue(harness.exists("Probe/probe body"))
        let content = try XCTUnwrap(probe.builtRects.last)
        XCTAssertGreaterThan(content.width, 1200)
        XCTAssertTrue(harness.drawnTexts.contains("Probe status"), "its status-bar text")
        XCTAssertTrue(harness.drawnTexts.contains { $0.contains("P probe") }, "its shortcut hint")
        XCTAssertFalse(harness.drawnTexts.contains { $0.contains("/ filter") }, "the Dashboard's hint is the Dashboard's only")
        harness.press(.character("p"))
        XCTAssertEqual(probe.shortcutPresses, 1, "its shortcuts while it shows")

        // Pending work keeps frames coming; none lets the loop sleep. (The other tabs' start-up
        // work, the interface list and the Intel configuration read on workers, is finished
        // first, so only the probe's counts.)
        XCTAssertTrue(runFrames(harness) { shell.capture.devicesLoaded && !shell.capture.isRefreshingDevices && !shell.hasPendingWork })
        probe.working = true
        harness.frame()
        XCTAssertNotNil(harness.ui.nextWakeTime)
        XCTAssertTrue(shell.hasPendingWork)
        probe.working = false
        XCTAssertFalse(shell.hasPendingWork)

        // Applied settings reach it.
        let settings = try XCTUnwrap(shell.settingsScreen)
        settings.model.draft.exportDirectory = "/srv/exports"
        XCTAssertTrue(settings.model.apply())
        XCTAssertTrue(runFrames(harness) { probe.appliedExportDirectories.last == "/srv/exports" })

        // Its kiosk panel joins the rotation after the Dashboard's and the IoT map's (tab order).
        XCTAssertEqual(shell.kioskPanels.map(\.title), ["Packet rate", "Summary", "IoT map", "Probe panel"])
        XCTAssertEqual(AppShell.Tab(name: "probe"), nil, "the static tab list is the app's own")
    }

    func testEveryTabIsARealScreenAndTheStoreBackedOnesSayWhatTheyNeedWithoutOne() {
        let shell = AppShell(capture: CaptureController())
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        XCTAssertNotNil(shell.screen(ScannerScreen.self))
        XCTAssertNotNil(shell.screen(IntelScreen.self))
        // The firewall and the IoT map are no placeholders: without a store each says it needs
        // one, with no controls that could do nothing.
        let needsStore: [(AppShell.Tab, String)] = [
            (.firewall, "The firewall needs the NetScouter database, which could not be opened."),
            (.iotMap, "The IoT map needs the NetScouter database, which could not be opened."),
        ]
        XCTAssertNil(shell.screen(FirewallScreen.self))
        XCTAssertNil(shell.screen(IoTMapScreen.self))
        for (tab, message) in needsStore {
            shell.selectedTab = tab
            harness.frame()
            XCTAssertEqual(shell.selectedScreen.title, tab.title)
            XCTAssertTrue(harness.items.contains { $0.path.hasSuffix(message) }, tab.title)
            XCTAssertEqual(harness.items.filter { $0.kind == "button" || $0.kind == "textfield" }.count, 0, "no dead controls on \(tab.title)")
        }
        XCTAssertEqual(AppShell.Tab.allCases.map(\.title), ["Dashboard", "Scanner", "Intel", "Firewall", "IoT Map", "Scheduler", "Settings"])
        XCTAssertEqual(AppShell.Tab(name: "iot-map"), .iotMap)
    }

    /// `pcap_findalldevs` runs on a worker: the first frame does not wait for it (it says it is
    /// reading), and the list arrives through the inbox a few frames later.
    func testTheInterfaceListIsReadOffTheUIThread() {
        let shell = AppShell(capture: CaptureController())
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        harness.frame()
        XCTAssertFalse(shell.capture.devicesLoaded, "the first frame did not enumerate the interfaces itself")
        XCTAssertTrue(shell.capture.isRefreshingDevices)
        XCTAssertTrue(harness.exists("Dashboard/Reading interfaces…"))
        XCTAssertTrue(shell.hasPendingWork, "frames keep coming until the list arrives")
        XCTAssertTrue(runFrames(harness) { shell.capture.devicesLoaded })
        harness.frame()
        XCTAssertEqual(shell.capture.devices.map(\.name), (try? PcapHandle.devices().map(\.name)) ?? [], "the same list libpcap gives")
        if !shell.capture.devices.isEmpty { XCTAssertTrue(harness.exists("Dashboard/Interface")) }
        XCTAssertFalse(shell.hasPendingWork)
    }
}
