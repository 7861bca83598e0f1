import Firewall
import Foundation
import Store
import UI

/// The Firewall tab (the view of `FirewallModel`): active bans with time left, hits and reason,
/// Unblock; the allowlist with Add and Remove; the audit log.
public final class FirewallScreen: TabScreen {
    public static let title = "Firewall"
    public let model: FirewallModel
    var allowText = ""
    var allowNote = ""
    private var lastRefresh = Date.distantPast
    private let timeFormatter: DateFormatter

    public let banTable: DataTable<FirewallService.BanStatus, String>
    public let allowTable = DataTable<AllowlistEntry, String>("Allowlist", columns: [
        DataColumn("Entry", width: 220, text: \.entry, sortBy: \.entry),
        DataColumn("Note", width: 320, text: \.note, sortBy: \.note),
    ], key: \.entry, sort: DataSort(column: "Entry", ascending: true))
    public let auditTable: DataTable<AuditEvent, Int64>

    public init(model: FirewallModel) {
        self.model = model
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        timeFormatter = formatter
        banTable = DataTable("Bans", columns: [
            DataColumn("Target", width: 220, text: \.target, sortBy: \.target),
            DataColumn("Time left", width: 100, alignment: .right,
                       text: { [model] ban in model.secondsLeft(ban).map { BanDuration.text($0) } ?? "permanent" },
                       sortBy: { [model] ban in model.secondsLeft(ban) ?? Int.max }),
            DataColumn("Hits", width: 80, alignment: .right, text: { $0.packets.map(String.init) ?? "—" }, sortBy: { $0.packets ?? 0 }),
            DataColumn("Source", width: 90, text: { $0.record.source.rawValue }, sortBy: { $0.record.source.rawValue }),
            DataColumn("Reason", width: 320, text: { $0.record.reason + ($0.inFirewall ? "" : "  [not in the firewall]") }, sortBy: { $0.record.reason }),
        ], key: \.target, sort: DataSort(column: "Target", ascending: true))
        auditTable = DataTable("Audit log", columns: [
            DataColumn("When", width: 160, text: { formatter.string(from: $0.at) }, sortBy: \.at),
            DataColumn("Who", width: 150, text: \.actor, sortBy: \.actor),
            DataColumn("Action", width: 110, text: \.action, sortBy: \.action),
            DataColumn("Subject", width: 200, text: \.subject, sortBy: \.subject),
            DataColumn("Detail", width: 420, text: \.detail, sortBy: \.detail),
        ], key: { $0.id ?? 0 }, sort: DataSort(column: "When", ascending: false))
    }

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        guard let services = environment.services else {
            return UnavailableScreen(title: title, reason: "The firewall needs the NetScouter database, which could not be opened.",
                                     lines: ["Active bans with time left and hits, the allowlist and the audit log."])
        }
        // Without a firewall for this session (tests, screenshots) the tab still shows this
        // machine's bans; the Block actions stay off.
        let configured = ConfiguredFirewall(database: services.database)
        let model = FirewallModel(firewall: services.firewall ?? { try configured.service() },
                                  inbox: environment.inbox, toasts: environment.toasts)
        return FirewallScreen(model: model)
    }

    public var hasPendingWork: Bool { model.hasPendingWork }
    public var statusText: String? { model.snapshot.status.isEmpty ? nil : model.snapshot.status }

    public func build(_ ui: UIContext, in area: Rect) {
        // Every 5 s while the tab shows: time left, hits and expiries stay current.
        if Date().timeIntervalSince(lastRefresh) >= 5 {
            lastRefresh = Date()
            model.refresh()
        }
        ui.withID("Firewall") {
            let snapshot = model.snapshot
            let generation = Int(snapshot.readAt.timeIntervalSince1970 * 1000) & Int(Int32.max)
            banTable.update(generation: generation, filter: "", now: 0, streaming: false, source: { snapshot.bans })
            allowTable.update(generation: generation, filter: "", now: 0, streaming: false, source: { snapshot.allowlist })
            auditTable.update(generation: generation, filter: "", now: 0, streaming: false, source: { snapshot.audit })
            let parts = ui.rows(area, [.fixed(64), .flex(2), .fixed(200), .flex(2)])
            ui.panel(nil, rect: parts[0]) {
                ui.row([.flex(1), .fixed(160)], height: .fixed(24))
                ui.label("Active bans (\(snapshot.bans.count))", role: .heading)
                if ui.button("Unblock selected", enabled: banTable.selectedRow != nil).contains(.pressed), let ban = banTable.selectedRow {
                    model.unblock(ban.target)
                }
                ui.row([.fill], height: .fixed(20))
                if let problem = model.problem {
                    ui.label("⚠ " + problem, color: ui.theme.danger, role: .small)
                } else {
                    ui.label(model.hasLoaded ? snapshot.status : "Reading the bans…", color: ui.theme.mutedText, role: .small)
                }
            }
            banTable.build(ui, in: parts[1])
            ui.panel(nil, rect: parts[2]) {
                ui.row([.fixed(80), .fixed(220), .fixed(50), .flex(1), .fixed(80), .fixed(150)], height: .fixed(28))
                ui.label("Allowlist", role: .heading)
                let submitted = ui.textField("Allow address", text: &allowText, placeholder: "192.0.2.10 or 192.0.2.0/24").contains(.submitted)
                ui.label("Note", color: ui.theme.mutedText)
                ui.textField("Allow note", text: &allowNote, placeholder: "why it must never be blocked")
                if (ui.button("Add", enabled: !allowText.isEmpty).contains(.pressed) || submitted) && !allowText.isEmpty {
                    model.allow(allowText, note: allowNote)
                    allowText = ""
                    allowNote = ""
                }
                if ui.button("Remove selected", enabled: allowTable.selectedRow != nil).contains(.pressed), let entry = allowTable.selectedRow {
                    model.disallow(entry.entry)
                }
                ui.row([.fill], height: .fixed(140))
                allowTable.build(ui, in: ui.nextRect())
            }
            auditTable.build(ui, in: parts[3])
        }
    }
}
