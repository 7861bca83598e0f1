import CSDL2
import Glibc
import UI

/// The real window: SDL video, a renderer, fonts, and the translation of SDL events into the UI's
/// input snapshots. Create and use it on the main thread only (SDL's rule), and `destroy()` it
/// explicitly: textures and fonts → renderer → window → `TTF_Quit` → `SDL_Quit`.
///
/// Scale: `scale` = pixel ratio (drawable pixels per window coordinate, 2 on a HiDPI Wayland or
/// macOS screen, 1 on X11) × the user's factor (the `scale` parameter, else `NETSCOUTER_SCALE`,
/// else 1). The UI lays out in logical pixels: `viewportSize` = drawable size / `scale`.
public final class SDLWindowBackend {
    public let window: OpaquePointer
    public let renderer: OpaquePointer
    public let fonts: FontSet
    public let measurer: SDLTextMeasurer
    public let drawListRenderer: DrawListRenderer
    /// SDL's name for the renderer ("opengl", "software", …).
    public let rendererName: String
    public let isSoftwareRenderer: Bool

    /// The factor the user asked for, on top of the pixel ratio.
    public let userScale: Float
    /// Drawable pixels per window coordinate.
    public private(set) var pixelRatio: Float = 1
    /// Pixels per logical pixel: `pixelRatio × userScale`.
    public private(set) var scale: Float
    /// The size the UI lays out in, in logical pixels.
    public private(set) var viewportSize = Size(0, 0)
    /// Whether the last `pollInput` handled any event (input, resize, expose…).
    public private(set) var didReceiveEvents = false
    public private(set) var isFullscreen: Bool
    /// When set, the scale (pixels per logical pixel) is this function of the drawable size in
    /// pixels, recomputed on every resize, instead of pixel ratio × user factor: a kiosk's type
    /// grows with the wall screen it is shown on.
    public var scaleForDrawableSize: ((_ pixelWidth: Float, _ pixelHeight: Float) -> Float)? {
        didSet { updateMetrics() }
    }
    /// Seconds the last `present` took (render and present, not building the UI).
    public private(set) var lastPresentDuration: Double = 0

    private var translator = SDLInputTranslator()
    private var lastFrame: (list: DrawList, background: Color)?
    private var isDestroyed = false

    /// Opens a resizable, HiDPI-aware window.
    /// - Parameters:
    ///   - width, height: the window's size in window coordinates.
    ///   - fullscreen: start in desktop fullscreen.
    ///   - scale: UI zoom on top of the pixel ratio; nil reads `NETSCOUTER_SCALE` (0.5–4).
    ///   - position: where to put the window (restored from settings); nil lets the window
    ///     manager choose.
    public init(title: String, width: Int32, height: Int32, fullscreen: Bool = false, scale: Float? = nil,
                position: (x: Int32, y: Int32)? = nil) throws(SDLError) {
        userScale = Self.userScale(explicit: scale)
        SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0")
        SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1")
        guard SDL_InitSubSystem(SDL_INIT_VIDEO) == 0 else {
            throw .initialisationFailed(SDLError.lastError())
        }
        do throws(SDLError) {
            try TTFLibrary.acquire()
        } catch {
            Self.quitVideo()
            throw error
        }
        var flags = SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_ALLOW_HIGHDPI.rawValue | SDL_WINDOW_SHOWN.rawValue
        if fullscreen { flags |= SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue }
        // A size and position saved on a larger (or another) screen must not open the window
        // partly or wholly off this one.
        let frame = Self.fit(width: width, height: height, position: position, displays: Self.usableDisplayBounds())
        let x = frame.position?.x ?? ns_SDL_WindowPosUndefined(), y = frame.position?.y ?? ns_SDL_WindowPosUndefined()
        guard let window = SDL_CreateWindow(title, x, y, max(1, frame.width), max(1, frame.height), flags) else {
            let message = SDLError.lastError()
            TTFLibrary.release()
            Self.quitVideo()
            throw .windowFailed(message)
        }
        // Accelerated without vsync (the frame pacer caps the rate); software when no GPU driver.
        guard let renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED.rawValue)
            ?? SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue) else {
            let message = SDLError.lastError()
            SDL_DestroyWindow(window)
            TTFLibrary.release()
            Self.quitVideo()
            throw .rendererFailed(message)
        }
        var info = SDL_RendererInfo()
        SDL_GetRendererInfo(renderer, &info)
        rendererName = info.name.map { String(cString: $0) } ?? "unknown"
        isSoftwareRenderer = info.flags & SDL_RENDERER_SOFTWARE.rawValue != 0
        let ratio = Self.pixelRatio(window: window, renderer: renderer)
        let fonts: FontSet
        do throws(SDLError) {
            fonts = try FontSet(scale: ratio * userScale)
        } catch {
            SDL_DestroyRenderer(renderer)
            SDL_DestroyWindow(window)
            TTFLibrary.release()
            Self.quitVideo()
            throw error
        }
        self.window = window
        self.renderer = renderer
        self.fonts = fonts
        self.scale = ratio * userScale
        isFullscreen = fullscreen
        measurer = SDLTextMeasurer(fonts: fonts)
        drawListRenderer = DrawListRenderer(renderer: renderer, fonts: fonts)
        updateMetrics()
    }

    /// Tears down in the documented order. Idempotent; the backend is unusable afterwards.
    public func destroy() {
        guard !isDestroyed else { return }
        isDestroyed = true
        lastFrame = nil
        if SDL_IsTextInputActive() == SDL_TRUE { SDL_StopTextInput() }
        drawListRenderer.destroy()
        fonts.close()
        SDL_DestroyRenderer(renderer)
        SDL_DestroyWindow(window)
        TTFLibrary.release()
        Self.quitVideo()
    }

    deinit { destroy() }

    /// The full logical area for `UIContext.beginFrame`.
    public var viewport: Rect { Rect(x: 0, y: 0, width: viewportSize.width, height: viewportSize.height) }

    // MARK: Input

    /// Gathers the input for the next frame. Blocks in `SDL_WaitEventTimeout` for up to `timeout`
    /// seconds until the first event (0 only drains), then takes every pending event. Returns nil
    /// when the user asked to quit (window closed, SIGINT).
    public func pollInput(timeout: Double) -> InputSnapshot? {
        precondition(!isDestroyed, "SDLWindowBackend used after destroy()")
        didReceiveEvents = false
        // Events left over from the last poll make a frame of their own right away.
        let timeout = translator.hasPendingInput ? 0 : timeout
        var event = SDL_Event()
        if timeout > 0 {
            let milliseconds = Int32(min(timeout * 1000, 86_400_000).rounded(.up))
            if SDL_WaitEventTimeout(&event, milliseconds) == 1 {
                guard handle(event) else { return nil }
            }
        }
        while SDL_PollEvent(&event) == 1 {
            guard handle(event) else { return nil }
        }
        let input = translator.takeFrame(modifiers: UInt16(truncatingIfNeeded: SDL_GetModState().rawValue),
                                         time: Double(SDL_GetTicks64()) / 1000)
        // More queued frames count as input, so the frame pacer builds the next one promptly.
        if translator.hasPendingInput { didReceiveEvents = true }
        return input
    }

    /// Sleeps `plan.sleep` (the frame-rate cap), then polls with `plan.waitForEvents`.
    public func pollInput(plan: FramePacer.Plan) -> InputSnapshot? {
        if plan.sleep > 0 {
            var request = timespec(tv_sec: Int(plan.sleep), tv_nsec: Int((plan.sleep - plan.sleep.rounded(.down)) * 1e9))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        }
        return pollInput(timeout: plan.waitForEvents)
    }

    /// Wakes the UI loop out of `SDL_WaitEventTimeout` so results from worker threads show at
    /// once. Safe to call from any thread (SDL_PushEvent is thread-safe).
    public static func wakeEventLoop() {
        var event = SDL_Event()
        event.type = SDL_USEREVENT.rawValue
        SDL_PushEvent(&event)
    }

    /// Seconds on SDL's high-resolution monotonic clock, for `FramePacer` and frame timing.
    public var now: Double { Double(SDL_GetPerformanceCounter()) / Double(SDL_GetPerformanceFrequency()) }

    /// False when the user asked to quit.
    private func handle(_ event: SDL_Event) -> Bool {
        didReceiveEvents = true
        switch translator.handle(event, clipboard: Self.clipboardText) {
        case .quit: return false
        case .resized: updateMetrics()
        case .texturesLost: drawListRenderer.purgeTextCache()
        case .handled, .ignored: break
        }
        return true
    }

    private static func clipboardText() -> String? {
        guard SDL_HasClipboardText() == SDL_TRUE, let text = SDL_GetClipboardText() else { return nil }
        defer { SDL_free(text) }
        return String(cString: text)
    }

    // MARK: Output

    /// Renders a finished UI frame and shows it; then carries out the frame's requests to the
    /// platform (clipboard text, text input on or off).
    public func present(_ ui: UIContext) {
        precondition(!isDestroyed, "SDLWindowBackend used after destroy()")
        let start = now
        drawListRenderer.clear(ui.theme.background)
        drawListRenderer.render(ui.drawList)
        SDL_RenderPresent(renderer)
        lastFrame = (ui.drawList, ui.theme.background)
        if let text = ui.clipboardWrite { SDL_SetClipboardText(text) }
        let textInputOn = SDL_IsTextInputActive() == SDL_TRUE
        if ui.wantsTextInput && !textInputOn { SDL_StartTextInput() }
        if !ui.wantsTextInput && textInputOn { SDL_StopTextInput() }
        lastPresentDuration = now - start
    }

    /// Writes the last presented frame as a PNG.
    public func saveScreenshot(path: String) throws(SDLError) {
        try captureFrame().savePNG(to: path)
    }

    /// The last presented frame's pixels. The frame is drawn again into the back buffer and read
    /// from there: after a present, the back buffer's content is undefined.
    public func captureFrame() throws(SDLError) -> PixelImage {
        precondition(!isDestroyed, "SDLWindowBackend used after destroy()")
        if let lastFrame {
            drawListRenderer.clear(lastFrame.background)
            drawListRenderer.render(lastFrame.list)
        }
        var width: Int32 = 0, height: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &width, &height)
        guard let surface = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32, SDL_PIXELFORMAT_ARGB8888.rawValue) else {
            throw .surfaceFailed(SDLError.lastError())
        }
        defer { SDL_FreeSurface(surface) }
        if SDL_RenderReadPixels(renderer, nil, SDL_PIXELFORMAT_ARGB8888.rawValue, surface.pointee.pixels, surface.pointee.pitch) != 0 {
            throw .surfaceFailed("cannot read the frame back: \(SDLError.lastError())")
        }
        return PixelImage(argbSurface: surface)
    }

    // MARK: Window

    public func setFullscreen(_ on: Bool) {
        guard on != isFullscreen else { return }
        if SDL_SetWindowFullscreen(window, on ? SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue : 0) == 0 {
            isFullscreen = on
        }
        updateMetrics()
    }

    public func toggleFullscreen() { setFullscreen(!isFullscreen) }

    public func setCursorVisible(_ visible: Bool) {
        SDL_ShowCursor(visible ? SDL_ENABLE : SDL_DISABLE)
    }

    public func setTitle(_ title: String) { SDL_SetWindowTitle(window, title) }

    /// The window's size in window coordinates (for saving between runs).
    public var windowSize: (width: Int32, height: Int32) {
        var width: Int32 = 0, height: Int32 = 0
        SDL_GetWindowSize(window, &width, &height)
        return (width, height)
    }

    /// A display's usable area (without panels and docks), in desktop coordinates.
    public struct DisplayBounds: Equatable, Sendable {
        public var x, y, width, height: Int32
        public init(x: Int32, y: Int32, width: Int32, height: Int32) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
        func contains(_ point: (x: Int32, y: Int32)) -> Bool {
            point.x >= x && point.x < x + width && point.y >= y && point.y < y + height
        }
    }

    /// Every display's usable bounds (empty when SDL cannot say: then nothing is clamped).
    static func usableDisplayBounds() -> [DisplayBounds] {
        (0..<max(0, SDL_GetNumVideoDisplays())).compactMap { index in
            var rect = SDL_Rect()
            guard SDL_GetDisplayUsableBounds(index, &rect) == 0 || SDL_GetDisplayBounds(index, &rect) == 0, rect.w > 0, rect.h > 0 else { return nil }
            return DisplayBounds(x: rect.x, y: rect.y, width: rect.w, height: rect.h)
        }
    }

    /// The saved size and position made to fit the display the position is on (the first
    /// display when it is on none): no larger than its usable area, and wholly inside it.
    public static func fit(width: Int32, height: Int32, position: (x: Int32, y: Int32)?, displays: [DisplayBounds])
        -> (width: Int32, height: Int32, position: (x: Int32, y: Int32)?) {
        guard let first = displays.first else { return (width, height, position) }
        let display = position.flatMap { point in displays.first { $0.contains(point) } } ?? first
        let fittedWidth = min(max(1, width), display.width), fittedHeight = min(max(1, height), display.height)
        guard let position else { return (fittedWidth, fittedHeight, nil) }
        let x = min(max(position.x, display.x), display.x + display.width - fittedWidth)
        let y = min(max(position.y, display.y), display.y + display.height - fittedHeight)
        return (fittedWidth, fittedHeight, (x, y))
    }

    /// The window's position on the desktop (for saving between runs).
    public var windowPosition: (x: Int32, y: Int32) {
        var x: Int32 = 0, y: Int32 = 0
        SDL_GetWindowPosition(window, &x, &y)
        return (x, y)
    }

    // MARK: Metrics

    /// Recomputes pixel ratio, scale and viewport after a resize or a move between screens;
    /// reopens the fonts when the scale changed.
    private func updateMetrics() {
        pixelRatio = Self.pixelRatio(window: window, renderer: renderer)
        var width: Int32 = 0, height: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &width, &height)
        let newScale = scaleForDrawableSize.map { $0(Float(width), Float(height)) } ?? pixelRatio * userScale
        if newScale.isFinite, newScale > 0, newScale != scale {
            do throws(SDLError) {
                try fonts.reload(scale: newScale)
                scale = newScale
            } catch {
                // Keep the old fonts and scale: text stays readable, just not crisp.
            }
        }
        viewportSize = Size(Float(width) / scale, Float(height) / scale)
        translator.pointScale = pixelRatio / scale
    }

    private static func pixelRatio(window: OpaquePointer, renderer: OpaquePointer) -> Float {
        var windowWidth: Int32 = 0, windowHeight: Int32 = 0, pixelWidth: Int32 = 0, pixelHeight: Int32 = 0
        SDL_GetWindowSize(window, &windowWidth, &windowHeight)
        SDL_GetRendererOutputSize(renderer, &pixelWidth, &pixelHeight)
        guard windowWidth > 0, pixelWidth > 0 else { return 1 }
        return Float(pixelWidth) / Float(windowWidth)
    }

    /// The explicit factor, else `NETSCOUTER_SCALE`, else 1; clamped to 0.5–4.
    static func userScale(explicit: Float?) -> Float {
        var factor = explicit ?? 1
        if explicit == nil, let text = getenv("NETSCOUTER_SCALE").map({ String(cString: $0) }), let parsed = Float(text) {
            factor = parsed
        }
        guard factor.isFinite, factor > 0 else { return 1 }
        return min(max(factor, 0.5), 4)
    }

    private static func quitVideo() {
        SDL_QuitSubSystem(SDL_INIT_VIDEO)
        if SDL_WasInit(0) == 0 { SDL_Quit() }
    }
}
