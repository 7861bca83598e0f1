import CFontconfig
import CSDL2
import Glibc
import Synchronization
import UI

/// The two typefaces the UI uses.
public enum FontFamily: String, Sendable, CaseIterable {
    case sans = "DejaVu Sans"
    case mono = "DejaVu Sans Mono"

    /// Which typeface draws a role: everything is DejaVu Sans except `.monospace`.
    public init(_ role: FontRole) {
        self = role == .monospace ? .mono : .sans
    }

    /// Where Debian's fonts-dejavu-core puts the file, tried when fontconfig's answer is unusable.
    var debianPath: String {
        switch self {
        case .sans: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        case .mono: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
        }
    }
}

/// The font files for both families.
public struct FontPaths: Sendable, Equatable {
    public var sans: String
    public var mono: String

    public init(sans: String, mono: String) {
        self.sans = sans
        self.mono = mono
    }

    public func path(for family: FontFamily) -> String { family == .mono ? mono : sans }
}

/// Finds font files through fontconfig. fontconfig always answers with *some* font, so every
/// answer is checked: the file must exist and SDL_ttf must open it.
public enum FontLocator {
    /// What fontconfig matched for a name: the file and the family it belongs to.
    public struct Match: Sendable, Equatable {
        public var path: String
        public var family: String
    }

    private static let cache = Mutex<[FontFamily: String]>([:])

    /// fontconfig's best match for a pattern such as "DejaVu Sans" or "monospace:bold",
    /// unchecked; nil only when fontconfig itself cannot start or has no fonts at all.
    public static func match(_ pattern: String) -> Match? {
        guard let config = FcInitLoadConfigAndFonts() else { return nil }
        defer { FcConfigDestroy(config) }
        let parsed: OpaquePointer? = pattern.withCString { name in
            name.withMemoryRebound(to: FcChar8.self, capacity: pattern.utf8.count + 1) { FcNameParse($0) }
        }
        guard let parsed else { return nil }
        defer { FcPatternDestroy(parsed) }
        FcConfigSubstitute(config, parsed, FcMatchPattern)
        FcDefaultSubstitute(parsed)
        var result = FcResultNoMatch
        guard let matched = FcFontMatch(config, parsed, &result) else { return nil }
        defer { FcPatternDestroy(matched) }
        guard let path = string(matched, FC_FILE) else { return nil }
        return Match(path: path, family: string(matched, FC_FAMILY) ?? "")
    }

    /// A usable file for `family`: fontconfig's match if it opens, otherwise Debian's path.
    /// Results are cached for the life of the process.
    public static func path(for family: FontFamily) throws(SDLError) -> String {
        if let known = cache.withLock({ $0[family] }) { return known }
        var tried: [String] = []
        var candidates: [String] = []
        if let found = match(family.rawValue) { candidates.append(found.path) }
        if !candidates.contains(family.debianPath) { candidates.append(family.debianPath) }
        try TTFLibrary.acquire()
        defer { TTFLibrary.release() }
        for candidate in candidates {
            if let problem = problem(opening: candidate) {
                tried.append("\(candidate) (\(problem))")
                continue
            }
            cache.withLock { $0[family] = candidate }
            return candidate
        }
        throw .fontFailed(
            path: family.rawValue,
            message: "no usable font file found; tried " + (tried.isEmpty ? "nothing (fontconfig found no fonts)" : tried.joined(separator: ", "))
        )
    }

    /// Both UI fonts.
    public static func uiFonts() throws(SDLError) -> FontPaths {
        FontPaths(sans: try path(for: .sans), mono: try path(for: .mono))
    }

    /// Why `path` cannot be used as a font, or nil when SDL_ttf opens it. Needs TTF initialised.
    static func problem(opening path: String) -> String? {
        guard access(path, R_OK) == 0 else { return "file missing or unreadable" }
        guard let font = TTF_OpenFont(path, 12) else { return SDLError.lastError() }
        TTF_CloseFont(font)
        return nil
    }

    private static func string(_ pattern: OpaquePointer, _ object: String) -> String? {
        var value: UnsafeMutablePointer<FcChar8>?
        guard FcPatternGetString(pattern, object, 0, &value) == FcResultMatch, let value else { return nil }
        return value.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
    }
}
