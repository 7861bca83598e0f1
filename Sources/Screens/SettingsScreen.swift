import Store
import UI

/// Where the Settings screen loads from and saves to. The app's implementation writes through the
/// store's background writer; tests use an in-memory one.
public protocol SettingsBackend: AnyObject {
    func loadSettings() -> (settings: AppSettings, keys: APIKeys, problem: String?)
    /// Saves off the UI thread; `completion` gets nil or an error message, on any thread.
    func save(_ settings: AppSettings, keys: APIKeys, completion: @escaping @Sendable (String?) -> Void)
}

/// The Settings tab: everything editable, nothing applied until **Apply Settings**.
///
/// The screen edits a draft; numbers are edited as text so a half-typed value never clobbers the
/// draft, and they are parsed and validated only on Apply. API keys are masked and never shown.
public final class SettingsScreen {
    public let backend: SettingsBackend
    let inbox: UIInbox
    /// What is in force now.
    public private(set) var applied: AppSettings
    public private(set) var appliedKeys: APIKeys
    /// What the fields show.
    public var draft: AppSettings
    var keyDrafts: [APIKeyProvider: String] = [:]
    var numberDrafts: [String: String] = [:]
    public private(set) var problems: [String] = []
    public private(set) var isSaving = false
    var pendingToast: (String, ToastKind)?
    /// Called on the UI thread after settings were applied (theme changes and the like).
    public var onApplied: ((AppSettings, APIKeys) -> Void)?

    static var numberFields: [(key: String, title: String, keyPath: WritableKeyPath<AppSettings, Int>)] { [
        ("consensusThreshold", "Auto-block when this many providers flag an address (1–3)", \.consensusThreshold),
        ("blockDurationHours", "Block duration in hours (0 = permanent)", \.blockDurationHours),
        ("reputationCacheHours", "Keep reputation answers for (hours)", \.reputationCacheHours),
        ("scanTimeoutMilliseconds", "Port-scan connect timeout (ms)", \.scanTimeoutMilliseconds),
        ("scanConcurrency", "Port-scan parallel connections", \.scanConcurrency),
        ("captureSnapLength", "Capture snap length (bytes)", \.captureSnapLength),
        ("pcapRotateMegabytes", "Start a new pcap file after (MB)", \.pcapRotateMegabytes),
        ("flowHistoryRetentionDays", "Keep finished flows of live captures (days)", \.flowHistoryRetentionDays),
    ] }
    static var textFields: [(key: String, title: String, keyPath: WritableKeyPath<AppSettings, String>)] { [
        ("abuseIPDBBaseURL", "AbuseIPDB base URL", \.abuseIPDBBaseURL),
        ("virusTotalBaseURL", "VirusTotal base URL", \.virusTotalBaseURL),
        ("otxBaseURL", "AlienVault OTX base URL", \.otxBaseURL),
        ("captureInterface", "Default capture interface", \.captureInterface),
        ("exportDirectory", "Default export folder (empty = home)", \.exportDirectory),
    ] }

    public init(backend: SettingsBackend, inbox: UIInbox) {
        self.backend = backend
        self.inbox = inbox
        let loaded = backend.loadSettings()
        applied = loaded.settings
        appliedKeys = loaded.keys
        draft = loaded.settings
        if let problem = loaded.problem { problems = [problem] }
        resetDrafts()
    }

    private func resetDrafts() {
        draft = applied
        numberDrafts = Dictionary(uniqueKeysWithValues: Self.numberFields.map { ($0.key, String(applied[keyPath: $0.keyPath])) })
        keyDrafts = Dictionary(uniqueKeysWithValues: APIKeyProvider.allCases.map { ($0, appliedKeys.source(for: $0) == .secretsFile ? (appliedKeys.key(for: $0) ?? "") : "") })
    }

    /// The text in a number field (by its key, e.g. "consensusThreshold"), as typed.
    public func numberText(_ key: String) -> String? { numberDrafts[key] }

    /// True when the fields differ from what is in force.
    public var hasChanges: Bool {
        if draft != applied { return true }
        if Self.numberFields.contains(where: { numberDrafts[$0.key] != String(applied[keyPath: $0.keyPath]) }) { return true }
        return APIKeyProvider.allCases.contains { provider in
            appliedKeys.source(for: provider) != .environment("") && isEditable(provider)
                && (keyDrafts[provider] ?? "") != (appliedKeys.source(for: provider) == .secretsFile ? (appliedKeys.key(for: provider) ?? "") : "")
        }
    }

    func isEditable(_ provider: APIKeyProvider) -> Bool {
        if case .environment = appliedKeys.source(for: provider) { return false }
        return true
    }

    /// Validates the draft and starts saving it. Returns false (with `problems` set) when invalid.
    @discardableResult
    public func apply() -> Bool {
        var candidate = draft
        var found: [String] = []
        for field in Self.numberFields {
            let text = (numberDrafts[field.key] ?? "").trimmingCharacters(in: " ")
            if let value = Int(text) { candidate[keyPath: field.keyPath] = value } else { found.append("\(field.title): \"\(text)\" is not a whole number.") }
        }
        found += candidate.validate()
        problems = found
        guard found.isEmpty else { return false }
        var keys = appliedKeys
        for provider in APIKeyProvider.allCases where isEditable(provider) {
            keys.setKey(keyDrafts[provider], for: provider)
        }
        isSaving = true
        let inbox = inbox, screen = UIThreadReference(self), saved = candidate, savedKeys = keys
        backend.save(saved, keys: savedKeys) { error in
            inbox.post { screen.object?.finishSave(saved, savedKeys, error: error) }
        }
        return true
    }

    private func finishSave(_ settings: AppSettings, _ keys: APIKeys, error: String?) {
        isSaving = false
        if let error {
            problems = [error]
            pendingToast = ("Settings were not saved: \(error)", .error)
            return
        }
        applied = settings
        appliedKeys = keys
        resetDrafts()
        onApplied?(settings, keys)
        pendingToast = ("Settings applied", .success)
    }

    public func discard() {
        resetDrafts()
        problems = []
        pendingToast = ("Changes discarded", .info)
    }

    // MARK: Frame

    public func build(_ ui: UIContext, in area: Rect) {
        if let (message, kind) = pendingToast {
            ui.toast(message, kind: kind)
            pendingToast = nil
        }
        ui.withID("Settings") {
            let parts = ui.rows(area, [.flex(1), .fixed(ui.theme.rowHeight + 2 * ui.theme.padding)])
            ui.panel("Settings", rect: parts[0]) {
                ui.scrollArea("form", rect: ui.remainingRect) {
                    form(ui)
                }
            }
            ui.group(parts[1], padding: ui.theme.padding) {
                ui.row([.fixed(150), .fixed(150), .flex(1)])
                let changed = hasChanges
                if ui.button("Apply Settings", style: .primary, enabled: changed && !isSaving).contains(.pressed) { apply() }
                if ui.button("Discard changes", enabled: changed && !isSaving).contains(.pressed) { discard() }
                ui.label(isSaving ? "Saving…" : changed ? "You have unapplied changes." : "All changes applied.", color: ui.theme.mutedText)
            }
        }
    }

    func form(_ ui: UIContext) {
        if !problems.isEmpty {
            for problem in problems {
                ui.row([.fill], height: .fixed(22))
                ui.label("⚠ " + problem, color: ui.theme.danger)
            }
            ui.space(6)
        }
        section(ui, "Threat-intelligence API keys")
        for provider in APIKeyProvider.allCases {
            ui.row([.fixed(260), .flex(1)])
            ui.label(provider.displayName + " API key", color: ui.theme.mutedText)
            if case let .environment(variable) = appliedKeys.source(for: provider) {
                ui.label("Set by the environment variable \(variable) (change it there).", color: ui.theme.mutedText)
            } else {
                var text = keyDrafts[provider] ?? ""
                ui.textField(provider.displayName + " key", text: &text, placeholder: "not set — paste your key here", masked: true)
                keyDrafts[provider] = text
            }
        }
        ui.row([.fill], height: .fixed(20))
        ui.label("Keys are kept in \(secretsHint) with mode 0600 and never written to logs or exports.", color: ui.theme.mutedText, role: .small)
        for field in Self.textFields.prefix(3) { textRow(ui, field) }

        section(ui, "Firewall")
        ui.row([.fill])
        ui.toggle("Auto-block by consensus", isOn: &draft.autoBlockEnabled)
        for field in Self.numberFields.prefix(2) { numberRow(ui, field) }

        section(ui, "Reputation and scanning")
        for field in Self.numberFields.dropFirst(2).prefix(3) { numberRow(ui, field) }

        section(ui, "Capture and export")
        textRow(ui, Self.textFields[3])
        ui.row([.fill])
        ui.toggle("Promiscuous mode", isOn: &draft.capturePromiscuous)
        for field in Self.numberFields.dropFirst(5) { numberRow(ui, field) }
        textRow(ui, Self.textFields[4])

        section(ui, "Appearance")
        ui.row([.fixed(120), .fixed(120), .flex(1)])
        ui.radio("Dark theme", value: "dark", selection: &draft.theme)
        ui.radio("Light theme", value: "light", selection: &draft.theme)
    }

    var secretsHint: String { "~/.config/netscouter/secrets.json" }

    func section(_ ui: UIContext, _ title: String) {
        ui.space(8)
        ui.row([.fill], height: .fixed(26))
        ui.label(title, role: .heading)
    }

    func numberRow(_ ui: UIContext, _ field: (key: String, title: String, keyPath: WritableKeyPath<AppSettings, Int>)) {
        ui.row([.fixed(420), .fixed(140), .flex(1)])
        ui.label(field.title, color: ui.theme.mutedText)
        var text = numberDrafts[field.key] ?? ""
        ui.textField(field.key, text: &text)
        numberDrafts[field.key] = text
        _ = ui.nextRect()
    }

    func textRow(_ ui: UIContext, _ field: (key: String, title: String, keyPath: WritableKeyPath<AppSettings, String>)) {
        ui.row([.fixed(260), .flex(1)])
        ui.label(field.title, color: ui.theme.mutedText)
        ui.textField(field.key, text: &draft[keyPath: field.keyPath])
    }
}
