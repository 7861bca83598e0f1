import Foundation
import Intel

public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
    case low, medium, high
    var rank: Int { self == .low ? 0 : self == .medium ? 1 : 2 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// The IoT section (`"iot"`) of the risk rules file (`Assets/risk-rules.json`, or the user's
/// `risk-rules.json`, see `RiskRules.load`): countries, provider keywords and ports that make an
/// IoT device's outbound flow an anomaly, the baseline learning window, and the severity of new
/// destinations and consensus-flagged ones. A user file without an `"iot"` section keeps the
/// built-in one.
public struct IoTRiskRules: Codable, Equatable, Sendable {
    public struct CountryRule: Codable, Equatable, Sendable {
        public var code: String
        public var severity: Severity
        public var reason: String
    }
    public struct KeywordRule: Codable, Equatable, Sendable {
        public var word: String
        public var severity: Severity
        public var reason: String
    }
    public struct PortRule: Codable, Equatable, Sendable {
        public var port: Int
        public var severity: Severity
        public var reason: String
    }
    public struct FixedRule: Codable, Equatable, Sendable {
        public var severity: Severity
        public var reason: String
    }
    public struct ConsensusRule: Codable, Equatable, Sendable {
        public var minimumFlagged: Int
        public var severity: Severity
        public var reason: String
        enum CodingKeys: String, CodingKey {
            case severity, reason
            case minimumFlagged = "minimum_flagged"
        }
    }

    public var about: String?
    public var learningWindowHours: Double
    public var countries: [CountryRule]
    public var keywords: [KeywordRule]
    public var ports: [PortRule]
    public var newDestination: FixedRule
    public var consensus: ConsensusRule

    enum CodingKeys: String, CodingKey {
        case about, countries, keywords, ports, consensus
        case learningWindowHours = "learning_window_hours"
        case newDestination = "new_destination"
    }

    public var learningWindow: TimeInterval { learningWindowHours * 3600 }

    private struct Envelope: Decodable { var iot: IoTRiskRules? }

    public static var builtIn: IoTRiskRules {
        // The risk rules text is a compile-time constant that IoTTests decodes.
        try! JSONDecoder().decode(Envelope.self, from: Data(RiskRules.builtInText.utf8)).iot!
    }

    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (rules: IoTRiskRules, source: String) {
        guard let path = RiskRules.userFilePath(environment: environment), FileManager.default.fileExists(atPath: path) else {
            return (builtIn, "built-in rules")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IoTError("Cannot read the risk rules file \(path). Check its permissions, or delete it to use the built-in rules.")
        }
        do {
            guard let rules = try JSONDecoder().decode(Envelope.self, from: data).iot else { return (builtIn, "built-in rules (\(path) has no \"iot\" section)") }
            return (rules, path)
        } catch {
            throw IoTError("The \"iot\" section of the risk rules file \(path) is not in the expected shape (\(error)). Fix it (start from Assets/risk-rules.json) or delete the section to use the built-in IoT rules.")
        }
    }

    /// The rules for countries, providers and ports, evaluated by the same whole-word matcher as
    /// the Intel tab's rules.
    var matcher: RiskRules {
        RiskRules(countries: countries.map { .init(code: $0.code, reason: $0.reason) },
                  keywords: keywords.map { .init(word: $0.word, reason: $0.reason) },
                  ports: ports.map { .init(port: $0.port, reason: $0.reason) })
    }

    func severity(ofRule rule: String) -> Severity {
        let parts = rule.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return .medium }
        switch parts[0] {
        case "country": return countries.first { $0.code.uppercased() == parts[1] }?.severity ?? .medium
        case "keyword": return keywords.first { $0.word.lowercased() == parts[1] }?.severity ?? .medium
        case "port": return ports.first { String($0.port) == parts[1] }?.severity ?? .medium
        default: return .medium
        }
    }
}
