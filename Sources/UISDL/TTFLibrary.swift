import CSDL2
import Synchronization

/// Reference-counted `TTF_Init` / `TTF_Quit`: every owner of fonts (a `FontSet`, the font
/// locator while it test-opens a file) acquires the library and releases it after closing its
/// fonts, so `TTF_Quit` runs only once nothing uses FreeType any more. Quitting while a font is
/// open crashes in `FT_Done_Face`.
public enum TTFLibrary {
    private static let users = Mutex(0)

    /// Initialises SDL_ttf on first use.
    public static func acquire() throws(SDLError) {
        let failure: String? = users.withLock { count in
            if count == 0 && TTF_Init() != 0 { return SDLError.lastError() }
            count += 1
            return nil
        }
        if let failure { throw .fontFailed(path: "SDL_ttf", message: "TTF_Init failed: \(failure)") }
    }

    /// Balances one `acquire()`; the last release calls `TTF_Quit`.
    public static func release() {
        users.withLock { count in
            precondition(count > 0, "TTFLibrary.release() without a matching acquire()")
            count -= 1
            if count == 0 { TTF_Quit() }
        }
    }

    /// How many owners currently hold the library (tests check that everything was released).
    public static var userCount: Int { users.withLock { $0 } }
}
