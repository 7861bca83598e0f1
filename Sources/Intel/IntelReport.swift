import Foundation

/// `netscouter intel --json`: one object per address with `address`, `consensus` ("2/3"),
/// `flagged`, `answered`, `country`, `asn`, `as_name`, then one key per provider holding its
/// result or its error, and the risk-rule hits. Every text is sanitised; no key can be in it.
public enum IntelReport {
    public static func jsonObject(_ reputation: AddressReputation, risk: [RiskRules.Hit] = []) -> [String: Any] {
        let consensus = reputation.consensus
        var object: [String: Any] = [
            "address": reputation.address,
            "consensus": consensus.text,
            "flagged": consensus.flagged,
            "answered": consensus.answered,
            "country": reputation.country.map { $0 as Any } ?? NSNull(),
            "asn": reputation.asn.map { Int($0) as Any } ?? NSNull(),
            "as_name": reputation.asName.map { $0 as Any } ?? NSNull(),
        ]
        if case let .local(reason) = reputation.scope { object["local"] = reason }
        if let location = reputation.location, !location.flags.isEmpty { object["network_flags"] = location.flags }
        if let network = reputation.location?.network { object["network"] = network }
        for provider in ReputationProvider.allCases {
            object[provider.rawValue] = providerObject(reputation.answers[provider] ?? .noKey, provider: provider)
        }
        object["risk"] = risk.map { ["rule": $0.rule, "reason": $0.reason] }
        return object
    }

    static func providerObject(_ answer: ProviderAnswer, provider: ReputationProvider) -> [String: Any] {
        switch answer {
        case let .answered(verdict, fetchedAt, fromCache):
            var object: [String: Any] = ["state": "answered", "flagged": verdict.flagged, "reasons": verdict.reasons,
                                         "fields": verdict.fields, "cached": fromCache, "fetched_at": iso(fetchedAt)]
            if let score = verdict.score { object["score"] = score }
            return object
        case .noKey:
            return ["state": "no-key",
                    "error": "No \(provider.displayName) API key: set \(provider.keyProvider.environmentVariables.joined(separator: " or ")) or enter it in Settings."]
        case let .notSent(reason):
            return ["state": "not-sent", "error": "Not sent: \(reason)."]
        case let .failed(failure):
            var object: [String: Any] = ["state": "error", "kind": failure.kind.rawValue, "error": failure.message]
            if let status = failure.status { object["status"] = status }
            if let retry = failure.retryAt { object["retry_at"] = iso(retry) }
            return object
        }
    }

    public static func json(_ objects: [[String: Any]]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The plain-text block for one address.
    public static func text(_ reputation: AddressReputation, risk: [RiskRules.Hit] = []) -> String {
        let consensus = reputation.consensus
        var lines = ["\(reputation.address)  \(consensus.text) flagged, \(consensus.answered)/\(consensus.total) answered"]
        var facts: [String] = []
        if case let .local(reason) = reputation.scope { facts.append("local (\(reason)): never sent to any provider") }
        if let country = reputation.country { facts.append("country \(country)") }
        if let asn = reputation.asn { facts.append("AS\(asn)" + (reputation.asName.map { " \($0)" } ?? "")) }
        if let flags = reputation.location?.flags, !flags.isEmpty { facts.append("network flags: \(flags.joined(separator: ", "))") }
        if !facts.isEmpty { lines.append("  " + facts.joined(separator: "; ")) }
        for provider in ReputationProvider.allCases {
            let answer = reputation.answers[provider] ?? .noKey
            lines.append("  \(provider.displayName.padding(toLength: 11, withPad: " ", startingAt: 0)) \(answer.summary)")
        }
        for hit in risk { lines.append("  risk \(hit.rule): \(hit.reason)") }
        return lines.joined(separator: "\n")
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

extension AddressReputation {
    /// The names the risk rules look at: AS name plus each provider's ISP / owner / domain.
    public var riskSubject: RiskRules.Subject {
        var names: [String] = []
        if let asName { names.append(asName) }
        for provider in ReputationProvider.allCases {
            guard let fields = answers[provider]?.verdict?.fields else { continue }
            for key in ["isp", "domain", "usageType", "as_owner"] { if let value = fields[key] { names.append(value) } }
        }
        return RiskRules.Subject(countryCode: country, names: names, locationFlags: location?.flags ?? [])
    }
}
