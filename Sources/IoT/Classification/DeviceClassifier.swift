/// Everything known about a device that says what it is.
public struct DeviceEvidence: Codable, Equatable, Sendable {
    public var vendor: String?
    public var hostnames: [String] = []
    public var vendorClasses: [String] = []
    public var services: [String] = []
    public var ssdpServers: [String] = []
    public var ssdpTypes: [String] = []
    public var openPorts: [UInt16] = []

    /// Keeps each list bounded: a device that announces thousands of distinct names must not
    /// grow the inventory (or the store row) without limit.
    public static let maximumPerKind = 16

    public init(vendor: String? = nil) { self.vendor = vendor }

    enum CodingKeys: String, CodingKey {
        case vendor, hostnames, services
        case vendorClasses = "vendor_classes"
        case ssdpServers = "ssdp_servers"
        case ssdpTypes = "ssdp_types"
        case openPorts = "open_ports"
    }

    /// Adds `value` unless present or the list is full. Returns whether anything changed.
    @discardableResult
    static func add<T: Equatable>(_ value: T, to list: inout [T]) -> Bool {
        guard !list.contains(value), list.count < maximumPerKind else { return false }
        list.append(value)
        return true
    }
}

/// A type with the evidence behind it.
public struct Classification: Equatable, Sendable {
    public var type: DeviceType
    /// One readable line per matching piece of evidence, strongest first.
    public var reasons: [String]
}

/// Scores each type by the evidence matching its rules (see `DeviceTypeRules`).
public struct DeviceClassifier: Sendable {
    public let rules: DeviceTypeRules

    public init(rules: DeviceTypeRules = .builtIn) { self.rules = rules }

    public func classify(_ evidence: DeviceEvidence) -> Classification {
        var best: (score: Int, rule: DeviceTypeRules.TypeRule, reasons: [(Int, String)])?
        let vendorWords = evidence.vendor.map(Words.of) ?? []
        let hostnameWords = evidence.hostnames.map(Words.of)
        let vendorClassWords = evidence.vendorClasses.map(Words.of)
        let ssdpWords = (evidence.ssdpServers + evidence.ssdpTypes).map { ($0, Words.of($0)) }
        let services = evidence.services.map { $0.lowercased() }
        let w = rules.weights
        for rule in rules.types {
            var reasons: [(Int, String)] = []
            for service in rule.mdns {
                let wanted = service.lowercased()
                // "_ipp" matches "_ipp._tcp" but not "_ipps._tcp"; "_ipp._tcp" matches exactly.
                if let found = services.first(where: { $0 == wanted || $0.hasPrefix(wanted + ".") }) {
                    reasons.append((w.mdns, "mDNS service \(found) suggests \(rule.type.displayName)"))
                }
            }
            for word in rule.ssdp {
                if let (text, _) = ssdpWords.first(where: { Words.contains($0.1, phrase: word) }) {
                    reasons.append((w.ssdp, "SSDP \"\(text)\" contains \"\(word)\": \(rule.type.displayName)"))
                }
            }
            for word in rule.dhcpVendorClass {
                if let index = vendorClassWords.firstIndex(where: { Words.contains($0, phrase: word) }) {
                    reasons.append((w.dhcpVendorClass, "DHCP vendor class \"\(evidence.vendorClasses[index])\" contains \"\(word)\": \(rule.type.displayName)"))
                }
            }
            for word in rule.hostnames {
                if let index = hostnameWords.firstIndex(where: { Words.contains($0, phrase: word) }) {
                    reasons.append((w.hostname, "host name \"\(evidence.hostnames[index])\" has the word \"\(word)\": \(rule.type.displayName)"))
                }
            }
            for port in rule.ports where evidence.openPorts.contains(where: { Int($0) == port }) {
                reasons.append((w.port, "open port \(port) suggests \(rule.type.displayName)"))
            }
            if let vendor = evidence.vendor, rule.vendors.contains(where: { Words.contains(vendorWords, phrase: $0) }) {
                reasons.append((w.vendor, "MAC vendor \"\(vendor)\" makes \(rule.type.displayName) devices"))
            }
            let score = reasons.reduce(0) { $0 + $1.0 }
            if score > 0, score > (best?.score ?? 0) { best = (score, rule, reasons) }
        }
        guard let best else {
            return Classification(type: .unknown, reasons: ["no evidence matched a device type rule"])
        }
        let ordered = best.reasons.enumerated().sorted { ($0.element.0, -$0.offset) > ($1.element.0, -$1.offset) }.map(\.element.1)
        return Classification(type: best.rule.type, reasons: ordered)
    }
}
