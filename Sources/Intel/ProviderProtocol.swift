import Foundation
import HTTP

/// Builds one provider's request and reads its answer. Pure functions of their inputs, so the
/// parsers are tested on documented bodies without a server, and the service does the I/O.
public struct ProviderProtocol: Sendable {
    public let provider: ReputationProvider
    public let rules: FlagRules

    public init(_ provider: ReputationProvider, rules: FlagRules = .defaults) {
        self.provider = provider
        self.rules = rules
    }

    /// The request for `address` (canonical text of a parsed IP address). The key goes in a
    /// header, never in the URL, so no URL that ends up in an error message or log carries it.
    public func request(address: String, key: String, apiRoot: String, timeoutSeconds: Double) -> HTTPRequest {
        var request: HTTPRequest
        switch provider {
        case .abuseIPDB:
            let encoded = address.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? address
            request = HTTPRequest(url: "\(apiRoot)/check?ipAddress=\(encoded)&maxAgeInDays=\(rules.abuseIPDBMaxAgeInDays)",
                                  headers: [("Key", key), ("Accept", "application/json")])
        case .virusTotal:
            request = HTTPRequest(url: "\(apiRoot)/ip_addresses/\(address)", headers: [("x-apikey", key), ("Accept", "application/json")])
        case .otx:
            let section = address.contains(":") ? "IPv6" : "IPv4"
            request = HTTPRequest(url: "\(apiRoot)/indicators/\(section)/\(address)/general",
                                  headers: [("X-OTX-API-KEY", key), ("Accept", "application/json")])
        }
        request.timeoutSeconds = timeoutSeconds
        request.followRedirects = false  // the key header must not travel to a redirect's host
        return request
    }

    /// What the provider said: a verdict, or why there is none. `now` turns a `Retry-After` in
    /// seconds into a time.
    public func interpret(_ response: HTTPResponse, address: String, now: Date) -> Result<ProviderVerdict, ProviderFailure> {
        let json = try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
        guard (200..<300).contains(response.status) else {
            return .failure(failure(status: response.status, headers: response.headers, json: json, bodyCount: response.body.count, address: address, now: now))
        }
        guard let object = json as? [String: Any] else {
            return .failure(invalid(status: response.status, bodyCount: response.body.count, what: "the body is not a JSON object"))
        }
        switch provider {
        case .abuseIPDB: return abuseIPDBVerdict(object, status: response.status, bodyCount: response.body.count)
        case .virusTotal: return virusTotalVerdict(object, status: response.status, bodyCount: response.body.count)
        case .otx: return otxVerdict(object, status: response.status, bodyCount: response.body.count)
        }
    }

    /// The provider's own count of requests left, when it sends one (AbuseIPDB does:
    /// `X-RateLimit-Remaining`).
    public static func reportedRemaining(_ headers: [String: String]) -> Int? {
        headers["x-ratelimit-remaining"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `Retry-After` as delta-seconds or HTTP-date (RFC 9110 §10.2.3); AbuseIPDB also sends
    /// `X-RateLimit-Reset` as a unix time.
    public static func retryAt(_ headers: [String: String], now: Date) -> Date? {
        if let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds >= 0 { return now.addingTimeInterval(seconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) { return date }
        }
        if let reset = headers["x-ratelimit-reset"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), reset > 1_000_000_000 {
            return Date(timeIntervalSince1970: reset)
        }
        return nil
    }

    // MARK: Errors

    private func failure(status: Int, headers: [String: String], json: Any?, bodyCount: Int, address: String, now: Date) -> ProviderFailure {
        let (code, detail) = errorText(json)
        let said = [code, detail].compactMap { $0 }.joined(separator: ": ")
        let quoted = said.isEmpty ? "" : " (\(said))"
        let name = provider.displayName
        switch status {
        case 401, 403:
            let variables = provider.keyProvider.environmentVariables.joined(separator: " or ")
            return ProviderFailure(kind: .unauthorized, status: status,
                                   message: "\(name) refused the API key (HTTP \(status)\(quoted)). Check \(variables) or the key in Settings.")
        case 404:
            return ProviderFailure(kind: .notFound, status: status, message: "\(name) has no record of \(address) (HTTP 404\(quoted)).")
        case 400, 422:
            return ProviderFailure(kind: .badAddress, status: status, message: "\(name) refused \(address) as a lookup (HTTP \(status)\(quoted)).")
        case 429:
            let retry = Self.retryAt(headers, now: now) ?? now.addingTimeInterval(60)
            let kind: ProviderFailureKind = code == "QuotaExceededError" || (detail?.lowercased().contains("daily") ?? false) ? .quotaExhausted : .rateLimited
            return ProviderFailure(kind: kind, status: status,
                                   message: "\(name) says the quota is used up (HTTP 429\(quoted)). NetScouter asks it again after \(Self.clock(retry)).",
                                   retryAt: retry)
        case 500...599:
            return ProviderFailure(kind: .serverError, status: status,
                                   message: "\(name) had a server error (HTTP \(status)\(quoted)). NetScouter will ask again later.",
                                   retryAt: Self.retryAt(headers, now: now))
        default:
            return ProviderFailure(kind: .httpError, status: status, message: "\(name) answered HTTP \(status)\(quoted). Check the \(name) base URL in Settings or \(provider.baseURLVariable).")
        }
    }

    /// The error code and message in each provider's documented error body:
    /// AbuseIPDB `{"errors":[{"detail":…,"status":…}]}`, VirusTotal `{"error":{"code":…,"message":…}}`,
    /// OTX `{"detail":…}`.
    private func errorText(_ json: Any?) -> (code: String?, detail: String?) {
        guard let object = json as? [String: Any] else { return (nil, nil) }
        if let errors = object["errors"] as? [[String: Any]], let first = errors.first {
            return (nil, (first["detail"] as? String).map { TextSanitizer.clean($0, maximumLength: 200) })
        }
        if let error = object["error"] as? [String: Any] {
            return ((error["code"] as? String).map { TextSanitizer.clean($0, maximumLength: 60) },
                    (error["message"] as? String).map { TextSanitizer.clean($0, maximumLength: 200) })
        }
        if let error = object["error"] as? String { return (nil, TextSanitizer.clean(error, maximumLength: 200)) }
        if let detail = object["detail"] as? String { return (nil, TextSanitizer.clean(detail, maximumLength: 200)) }
        return (nil, nil)
    }

    private func invalid(status: Int, bodyCount: Int, what: String) -> ProviderFailure {
        ProviderFailure(kind: .invalidResponse, status: status,
                        message: "\(provider.displayName) answered with something other than its documented JSON (HTTP \(status), \(bodyCount) bytes: \(what)). Check the base URL — a proxy or captive portal may be answering.")
    }

    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    // MARK: Verdicts

    private func abuseIPDBVerdict(_ object: [String: Any], status: Int, bodyCount: Int) -> Result<ProviderVerdict, ProviderFailure> {
        guard let data = object["data"] as? [String: Any], let score = JSONValue.int(data["abuseConfidenceScore"]) else {
            return .failure(invalid(status: status, bodyCount: bodyCount, what: "no data.abuseConfidenceScore"))
        }
        let whitelisted = JSONValue.bool(data["isWhitelisted"]) ?? false
        var fields: [String: String] = ["abuseConfidenceScore": String(score)]
        for key in ["totalReports", "isWhitelisted", "countryCode", "usageType", "isp", "domain", "isTor", "lastReportedAt"] {
            if let text = JSONValue.text(data[key]) { fields[key] = text }
        }
        var reasons: [String] = []
        let flagged: Bool
        if whitelisted && rules.abuseIPDBIgnoreWhitelisted {
            flagged = false
            reasons.append("whitelisted by AbuseIPDB (confidence \(score))")
        } else if score >= rules.abuseIPDBMinimumScore {
            flagged = true
            reasons.append("abuse confidence \(score) ≥ \(rules.abuseIPDBMinimumScore) from \(fields["totalReports"] ?? "?") reports")
        } else {
            flagged = false
            reasons.append("abuse confidence \(score) < \(rules.abuseIPDBMinimumScore)")
        }
        if fields["isTor"] == "true" { reasons.append("AbuseIPDB marks it as a Tor exit node") }
        return .success(ProviderVerdict(flagged: flagged, score: Double(score), reasons: reasons, fields: fields,
                                        country: fields["countryCode"]))
    }

    private func virusTotalVerdict(_ object: [String: Any], status: Int, bodyCount: Int) -> Result<ProviderVerdict, ProviderFailure> {
        guard let data = object["data"] as? [String: Any], let attributes = data["attributes"] as? [String: Any],
              let stats = attributes["last_analysis_stats"] as? [String: Any] else {
            return .failure(invalid(status: status, bodyCount: bodyCount, what: "no data.attributes.last_analysis_stats"))
        }
        let malicious = JSONValue.int(stats["malicious"]) ?? 0
        let suspicious = JSONValue.int(stats["suspicious"]) ?? 0
        let harmless = JSONValue.int(stats["harmless"]) ?? 0
        let undetected = JSONValue.int(stats["undetected"]) ?? 0
        var fields: [String: String] = ["malicious": String(malicious), "suspicious": String(suspicious),
                                        "harmless": String(harmless), "undetected": String(undetected)]
        for key in ["reputation", "country", "asn", "as_owner", "network"] {
            if let text = JSONValue.text(attributes[key]) { fields[key] = text }
        }
        let flagged: Bool
        let reason: String
        if malicious >= rules.virusTotalMinimumMalicious {
            flagged = true
            reason = "\(malicious) engines say malicious (≥ \(rules.virusTotalMinimumMalicious))"
        } else if malicious + suspicious >= rules.virusTotalMinimumMaliciousPlusSuspicious {
            flagged = true
            reason = "\(malicious) malicious + \(suspicious) suspicious engines (≥ \(rules.virusTotalMinimumMaliciousPlusSuspicious))"
        } else {
            flagged = false
            reason = "\(malicious) malicious, \(suspicious) suspicious, \(harmless) harmless, \(undetected) undetected"
        }
        return .success(ProviderVerdict(flagged: flagged, score: Double(malicious), reasons: [reason], fields: fields,
                                        country: fields["country"], asn: fields["asn"].flatMap { UInt32($0) }, asName: fields["as_owner"]))
    }

    private func otxVerdict(_ object: [String: Any], status: Int, bodyCount: Int) -> Result<ProviderVerdict, ProviderFailure> {
        guard let pulseInfo = object["pulse_info"] as? [String: Any], let count = JSONValue.int(pulseInfo["count"]) else {
            return .failure(invalid(status: status, bodyCount: bodyCount, what: "no pulse_info.count"))
        }
        let pulses = (pulseInfo["pulses"] as? [[String: Any]]) ?? []
        let names = pulses.compactMap { JSONValue.text($0["name"]) }
        let validation = (object["validation"] as? [[String: Any]]) ?? []
        let validationText = validation.compactMap { entry in
            JSONValue.text(entry["message"]) ?? JSONValue.text(entry["name"]) ?? JSONValue.text(entry["source"])
        }
        var fields: [String: String] = ["pulse_info.count": String(count), "validation": String(validation.count)]
        if !names.isEmpty { fields["pulses"] = TextSanitizer.clean(names.prefix(10).joined(separator: "; ")) }
        if !validationText.isEmpty { fields["validation_messages"] = TextSanitizer.clean(validationText.joined(separator: "; ")) }
        for key in ["asn", "country_code"] {
            if let text = JSONValue.text(object[key]) { fields[key] = text }
        }
        let flagged: Bool
        var reasons: [String] = []
        if count >= rules.otxMinimumPulses && !(rules.otxIgnoreValidated && !validation.isEmpty) {
            flagged = true
            reasons.append("in \(count) OTX pulse\(count == 1 ? "" : "s")" + (names.isEmpty ? "" : ": " + TextSanitizer.clean(names.prefix(3).joined(separator: "; "), maximumLength: 200)))
        } else if count >= rules.otxMinimumPulses {
            flagged = false
            reasons.append("in \(count) pulses but validated as known infrastructure: \(fields["validation_messages"] ?? "\(validation.count) entries")")
        } else {
            flagged = false
            reasons.append("in no OTX pulse")
        }
        // OTX writes the AS as one string: "AS15169 google llc".
        var asn: UInt32?, asName: String?
        if let text = fields["asn"], text.uppercased().hasPrefix("AS") {
            let rest = text.dropFirst(2)
            let digits = rest.prefix { $0.isNumber }
            asn = UInt32(digits)
            let name = rest.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
            asName = name.isEmpty ? nil : name
        }
        return .success(ProviderVerdict(flagged: flagged, score: Double(count), reasons: reasons, fields: fields,
                                        country: fields["country_code"], asn: asn, asName: asName))
    }
}

/// Reading JSONSerialization's values without caring whether a number arrived as Int, Double or
/// NSNumber; every string is sanitised on the way in.
enum JSONValue {
    static func int(_ value: Any?) -> Int? {
        if let number = value as? NSNumber {
            guard !isBoolean(number) else { return nil }
            let double = number.doubleValue
            return double.isFinite && abs(double) < 1e15 ? Int(double) : nil
        }
        if let string = value as? String { return Int(string.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let bool as Bool: return bool
        case let number as NSNumber: return number.intValue != 0
        default: return nil
        }
    }

    /// A field as display text: strings sanitised, numbers and booleans written out, null → nil.
    static func text(_ value: Any?) -> String? {
        switch value {
        case nil, is NSNull: return nil
        case let string as String:
            let cleaned = TextSanitizer.clean(string)
            return cleaned.isEmpty ? nil : cleaned
        case let number as NSNumber:
            if isBoolean(number) { return number.boolValue ? "true" : "false" }
            let double = number.doubleValue
            if double == double.rounded(), abs(double) < 1e15 { return String(Int(double)) }
            return String(double)
        case let array as [Any]:
            let parts = array.compactMap { text($0) }
            return parts.isEmpty ? nil : TextSanitizer.clean(parts.joined(separator: ", "))
        default: return nil
        }
    }

    static func isBoolean(_ number: NSNumber) -> Bool {
        // On Linux Foundation, JSON true/false decode to NSNumber with objCType "c" (char).
        String(cString: number.objCType) == "c"
    }
}
