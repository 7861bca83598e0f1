import Intel

/// Text from announcements (DHCP host names and vendor classes, mDNS names, SSDP headers) is
/// written by whatever is on the network: invalid UTF-8 becomes U+FFFD, then `TextSanitizer`
/// removes control characters and bidirectional overrides and caps the length, before anything
/// is shown, stored or exported.
enum AnnouncementText {
    /// Longer than any legitimate DNS name (253) or SSDP SERVER string.
    static let maximumLength = 255

    static func clean<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        // Decoding a 10 kB value only to cut it to 255 characters wastes work: at most four bytes
        // per character survive.
        let text = String(decoding: bytes.prefix(maximumLength * 4), as: UTF8.self)
        let cleaned = TextSanitizer.clean(text, maximumLength: maximumLength)
        return cleaned.isEmpty ? nil : cleaned
    }

    static func clean(_ text: String) -> String? {
        clean(Array(text.utf8))
    }
}
