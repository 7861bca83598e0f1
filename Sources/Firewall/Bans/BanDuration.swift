import Foundation

/// How long a ban lasts: permanent, or a number of seconds up to 30 days.
public enum BanDuration: Equatable, Sendable, CustomStringConvertible {
    case permanent
    case seconds(Int)

    public static let maximumSeconds = 30 * 86_400

    /// Reads `30s`, `5m`, `1h`, `7d`, `permanent` (also a plain number of seconds).
    public init(parsing raw: String) throws {
        let text = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "permanent" || text == "forever" { self = .permanent; return }
        guard !text.isEmpty, text.count <= 12 else { throw FirewallError.invalidDuration(raw, "it is empty or too long") }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let multiplier = units[last] {
            unit = multiplier
            digits = text.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else {
            throw FirewallError.invalidDuration(raw, "it must be a whole number followed by s, m, h or d")
        }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds >= 1 else { throw FirewallError.invalidDuration(raw, "it must be at least 1 second") }
        guard seconds <= Self.maximumSeconds else { throw FirewallError.invalidDuration(raw, "it is longer than 30 days") }
        self = .seconds(seconds)
    }

    public var timeInterval: TimeInterval? {
        if case let .seconds(seconds) = self { return TimeInterval(seconds) }
        return nil
    }

    public var description: String {
        switch self {
        case .permanent: return "permanent"
        case let .seconds(seconds): return Self.text(seconds)
        }
    }

    /// `45s`, `5m`, `1h30m`, `7d`: the shortest exact text for a number of seconds.
    public static func text(_ seconds: Int) -> String {
        if seconds <= 0 { return "0s" }
        var parts: [String] = []
        var rest = seconds
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
        }
        return parts.joined()
    }
}
