import CSDL2

/// SDL, SDL_ttf, SDL_image and fontconfig failures with the library's own message and what to do
/// about it.
public enum SDLError: Error, Equatable, CustomStringConvertible {
    case initialisationFailed(String)
    case windowFailed(String)
    case rendererFailed(String)
    case surfaceFailed(String)
    case fontFailed(path: String, message: String)
    case saveFailed(path: String, message: String)

    public var description: String {
        switch self {
        case let .initialisationFailed(message):
            "Cannot start the display (\(message)). Is an X11 display available (DISPLAY set)? Headless jobs work without one: see `netscouter --help`."
        case let .windowFailed(message): "Cannot open the window: \(message)."
        case let .rendererFailed(message): "Cannot create a renderer: \(message)."
        case let .surfaceFailed(message): "Cannot create an offscreen surface: \(message)."
        case let .fontFailed(path, message):
            "Cannot load the font \(path): \(message). Install Debian's fonts-dejavu-core (`sudo apt-get install fonts-dejavu-core`)."
        case let .saveFailed(path, message): "Cannot write \(path): \(message)."
        }
    }

    static func lastError() -> String { String(cString: SDL_GetError()) }
}
