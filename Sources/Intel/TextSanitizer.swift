/// Cleans text that comes from outside (provider fields such as ISP, domain, pulse names; AS names
/// from the location database) before it is shown, stored or exported.
///
/// Removed: C0/C1 control characters (a newline in an ISP name would forge a second log or CSV
/// line; so would U+2028/U+2029), and the Unicode bidirectional controls (U+202A…U+202E, U+2066…U+2069, U+200E/U+200F,
/// U+061C) that can make "moc.live" read as "evil.com" ("Trojan Source"). Tabs become spaces.
/// Runs of whitespace collapse so the result stays one readable line. Length is capped.
public enum TextSanitizer {
    public static let maximumLength = 512

    public static func clean(_ text: String, maximumLength: Int = maximumLength) -> String {
        var result = String.UnicodeScalarView()
        var lastWasSpace = false
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= maximumLength { break }
            if isRemoved(scalar) {
                if scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    if !lastWasSpace && !result.isEmpty { result.append(" "); lastWasSpace = true; count += 1 }
                }
                continue
            }
            let isSpace = scalar == " "
            if isSpace && (lastWasSpace || result.isEmpty) { continue }
            result.append(scalar)
            lastWasSpace = isSpace
            count += 1
        }
        var cleaned = String(result)
        while cleaned.hasSuffix(" ") { cleaned.removeLast() }
        return cleaned
    }

    /// True for the scalars `clean` drops.
    public static func isRemoved(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true                   // C0, DEL, C1
        case 0x200E, 0x200F, 0x061C: true                      // LRM, RLM, ALM
        case 0x2028, 0x2029: true                              // line / paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069: true            // embeddings, overrides, isolates
        case 0xFEFF: true                                      // zero-width no-break space / BOM
        default: false
        }
    }
}
