/// Makes bytes a service sent safe to show, store and export: invalid UTF-8 becomes U+FFFD, every
/// control character (C0, DEL, C1, and the bidirectional overrides that can reorder a terminal
/// line) becomes a visible escape (`\r`, `\n`, `\t`, `\x1b`, `\u{202e}`), and the text is trimmed.
public enum BannerText {
    public static func sanitise<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        let decoded = String(decoding: bytes, as: UTF8.self)
        var output = ""
        for scalar in decoded.unicodeScalars {
            switch scalar.value {
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x00..<0x20, 0x7F:
                output += "\\x" + hex(scalar.value, width: 2)
            case 0x80..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
                output += "\\u{" + hex(scalar.value, width: 4) + "}"
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        // A trailing line break is how most banners end; keep the text itself.
        while output.hasSuffix("\\n") || output.hasSuffix("\\r") { output.removeLast(2) }
        let trimmed = output.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// True when `text` holds nothing `sanitise` would have escaped.
    public static func isClean(_ text: String) -> Bool {
        !text.unicodeScalars.contains { scalar in
            let value = scalar.value
            return value < 0x20 || value == 0x7F || (0x80..<0xA0).contains(value) || value == 0x200E || value == 0x200F
                || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0xFEFF
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

import Foundation
