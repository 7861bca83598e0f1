import Export
import Foundation
import Intel
import Packets
import Store
import Traffic
import UI

/// A row of the Intel tab: an internet address the capture saw (or one typed into the lookup
/// box), with its traffic for sorting.
public struct IntelRow: Sendable {
    public let address: IPAddress
    public let packets: UInt64
    public let bytes: UInt64
    /// Ports it answered on in the capture (risk rules match these).
    public let ports: [Int]
    public let inCapture: Bool
}

/// The Intel tab (the view of `IntelModel`): every internet address seen, with the providers'
/// consensus, country, AS and risk-rule hits; the selected address's per-provider answers with
/// their reasons, errors and cache age; Refresh (ask again past the cache); a lookup box for any
/// address; each provider's key status (configured or missing, never the key) and remaining
/// quota. Lookups run on the model's worker thread, the selected address first.
public final class IntelScreen: TabScreen {
    public static let title = "Intel"
    public let model: IntelModel
    let capture: CaptureController
    public let table: DataTable<IntelRow, IPAddress>
    public let exportBar: ExportBar
    /// The lookup box's text and why it was refused.
    public var lookupText = ""
    /// Shows only rows with this text in a cell (address, country, AS, provider, risk).
    public var rowFilter = ""
    public private(set) var lookupError: String?

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        let screen = IntelScreen(model: environment.intel, capture: environment.capture, inbox: environment.inbox, toasts: environment.toasts)
        screen.blockRequests = environment.blockRequests
        return screen
    }

    /// "Block" (and `B`) on the selected address: the shell's confirm-block dialog.
    public var blockRequests: BlockRequests?

    public init(model: IntelModel, capture: CaptureController, inbox: UIInbox, toasts: ToastCenter, exportDirectory: String = "") {
        self.model = model
        self.capture = capture
        // Flagged addresses first.
        table = DataTable("Addresses", columns: Self.columns(model), key: \.address,
                          sort: DataSort(column: IntelColumns.consensusTitle, ascending: false))
        exportBar = ExportBar(table: "addresses", singular: "address", directory: ExportBar.resolveDirectory(exportDirectory), inbox: inbox, toasts: toasts)
    }

    static func columns(_ model: IntelModel) -> [DataColumn<IntelRow>] {
        columns(model, risk: { [weak model] row in
            model?.riskHits(row.address, ports: row.ports).map(\.rule).joined(separator: ", ") ?? ""
        }, checked: { [weak model] row in
            model.map { checkedText(isPending: $0.isPending(row.address), record: $0.records[row.address], consensus: $0.consensus(row.address), row.address) } ?? ""
        }, provider: { [weak model] row in
            model.flatMap { providerName($0.records[row.address]) } ?? "—"
        })
    }

    /// The same columns reading a copy of the model's facts: for the export worker.
    static func columns(_ model: IntelModel, facts: IntelFacts) -> [DataColumn<IntelRow>] {
        columns(model, risk: { row in
            facts.riskHits(row.address, ports: row.ports).map(\.rule).joined(separator: ", ")
        }, checked: { row in
            checkedText(isPending: facts.isPending(row.address), record: facts.records[row.address], consensus: facts.consensus(row.address), row.address)
        }, provider: { row in
            providerName(facts.records[row.address]) ?? "—"
        })
    }

    private static func columns(_ model: IntelModel, risk: @escaping (IntelRow) -> String, checked: @escaping (IntelRow) -> String,
                                provider: @escaping (IntelRow) -> String) -> [DataColumn<IntelRow>] {
        let address: (IntelRow) -> IPAddress? = { $0.address }
        return [
            DataColumn("Address", width: 150, text: { $0.address.description }, sortBy: { $0.address }),
            IntelColumns.consensus(model, address: address),
            IntelColumns.country(model.enricher, address: address),
            IntelColumns.asNumber(model.enricher, address: address),
            IntelColumns.asName(model.enricher, address: address),
            DataColumn("Risk", width: 120, text: risk, sortKey: risk,
                       color: { row, theme in risk(row).isEmpty ? nil : theme.warning }),
            DataColumn("Checked", width: 110, text: checked, sortKey: checked, color: { _, theme in theme.mutedText }),
            DataColumn("Provider", width: 150, text: provider, sortKey: provider),
            DataColumn("Packets", width: 70, alignment: .right, text: { $0.inCapture ? "\($0.packets)" : "—" }, sortBy: { $0.packets }),
        ]
    }

    /// Who runs the address, as the providers name it (ISP, AS owner), already sanitised.
    static func providerName(_ record: IntelRecord?) -> String? {
        guard let answers = record?.reputation.answers else { return nil }
        for provider in ReputationProvider.allCases {
            guard let fields = answers[provider]?.verdict?.fields else { continue }
            for key in ["isp", "as_owner"] { if let name = fields[key], !name.isEmpty { return name } }
        }
        return nil
    }

    /// "looking up…", "just now", "cached, 3 h ago", "not looked up".
    static func checkedText(isPending: Bool, record: IntelRecord?, consensus: Consensus?, _ address: IPAddress) -> String {
        if isPending { return "looking up…" }
        guard let record else {
            return consensus != nil ? "cached" : AddressScope.of(address).isGlobal ? "not looked up" : "never sent"
        }
        let answers = record.reputation.answers.values
        let times = answers.compactMap { answer -> (Date, Bool)? in
            if case let .answered(_, fetchedAt, fromCache) = answer { return (fetchedAt, fromCache) }
            return nil
        }
        guard let oldest = times.min(by: { $0.0 < $1.0 }) else { return "no answer" }
        let age = ProviderTime.age(oldest.0, now: Date())
        return times.contains(where: \.1) ? "cached, \(age)" : age
    }

    // MARK: Screen

    public var hasPendingWork: Bool { model.isConfiguring || exportBar.isExporting }
    public var shortcutHints: [String] {
        ["Enter look up", "Ctrl+R refresh selected"] + (blockRequests?.isAvailable == true ? [BlockRequests.hint] : [])
    }

    public func apply(_ settings: AppSettings) {
        exportBar.directory = ExportBar.resolveDirectory(settings.exportDirectory)
    }

    public func handleShortcuts(_ ui: UIContext) {
        if !ui.isEditingText, ui.input.pressed(.character("r"), modifiers: .control), let address = table.selectedKey { model.refresh(address) }
    }

    public var statusText: String? {
        let pending = model.pendingCount
        let keyed = ReputationProvider.allCases.filter { model.keyStatus[$0]?.isConfigured == true }.count
        var parts = ["\(keyed) of \(ReputationProvider.allCases.count) providers have a key"]
        if pending > 0 { parts.append("\(groupedNumber(pending)) address\(pending == 1 ? "" : "es") waiting for a lookup") }
        return "Intel: " + parts.joined(separator: "; ")
    }

    /// The rows: the capture's internet addresses, then those typed into the lookup box.
    public func refreshRows(now: Double) {
        let traffic = capture.traffic
        let manual = model.manualAddresses
        // New answers change the verdict columns a sort may use.
        let generation = capture.generation &* 1_000_003 &+ model.resultCount &* 131 &+ manual.count
        table.update(generation: generation, filter: rowFilter, now: now, streaming: capture.isCapturing, source: {
            var rows: [IntelRow] = []
            var seen = Set<IPAddress>()
            traffic.hosts.forEach { host in
                guard AddressScope.of(host.address).isGlobal else { return }
                seen.insert(host.address)
                rows.append(IntelRow(address: host.address, packets: host.totalPackets, bytes: host.totalBytes,
                                     ports: host.ports.map(Int.init), inCapture: true))
            }
            for address in manual where !seen.contains(address) {
                rows.append(IntelRow(address: address, packets: 0, bytes: 0, ports: [], inCapture: false))
            }
            return rows
        })
    }

    /// Looks up what the box holds and selects it.
    public func submitLookup() {
        lookupError = model.lookUp(text: lookupText)
        if lookupError == nil, let address = IPAddress(lookupText.trimmingCharacters(in: .whitespaces)) {
            table.selectedKey = address
            table.invalidate()
        }
    }

    /// The rows as shown, with the values shown, for the export bar. The UI thread only takes
    /// the rows and a copy of the model's facts (no per-row work); the values are read on the
    /// export worker, like every other table's.
    public func exportSource() -> ExportSource {
        let rows = table.rows
        let columns = IntelExportColumns(columns: Self.columns(model, facts: model.facts()).filter(\.isExported))
        return ExportSource(count: rows.count) {
            ExportTable(columns: columns.columns.map(\.exportColumn), rows: rows) { row in columns.columns.map { $0.export(row) } }
        }
    }

    // MARK: Frame

    public func build(_ ui: UIContext, in area: Rect) {
        model.noteSeen(capture.traffic, now: ui.input.time)
        model.refreshQuota(now: ui.input.time)
        refreshRows(now: ui.input.time)
        if let selected = table.selectedKey { model.lookUpVisible(selected) }
        ui.withID("Intel") {
            let notices = model.locationNotices + (model.configurationError.map { [$0] } ?? [])
            let lines = Float(ReputationProvider.allCases.count + notices.count)
            let providerHeight = lines * 20 + (lines - 1) * ui.theme.spacing + 2 * ui.theme.padding
            let parts = ui.rows(area, [.fixed(ui.theme.rowHeight), .fixed(providerHeight), .flex(1)])
            toolbar(ui, in: parts[0])
            providers(ui, notices: notices, in: parts[1])
            let halves = ui.columns(parts[2], [.flex(1), .fixed(430)])
            ui.panel(nil, rect: halves[0]) {
                ui.row([.fixed(170), .flex(1), .fixed(86), .flex(1.3), .fixed(84)])
                let count = table.rows.count
                ui.label("\(groupedNumber(count)) address\(count == 1 ? "" : "es")\(rowFilter.isEmpty ? "" : " shown")", color: ui.theme.mutedText)
                ui.textField("Filter addresses", text: &rowFilter, placeholder: "Filter by address, country, AS, provider, risk…")
                exportBar.build(ui) { exportSource() }
                let tableRect = ui.remainingRect
                let decorate = IntelColumns.decorator(ui, columns: table.columns, intel: model, address: { $0.address })
                let riskColumn = table.columns.firstIndex { $0.title == "Risk" }
                table.build(ui, in: tableRect, cell: { [model, blockRequests] tableRow, row in
                    decorate(tableRow, row)
                    blockRequests?.rowAction(ui, tableRow, address: row.address, place: "Intel tab")
                    let hits = model.riskHits(row.address, ports: row.ports)
                    if let riskColumn, let rect = tableRow.cellRect(riskColumn), !hits.isEmpty, ui.mouseOver(rect) {
                        ui.showTooltip(hits.map { "\($0.rule): \($0.reason)" }.joined(separator: "\n"))
                    }
                })
            }
            detail(ui, in: halves[1])
        }
    }

    func toolbar(_ ui: UIContext, in rect: Rect) {
        ui.group(rect) {
            ui.row([.fixed(320), .fixed(96), .flex(1)])
            let field = ui.textField("Look up address", text: &lookupText, placeholder: "Any IPv4 or IPv6 address, e.g. 8.8.8.8")
            if field.contains(.changed) { lookupError = nil }
            if ui.button("Look up", style: .primary, enabled: !lookupText.isEmpty).contains(.pressed) || field.contains(.submitted) {
                submitLookup()
            }
            if let lookupError {
                ui.label(lookupError, color: ui.theme.danger)
            } else {
                let pending = model.pendingCount
                ui.label(pending > 0 ? "\(groupedNumber(pending)) waiting for a lookup (what you look at goes first)" : "", color: ui.theme.mutedText)
            }
        }
    }

    /// Each provider's key status and remaining quota, then notices (missing location data).
    func providers(_ ui: UIContext, notices: [String], in rect: Rect) {
        ui.panel(nil, rect: rect) {
            for provider in ReputationProvider.allCases {
                let status = model.keyStatus[provider] ?? .missing
                ui.row([.fixed(110), .fixed(330), .flex(1)], height: .fixed(20))
                ui.label(provider.displayName, role: .small)
                let keyText = status.isConfigured ? "key \(status.text)"
                    : "key missing: set \(provider.keyProvider.environmentVariables[0]) or Settings"
                let keyRect = ui.nextRect()
                _ = ui.itemAdd(keyRect, id: 0, label: "key:\(provider.rawValue)", kind: "label", role: .cell(provider.rawValue, "Key"), value: status.text)
                ui.drawText(keyText, in: keyRect,
                            color: status.isConfigured ? ui.theme.success : ui.theme.warning, role: .small)
                if !status.isConfigured, ui.mouseOver(keyRect) {
                    ui.showTooltip("Set \(provider.keyProvider.environmentVariables.joined(separator: " or ")) or enter the key in Settings (Apply Settings); without it \(provider.displayName) gives no answer, which never counts as clean.")
                }
                let quota = model.quotaText(provider)
                let quotaRect = ui.nextRect()
                _ = ui.itemAdd(quotaRect, id: 0, label: "quota:\(provider.rawValue)", kind: "label", role: .cell(provider.rawValue, "Quota"), value: quota)
                ui.drawText(quota, in: quotaRect, color: ui.theme.mutedText, role: .small)
            }
            for notice in notices {
                ui.row([.fill], height: .fixed(20))
                ui.label(notice, color: ui.theme.warning, role: .small)
            }
        }
    }

    func detail(_ ui: UIContext, in rect: Rect) {
        ui.panel("Details", rect: rect) {
            guard let address = table.selectedKey else {
                ui.label("Select an address to see each provider's answer.", color: ui.theme.mutedText)
                return
            }
            ui.row([.flex(1), .fixed(90)])
            ui.label(address.description, role: .heading)
            let refresh = ui.button("Refresh##\(address)", enabled: AddressScope.of(address).isGlobal)
            if refresh.contains(.pressed) { model.refresh(address) }
            if refresh.contains(.hovered) { ui.showTooltip("Ask the providers again, past the cache (spends quota). Ctrl+R does the same.") }
            ui.scrollArea("detail", rect: ui.remainingRect) {
                detailLines(ui, address)
            }
        }
    }

    /// The selected address's facts as (label, text, colour) lines.
    func detailLines(_ ui: UIContext, _ address: IPAddress) {
        let width = ui.remainingRect.width
        func line(_ name: String, _ value: String, color: Color? = nil, key: String? = nil) {
            let lines = ui.wrap(value, width: width - 100 - ui.theme.spacing, role: .small)
            for (index, text) in lines.enumerated() {
                ui.row([.fixed(100), .flex(1)], height: .fixed(18))
                ui.label(index == 0 ? name : "", color: ui.theme.mutedText, role: .small)
                let rect = ui.nextRect()
                if index == 0, let key {
                    _ = ui.itemAdd(rect, id: 0, label: "detail:\(key)", kind: "label", role: .cell(address.description, key), value: value)
                }
                ui.drawText(text, in: rect, color: color ?? ui.theme.text, role: .small)
            }
        }
        let enrichment = model.enricher.enrich(address)
        let record = model.records[address]
        let consensus = record?.reputation.consensus ?? enrichment.consensus
        if case let .local(reason) = AddressScope.of(address) {
            line("Scope", "\(reason): never sent to any provider", color: ui.theme.mutedText)
        }
        line("Consensus", consensus.map { "\(IntelColumns.consensusText($0)) — \($0.explanation)" } ?? (model.isPending(address) ? "looking up…" : "not looked up yet"),
             color: IntelColumns.consensusColor(consensus, intel: model, theme: ui.theme), key: "Consensus detail")
        line("Country", record?.reputation.country ?? enrichment.location?.countryCode ?? enrichment.countryText, key: "Country")
        line("AS", enrichment.asText, key: "AS")
        if let network = enrichment.location?.network { line("Network", network) }
        if let flags = enrichment.location?.flags, !flags.isEmpty { line("Flags", flags.joined(separator: ", "), color: ui.theme.warning) }
        for hit in model.riskHits(address) { line("Risk", "\(hit.rule): \(hit.reason)", color: ui.theme.warning) }
        ui.space(6)
        let now = Date()
        for provider in ReputationProvider.allCases {
            ui.row([.fill], height: .fixed(22))
            ui.label(provider.displayName, role: .body)
            guard let answer = record?.reputation.answers[provider] else {
                let status = model.keyStatus[provider] ?? .missing
                line("State", status.isConfigured ? (model.isPending(address) ? "looking up…" : "not asked yet") : "no answer: no API key",
                     color: ui.theme.mutedText, key: "\(provider.rawValue) state")
                continue
            }
            switch answer {
            case let .answered(verdict, fetchedAt, fromCache):
                line("State", verdict.flagged ? "flagged" : "not flagged", color: verdict.flagged ? ui.theme.danger : ui.theme.success,
                     key: "\(provider.rawValue) state")
                if let score = verdict.score { line("Score", score == score.rounded() ? "\(Int(score))" : String(format: "%.1f", score)) }
                for reason in verdict.reasons { line("Reason", reason) }
                for (field, value) in verdict.fields.sorted(by: { $0.key < $1.key }) where !value.isEmpty { line(field, value, color: ui.theme.mutedText) }
                line("Checked", (fromCache ? "cached, " : "") + ProviderTime.age(fetchedAt, now: now) + " (\(ProviderTime.clock(fetchedAt)))",
                     color: ui.theme.mutedText)
            case .noKey:
                line("State", "no answer: no API key — set \(provider.keyProvider.environmentVariables.joined(separator: " or ")) or enter it in Settings",
                     color: ui.theme.warning, key: "\(provider.rawValue) state")
            case let .notSent(reason):
                line("State", "not sent: \(reason)", color: ui.theme.mutedText, key: "\(provider.rawValue) state")
            case let .failed(failure):
                line("State", "no answer: \(failure.kind.rawValue)", color: ui.theme.warning, key: "\(provider.rawValue) state")
                line("Message", failure.message, color: ui.theme.warning, key: "\(provider.rawValue) message")
                if let retry = failure.retryAt { line("Retry", "after \(ProviderTime.clock(retry))", color: ui.theme.mutedText) }
            }
        }
    }
}

/// The export copy of the Intel tab's columns: their export values read only `IntelFacts` (a
/// copy) and the thread-safe enricher, never the model.
private struct IntelExportColumns: @unchecked Sendable {
    let columns: [DataColumn<IntelRow>]
}
