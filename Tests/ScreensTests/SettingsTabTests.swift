import Capture
import Foundation
import Screens
import Store
import UI
import XCTest

/// The Settings tab against a real store and secrets file: nothing is saved until Apply
/// Settings, Discard puts the fields back, keys never reach the screen.
final class SettingsTabTests: XCTestCase {
    private var fixture: ServicesFixture!

    override func setUpWithError() throws {
        fixture = try ServicesFixture()
    }

    override func tearDown() {
        fixture.tearDown()
    }

    private func makeShell() -> (AppShell, UIHarness) {
        let shell = AppShell(capture: CaptureController(), services: fixture.services)
        shell.selectedTab = .settings
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        harness.frame()
        return (shell, harness)
    }

    private func storedSettings() throws -> AppSettings {
        fixture.writer.flush()
        return try SettingsStore(database: try fixture.freshDatabase()).load()
    }

    func testDiscardPutsTheFieldsBackAndSavesNothing() throws {
        let (shell, harness) = makeShell()
        let settings = try XCTUnwrap(shell.settingsScreen)
        XCTAssertTrue(harness.exists("Settings/Apply Settings"))

        harness.replaceText(in: "consensusThreshold", with: "2")
        harness.click("Auto-block by consensus")
        XCTAssertEqual(settings.numberText("consensusThreshold"), "2")
        XCTAssertTrue(settings.draft.autoBlockEnabled)
        XCTAssertTrue(settings.hasChanges)

        harness.click("Settings/Discard changes")
        harness.frame()
        XCTAssertEqual(settings.numberText("consensusThreshold"), "3")
        XCTAssertFalse(settings.draft.autoBlockEnabled)
        XCTAssertFalse(settings.hasChanges)
        XCTAssertNotNil(harness.toastContaining("Changes discarded"))

        let stored = try storedSettings()
        XCTAssertEqual(stored, AppSettings.defaults, "discarding saves nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.secrets.url.path))
    }

    func testApplySavesSettingsAndTheMaskedKeyWithMode0600() throws {
        let (shell, harness) = makeShell()
        let settings = try XCTUnwrap(shell.settingsScreen)
        let key = "k3y-Secret-4d9f7a"

        harness.replaceText(in: "consensusThreshold", with: "2")
        harness.click("Auto-block by consensus")
        harness.click("AbuseIPDB key")
        harness.type(key)
        harness.frame()
        XCTAssertFalse(harness.drawnTexts.contains { $0.contains(key) }, "a masked key is drawn as dots")
        XCTAssertTrue(harness.drawnTexts.contains(String(repeating: "•", count: key.count)))

        harness.click("Settings/Apply Settings")
        var keyDrawn = false
        let applied = runFrames(harness) {
            keyDrawn = keyDrawn || harness.drawnTexts.contains { $0.contains(key) } || harness.items.contains { $0.path.contains(key) }
            return harness.toastContaining("Settings applied") != nil
        }
        XCTAssertTrue(applied, "the save reports back through the inbox")
        XCTAssertFalse(keyDrawn, "the key never appears in the draw list or item paths")
        XCTAssertFalse(settings.hasChanges)
        XCTAssertEqual(settings.applied.consensusThreshold, 2)

        let stored = try storedSettings()
        XCTAssertEqual(stored.consensusThreshold, 2)
        XCTAssertTrue(stored.autoBlockEnabled)
        XCTAssertEqual(stored.blockDurationHours, AppSettings.defaults.blockDurationHours)

        var info = stat()
        XCTAssertEqual(stat(fixture.secrets.url.path, &info), 0, "the secrets file exists")
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let keys = try fixture.secrets.load(environment: [:])
        XCTAssertEqual(keys.key(for: .abuseIPDB), key)
        XCTAssertNil(keys.key(for: .virusTotal))
    }

    /// Applied capture settings reach the dashboard's next live capture (snap length, promiscuous).
    func testAppliedCaptureSettingsReachTheDashboard() throws {
        let (shell, harness) = makeShell()
        harness.scroll(at: Point(640, 400), lines: -20)  // the capture section is below the fold
        harness.frame()
        harness.replaceText(in: "captureSnapLength", with: "96")
        harness.click("Promiscuous mode")
        harness.click("Settings/Apply Settings")
        for _ in 0..<500 where shell.dashboard.captureSnapLength != 96 {
            harness.frame()
            usleep(2000)
        }
        XCTAssertEqual(shell.dashboard.captureSnapLength, 96)
        XCTAssertFalse(shell.dashboard.capturePromiscuous)
        XCTAssertEqual(try storedSettings().captureSnapLength, 96)
    }

    func testAnInvalidNumberShowsAnErrorAndSavesNothing() throws {
        let (shell, harness) = makeShell()
        let settings = try XCTUnwrap(shell.settingsScreen)
        harness.replaceText(in: "scanConcurrency", with: "lots")
        harness.click("Settings/Apply Settings")
        harness.frames(2)
        XCTAssertFalse(settings.isSaving)
        XCTAssertTrue(settings.problems.contains { $0.contains("\"lots\" is not a whole number") }, "\(settings.problems)")
        XCTAssertTrue(harness.items.contains { $0.kind == "label" && $0.path.contains("is not a whole number") }, "the problem is shown")

        // Out of range is refused too, with the valid range.
        harness.replaceText(in: "scanConcurrency", with: "0")
        harness.click("Settings/Apply Settings")
        harness.frames(2)
        XCTAssertTrue(harness.items.contains { $0.kind == "label" && $0.path.contains("between 1 and 4096") })

        harness.frames(5)
        XCTAssertNil(harness.toastContaining("Settings applied"))
        XCTAssertEqual(try storedSettings(), AppSettings.defaults)
    }

    func testApplyingTheLightThemeSwitchesTheWindowTheme() throws {
        let (shell, harness) = makeShell()
        XCTAssertEqual(harness.ui.theme.name, "dark")
        // The appearance section is at the bottom of the form: scroll to it.
        let form = try XCTUnwrap(harness.item("Settings/Settings/form"))
        harness.scroll(at: form.rect.center, lines: -40)
        harness.frame()
        let light = try XCTUnwrap(harness.item("Light theme"))
        XCTAssertTrue(form.rect.contains(light.rect.center), "scrolled into view")
        harness.click("Light theme")
        harness.click("Settings/Apply Settings")
        XCTAssertTrue(runFrames(harness) { harness.ui.theme.name == "light" })
        XCTAssertEqual(shell.theme.name, "light")
        XCTAssertEqual(try storedSettings().theme, "light")

        // A new shell on the same store starts in the saved theme.
        let reopened = AppShell(capture: CaptureController(), services: fixture.services)
        XCTAssertEqual(reopened.theme.name, "light")
    }

    func testWithoutServicesSettingsAndSchedulerSayTheDatabaseIsMissing() {
        let shell = AppShell(capture: CaptureController())
        XCTAssertNil(shell.settingsScreen)
        XCTAssertNil(shell.schedulerScreen)
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        for tab in [AppShell.Tab.settings, .scheduler] {
            shell.selectedTab = tab
            harness.frame()
            XCTAssertTrue(harness.items.contains { $0.path.contains("need the NetScouter database, which could not be opened") }, tab.title)
            XCTAssertEqual(harness.items.filter { $0.kind == "button" || $0.kind == "textfield" }.count, 0, "no dead controls on \(tab.title)")
        }
    }

    /// A problem with a field far down the form is shown next to that field (in view where the
    /// user typed), and the always-visible button bar names it even when the form is scrolled
    /// elsewhere; nothing is drawn at the top of the form.
    func testAValidationErrorIsShownNextToItsFieldAndNamedInTheBar() throws {
        let (_, harness) = makeShell()
        let form = try XCTUnwrap(harness.item("Settings/Settings/form"))
        harness.scroll(at: form.rect.center, lines: -40)  // down to the capture section
        harness.frame()
        harness.replaceText(in: "flowHistoryRetentionDays", with: "0")
        harness.click("Settings/Apply Settings")
        harness.frames(2)
        let field = try XCTUnwrap(harness.item("flowHistoryRetentionDays"))
        let errors = harness.items.filter { $0.kind == "error" }
        XCTAssertEqual(errors.count, 1, "\(errors.map(\.path))")
        let error = try XCTUnwrap(errors.first)
        XCTAssertTrue(error.path.contains("Flow history retention must be between 1 and 3650 days"), error.path)
        XCTAssertEqual(error.rect.y, field.rect.y, "on the field's own row")
        XCTAssertGreaterThan(error.rect.x, field.rect.maxX - 1, "beside the field")
        XCTAssertFalse(error.visibleRect.isEmpty, "in view")
        XCTAssertTrue(form.rect.contains(error.rect.center))

        // Scrolled back to the top, the field and its message are out of sight, but the bar says it.
        harness.scroll(at: form.rect.center, lines: 40)
        harness.frame()
        let bar = harness.items.first { $0.kind == "label" && $0.path.contains("Not applied — Keep finished flows of live captures (days): ") }
        XCTAssertNotNil(bar, "the bar names the field and the problem")
        XCTAssertFalse(try XCTUnwrap(bar).visibleRect.isEmpty)
        XCTAssertEqual(try storedSettings(), AppSettings.defaults)
    }

    /// The firewall action is chosen in the Firewall section and saved on Apply; a value that is
    /// neither drop nor reject (an edited database) is refused with its message beside the field
    /// and named in the bar.
    func testFirewallActionIsSavedAndAnInvalidOneIsRefusedWithItsMessage() throws {
        let (shell, harness) = makeShell()
        let settings = try XCTUnwrap(shell.settingsScreen)
        XCTAssertEqual(settings.draft.firewallAction, "drop")
        harness.click("Rejected (ICMP / TCP reset)")
        XCTAssertEqual(settings.draft.firewallAction, "reject")
        harness.click("Settings/Apply Settings")
        XCTAssertTrue(runFrames(harness) { !settings.isSaving && settings.applied.firewallAction == "reject" })
        XCTAssertEqual(try storedSettings().firewallAction, "reject")

        settings.model.draft.firewallAction = "block"
        harness.frame()
        harness.click("Settings/Apply Settings")
        harness.frames(2)
        let message = "Firewall action must be \"drop\" or \"reject\" (it is \"block\")."
        XCTAssertEqual(settings.problems, [message])
        let error = try XCTUnwrap(harness.items.first { $0.kind == "error" })
        XCTAssertTrue(error.path.contains(message), error.path)
        XCTAssertTrue(harness.items.contains { $0.kind == "label" && $0.path.contains("Not applied — Firewall action: \(message)") })
        XCTAssertEqual(try storedSettings().firewallAction, "reject", "the invalid value is not saved")
    }

    /// The hint under the key fields names the secrets file actually used (here under the
    /// fixture's XDG_CONFIG_HOME), not a fixed ~/.config path.
    func testTheKeysHintNamesTheSecretsFileInUse() throws {
        let (_, harness) = makeShell()
        let hint = try XCTUnwrap(harness.items.first { $0.kind == "label" && $0.path.contains("Keys are kept in") })
        XCTAssertTrue(hint.path.contains("Keys are kept in \(fixture.secrets.url.path) with mode 0600"), hint.path)
        XCTAssertFalse(hint.path.contains("~/.config"))
    }
}
