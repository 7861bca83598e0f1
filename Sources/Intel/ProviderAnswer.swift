import Foundation

/// What one provider said about one address: the fields NetScouter reads (already sanitised),
/// whether they make the address "flagged" under the current `FlagRules`, and why.
public struct ProviderVerdict: Codable, Equatable, Sendable {
    public var flagged: Bool
    /// AbuseIPDB confidence 0…100, VirusTotal malicious engine count, OTX pulse count.
    public var score: Double?
    /// Sentences for the detail view: each says which field decided what.
    public var reasons: [String]
    /// Provider fields as read, e.g. "abuseConfidenceScore": "87", "isp": "Example Hosting".
    /// Keys are the provider's own field names.
    public var fields: [String: String]
    public var country: String?
    public var asn: UInt32?
    public var asName: String?

    public init(flagged: Bool, score: Double?, reasons: [String], fields: [String: String],
                country: String? = nil, asn: UInt32? = nil, asName: String? = nil) {
        self.flagged = flagged
        self.score = score
        self.reasons = reasons
        self.fields = fields
        self.country = country
        self.asn = asn
        self.asName = asName
    }
}

/// Why a provider gave no usable answer.
public enum ProviderFailureKind: String, Codable, Equatable, Sendable {
    case unauthorized = "unauthorized"          // 401/403: wrong or inactive key
    case notFound = "not-found"                 // 404: the provider has no record
    case badAddress = "bad-address"             // 400/422: the provider refused the address
    case rateLimited = "rate-limited"           // 429 from the provider, or our own limiter
    case quotaExhausted = "quota-exhausted"     // today's budget used up
    case timedOut = "timed-out"
    case invalidResponse = "invalid-response"   // not the JSON the API documents
    case serverError = "server-error"           // 5xx
    case transport = "transport"                // connection refused, DNS, TLS …
    case httpError = "http-error"               // any other status
}

public struct ProviderFailure: Error, Codable, Equatable, Sendable, CustomStringConvertible {
    public var kind: ProviderFailureKind
    public var status: Int?
    /// What happened and what to do; never contains the API key.
    public var message: String
    /// When the provider (Retry-After) or our limiter says asking again makes sense.
    public var retryAt: Date?

    public init(kind: ProviderFailureKind, status: Int? = nil, message: String, retryAt: Date? = nil) {
        self.kind = kind
        self.status = status
        self.message = message
        self.retryAt = retryAt
    }

    public var description: String { message }
}

/// The state of one provider for one address.
public enum ProviderAnswer: Equatable, Sendable {
    /// The provider answered (now, or earlier and cached).
    case answered(ProviderVerdict, fetchedAt: Date, fromCache: Bool)
    /// No API key: the provider was not asked.
    case noKey
    /// The address is private, loopback, link-local, multicast or reserved: never sent anywhere.
    case notSent(reason: String)
    case failed(ProviderFailure)

    public var verdict: ProviderVerdict? {
        if case let .answered(verdict, _, _) = self { return verdict }
        return nil
    }

    /// Only a real answer counts; a missing key or an error is "no answer", never clean.
    public var isAnswer: Bool { verdict != nil }

    /// One line for the CLI and the detail view.
    public var summary: String {
        switch self {
        case let .answered(verdict, _, fromCache):
            let head = verdict.flagged ? "flagged" : "not flagged"
            let why = verdict.reasons.first.map { ": \($0)" } ?? ""
            return head + why + (fromCache ? " (cached)" : "")
        case .noKey: return "no answer: no API key"
        case let .notSent(reason): return "not sent: \(reason)"
        case let .failed(failure): return "no answer: \(failure.message)"
        }
    }
}
