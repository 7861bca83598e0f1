import ArgumentParser

/// The one place numeric command-line values are checked. Each option parses through one of these
/// (`@Option(parsing: .unconditional, transform: …)`), so every number is finite and in its range
/// before any code uses it, and the message names the accepted range:
///
///     netscouter capture --duration inf
///     Error: The value 'inf' is invalid for '--duration <duration>': --duration takes a number
///     of seconds from 0.001 to 31536000 (365 days), not "inf".
///
/// `parsing: .unconditional` makes the option take the next word even when it starts with "-",
/// so "-1" gets this message instead of swift-argument-parser's misleading "Missing value".
enum NumericOption {
    struct OutOfRange: Error, CustomStringConvertible {
        var description: String
    }

    /// A finite decimal number within `range`; `unit` and `note` describe it in the message
    /// ("seconds", "(365 days)").
    static func decimal(_ text: String, option: String, range: ClosedRange<Double>, unit: String, note: String = "") throws -> Double {
        let trimmed = text.trimmingSpaces
        guard let value = Double(trimmed), value.isFinite, range.contains(value) else {
            throw OutOfRange(description: "\(option) takes a number of \(unit) from \(format(range.lowerBound)) to "
                + "\(format(range.upperBound))\(note.isEmpty ? "" : " \(note)"), not \"\(text)\".")
        }
        return value
    }

    /// `decimal` for `Float` options (scale factors): the range is checked in `Double`, before
    /// the conversion, so "1e300" is out of range rather than infinity.
    static func float(_ text: String, option: String, range: ClosedRange<Double>, unit: String) throws -> Float {
        Float(try decimal(text, option: option, range: range, unit: unit))
    }

    /// A whole number within `range`, in any integer type.
    static func integer<Value: FixedWidthInteger>(_ text: String, option: String, range: ClosedRange<Value>, unit: String,
                                                   note: String = "") throws -> Value {
        guard let value = Value(text.trimmingSpaces), range.contains(value) else {
            throw OutOfRange(description: "\(option) takes a whole number of \(unit) from \(range.lowerBound) to "
                + "\(range.upperBound)\(note.isEmpty ? "" : " \(note)"), not \"\(text)\".")
        }
        return value
    }

    /// 0.001 → "0.001", 31536000 → "31536000" (no exponent, no trailing ".0").
    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var view = Substring(self)
        while view.first == " " { view.removeFirst() }
        while view.last == " " { view.removeLast() }
        return view
    }
}
