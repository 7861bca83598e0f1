/// Hand-written JSON encoding of export cells (RFC 8259), so output is byte-for-byte
/// deterministic: keys in column order, no whitespace variations, numbers exactly as typed.
///
/// Strings escape `"`, `\` and every control character below U+0020 (`\n`, `\r`, `\t`, `\b`, `\f`
/// by name, the rest as `\u00XX`); everything else, non-ASCII included, stays literal UTF-8.
/// Doubles that JSON cannot represent (NaN, ±infinity) become `null`.
public enum JSONText {
    public static func encode(_ value: ExportValue) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    public static func append(_ value: ExportValue, to out: inout String) {
        switch value {
        case let .string(text): appendString(text, to: &out)
        case let .integer(number): out += String(number)
        case let .unsigned(number): out += String(number)
        // Swift prints the shortest text that reads back as the same double, always in JSON's
        // number grammar for finite values ("0.1", "1e-07", "1.5e+300").
        case let .double(number): out += number.isFinite ? number.description : "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case let .array(elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                append(element, to: &out)
            }
            out += "]"
        }
    }

    public static func quoted(_ text: String) -> String {
        var out = ""
        appendString(text, to: &out)
        return out
    }

    public static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// A row as a JSON object with the columns' keys in column order. `quotedKeys` are the keys
    /// already encoded (see `quotedKeys(_:)`), so a million rows do not re-escape them.
    static func object(_ row: [ExportValue], quotedKeys: [String]) -> String {
        var out = "{"
        for index in row.indices {
            if index > 0 { out += "," }
            out += quotedKeys[index]
            out += ":"
            append(row[index], to: &out)
        }
        out += "}"
        return out
    }

    static func quotedKeys(_ columns: [ExportColumn]) -> [String] { columns.map { quoted($0.key) } }
}
