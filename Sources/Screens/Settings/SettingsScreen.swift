import Foundation
import Store
import UI

/// The Settings tab (the view of `SettingsModel`): everything editable, nothing applied until
/// **Apply Settings**. API keys are masked and never shown. A field's validation problem is
/// shown next to it, and the always-visible button bar names the first one.
public final class SettingsScreen: TabScreen {
    public static let title = "Settings"
    public let model: SettingsModel

    public init(model: SettingsModel) {
        self.model = model
    }

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        guard let services = environment.services else {
            return UnavailableScreen(title: title, reason: "Settings need the NetScouter database, which could not be opened.",
                                     lines: ["API keys (masked), thresholds and toggles, applied with Apply Settings."])
        }
        let backend = StoreSettingsBackend(database: services.database, writer: services.writer, secrets: services.secrets,
                                           environment: services.environment)
        return SettingsScreen(model: SettingsModel(backend: backend, inbox: environment.inbox, toasts: environment.toasts))
    }

    public var hasPendingWork: Bool { model.isSaving }

    // Pass-throughs the shell and tests read.
    public var applied: AppSettings { model.applied }
    public var draft: AppSettings { model.draft }
    public var hasChanges: Bool { model.hasChanges }
    public var isSaving: Bool { model.isSaving }
    public var problems: [String] { model.problems }
    public func numberText(_ key: String) -> String? { model.numberText(key) }

    // MARK: Frame

    public func build(_ ui: UIContext, in area: Rect) {
        ui.withID("Settings") {
            let parts = ui.rows(area, [.flex(1), .fixed(ui.theme.rowHeight + 2 * ui.theme.padding)])
            ui.panel("Settings", rect: parts[0]) {
                ui.scrollArea("form", rect: ui.remainingRect) {
                    form(ui)
                }
            }
            ui.group(parts[1], padding: ui.theme.padding) {
                ui.row([.fixed(150), .fixed(150), .flex(1)])
                let changed = model.hasChanges
                if ui.button("Apply Settings", style: .primary, enabled: changed && !model.isSaving).contains(.pressed) {
                    model.apply()
                }
                if ui.button("Discard changes", enabled: changed && !model.isSaving).contains(.pressed) { model.discard() }
                // The bar is always in view, so a refused Apply says here which field to fix
                // even when that field is scrolled out of sight.
                let status = model.isSaving ? "Saving…" : model.firstFieldError.map { "Not applied — \($0)" }
                    ?? (changed ? "You have unapplied changes." : "All changes applied.")
                ui.label(status, color: model.fieldErrors.isEmpty ? ui.theme.mutedText : ui.theme.danger)
            }
        }
    }

    func form(_ ui: UIContext) {
        if let error = model.formError {
            ui.row([.fill], height: .fixed(Float(ui.fieldErrorLineCount(error, width: ui.remainingRect.width)) * 18 + 4))
            ui.fieldError(error, key: "form")
            ui.space(6)
        }
        section(ui, "Threat-intelligence API keys")
        for provider in APIKeyProvider.allCases {
            ui.row([.fixed(260), .flex(1)])
            ui.label(provider.displayName + " API key", color: ui.theme.mutedText)
            if case let .environment(variable) = model.appliedKeys.source(for: provider) {
                ui.label("Set by the environment variable \(variable) (change it there).", color: ui.theme.mutedText)
            } else {
                var text = model.keyDrafts[provider] ?? ""
                ui.textField(provider.displayName + " key", text: &text, placeholder: "not set — paste your key here", masked: true)
                model.keyDrafts[provider] = text
            }
        }
        ui.row([.fill], height: .fixed(20))
        ui.label(secretsHint, color: ui.theme.mutedText, role: .small)
        for field in SettingsModel.textFields.prefix(3) { textRow(ui, field) }

        section(ui, "Firewall")
        ui.row([.fill])
        ui.toggle("Auto-block by consensus", isOn: &model.draft.autoBlockEnabled)
        for field in SettingsModel.numberFields.prefix(2) { numberRow(ui, field) }
        // What blocked traffic gets; the firewall rules take it at the next block.
        ui.row([.fixed(420), .fixed(170), .fixed(190), .flex(1)])
        ui.label("Blocked traffic is", color: ui.theme.mutedText)
        ui.radio("Dropped silently", value: "drop", selection: &model.draft.firewallAction)
        ui.radio("Rejected (ICMP / TCP reset)", value: "reject", selection: &model.draft.firewallAction)
        _ = ui.nextRect()
        inlineError(ui, "firewallAction")

        section(ui, "Reputation and scanning")
        for field in SettingsModel.numberFields.dropFirst(2).prefix(3) { numberRow(ui, field) }
        textRow(ui, SettingsModel.textFields[5])

        // The free tiers by default; intel.json in the config folder, where it sets them, wins.
        section(ui, "Reputation flag rules and rate limits")
        for field in SettingsModel.numberFields.dropFirst(8) { numberRow(ui, field) }

        section(ui, "Capture and export")
        textRow(ui, SettingsModel.textFields[3])
        ui.row([.fill])
        ui.toggle("Promiscuous mode", isOn: &model.draft.capturePromiscuous)
        for field in SettingsModel.numberFields.dropFirst(5).prefix(3) { numberRow(ui, field) }
        textRow(ui, SettingsModel.textFields[4])

        section(ui, "Appearance")
        ui.row([.fixed(120), .fixed(120), .flex(1)])
        ui.radio("Dark theme", value: "dark", selection: &model.draft.theme)
        ui.radio("Light theme", value: "light", selection: &model.draft.theme)
        inlineError(ui, "theme")
    }

    var secretsHint: String {
        guard let location = model.secretsLocation else {
            return "Keys come only from the environment (ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY, OTX_API_KEY): no configuration folder is known."
        }
        return "Keys are kept in \(location) with mode 0600 and never written to logs or exports."
    }

    func section(_ ui: UIContext, _ title: String) {
        ui.space(8)
        ui.row([.fill], height: .fixed(26))
        ui.label(title, role: .heading)
    }

    func numberRow(_ ui: UIContext, _ field: SettingsModel.NumberField) {
        ui.row([.fixed(420), .fixed(140), .flex(1)])
        ui.label(field.title, color: ui.theme.mutedText)
        var text = model.numberDrafts[field.key] ?? ""
        ui.textField(field.key, text: &text)
        model.numberDrafts[field.key] = text
        if let error = model.fieldErrors[field.key] {
            ui.fieldError(error, key: field.key)
        } else {
            _ = ui.nextRect()
        }
    }

    func textRow(_ ui: UIContext, _ field: SettingsModel.TextField) {
        ui.row([.fixed(260), .flex(1)])
        ui.label(field.title, color: ui.theme.mutedText)
        ui.textField(field.key, text: &model.draft[keyPath: field.keyPath])
        inlineError(ui, field.key)
    }

    /// A full-width line under a field for its problem.
    func inlineError(_ ui: UIContext, _ key: String) {
        guard let error = model.fieldErrors[key] else { return }
        ui.row([.fixed(260), .flex(1)], height: .fixed(Float(ui.fieldErrorLineCount(error, width: max(200, ui.remainingRect.width - 260))) * 16 + 4))
        _ = ui.nextRect()
        ui.fieldError(error, key: key)
    }
}
