import Capture
import Export
import Foundation
import Intel
import NetScouterTestSupport
import Packets
import Screens
import Store
import Traffic
import UI
import UISDL
import XCTest

/// The Intel tab and the tables' Country / AS / Consensus columns, driven through the harness
/// against fake providers on loopback and a real store.
final class IntelTabTests: XCTestCase {
    private var fixture: ServicesFixture!
    private var directory: URL!
    static let attacker = IPAddress(185, 220, 101, 4)
    static let cleanServer = IPAddress(93, 184, 216, 34)
    static let lan = IPAddress(192, 168, 1, 10)

    override func setUpWithError() throws {
        fixture = try ServicesFixture()
        directory = fixture.directory
    }

    override func tearDown() {
        fixture?.tearDown()
    }

    private func makeShell(environment: [String: String]) -> (AppShell, UIHarness) {
        let services = AppServices(database: fixture.database, writer: fixture.writer, secrets: fixture.secrets,
                                   scheduleService: fixture.service, scheduler: nil, environment: environment)
        let shell = AppShell(capture: CaptureController(), services: services)
        shell.wallClock = { 1_700_000_010_000_000_000 }
        let harness = UIHarness(size: Size(1600, 900)) { ui in shell.build(ui) }
        return (shell, harness)
    }

    /// Types `address` into the Intel tab's lookup field and presses Enter.
    private func lookUp(_ address: String, in harness: UIHarness) {
        harness.replaceText(in: "Intel/Look up address", with: address)
        harness.press(.enter)
    }

    /// The acceptance test: a flow from an address that every provider flags shows `3/3` in the
    /// flagged colour; a flow from an address nobody flags shows `0/3` in the normal colour.
    func testAFlowFromAnAddressEveryProviderFlagsShowsThreeOfThreeInTheFlaggedColour() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        let (shell, harness) = makeShell(environment: servers.environment())
        let path = try writeIntelFixture(in: directory, conversations: [(Self.attacker, Self.lan, 22), (Self.cleanServer, Self.lan, 443)])
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)
        XCTAssertEqual(shell.dashboard.tableTab, 0, "the flows table shows")

        let attackerCell = ItemRole.cell(Self.attacker.description, IntelColumns.consensusTitle)
        let cleanCell = ItemRole.cell(Self.cleanServer.description, IntelColumns.consensusTitle)
        XCTAssertTrue(runFrames(harness, upTo: 3000) {
            harness.value(of: attackerCell) == "3/3" && harness.value(of: cleanCell) == "0/3"
        }, "verdicts arrive: \(String(describing: harness.value(of: attackerCell))), \(String(describing: harness.value(of: cleanCell)))")

        let flagged = try XCTUnwrap(harness.item(attackerCell))
        XCTAssertEqual(harness.textColor("3/3", in: flagged.rect), harness.ui.theme.danger, "3/3 is drawn in the flagged colour")
        let clean = try XCTUnwrap(harness.item(cleanCell))
        XCTAssertEqual(harness.textColor("0/3", in: clean.rect), harness.ui.theme.text, "a clean verdict is drawn as plain text")
        // Hovering the cell says how many answered.
        harness.moveMouse(to: flagged.visibleRect.center)
        XCTAssertTrue(harness.drawnTexts.contains("3 of 3 providers flag it; 3 of 3 answered"), "the hover explains the verdict")
        XCTAssertTrue(harness.items.contains { $0.kind == "header" && $0.path.hasSuffix("header:Country") })
        XCTAssertTrue(harness.items.contains { $0.kind == "header" && $0.path.hasSuffix("header:AS") })

        // One request per provider per address, however many rows show it (flows and hosts).
        shell.dashboard.tableTab = 1
        harness.frames(3)
        XCTAssertEqual(harness.value(of: attackerCell), "3/3", "the hosts table shows the same verdict")
        XCTAssertEqual(servers.requests(about: Self.attacker.description), [1, 1, 1])
        XCTAssertEqual(servers.requests(about: Self.cleanServer.description), [1, 1, 1])
        XCTAssertFalse(servers.allRequests.contains { ProviderBodies.address(of: $0) == Self.lan.description },
                       "a private address is never sent")
    }

    /// The same verdict through the real SDL software renderer: the 3/3 cell's glyphs are
    /// rasterised in the flagged (danger) colour, the clean 0/3 cell's are not.
    func testTheFlaggedConsensusIsRasterisedInTheFlaggedColour() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        let services = AppServices(database: fixture.database, writer: fixture.writer, secrets: fixture.secrets,
                                   scheduleService: fixture.service, scheduler: nil, environment: servers.environment())
        let path = try writeIntelFixture(in: directory, conversations: [(Self.attacker, Self.lan, 22), (Self.cleanServer, Self.lan, 443)])
        let canvas = try OffscreenCanvas(width: 1600, height: 900)
        defer { canvas.destroy() }
        let ui = UIContext(theme: .dark, measurer: canvas.measurer)
        ui.recordsItems = true
        let shell = AppShell(capture: CaptureController(), services: services)
        shell.dashboard.openFile(path)
        var time = 0.0
        func value(_ address: IPAddress) -> String? {
            ui.items.last { $0.role == .cell(address.description, IntelColumns.consensusTitle) }?.value
        }
        for _ in 0..<3000 {
            var input = InputSnapshot()
            input.time = time
            time += 1.0 / 60
            ui.beginFrame(input: input, viewport: canvas.viewport)
            shell.build(ui)
            ui.endFrame()
            if value(Self.attacker) == "3/3" && value(Self.cleanServer) == "0/3" { break }
            usleep(2000)
        }
        XCTAssertEqual(value(Self.attacker), "3/3")
        canvas.render(ui)
        let image = canvas.image()
        let danger = Theme.dark.danger
        func dangerPixels(_ address: IPAddress) throws -> Int {
            let rect = try XCTUnwrap(ui.items.last { $0.role == .cell(address.description, IntelColumns.consensusTitle) }).rect
            var count = 0
            for y in Int(rect.y)..<Int(rect.maxY) {
                for x in Int(rect.x)..<Int(rect.maxX) {
                    let color = image.color(x: x, y: y)
                    // The glyphs' solid pixels (their edges blend into the row background).
                    let distance = abs(Int(color.red) - Int(danger.red)) + abs(Int(color.green) - Int(danger.green)) + abs(Int(color.blue) - Int(danger.blue))
                    if distance < 60 { count += 1 }
                }
            }
            return count
        }
        XCTAssertGreaterThan(try dangerPixels(Self.attacker), 15, "3/3 is drawn in the flagged colour")
        XCTAssertEqual(try dangerPixels(Self.cleanServer), 0, "0/3 is not")
    }

    /// Per-provider answers in the detail view; a missing key and a refused key are "no answer",
    /// never clean; key status and quota show, the key itself never does — not in the draw list,
    /// not in the harness records, not in an export — even when a provider echoes it back.
    func testTheIntelTabShowsEachProvidersAnswerQuotaAndKeyStatusButNeverTheKey() throws {
        // VirusTotal refuses the key and (like a careless proxy) echoes it in its error body.
        let servers = try FakeReputationServers(
            flagged: [Self.attacker.description],
            virusTotal: { request in
                .init(status: 401, body: #"{"error":{"code":"WrongCredentialsError","message":"Wrong API key \#(request.headers["x-apikey"] ?? "")"}}"#)
            },
            isp: "Evil\u{202E}Hosting\u{0007} Ltd")
        // AbuseIPDB's key was entered in Settings (the secrets file); VirusTotal's comes from the
        // environment; OTX has none.
        try fixture.secrets.save(APIKeys(abuseIPDB: FakeReputationServers.abuseKey))
        let (shell, harness) = makeShell(environment: servers.environment(keys: [.virusTotal]))
        let screen = try XCTUnwrap(shell.screen(IntelScreen.self))
        shell.selectedTab = .intel
        harness.frame()
        XCTAssertTrue(runFrames(harness) { !screen.model.isConfiguring })
        harness.frame()
        XCTAssertEqual(harness.value(of: .cell("abuseipdb", "Key")), "configured (Settings)")
        XCTAssertEqual(harness.value(of: .cell("virustotal", "Key")), "configured (VIRUSTOTAL_API_KEY)")
        XCTAssertEqual(harness.value(of: .cell("otx", "Key")), "missing")
        XCTAssertEqual(harness.value(of: .cell("virustotal", "Quota")), "500 of 500 left today, 4 of 4 this minute")

        harness.replaceText(in: "Intel/Look up address", with: Self.attacker.description)
        harness.click("Intel/Look up")
        let key = Self.attacker.description
        XCTAssertTrue(runFrames(harness) { harness.value(of: .cell(key, "abuseipdb state")) == "flagged" },
                      "AbuseIPDB's answer arrives: \(String(describing: harness.value(of: .cell(key, "abuseipdb state"))))")
        XCTAssertEqual(harness.value(of: .cell(key, "virustotal state")), "no answer: unauthorized")
        let message = try XCTUnwrap(harness.value(of: .cell(key, "virustotal message")))
        XCTAssertTrue(message.contains("refused the API key"), message)
        XCTAssertTrue(message.contains("[redacted]"), "the echoed key is scrubbed: \(message)")
        XCTAssertTrue(harness.value(of: .cell(key, "otx state"))?.hasPrefix("no answer: no API key") == true)
        XCTAssertEqual(harness.value(of: .cell(key, "Consensus detail")), "1/3 (1 answered) — 1 of 3 providers flag it; 1 of 3 answered")
        XCTAssertEqual(harness.value(of: .cell(key, IntelColumns.consensusTitle)), "1/3 (1 answered)", "the list row, never a clean 1/3")
        XCTAssertEqual(harness.value(of: .cell("abuseipdb", "Quota")), "999 of 1,000 left today")
        XCTAssertEqual(harness.value(of: .cell("virustotal", "Quota")), "499 of 500 left today, 3 of 4 this minute")
        XCTAssertTrue(harness.drawnTexts.contains { $0.contains("EvilHosting Ltd") }, "the ISP is shown sanitised")

        // The list filters on what its cells show (here the provider's name).
        harness.replaceText(in: "Intel/Filter addresses", with: "evilhosting")
        harness.frame()
        XCTAssertEqual(screen.table.rows.map(\.address), [Self.attacker])
        harness.replaceText(in: "Intel/Filter addresses", with: "no such provider")
        harness.frame()
        XCTAssertTrue(screen.table.rows.isEmpty)
        harness.press(.character("a"), modifiers: .control)
        harness.press(.backspace)
        harness.frame()
        XCTAssertEqual(screen.rowFilter, "")

        // No key anywhere: the Intel tab, then the Settings tab (masked fields).
        func assertNoSecrets(_ texts: [String], _ place: String) {
            for secret in FakeReputationServers.allKeys {
                XCTAssertFalse(texts.contains { $0.contains(secret) }, "\(place) shows an API key")
            }
            XCTAssertFalse(texts.contains { $0.unicodeScalars.contains("\u{202E}") }, "\(place) shows a bidi override")
        }
        assertNoSecrets(harness.everyRecordedText, "the Intel tab")
        shell.selectedTab = .settings
        harness.frames(2)
        assertNoSecrets(harness.everyRecordedText, "the Settings tab")

        // Nor in the export of the list, in any format; the row is there, sanitised.
        for format in ExportFormat.allCases {
            let exported = Exporter.string(screen.exportSource().makeTable(), format: format, kind: "addresses")
            XCTAssertTrue(exported.contains(key), "\(format) export lists the address")
            XCTAssertTrue(exported.contains("1/3 (1 answered)"), "\(format) export has the consensus as shown")
            XCTAssertTrue(exported.contains("EvilHosting Ltd"), "\(format) export has the provider's ISP, sanitised")
            assertNoSecrets([exported], "the \(format) export")
        }
    }

    /// Refresh asks every provider again past the cache; looking up an answered address again
    /// does not.
    func testRefreshAsksTheProvidersAgainAndALookupOfACachedAddressDoesNot() throws {
        let servers = try FakeReputationServers(flagged: [])
        let (shell, harness) = makeShell(environment: servers.environment())
        let screen = try XCTUnwrap(shell.screen(IntelScreen.self))
        shell.selectedTab = .intel
        harness.frame()
        let key = Self.cleanServer.description
        lookUp(key, in: harness)
        XCTAssertTrue(runFrames(harness) { harness.value(of: .cell(key, IntelColumns.consensusTitle)) == "0/3" })
        XCTAssertEqual(servers.requests(about: key), [1, 1, 1])

        // A second window (another shell on the same store) finds the answers in the cache.
        let (other, otherHarness) = makeShell(environment: servers.environment())
        other.selectedTab = .intel
        otherHarness.frame()
        lookUp(key, in: otherHarness)
        XCTAssertTrue(runFrames(otherHarness) { otherHarness.value(of: .cell(key, "abuseipdb state")) == "not flagged" })
        XCTAssertEqual(servers.requests(about: key), [1, 1, 1], "the cache answered")
        XCTAssertTrue(otherHarness.drawnTexts.contains { $0.hasPrefix("cached, ") }, "the detail says the answer is cached")

        XCTAssertEqual(screen.table.selectedKey, Self.cleanServer)
        harness.click("Intel/Details/Refresh##\(key)")
        XCTAssertTrue(runFrames(harness) { servers.requests(about: key) == [2, 2, 2] && !screen.model.isPending(Self.cleanServer) },
                      "Refresh asked again: \(servers.requests(about: key))")
    }

    /// Refresh pressed while the selected address is still being looked up: the providers are
    /// asked again once the lookup in flight ends, and the address stays "looking up" until that
    /// second answer arrives.
    func testRefreshWhileTheAddressIsMidLookupAsksAgain() throws {
        let servers = try FakeReputationServers(flagged: [], delay: 0.5)
        let (shell, harness) = makeShell(environment: servers.environment())
        let screen = try XCTUnwrap(shell.screen(IntelScreen.self))
        shell.selectedTab = .intel
        harness.frame()
        let key = Self.cleanServer.description
        lookUp(key, in: harness)
        XCTAssertTrue(runFrames(harness) { servers.requests(about: key) == [1, 1, 1] }, "the first lookup is in flight")
        XCTAssertNil(screen.model.records[Self.cleanServer], "and has not answered")
        harness.click("Intel/Details/Refresh##\(key)")
        XCTAssertTrue(runFrames(harness) { screen.model.records[Self.cleanServer] != nil }, "the first answer arrives")
        XCTAssertTrue(screen.model.isPending(Self.cleanServer), "the refresh is still to come")
        XCTAssertTrue(runFrames(harness) { !screen.model.isPending(Self.cleanServer) })
        XCTAssertEqual(servers.requests(about: key), [2, 2, 2], "the refresh asked every provider again, past the cache")
    }

    /// Without the offline location database the window still works: the Intel tab says what
    /// is missing and how to install it, Country and AS are empty, verdicts still arrive.
    func testAMissingLocationDatabaseIsANoticeInTheIntelTab() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        var environment = servers.environment()
        let missing = directory.appendingPathComponent("missing/location.db").path
        environment["NETSCOUTER_LOCATION_DB"] = missing
        let (shell, harness) = makeShell(environment: environment)
        XCTAssertNil(shell.intel.enricher.location)
        let path = try writeIntelFixture(in: directory, conversations: [(Self.attacker, Self.lan, 22)])
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)
        XCTAssertTrue(runFrames(harness, upTo: 3000) { harness.value(of: .cell(Self.attacker.description, IntelColumns.consensusTitle)) == "3/3" })
        let flow = try XCTUnwrap(shell.dashboard.flowTable.rows.first)
        XCTAssertEqual(shell.dashboard.flowTable.columns.first { $0.title == IntelColumns.countryTitle }?.text(flow), "—")
        shell.selectedTab = .intel
        harness.frames(2)
        XCTAssertTrue(harness.drawnTexts.contains { $0.contains("No location database at \(missing)") && $0.contains("libloc-database") },
                      "the notice is shown: \(harness.drawnTexts.filter { $0.contains("location") })")
    }

    /// Scrolls the Settings form until `field` is in view.
    private func revealSettingsField(_ harness: UIHarness, _ field: String) throws {
        for _ in 0..<60 {
            harness.frame()
            let form = try XCTUnwrap(harness.item("Settings/Settings/form"))
            if let item = harness.item(field), form.rect.contains(item.rect.center) { return }
            harness.scroll(at: form.rect.center, lines: -2)
        }
        XCTFail("\(field) never came into view")
    }

    /// Flag thresholds and rate limits typed into Settings apply after Apply Settings: AbuseIPDB's
    /// score 92 no longer flags at a threshold of 95, and the quota line shows the new limits.
    func testFlagThresholdsAndRateLimitsFromSettingsApply() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        let (shell, harness) = makeShell(environment: servers.environment())
        XCTAssertTrue(runFrames(harness) { !shell.intel.isConfiguring })
        shell.selectedTab = .settings
        harness.frame()
        for (field, value) in [("abuseIPDBFlagScore", "95"), ("virusTotalPerMinute", "2"), ("virusTotalPerDay", "40"), ("otxPerDay", "0")] {
            try revealSettingsField(harness, field)
            harness.replaceText(in: field, with: value)
        }
        harness.frame()
        harness.click("Settings/Apply Settings")
        XCTAssertTrue(runFrames(harness) { shell.settingsScreen?.model.applied.abuseIPDBFlagScore == 95 && !shell.intel.isConfiguring })

        shell.selectedTab = .intel
        harness.frame()
        XCTAssertEqual(harness.value(of: .cell("virustotal", "Quota")), "40 of 40 left today, 2 of 2 this minute")
        XCTAssertEqual(harness.value(of: .cell("otx", "Quota")), "no daily limit, 10 of 10 this minute")
        lookUp(Self.attacker.description, in: harness)
        let key = Self.attacker.description
        // 2/3 shows as soon as VirusTotal and OTX answered: wait for AbuseIPDB's answer too.
        XCTAssertTrue(runFrames(harness) {
            harness.value(of: .cell(key, IntelColumns.consensusTitle)) == "2/3" && harness.value(of: .cell(key, "abuseipdb state")) != "looking up…"
        },
                      "AbuseIPDB's 92 is under 95: \(String(describing: harness.value(of: .cell(key, IntelColumns.consensusTitle))))")
        XCTAssertEqual(harness.value(of: .cell(key, "abuseipdb state")), "not flagged")
        XCTAssertEqual(harness.value(of: .cell(key, "virustotal state")), "flagged")
        XCTAssertEqual(harness.value(of: .cell("virustotal", "Quota")), "39 of 40 left today, 1 of 2 this minute")
    }

    /// The `.mmdb` chosen in Settings is opened on Apply Settings: a file that is not one is a
    /// notice in the Intel tab (libloc still answers); clearing the choice removes the notice.
    func testTheMaxMindDatabaseChosenInSettingsIsOpenedOnApply() throws {
        let (shell, harness) = makeShell(environment: [:])
        XCTAssertTrue(runFrames(harness) { !shell.intel.isConfiguring })
        let before = shell.intel.locationNotices
        let bogus = directory.appendingPathComponent("GeoLite2-ASN.mmdb").path
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: bogus))

        func apply(_ path: String) {
            shell.selectedTab = .settings
            harness.frame()
            XCTAssertNoThrow(try revealSettingsField(harness, "mmdbPath"))
            harness.replaceText(in: "mmdbPath", with: path)
            if path.isEmpty { harness.press(.backspace) }
            harness.frame()
            harness.click("Settings/Apply Settings")
            XCTAssertTrue(runFrames(harness) { shell.settingsScreen?.model.applied.mmdbPath == path && !shell.intel.isConfiguring })
            shell.selectedTab = .intel
            harness.frames(2)
        }
        apply(bogus)
        XCTAssertTrue(shell.intel.locationNotices.first?.hasPrefix("Cannot use the MaxMind database \(bogus)") == true, "\(shell.intel.locationNotices)")
        XCTAssertTrue(harness.drawnTexts.contains { $0.hasPrefix("Cannot use the MaxMind database \(bogus)") }, "the notice is shown")
        if before.isEmpty {
            XCTAssertNotNil(shell.intel.enricher.location, "libloc still answers")
            XCTAssertEqual(shell.intel.enricher.locationInfo(IPAddress(8, 8, 8, 8))?.asn, 15169)
        }
        apply("")
        XCTAssertEqual(shell.intel.locationNotices, before, "back to libloc alone")
        XCTAssertFalse(harness.drawnTexts.contains { $0.hasPrefix("Cannot use the MaxMind database") })

        // Broken again, then mended in place: Apply with the same path opens it this time.
        apply(bogus)
        XCTAssertTrue(shell.intel.locationNotices.first?.hasPrefix("Cannot use the MaxMind database \(bogus)") == true)
        try Data(MMDBWriter.database([(0x0808_0800, 24, .map([("country", .map([("iso_code", .string("ZZ"))]))]))]))
            .write(to: URL(fileURLWithPath: bogus))
        // The path is unchanged: any other change applied opens it again.
        shell.selectedTab = .settings
        harness.frame()
        XCTAssertNoThrow(try revealSettingsField(harness, "flowHistoryRetentionDays"))
        harness.replaceText(in: "flowHistoryRetentionDays", with: "31")
        harness.frame()
        harness.click("Settings/Apply Settings")
        XCTAssertTrue(runFrames(harness) { shell.intel.locationNotices == before && !shell.intel.isConfiguring }, "\(shell.intel.locationNotices)")
        XCTAssertEqual(shell.intel.enricher.locationInfo(IPAddress(8, 8, 8, 8))?.countryCode, "ZZ", "the mended .mmdb answers")
    }

    /// The dashboard's flows and hosts exports carry the Consensus, Country and AS the tables
    /// show, after the command line's fields, in CSV, JSON and NDJSON.
    func testTheFlowsAndHostsExportsCarryTheConsensusCountryAndASShown() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        let (shell, harness) = makeShell(environment: servers.environment())
        let path = try writeIntelFixture(in: directory, conversations: [(Self.attacker, Self.lan, 22), (Self.cleanServer, Self.lan, 443)])
        shell.dashboard.openFile(path)
        runUntilCaptureFinished(shell, harness)
        let attackerCell = ItemRole.cell(Self.attacker.description, IntelColumns.consensusTitle)
        XCTAssertTrue(runFrames(harness, upTo: 3000) {
            harness.value(of: attackerCell) == "3/3" && harness.value(of: .cell(Self.cleanServer.description, IntelColumns.consensusTitle)) == "0/3"
        })
        let dashboard = shell.dashboard
        func shown(_ title: String, _ flow: FlowStats) throws -> String {
            try XCTUnwrap(dashboard.flowTable.columns.first { $0.title == title }).text(flow)
        }
        let attackerFlow = try XCTUnwrap(dashboard.flowTable.rows.first { $0.initiator == Self.attacker })
        let country = try shown(IntelColumns.countryTitle, attackerFlow), autonomousSystem = try shown(IntelColumns.asTitle, attackerFlow)
        if dashboard.intel?.enricher.location != nil {
            XCTAssertNotEqual(country, "—", "libloc knows \(Self.attacker)")
            XCTAssertTrue(autonomousSystem.hasPrefix("AS"), autonomousSystem)
        }

        // CSV of the flows: the CLI's columns, then the three the window adds.
        let csvPath = directory.appendingPathComponent("flows.csv").path
        harness.replaceText(in: "Dashboard/Export flows/Path", with: csvPath)
        harness.click("Dashboard/Export flows/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("to \(csvPath)") != nil })
        let csv = try pythonCSVRecords(csvPath)
        XCTAssertEqual(csv.first, TrafficExports.flowColumns.map(\.title) + ["Consensus", "Country", "AS"])
        let attackerRecord = try XCTUnwrap(csv.first { $0[1] == Self.attacker.description })
        XCTAssertEqual(Array(attackerRecord.suffix(3)), ["3/3", country, autonomousSystem])
        let cleanRecord = try XCTUnwrap(csv.first { $0[1] == Self.cleanServer.description })
        XCTAssertEqual(cleanRecord[cleanRecord.count - 3], "0/3")

        // NDJSON of the flows.
        harness.click("Dashboard/Export flows/Format")
        harness.click("Dashboard/Export flows/Format/NDJSON")
        let ndjsonPath = directory.appendingPathComponent("flows.ndjson").path
        harness.replaceText(in: "Dashboard/Export flows/Path", with: ndjsonPath)
        harness.click("Dashboard/Export flows/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("to \(ndjsonPath)") != nil })
        let lines = try String(contentsOfFile: ndjsonPath, encoding: .utf8).split(separator: "\n")
        let flowRecords = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let attackerJSON = try XCTUnwrap(flowRecords.first { $0["initiator"] as? String == Self.attacker.description })
        XCTAssertEqual(attackerJSON["consensus"] as? String, "3/3")
        XCTAssertEqual(attackerJSON["country"] as? String, country)
        XCTAssertEqual(attackerJSON["as"] as? String, autonomousSystem)
        XCTAssertEqual(attackerJSON["responder_port"] as? Int, 22, "the shared fields are still there")

        // JSON of the hosts.
        dashboard.tableTab = 1
        harness.frames(2)
        harness.click("Dashboard/Export hosts/Format")
        harness.click("Dashboard/Export hosts/Format/JSON")
        let jsonPath = directory.appendingPathComponent("hosts.json").path
        harness.replaceText(in: "Dashboard/Export hosts/Path", with: jsonPath)
        harness.click("Dashboard/Export hosts/Export")
        XCTAssertTrue(runFrames(harness) { harness.toastContaining("to \(jsonPath)") != nil })
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as? [String: Any])
        let hosts = try XCTUnwrap(document["records"] as? [[String: Any]])
        let attackerHost = try XCTUnwrap(hosts.first { $0["address"] as? String == Self.attacker.description })
        XCTAssertEqual(attackerHost["consensus"] as? String, "3/3")
        XCTAssertEqual(attackerHost["country"] as? String, country)
        XCTAssertEqual(attackerHost["as"] as? String, autonomousSystem)
        let lanHost = try XCTUnwrap(hosts.first { $0["address"] as? String == Self.lan.description })
        XCTAssertEqual(lanHost["country"] as? String, "local")
        XCTAssertEqual((document["columns"] as? [Any])?.count, TrafficExports.hostColumns.count + 3)
    }

    /// A key typed (masked) into Settings and applied is used by the next lookup, the Intel tab
    /// says where it comes from, and the key is drawn nowhere on the way.
    func testAKeyEnteredInSettingsIsUsedAfterApplySettings() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        let (shell, harness) = makeShell(environment: servers.environment(keys: []))
        let intel = shell.intel
        XCTAssertTrue(runFrames(harness) { !intel.isConfiguring })
        XCTAssertEqual(intel.keyStatus[.virusTotal], .missing)
        var keyDrawn = false
        func look() { keyDrawn = keyDrawn || harness.everyRecordedText.contains { $0.contains(FakeReputationServers.virusTotalKey) } }

        shell.selectedTab = .settings
        harness.frame()
        harness.click("VirusTotal key")
        harness.type(FakeReputationServers.virusTotalKey)
        harness.frame()
        look()
        harness.click("Settings/Apply Settings")
        XCTAssertTrue(runFrames(harness) { look(); return intel.keyStatus[.virusTotal] == .settings }, "the Intel side takes the new key")

        shell.selectedTab = .intel
        harness.frame()
        XCTAssertEqual(harness.value(of: .cell("virustotal", "Key")), "configured (Settings)")
        lookUp(Self.attacker.description, in: harness)
        XCTAssertTrue(runFrames(harness) { look(); return harness.value(of: .cell(Self.attacker.description, "virustotal state")) == "flagged" })
        XCTAssertEqual(servers.virusTotal.requests.last?.headers["x-apikey"], FakeReputationServers.virusTotalKey, "sent in the header")
        XCTAssertEqual(servers.requests(about: Self.attacker.description), [0, 1, 0], "only the provider with a key was asked")
        XCTAssertFalse(keyDrawn, "the key never appears in the draw list or the harness records")
    }

    /// Base URLs typed into Settings (no NETSCOUTER_*_URL in the environment) take effect on
    /// Apply Settings: the next lookup goes to them.
    func testBaseURLsEnteredInSettingsAreUsedAfterApplySettings() throws {
        let servers = try FakeReputationServers(flagged: [Self.attacker.description])
        var environment = servers.environment()
        for variable in ["NETSCOUTER_ABUSEIPDB_URL", "NETSCOUTER_VIRUSTOTAL_URL", "NETSCOUTER_OTX_URL"] { environment[variable] = nil }
        let (shell, harness) = makeShell(environment: environment)
        XCTAssertTrue(runFrames(harness) { !shell.intel.isConfiguring })
        shell.selectedTab = .settings
        harness.frame()
        harness.replaceText(in: "abuseIPDBBaseURL", with: servers.abuseIPDB.baseURL)
        harness.replaceText(in: "virusTotalBaseURL", with: servers.virusTotal.baseURL)
        harness.replaceText(in: "otxBaseURL", with: servers.otx.baseURL)
        harness.frame()
        harness.click("Settings/Apply Settings")
        XCTAssertTrue(runFrames(harness) { shell.settingsScreen?.model.applied.otxBaseURL == servers.otx.baseURL && !shell.intel.isConfiguring })

        shell.selectedTab = .intel
        harness.frame()
        lookUp(Self.attacker.description, in: harness)
        XCTAssertTrue(runFrames(harness) { harness.value(of: .cell(Self.attacker.description, IntelColumns.consensusTitle)) == "3/3" },
                      "answers from the servers Settings named: \(String(describing: harness.value(of: .cell(Self.attacker.description, IntelColumns.consensusTitle))))")
        XCTAssertEqual(servers.requests(about: Self.attacker.description), [1, 1, 1])
    }

    func testTheLookupBoxRefusesWhatIsNotAnAddress() throws {
        let (shell, harness) = makeShell(environment: [:])
        shell.selectedTab = .intel
        harness.frame()
        lookUp("8.8.8.8; rm -rf /", in: harness)
        harness.frame()
        XCTAssertTrue(harness.drawnTexts.contains { $0.contains("is not an IPv4 or IPv6 address") })
        XCTAssertTrue(try XCTUnwrap(shell.screen(IntelScreen.self)).model.manualAddresses.isEmpty)
    }
}
