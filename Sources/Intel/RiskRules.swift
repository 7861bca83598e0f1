import Foundation

/// Readable, user-editable rules that mark connections worth a look, independent of the
/// reputation providers: countries, words in the provider / AS name, ports, and the location
/// database's network flags. Each hit carries the rule's reason text.
///
/// The built-in rules are `Assets/risk-rules.json` (the same text is compiled in, so an
/// installed binary needs no asset folder; a test keeps the two identical). A file at
/// `$XDG_CONFIG_HOME/netscouter/risk-rules.json` (default `~/.config/netscouter/`) replaces them.
public struct RiskRules: Codable, Equatable, Sendable {
    public struct CountryRule: Codable, Equatable, Sendable {
        public var code: String
        public var reason: String
        public init(code: String, reason: String) { self.code = code; self.reason = reason }
    }
    public struct KeywordRule: Codable, Equatable, Sendable {
        public var word: String
        public var reason: String
        public init(word: String, reason: String) { self.word = word; self.reason = reason }
    }
    public struct PortRule: Codable, Equatable, Sendable {
        public var port: Int
        public var reason: String
        public init(port: Int, reason: String) { self.port = port; self.reason = reason }
    }
    public struct FlagRule: Codable, Equatable, Sendable {
        public var flag: String
        public var reason: String
        public init(flag: String, reason: String) { self.flag = flag; self.reason = reason }
    }

    public var version: Int
    public var about: String?
    public var countries: [CountryRule]
    public var keywords: [KeywordRule]
    public var ports: [PortRule]
    public var locationFlags: [FlagRule]

    enum CodingKeys: String, CodingKey {
        case version, about, countries, keywords, ports
        case locationFlags = "location_flags"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        about = try container.decodeIfPresent(String.self, forKey: .about)
        countries = try container.decodeIfPresent([CountryRule].self, forKey: .countries) ?? []
        keywords = try container.decodeIfPresent([KeywordRule].self, forKey: .keywords) ?? []
        ports = try container.decodeIfPresent([PortRule].self, forKey: .ports) ?? []
        locationFlags = try container.decodeIfPresent([FlagRule].self, forKey: .locationFlags) ?? []
    }

    public init(countries: [CountryRule] = [], keywords: [KeywordRule] = [], ports: [PortRule] = [], locationFlags: [FlagRule] = []) {
        version = 1
        self.countries = countries
        self.keywords = keywords
        self.ports = ports
        self.locationFlags = locationFlags
    }

    /// What a connection or host looks like to the rules.
    public struct Subject: Sendable {
        public var countryCode: String?
        /// Provider, ISP, AS name, domain: every name the subject goes by.
        public var names: [String]
        public var ports: [Int]
        public var locationFlags: [String]

        public init(countryCode: String? = nil, names: [String] = [], ports: [Int] = [], locationFlags: [String] = []) {
            self.countryCode = countryCode
            self.names = names
            self.ports = ports
            self.locationFlags = locationFlags
        }
    }

    public struct Hit: Equatable, Sendable, Codable {
        /// "country:KP", "keyword:tor", "port:23", "flag:drop".
        public var rule: String
        public var reason: String
    }

    public func evaluate(_ subject: Subject) -> [Hit] {
        var hits: [Hit] = []
        if let code = subject.countryCode?.uppercased() {
            for rule in countries where rule.code.uppercased() == code {
                hits.append(Hit(rule: "country:\(code)", reason: rule.reason))
            }
        }
        let words = Set(subject.names.flatMap(Self.words))
        for rule in keywords {
            let wanted = Self.words(rule.word)
            guard !wanted.isEmpty else { continue }
            // A multi-word keyword ("bulletproof hosting") must appear as consecutive words.
            let matched = wanted.count == 1 ? words.contains(wanted[0])
                : subject.names.contains { Self.containsSequence(Self.words($0), wanted) }
            if matched { hits.append(Hit(rule: "keyword:\(rule.word.lowercased())", reason: rule.reason)) }
        }
        for rule in ports where subject.ports.contains(rule.port) {
            hits.append(Hit(rule: "port:\(rule.port)", reason: rule.reason))
        }
        for rule in locationFlags where subject.locationFlags.contains(rule.flag) {
            hits.append(Hit(rule: "flag:\(rule.flag)", reason: rule.reason))
        }
        return hits
    }

    /// Lower-cased runs of letters and digits: "Tor-Exit.Storage, Toronto" → tor, exit, storage,
    /// toronto. Whole-word matching is set membership on these.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static func containsSequence(_ haystack: [String], _ needle: [String]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    // MARK: Loading

    public static let fileName = "risk-rules.json"

    /// The built-in rules (identical to Assets/risk-rules.json).
    public static var builtIn: RiskRules {
        // The text is a compile-time constant checked by a test; it cannot fail to decode.
        try! JSONDecoder().decode(RiskRules.self, from: Data(builtInText.utf8))
    }

    /// The user's file when there is one, else the built-in rules. A broken user file is an
    /// error naming the file, not a silent fallback: the user edited it to be used.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (rules: RiskRules, source: String) {
        guard let path = userFilePath(environment: environment), FileManager.default.fileExists(atPath: path) else {
            return (builtIn, "built-in rules")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LocationDatabaseError(message: "Cannot read the risk rules file \(path). Check its permissions, or delete it to use the built-in rules.")
        }
        do {
            return (try JSONDecoder().decode(RiskRules.self, from: data), path)
        } catch {
            throw LocationDatabaseError(message: "The risk rules file \(path) is not valid JSON in the expected shape (\(error)). Fix it (start from Assets/risk-rules.json) or delete it to use the built-in rules.")
        }
    }

    public static func userFilePath(environment: [String: String]) -> String? {
        let base: String
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            base = config
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            base = home + "/.config"
        } else {
            return nil
        }
        return base + "/netscouter/" + fileName
    }
}
