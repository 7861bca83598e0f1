import Firewall
import Foundation
import Intel
import Jobs
import NetScouterTestSupport
import Packets
import Schedule
import Screens
import Store
import UI
import XCTest

/// Click-to-block and the window's auto-block, driven through the whole window (the shell in the
/// UI harness) against local fake reputation providers and nftables in a test namespace.
///
/// The flagged address 45.3.0.3 is a second address of host B in the lab (routed from A over
/// the veth), so "B can no longer reach A from it" is a real kernel drop, while B's own
/// 10.213.0.2 keeps working.
final class BlockDialogTests: XCTestCase {
    static let flagged = "45.3.0.3"

    private var lab: FirewallLab!
    private var servers: FakeReputationServers!
    private var writer: StoreWriter?

    override func setUpWithError() throws {
        lab = try FirewallLab()
        servers = try FakeReputationServers(flagged: [Self.flagged])
        let tag = lab.network.tag
        try Command.check(["ip", "-n", lab.b, "address", "add", "\(Self.flagged)/32", "dev", "\(tag)b"])
        try Command.check(["ip", "-n", lab.a, "route", "add", "\(Self.flagged)/32", "dev", "\(tag)a"])
        XCTAssertTrue(try pingsFromFlagged(), "the flagged address reaches A before any ban")
    }

    override func tearDown() {
        writer?.stop()
        servers = nil
        lab?.remove()
        lab = nil
    }

    /// One echo request from B's flagged address to A.
    private func pingsFromFlagged() throws -> Bool {
        try Command.run(["ip", "netns", "exec", lab.b, "ping", "-c", "1", "-W", "1", "-I", Self.flagged, FirewallLab.addressA]).status == 0
    }

    private func makeShell(firewall: FirewallFactory? = nil) -> (AppShell, UIHarness) {
        let writer = StoreWriter(database: lab.database)
        self.writer = writer
        let lab = lab!
        let services = AppServices(database: lab.database, writer: writer, secrets: nil, scheduleService: ScheduleService(database: lab.database),
                                   scheduler: nil, environment: servers.environment(), firewall: firewall ?? .custom({ lab.service() }))
        let shell = AppShell(capture: CaptureController(), services: services)
        let harness = UIHarness(size: Size(1600, 900)) { ui in shell.build(ui) }
        return (shell, harness)
    }

    /// A capture in which the flagged address opens an SSH connection to A: one flow row.
    private func openCapture(_ shell: AppShell, _ harness: UIHarness) throws {
        let path = lab.directory.appendingPathComponent("flagged.pcap").path
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        let remote = FrameBuilder.Endpoint(IPAddress(Self.flagged)!, 50_000)
        let local = FrameBuilder.Endpoint(IPAddress(FirewallLab.addressA)!, 22)
        var time: Int64 = 1_700_000_000_000_000_000
        for (flags, fromRemote) in [(TCPFlags.syn, true), ([.syn, .ack], false), ([.ack], true), ([.ack, .psh], true), ([.fin, .ack], false)] as [(TCPFlags, Bool)] {
            time += 10_000_000
            try writer.write(FrameBuilder.ethernetIP(from: fromRemote ? remote : local, to: fromRemote ? local : remote, transport: .tcp,
                                                     tcpFlags: flags, payload: [UInt8](repeating: 0x41, count: 40)), timestamp: time)
        }
        try writer.close()
        shell.dashboard.openFile(path)
        harness.frame()
        XCTAssertTrue(frames(harness) { !shell.capture.isCapturing && (shell.capture.session?.ring.count ?? 0) == 0 }, "the capture finished")
        harness.frames(2)
    }

    @discardableResult
    private func frames(_ harness: UIHarness, upTo count: Int = 3000, until condition: () -> Bool) -> Bool {
        for _ in 0..<count where !condition() { harness.frame(); usleep(2_000) }
        return condition()
    }

    private var consensusCell: ItemRole { .cell(Self.flagged, IntelColumns.consensusTitle) }

    /// Waits for the 3/3 verdict on the flow row and selects that row.
    private func selectFlaggedFlow(_ harness: UIHarness) throws {
        XCTAssertTrue(frames(harness) { harness.value(of: consensusCell) == "3/3" }, "verdict: \(String(describing: harness.value(of: consensusCell)))")
        harness.click(at: try XCTUnwrap(harness.item(consensusCell)).visibleRect.center)
        harness.frame()
    }

    private func value(_ harness: UIHarness, _ name: String) -> String? {
        harness.item("\(BlockDialog.title)/\(name) value")?.value
    }

    private func kernelHasFlagged() throws -> Bool {
        try lab.kernelBans()[BlockTarget(parsing: Self.flagged)] != nil
    }

    /// The acceptance test: Block on a flow from an address the providers flag 3/3, the dialog
    /// shows address, verdict, duration and backend, Confirm bans it in the kernel (the flagged
    /// address can no longer reach A) and the ban shows in the Firewall tab.
    func testBlockOnAFlaggedFlowConfirmBansItInTheKernelAndTheFirewallTab() throws {
        let (shell, harness) = makeShell()
        let dialog = try XCTUnwrap(shell.blockDialog)
        try openCapture(shell, harness)
        XCTAssertEqual(shell.dashboard.tableTab, 0, "the flows table shows")
        try selectFlaggedFlow(harness)

        harness.click("Block##\(Self.flagged)")
        XCTAssertTrue(dialog.model.isOpen)
        XCTAssertTrue(frames(harness) { value(harness, "Backend") == "nftables" }, "backend: \(String(describing: value(harness, "Backend")))")
        XCTAssertEqual(value(harness, "Address"), Self.flagged)
        XCTAssertEqual(value(harness, "Verdict"), "3/3 (3 of 3 providers answered)")
        XCTAssertEqual(value(harness, "Duration"), "24h", "the settings' block duration (24 hours) is preselected")
        XCTAssertEqual(value(harness, "Asked from"), "Dashboard flows")
        let verdict = try XCTUnwrap(harness.item("\(BlockDialog.title)/Verdict value"))
        XCTAssertEqual(harness.textColor("3/3 (3 of 3 providers answered)", in: verdict.rect), harness.ui.theme.danger, "a flagged verdict shows as such")

        harness.click("\(BlockDialog.title)/Duration")
        let option = try XCTUnwrap(harness.items.last { $0.kind == "option" && $0.path.hasSuffix("/1h") }, "\(harness.items.filter { $0.kind == "option" }.map(\.path))")
        harness.click(at: option.visibleRect.center)
        XCTAssertEqual(value(harness, "Duration"), "1h")
        XCTAssertTrue(try pingsFromFlagged(), "nothing is blocked before Confirm")

        harness.press(.enter)
        XCTAssertTrue(frames(harness) { !dialog.model.isOpen && !shell.hasPendingWork }, "phase: \(dialog.model.phase)")
        XCTAssertEqual(shell.dashboard.tableTab, 0, "Enter was the dialog's: the flow row did not open its packets")
        XCTAssertTrue(try kernelHasFlagged(), "in the kernel set inside A")
        XCTAssertFalse(try pingsFromFlagged(), "the flagged address can no longer reach A")
        XCTAssertTrue(try lab.pings(FirewallLab.addressA), "B's own address still can")
        XCTAssertTrue(harness.ui.visibleToasts.contains("Blocked \(Self.flagged) for 1h (nftables)"), "\(harness.ui.visibleToasts)")

        shell.selectedTab = .firewall
        let firewall = try XCTUnwrap(shell.screen(FirewallScreen.self))
        XCTAssertTrue(frames(harness) { firewall.banTable.rows.contains { $0.target == Self.flagged } && !shell.hasPendingWork })
        let ban = try XCTUnwrap(firewall.banTable.rows.first { $0.target == Self.flagged })
        XCTAssertEqual(ban.record.source, .manual)
        XCTAssertEqual(ban.record.reason, "Block from Dashboard flows")
        XCTAssertTrue((3590...3600).contains(firewall.model.secondsLeft(ban) ?? 0), "\(String(describing: firewall.model.secondsLeft(ban)))")
        XCTAssertGreaterThanOrEqual(ban.packets ?? 0, 1, "the ping was dropped and counted")
        let event = try XCTUnwrap(try lab.audit().first { $0.action == "block" })
        XCTAssertEqual([event.actor, event.subject], ["user", Self.flagged])
        XCTAssertTrue(event.detail.contains("for 1h") && event.detail.contains("backend nftables"), event.detail)
    }

    /// `B` on the selected row opens the same dialog; Cancel (and Escape) close it and nothing
    /// is blocked, stored or audited.
    func testCancelAndEscapeBlockNothing() throws {
        let (shell, harness) = makeShell()
        let dialog = try XCTUnwrap(shell.blockDialog)
        try openCapture(shell, harness)
        shell.dashboard.tableTab = 1
        harness.frames(2)
        try selectFlaggedFlow(harness)

        harness.press(.character("b"))
        XCTAssertTrue(dialog.model.isOpen, "B on the selected row opens the dialog")
        XCTAssertEqual(dialog.model.request, BlockRequest(address: Self.flagged, place: "Dashboard hosts"))
        harness.frame()
        harness.click("\(BlockDialog.title)/Cancel")
        XCTAssertFalse(dialog.model.isOpen)

        harness.click("Block##\(Self.flagged)")
        XCTAssertTrue(dialog.model.isOpen)
        harness.press(.escape)
        XCTAssertFalse(dialog.model.isOpen)
        harness.frames(3)
        XCTAssertFalse(harness.exists("\(BlockDialog.title)/Block"), "the dialog is gone")

        XCTAssertTrue(frames(harness) { !shell.hasPendingWork })
        XCTAssertFalse(try kernelHasFlagged())
        XCTAssertTrue(try pingsFromFlagged())
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        XCTAssertEqual(try lab.audit(), [])
    }

    /// Dry run: Block shows exactly the nft script that would run and changes nothing; without
    /// it the same dialog then blocks.
    func testDryRunShowsTheCommandsAndChangesNothing() throws {
        let (shell, harness) = makeShell()
        let dialog = try XCTUnwrap(shell.blockDialog)
        try openCapture(shell, harness)
        try selectFlaggedFlow(harness)
        harness.click("Block##\(Self.flagged)")
        XCTAssertTrue(frames(harness) { value(harness, "Backend") == "nftables" })
        harness.click("\(BlockDialog.title)/Dry run: show the commands, change nothing")
        XCTAssertTrue(dialog.model.dryRun)
        harness.frame()
        XCTAssertEqual(value(harness, "Backend"), "nftables (dry run: nothing is changed)")
        harness.press(.enter)
        XCTAssertTrue(frames(harness) { !dialog.model.isBlocking && !shell.hasPendingWork })
        harness.frame()
        XCTAssertTrue(dialog.model.isOpen, "a dry run keeps the dialog open")
        let commands = try XCTUnwrap(harness.item("\(BlockDialog.title)/Commands")?.value)
        XCTAssertTrue(commands.hasPrefix("nft -f - <<'EOF'"), commands)
        XCTAssertTrue(commands.contains("add element inet netscouter") && commands.contains(Self.flagged) && commands.contains("timeout 86400s"), commands)
        XCTAssertFalse(try kernelHasFlagged())
        XCTAssertTrue(try pingsFromFlagged())
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        XCTAssertEqual(try lab.audit(), [])

        harness.click("\(BlockDialog.title)/Dry run: show the commands, change nothing")
        harness.press(.enter)
        XCTAssertTrue(frames(harness) { !dialog.model.isOpen && !shell.hasPendingWork })
        XCTAssertTrue(try kernelHasFlagged())
        XCTAssertFalse(try pingsFromFlagged())
    }

    /// An allowlisted address: Confirm is refused by the safety policy, the dialog stays open
    /// with the reason, nothing reaches the kernel; the refusal is audited.
    func testARefusedAddressShowsTheReasonInTheDialog() throws {
        try lab.service().allow("45.3.0.0/24", note: "partner network")
        let (shell, harness) = makeShell()
        let dialog = try XCTUnwrap(shell.blockDialog)
        try openCapture(shell, harness)
        try selectFlaggedFlow(harness)
        harness.click("Block##\(Self.flagged)")
        harness.click("\(BlockDialog.title)/Block")
        XCTAssertTrue(frames(harness) { !dialog.model.isBlocking && dialog.model.phase != .blocking && !shell.hasPendingWork })
        harness.frame()
        XCTAssertTrue(dialog.model.isOpen, "a refusal keeps the dialog open")
        let reason = "Refused (allowlist): it overlaps the allowlist entry 45.3.0.0/24; remove it from the allowlist first."
        XCTAssertEqual(dialog.model.phase, .refused(reason))
        XCTAssertEqual(harness.item("\(BlockDialog.title)/Problem")?.value, reason)
        XCTAssertTrue(harness.drawnTexts.contains { $0.contains("Refused (allowlist)") }, "the reason is drawn")
        XCTAssertFalse(try kernelHasFlagged())
        XCTAssertTrue(try pingsFromFlagged())
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        XCTAssertEqual(try lab.audit().first.map { [$0.actor, $0.action, $0.subject] }, ["user", "block.refused", Self.flagged])
        harness.press(.escape)
        XCTAssertFalse(dialog.model.isOpen)
    }

    // MARK: Window auto-block

    /// Auto-block on, 3/3 from the window's own lookups: blocked in the kernel, recorded as an
    /// auto ban and audited with the consensus, announced, and shown in the Firewall tab.
    func testWindowAutoBlockOnBlocksThreeOfThree() throws {
        try SettingsStore(database: lab.database).save(AppSettings(autoBlockEnabled: true, blockDurationHours: 1))
        let (shell, harness) = makeShell()
        let autoBlock = try XCTUnwrap(shell.autoBlock)
        try openCapture(shell, harness)
        XCTAssertTrue(frames(harness) { autoBlock.decisions[Self.flagged] != nil && !shell.hasPendingWork },
                      "decision: \(String(describing: autoBlock.decisions[Self.flagged]))")
        XCTAssertEqual(autoBlock.decisions[Self.flagged], .blocked(Self.flagged))
        XCTAssertTrue(try kernelHasFlagged())
        XCTAssertFalse(try pingsFromFlagged())
        let bans = try BlockStore(database: lab.database).active(at: Date())
        XCTAssertEqual(bans.map(\.address), [Self.flagged])
        XCTAssertEqual(bans.first?.source, .auto)
        XCTAssertEqual(bans.first.flatMap { $0.expiresAt?.timeIntervalSince($0.createdAt) }, 3600, "the settings' block duration")
        let event = try XCTUnwrap(try lab.audit().first)
        XCTAssertEqual([event.actor, event.action, event.subject], ["auto-block", "block", Self.flagged])
        XCTAssertTrue(event.detail.contains("consensus 3/3"), event.detail)
        XCTAssertTrue(harness.ui.visibleToasts.contains("Auto-blocked \(Self.flagged): consensus 3/3"), "\(harness.ui.visibleToasts)")
        shell.selectedTab = .firewall
        let firewall = try XCTUnwrap(shell.screen(FirewallScreen.self))
        XCTAssertTrue(frames(harness) { firewall.banTable.rows.map(\.target) == [Self.flagged] })
    }

    /// Auto-block on, but only two of three providers flag it: below the threshold, not blocked.
    func testWindowAutoBlockTwoOfThreeIsNotBlocked() throws {
        try SettingsStore(database: lab.database).save(AppSettings(autoBlockEnabled: true))
        servers = try FakeReputationServers(flagged: [Self.flagged], otx: { request in
            FakeHTTPServer.Response(body: ProviderBodies.otx(address: ProviderBodies.address(of: request), pulses: []))
        })
        let (shell, harness) = makeShell()
        let autoBlock = try XCTUnwrap(shell.autoBlock)
        try openCapture(shell, harness)
        XCTAssertTrue(frames(harness) { autoBlock.decisions[Self.flagged] != nil && !shell.hasPendingWork })
        XCTAssertEqual(autoBlock.decisions[Self.flagged], .belowThreshold(flagged: 2, threshold: 3))
        XCTAssertFalse(try kernelHasFlagged())
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        XCTAssertEqual(try lab.audit(), [])
    }

    /// Auto-block off (the default): the same 3/3 verdict arrives and nothing is blocked.
    func testWindowAutoBlockOffDoesNotBlock() throws {
        let (shell, harness) = makeShell()
        let autoBlock = try XCTUnwrap(shell.autoBlock)
        try openCapture(shell, harness)
        XCTAssertTrue(frames(harness) { harness.value(of: consensusCell) == "3/3" })
        XCTAssertTrue(frames(harness) { !shell.hasPendingWork })
        harness.frames(5)
        XCTAssertEqual(shell.intel.consensus(IPAddress(Self.flagged)!)?.flagged, 3, "the verdict did arrive")
        XCTAssertNil(autoBlock.decisions[Self.flagged])
        XCTAssertFalse(try kernelHasFlagged())
        XCTAssertTrue(try pingsFromFlagged())
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [])
        XCTAssertEqual(try lab.audit(), [])
    }

    /// The firewall fails (nft in a namespace that does not exist): not recorded as blocked, the
    /// failure audited and shown in the window.
    func testWindowAutoBlockFailureIsShownAndAuditedNotRecorded() throws {
        try SettingsStore(database: lab.database).save(AppSettings(autoBlockEnabled: true))
        let lab = lab!
        let runnerA = lab.runnerA
        let broken = NftablesBackend(runner: ProcessCommandRunner.inNamespace("\(lab.network.tag)-missing"))
        let (shell, harness) = makeShell(firewall: .custom({
            FirewallService(backend: broken, database: lab.database, facts: { try HostFacts.gather(runner: runnerA) }, privilegeCheck: {})
        }))
        let autoBlock = try XCTUnwrap(shell.autoBlock)
        try openCapture(shell, harness)
        XCTAssertTrue(frames(harness) { autoBlock.decisions[Self.flagged] != nil && !shell.hasPendingWork })
        guard case .failed = autoBlock.decisions[Self.flagged] else { return XCTFail("\(String(describing: autoBlock.decisions[Self.flagged]))") }
        XCTAssertEqual(try BlockStore(database: lab.database).active(at: Date()), [], "not recorded as blocked")
        XCTAssertFalse(try kernelHasFlagged())
        let event = try XCTUnwrap(try lab.audit().first)
        XCTAssertEqual([event.actor, event.action, event.subject], ["auto-block", "block.failed", Self.flagged])
        let toast = try XCTUnwrap(harness.ui.visibleToasts.first { $0.hasPrefix("Auto-block of \(Self.flagged) (consensus 3/3) failed:") },
                                  "\(harness.ui.visibleToasts)")
        XCTAssertTrue(toast.contains("Cannot open network namespace"), toast)
    }
}

extension UIHarness {
    /// The colour of the text `text` drawn inside `rect` in the last frame (the overlay is
    /// merged into the draw list at the end of a frame).
    func textColor(_ text: String, in rect: Rect) -> Color? {
        for command in ui.drawList.commands {
            if case let .text(drawn, point, color, _) = command, drawn == text, rect.insetBy(-1, -1).contains(point) { return color }
        }
        return nil
    }

    /// Every string the last frame drew.
    var drawnTexts: [String] {
        ui.drawList.commands.compactMap { command in
            if case let .text(text, _, _, _) = command { return text }
            return nil
        }
    }
}
