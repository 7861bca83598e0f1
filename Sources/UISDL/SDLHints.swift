import CSDL2

/// SDL configuration hints. Prefer these to environment variables: a hint stays inside the
/// process and can be reset, an exported variable leaks into later tests and child processes.
public enum SDLHints {
    /// The video driver ("x11", "wayland", "dummy", "offscreen").
    public static let videoDriver = SDL_HINT_VIDEODRIVER
    /// The render driver ("opengl", "opengles2", "software").
    public static let renderDriver = SDL_HINT_RENDER_DRIVER

    @discardableResult
    public static func set(_ name: String, _ value: String) -> Bool { SDL_SetHint(name, value) == SDL_TRUE }

    /// Back to the default (or the environment's value).
    @discardableResult
    public static func reset(_ name: String) -> Bool { SDL_ResetHint(name) == SDL_TRUE }

    public static func value(_ name: String) -> String? { SDL_GetHint(name).map { String(cString: $0) } }
}
