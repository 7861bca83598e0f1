/// One of the five fields of a cron expression, with the values it accepts.
public enum CronField: String, CaseIterable, Sendable {
    case minute
    case hour
    case dayOfMonth = "day-of-month"
    case month
    case dayOfWeek = "day-of-week"

    /// The name used in messages ("day-of-month").
    public var name: String { rawValue }

    /// The smallest and largest number the field accepts. Day-of-week accepts 7 as a second
    /// spelling of Sunday, as Vixie cron does.
    public var bounds: ClosedRange<Int> {
        switch self {
        case .minute: return 0...59
        case .hour: return 0...23
        case .dayOfMonth: return 1...31
        case .month: return 1...12
        case .dayOfWeek: return 0...7
        }
    }

    /// What `*` stands for. For day-of-week that is Sunday through Saturday once, so `*/2`
    /// means 0,2,4,6 rather than also counting the second Sunday (7).
    var starBounds: ClosedRange<Int> {
        self == .dayOfWeek ? 0...6 : bounds
    }

    /// The accepted values as a user should read them in an error message.
    public var expectedForm: String {
        switch self {
        case .minute: return "0–59"
        case .hour: return "0–23"
        case .dayOfMonth: return "1–31"
        case .month: return "1–12 or jan–dec"
        case .dayOfWeek: return "0–7 or sun–sat (0 and 7 are Sunday)"
        }
    }

    /// Three-letter names (lowercase) and the number each stands for.
    var names: [String: Int] {
        switch self {
        case .month:
            let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset + 1) })
        case .dayOfWeek:
            let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        default:
            return [:]
        }
    }

    /// Parses one field ("*/15", "1-5", "mon-fri", "1,15") into a bit set of the values it
    /// selects. Day-of-week 7 is stored as 0.
    func parse(_ text: String, in expression: String) throws(CronError) -> UInt64 {
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            bits |= try parseItem(String(item), fieldText: text, in: expression)
        }
        return bits
    }

    private func parseItem(_ item: String, fieldText: String, in expression: String) throws(CronError) -> UInt64 {
        func fail(_ problem: String) -> CronError {
            CronError(expression: expression, field: self, problem: problem)
        }
        guard !item.isEmpty else {
            throw fail("\(name) has an empty item in its list (got \(Self.quoted(fieldText))); separate values with single commas, e.g. 1,15")
        }
        let parts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else {
            throw fail("\(name) has more than one step (got \(Self.quoted(item))); write one step, e.g. */15 or 0-30/5")
        }
        var step = 1
        if parts.count == 2 {
            guard let value = Int(parts[1]), value >= 1 else {
                throw fail("the step in \(name) must be a whole number of at least 1 (got \(Self.quoted(item))), e.g. */15")
            }
            step = value
        }
        let base = parts[0]
        let range: ClosedRange<Int>
        if base == "*" {
            range = starBounds
        } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
            let low = try value(String(base[..<dash]), item: item, in: expression)
            var high = try value(String(base[base.index(after: dash)...]), item: item, in: expression)
            // "mon-sun" / "5-0": Sunday at the end of a range is the second Sunday, 7.
            if self == .dayOfWeek, high == 0, low > 0 { high = 7 }
            guard low <= high else {
                throw fail("\(name) range \(item) runs backwards; write the smaller value first (ranges do not wrap around)")
            }
            range = low...high
        } else {
            let single = try value(base, item: item, in: expression)
            // "5/15" is the common shorthand for "5-<max>/15"; a plain "5" is just 5.
            range = parts.count == 2 ? single...bounds.upperBound : single...single
        }
        var bits: UInt64 = 0
        for value in stride(from: range.lowerBound, through: range.upperBound, by: step) {
            bits |= 1 << UInt64(self == .dayOfWeek && value == 7 ? 0 : value)
        }
        return bits
    }

    /// One number or name, checked against the field's bounds.
    private func value(_ token: String, item: String, in expression: String) throws(CronError) -> Int {
        func fail(_ problem: String) -> CronError {
            CronError(expression: expression, field: self, problem: problem)
        }
        if !token.isEmpty, token.allSatisfy(\.isASCIIDigit) {
            guard let number = Int(token), bounds.contains(number) else {
                throw fail("\(name) must be \(expectedForm) (got \(token))")
            }
            return number
        }
        if let number = names[token.lowercased()] {
            return number
        }
        if let hint = unsupportedFeature(token) {
            throw fail(hint)
        }
        throw fail("\(name) must be \(expectedForm) (got \(Self.quoted(token.isEmpty ? item : token)))")
    }

    /// A clear message for Quartz/cronie extensions that look like values but are not supported.
    private func unsupportedFeature(_ token: String) -> String? {
        let upper = token.uppercased()
        if upper == "?" {
            return "\(name) does not support \"?\" (a Quartz extension); use * instead"
        }
        if upper.contains("#") {
            return "\(name) does not support \"#\" (nth weekday of the month), which five-field cron cannot express; schedule the weekday itself (e.g. 1 for Mondays)"
        }
        if upper == "L" || upper == "LW" || (upper.hasSuffix("L") && upper.dropLast().allSatisfy(\.isASCIIDigit)) {
            if self == .dayOfWeek {
                return "\(name) does not support \"L\" (last weekday of the month), which five-field cron cannot express; schedule the weekday itself (e.g. 5 for Fridays)"
            }
            return "\(name) does not support \"L\" (last day of the month); use day-of-month 1 to run on the first day of the next month instead"
        }
        if upper.hasSuffix("W") && upper.dropLast().allSatisfy(\.isASCIIDigit) {
            return "\(name) does not support \"W\" (nearest weekday); use a day-of-month number with day-of-week *"
        }
        return nil
    }

    static func quoted(_ text: String) -> String {
        !text.isEmpty && text.allSatisfy(\.isASCIIDigit) ? text : "\"\(text)\""
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
