import Capture
import Export
import Foundation
import Screens
import UI
import XCTest

/// Export from the dashboard's tables: the rows shown (sorted and filtered), written on a
/// worker, reported in a toast.
final class TableExportTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func loadedShell() throws -> (AppShell, UIHarness) {
        let path = try writeDashboardFixture(in: directory)
        let shell = AppShell(capture: CaptureController())
        shell.wallClock = { 1_700_000_010_000_000_000 }
        let harness = UIHarness(size: Size(1280, 800)) { ui in shell.build(ui) }
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)
        return (shell, harness)
    }

    func testExportingTheFilteredFlowsAsCSVAndJSON() throws {
        let (shell, harness) = try loadedShell()
        XCTAssertTrue(harness.exists("Dashboard/Export flows/Format"))
        XCTAssertTrue(shell.dashboard.flowExport.path.hasSuffix("/netscouter-flows.csv"), shell.dashboard.flowExport.path)

        harness.click("Dashboard/Filter rows")
        harness.type("93.184.216.3")
        harness.frame()
        let shown = shell.dashboard.flowTable.rows
        XCTAssertEqual(shown.count, 8, "40 flows spread over 5 servers")
        XCTAssertLessThan(shown.count, shell.capture.traffic.flowCounts.seen)

        // CSV, parsed by Python's csv module: a header and one record per flow shown, in order.
        let csvPath = directory.appendingPathComponent("flows.csv").path
        harness.replaceText(in: "Dashboard/Export flows/Path", with: csvPath)
        harness.click("Dashboard/Export flows/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported 8 flows to \(csvPath)") != nil })
        let records = try pythonCSVRecords(csvPath)
        XCTAssertEqual(records.count, 1 + shown.count)
        XCTAssertEqual(records.first, TrafficExports.flowColumns.map(\.title) + IntelColumns.titles, "the CLI's columns, then the Intel columns the window shows")
        XCTAssertEqual(records.dropFirst().map { $0[3] }, shown.map(\.responder.description))
        XCTAssertEqual(records.dropFirst().map { $0[1] }, shown.map(\.initiator.description))

        // JSON: the format drop-down, a new path, the same rows.
        harness.click("Dashboard/Export flows/Format")
        harness.click("Dashboard/Export flows/Format/JSON")
        XCTAssertEqual(shell.dashboard.flowExport.format, .json)
        XCTAssertEqual(shell.dashboard.flowExport.path, csvPath, "a path the user typed stays as typed")
        let jsonPath = directory.appendingPathComponent("flows.json").path
        harness.replaceText(in: "Dashboard/Export flows/Path", with: jsonPath)
        harness.click("Dashboard/Export flows/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported 8 flows to \(jsonPath)") != nil })
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as? [String: Any])
        let records2 = try XCTUnwrap(document["records"] as? [[String: Any]])
        XCTAssertEqual(records2.count, shown.count)
        XCTAssertEqual(document["count"] as? Int, shown.count)
        XCTAssertEqual(document["kind"] as? String, "flows")
        XCTAssertEqual(records2.compactMap { $0["responder"] as? String }, shown.map(\.responder.description))
    }

    func testHostsAndPacketsExportWhatTheirTablesShow() throws {
        let (shell, harness) = try loadedShell()
        harness.click("Dashboard/Tables/Hosts (\(shell.capture.traffic.hosts.count))###Hosts")
        harness.frame()
        XCTAssertTrue(harness.exists("Dashboard/Export hosts/Export"))
        XCTAssertFalse(harness.exists("Dashboard/Export flows/Export"), "one bar, for the table showing")

        // The default path follows the format until the user edits it.
        let hosts = shell.dashboard.hostExport
        XCTAssertTrue(hosts.path.hasSuffix("/netscouter-hosts.csv"))
        harness.click("Dashboard/Export hosts/Format")
        harness.click("Dashboard/Export hosts/Format/NDJSON")
        XCTAssertTrue(hosts.path.hasSuffix("/netscouter-hosts.ndjson"), hosts.path)
        hosts.directory = directory.path
        XCTAssertEqual(hosts.path, directory.appendingPathComponent("netscouter-hosts.ndjson").path)

        harness.click("Dashboard/Export hosts/Export")
        let shownHosts = shell.dashboard.hostTable.rows
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported \(shownHosts.count) hosts") != nil })
        let lines = try String(contentsOfFile: hosts.path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, shownHosts.count)
        for line in lines { XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) }

        // Packets, filtered: the list and the export hold the same packets.
        harness.click("Dashboard/Tables/Packets###Packets")
        harness.click("Dashboard/Filter rows")
        harness.press(.character("a"), modifiers: .control)
        harness.type("arp")
        harness.frame()
        XCTAssertEqual(shell.dashboard.shownPackets().count, 2, "the two ARP requests")
        let packetPath = directory.appendingPathComponent("packets.csv").path
        harness.replaceText(in: "Dashboard/Export packets/Path", with: packetPath)
        harness.click("Dashboard/Export packets/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("Exported 2 packets to \(packetPath)") != nil })
        let records = try pythonCSVRecords(packetPath)
        XCTAssertEqual(records.count, 3)
        XCTAssertEqual(records.dropFirst().map { $0[5] }, ["ARP", "ARP"])
    }

    func testAnExportThatCannotBeWrittenSaysWhy() throws {
        let (shell, harness) = try loadedShell()
        let missing = directory.appendingPathComponent("no-such-folder/flows.csv").path
        harness.replaceText(in: "Dashboard/Export flows/Path", with: missing)
        harness.click("Dashboard/Export flows/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("does not exist") != nil })
        XCTAssertEqual(shell.dashboard.flowExport.lastResult?.succeeded, false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
        XCTAssertFalse(shell.dashboard.isExporting)
    }
}
