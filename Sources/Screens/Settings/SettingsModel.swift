import Foundation
import Store

/// Where the Settings model loads from and saves to. The app's implementation writes through
/// the store's background writer; tests use an in-memory one.
public protocol SettingsBackend: AnyObject, Sendable {
    func loadSettings() -> (settings: AppSettings, keys: APIKeys, problem: UserError?)
    /// Saves; blocks until saved (the model calls it on a worker, never on the UI thread).
    func save(_ settings: AppSettings, keys: APIKeys) throws
    /// Where API keys are kept, as the user should read it ("~/…" for the home directory);
    /// nil when keys come only from the environment.
    var secretsLocation: String? { get }
}

/// The Settings tab's state and intents, without any UI: a draft of every field, validated on
/// Apply (each problem attached to its field), saved through a `BackgroundTask`; nothing is in
/// force until the save is confirmed. Numbers are edited as text so a half-typed value never
/// clobbers the draft. UI thread only.
public final class SettingsModel {
    public let backend: SettingsBackend
    let toasts: ToastCenter
    /// What is in force now.
    public private(set) var applied: AppSettings
    public private(set) var appliedKeys: APIKeys
    /// What the fields show.
    public var draft: AppSettings
    public var keyDrafts: [APIKeyProvider: String] = [:]
    public var numberDrafts: [String: String] = [:]
    /// Validation problems by field key ("consensusThreshold", "exportDirectory", "theme").
    public private(set) var fieldErrors: [String: UserError] = [:]
    /// A problem that belongs to no field: the store could not be read, the save failed.
    public private(set) var formError: UserError?
    /// Called on the UI thread after settings were applied (theme changes and the like).
    public var onApplied: ((AppSettings, APIKeys) -> Void)?
    private let saver: BackgroundTask<(AppSettings, APIKeys), Never, Void>

    public struct NumberField: Sendable {
        public let key: String
        public let title: String
        public let keyPath: WritableKeyPath<AppSettings, Int> & Sendable
    }

    public struct TextField: Sendable {
        public let key: String
        public let title: String
        public let keyPath: WritableKeyPath<AppSettings, String> & Sendable
    }

    public static let numberFields: [NumberField] = [
        NumberField(key: "consensusThreshold", title: "Auto-block when this many providers flag an address (1–3)", keyPath: \.consensusThreshold),
        NumberField(key: "blockDurationHours", title: "Block duration in hours (0 = permanent)", keyPath: \.blockDurationHours),
        NumberField(key: "reputationCacheHours", title: "Keep reputation answers for (hours)", keyPath: \.reputationCacheHours),
        NumberField(key: "scanTimeoutMilliseconds", title: "Port-scan connect timeout (ms)", keyPath: \.scanTimeoutMilliseconds),
        NumberField(key: "scanConcurrency", title: "Port-scan parallel connections", keyPath: \.scanConcurrency),
        NumberField(key: "captureSnapLength", title: "Capture snap length (bytes)", keyPath: \.captureSnapLength),
        NumberField(key: "pcapRotateMegabytes", title: "Start a new pcap file after (MB)", keyPath: \.pcapRotateMegabytes),
        NumberField(key: "flowHistoryRetentionDays", title: "Keep finished flows of live captures (days)", keyPath: \.flowHistoryRetentionDays),
        NumberField(key: "abuseIPDBFlagScore", title: "AbuseIPDB flags at confidence score (1–100)", keyPath: \.abuseIPDBFlagScore),
        NumberField(key: "virusTotalFlagMalicious", title: "VirusTotal flags at malicious engines", keyPath: \.virusTotalFlagMalicious),
        NumberField(key: "virusTotalFlagMaliciousPlusSuspicious", title: "… or at malicious + suspicious engines",
                    keyPath: \.virusTotalFlagMaliciousPlusSuspicious),
        NumberField(key: "otxFlagPulses", title: "OTX flags at pulses (without validation)", keyPath: \.otxFlagPulses),
        NumberField(key: "abuseIPDBPerMinute", title: "AbuseIPDB requests per minute (0 = no limit)", keyPath: \.abuseIPDBPerMinute),
        NumberField(key: "abuseIPDBPerDay", title: "AbuseIPDB requests per day (0 = no limit)", keyPath: \.abuseIPDBPerDay),
        NumberField(key: "virusTotalPerMinute", title: "VirusTotal requests per minute (0 = no limit)", keyPath: \.virusTotalPerMinute),
        NumberField(key: "virusTotalPerDay", title: "VirusTotal requests per day (0 = no limit)", keyPath: \.virusTotalPerDay),
        NumberField(key: "otxPerMinute", title: "OTX requests per minute (0 = no limit)", keyPath: \.otxPerMinute),
        NumberField(key: "otxPerDay", title: "OTX requests per day (0 = no limit)", keyPath: \.otxPerDay),
    ]
    public static let textFields: [TextField] = [
        TextField(key: "abuseIPDBBaseURL", title: "AbuseIPDB base URL", keyPath: \.abuseIPDBBaseURL),
        TextField(key: "virusTotalBaseURL", title: "VirusTotal base URL", keyPath: \.virusTotalBaseURL),
        TextField(key: "otxBaseURL", title: "AlienVault OTX base URL", keyPath: \.otxBaseURL),
        TextField(key: "captureInterface", title: "Default capture interface", keyPath: \.captureInterface),
        TextField(key: "exportDirectory", title: "Default export folder (empty = home)", keyPath: \.exportDirectory),
        TextField(key: "mmdbPath", title: "MaxMind .mmdb for country/AS (optional)", keyPath: \.mmdbPath),
    ]

    /// One row (or block of rows) of the form. The form's order is declared once, in `form`: the
    /// screen draws it and `firstFieldError` reports problems in the same order.
    public enum FormItem: Sendable {
        /// The provider key rows, the secrets hint.
        case apiKeys
        case number(NumberField)
        case text(TextField)
        case autoBlockToggle, firewallAction, promiscuousToggle, theme

        /// The key its validation problem is filed under, and the title that names it.
        var validated: (key: String, title: String)? {
            switch self {
            case let .number(field): (field.key, field.title)
            case let .text(field): (field.key, field.title)
            case .firewallAction: ("firewallAction", "Firewall action")
            case .theme: ("theme", "Theme")
            case .apiKeys, .autoBlockToggle, .promiscuousToggle: nil
            }
        }
    }

    public struct FormSection: Sendable {
        public let title: String
        public let items: [FormItem]
    }

    private static func number(_ key: String) -> FormItem {
        guard let field = numberFields.first(where: { $0.key == key }) else { preconditionFailure("no number field \(key)") }
        return .number(field)
    }

    private static func text(_ key: String) -> FormItem {
        guard let field = textFields.first(where: { $0.key == key }) else { preconditionFailure("no text field \(key)") }
        return .text(field)
    }

    public static let form: [FormSection] = [
        FormSection(title: "Threat-intelligence API keys", items: [.apiKeys, text("abuseIPDBBaseURL"), text("virusTotalBaseURL"), text("otxBaseURL")]),
        FormSection(title: "Firewall", items: [.autoBlockToggle, number("consensusThreshold"), number("blockDurationHours"), .firewallAction]),
        FormSection(title: "Reputation and scanning", items: [number("reputationCacheHours"), number("scanTimeoutMilliseconds"), number("scanConcurrency"),
                                                              text("mmdbPath")]),
        // The free tiers by default; intel.json in the config folder, where it sets them, wins.
        FormSection(title: "Reputation flag rules and rate limits", items: [
            "abuseIPDBFlagScore", "virusTotalFlagMalicious", "virusTotalFlagMaliciousPlusSuspicious", "otxFlagPulses", "abuseIPDBPerMinute",
            "abuseIPDBPerDay", "virusTotalPerMinute", "virusTotalPerDay", "otxPerMinute", "otxPerDay",
        ].map(number)),
        FormSection(title: "Capture and export", items: [text("captureInterface"), .promiscuousToggle, number("captureSnapLength"),
                                                         number("pcapRotateMegabytes"), number("flowHistoryRetentionDays"), text("exportDirectory")]),
        FormSection(title: "Appearance", items: [.theme]),
    ]

    /// Reads the settings once (before the first frame).
    public init(backend: SettingsBackend, inbox: UIInbox, toasts: ToastCenter) {
        self.backend = backend
        self.toasts = toasts
        saver = BackgroundTask("settings-save", policy: .ignoreWhileRunning, inbox: inbox, toasts: toasts) { request, _ in
            try backend.save(request.0, keys: request.1)
        }
        let loaded = backend.loadSettings()
        applied = loaded.settings
        appliedKeys = loaded.keys
        draft = loaded.settings
        formError = loaded.problem
        resetDrafts()
    }

    private func resetDrafts() {
        draft = applied
        numberDrafts = Dictionary(uniqueKeysWithValues: Self.numberFields.map { ($0.key, String(applied[keyPath: $0.keyPath])) })
        keyDrafts = Dictionary(uniqueKeysWithValues: APIKeyProvider.allCases.map { ($0, savedKeyText($0)) })
    }

    private func savedKeyText(_ provider: APIKeyProvider) -> String {
        appliedKeys.source(for: provider) == .secretsFile ? (appliedKeys.key(for: provider) ?? "") : ""
    }

    public var isSaving: Bool { saver.isRunning }

    /// The text in a number field (by its key, e.g. "consensusThreshold"), as typed.
    public func numberText(_ key: String) -> String? { numberDrafts[key] }

    /// Every validation problem, in form order (field errors, then the form's own).
    public var problems: [String] {
        Self.form.flatMap(\.items).compactMap { item in item.validated.flatMap { fieldErrors[$0.key]?.userText } }
            + (formError.map { [$0.userText] } ?? [])
    }

    /// The first field problem in form order, with the field's title ("Capture snap length
    /// (bytes): …"), for the line that is always in view.
    public var firstFieldError: String? {
        for section in Self.form {
            for item in section.items {
                if let (key, title) = item.validated, let error = fieldErrors[key] { return "\(title): \(error.userText)" }
            }
        }
        return nil
    }

    /// True when the fields differ from what is in force.
    public var hasChanges: Bool {
        if draft != applied { return true }
        if Self.numberFields.contains(where: { numberDrafts[$0.key] != String(applied[keyPath: $0.keyPath]) }) { return true }
        return APIKeyProvider.allCases.contains { isEditable($0) && (keyDrafts[$0] ?? "") != savedKeyText($0) }
    }

    public func isEditable(_ provider: APIKeyProvider) -> Bool {
        if case .environment = appliedKeys.source(for: provider) { return false }
        return true
    }

    /// Where the keys are kept, for the hint under the key fields.
    public var secretsLocation: String? { backend.secretsLocation }

    /// Validates the draft (each problem goes to its field) and starts saving it. Returns false
    /// when a field is invalid.
    @discardableResult
    public func apply() -> Bool {
        var candidate = draft
        var errors: [String: UserError] = [:]
        for field in Self.numberFields {
            let text = (numberDrafts[field.key] ?? "").trimmingCharacters(in: .whitespaces)
            if let value = Int(text) {
                candidate[keyPath: field.keyPath] = value
            } else {
                errors[field.key] = UserError("\"\(text)\" is not a whole number.", remedy: "Enter digits only, e.g. \(AppSettings.defaults[keyPath: field.keyPath]).")
            }
        }
        // Each field checked on its own against the defaults, so every problem names its field.
        func check(_ key: String, _ change: (inout AppSettings) -> Void) {
            guard errors[key] == nil else { return }
            var probe = AppSettings.defaults
            change(&probe)
            if let problem = probe.validate().first { errors[key] = UserError(problem) }
        }
        for field in Self.numberFields { check(field.key) { $0[keyPath: field.keyPath] = candidate[keyPath: field.keyPath] } }
        for field in Self.textFields { check(field.key) { $0[keyPath: field.keyPath] = candidate[keyPath: field.keyPath] } }
        check("theme") { $0.theme = candidate.theme }
        check("firewallAction") { $0.firewallAction = candidate.firewallAction }
        fieldErrors = errors
        formError = nil
        guard errors.isEmpty else { return false }
        var keys = appliedKeys
        for provider in APIKeyProvider.allCases where isEditable(provider) {
            keys.setKey(keyDrafts[provider], for: provider)
        }
        let saved = candidate
        saver.start((saved, keys)) { [weak self] outcome in
            guard let self else { return .unhandled }
            switch outcome {
            case .success:
                applied = saved
                appliedKeys = keys
                resetDrafts()
                onApplied?(saved, keys)
                toasts.post("Settings applied", kind: .success)
                return .shown
            case let .failure(error):
                let failure = UserError("Settings were not saved", underlying: error)
                formError = failure
                toasts.post(failure)
                return .shown
            case .cancelled:
                return .shown
            }
        }
        return true
    }

    public func discard() {
        resetDrafts()
        fieldErrors = [:]
        formError = nil
        toasts.post("Changes discarded", kind: .info)
    }
}
