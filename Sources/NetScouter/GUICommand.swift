import ArgumentParser
import Export
import Capture
import Firewall
import Foundation
import Jobs
import Schedule
import Screens
import Store
import UI
import UISDL

/// `netscouter` with no subcommand, or `netscouter gui`: the dashboard window.
struct GUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gui",
        abstract: "Open the dashboard window (the default when no subcommand is given).",
        discussion: """
            Examples:
              netscouter                          # open the dashboard
              netscouter --read trace.pcapng      # open it on a capture file
              netscouter --kiosk --interface eth0 --rotate 20
            Keys: Ctrl+Tab next tab, / edit the capture filter, F11 full screen, Ctrl+Q quit.
            In kiosk mode, Ctrl+Alt+Q leaves.
            """
    )

    @OptionGroup var source: SourceOptions

    @Flag(help: "Wall-screen mode: full screen, large type, no controls, rotating panels.")
    var kiosk = false

    @Option(parsing: .unconditional, help: "Kiosk mode: seconds between panel rotations (1 to 3600).",
            transform: { try NumericOption.decimal($0, option: "--rotate", range: 1...3600, unit: "seconds") })
    var rotate: Double = 15

    @Option(parsing: .unconditional, help: "Interface scale factor, 0.5 to 4 (default: from the display's pixel density).",
            transform: { try NumericOption.float($0, option: "--scale", range: 0.5...4, unit: "times") })
    var scale: Float?

    @Option(help: "Colour theme: dark or light.")
    var theme: String?

    @OptionGroup var storage: StorageOptions

    var interface: String? { source.interface }
    var read: String? { source.read }
    var filter: String? { source.filter }
    var replay: Bool { source.replay }

    func validate() throws {
        if read != nil && interface != nil { throw ValidationError("Give --read FILE or --interface IF, not both.") }
        if let theme, theme != "dark" && theme != "light" { throw ValidationError("--theme is dark or light.") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        if (environment["DISPLAY"] ?? "").isEmpty && (environment["WAYLAND_DISPLAY"] ?? "").isEmpty && environment["SDL_VIDEODRIVER"] == nil {
            throw fail("No display to open the window on (DISPLAY is not set). Run it in a desktop session, "
                + "or use the command line: `netscouter capture --read FILE`, `netscouter screenshot --out shot.png`.")
        }
        var preferences = UIPreferences.load()
        let backend: SDLWindowBackend
        do {
            let position = preferences.x.flatMap { x in preferences.y.map { (x: x, y: $0) } }
            backend = try SDLWindowBackend(title: "NetScouter", width: preferences.width, height: preferences.height,
                                           fullscreen: kiosk, scale: scale, position: position)
        } catch {
            throw fail(error)
        }
        let ui = UIContext(theme: (theme ?? preferences.theme) == "light" ? .light : .dark, measurer: backend.measurer)
        ui.scale = backend.scale
        let capture = CaptureController()
        let inbox = UIInbox()
        inbox.setWakeHandler { SDLWindowBackend.wakeEventLoop() }
        let (services, schedulerLock, servicesProblem) = openServices()
        let shell = AppShell(capture: capture, services: services, inbox: inbox)
        if theme == nil && services != nil { ui.theme = shell.theme }  // the Settings tab's theme wins unless --theme says otherwise
        shell.theme = ui.theme
        let (reloadTimer, schedulerProblem) = startScheduler(services)
        for (problem, kind) in servicesProblem { shell.toasts.post(problem, kind: kind) }
        if let schedulerProblem { shell.toasts.post(schedulerProblem, kind: .error) }
        // Stored bans back into the firewall, expired ones lifted; failures become toasts.
        let banKeeper = services.flatMap { Self.banKeeper(database: $0.database, inbox: inbox, toasts: UIThreadReference(shell.toasts)) }
        banKeeper?.start()
        // A file or interface on the command line is for the Dashboard; otherwise the last tab.
        shell.selectedTab = read != nil || interface != nil ? .dashboard : AppShell.Tab(name: preferences.lastTab) ?? .dashboard
        let kioskScreen = kiosk ? KioskScreen(capture: capture, panels: shell.kioskPanels, rotateSeconds: rotate, inbox: shell.inbox) : nil
        if kiosk {
            backend.setCursorVisible(false)
            // Readable from across the room: the wall's type scales with its size (unless --scale).
            if scale == nil { backend.scaleForDrawableSize = { KioskScreen.layoutScale(pixelWidth: $0, pixelHeight: $1) } }
        }
        // NETSCOUTER_LIVE_REDRAW_SECONDS (0 to 1; 0 = every frame that drained packets, the old
        // policy) exists for the UI benchmark, which measures both in one run.
        if let text = ProcessInfo.processInfo.environment["NETSCOUTER_LIVE_REDRAW_SECONDS"], let seconds = Double(text), (0...1).contains(seconds) {
            shell.livePacing = LiveRedrawPacing(interval: seconds)
            kioskScreen?.livePacing = LiveRedrawPacing(interval: seconds)
        }
        shell.dashboard.filterText = filter ?? ""
        if let read {
            shell.dashboard.openFile(read, replay: replay)
        } else if let interface {
            // The interface list is read on a worker; when it arrives the running interface is picked.
            shell.dashboard.startLive(interface: interface)
        }

        // Idle (no capture, no input, nothing timed): sleep in SDL_WaitEventTimeout for up to 5 s.
        let pacer = FramePacer(maxFramesPerSecond: 60, idleTimeout: 5)
        var activity = FramePacer.Activity.idle
        var lastFrameStart = -Double.infinity
        while true {
            let plan = pacer.plan(now: backend.now, lastFrameStart: lastFrameStart, activity: activity)
            guard let input = backend.pollInput(plan: plan) else { break }
            lastFrameStart = backend.now
            ui.scale = backend.scale  // a resize or a move to another screen can change it
            ui.beginFrame(input: input, viewport: backend.viewport)
            if let kioskScreen { kioskScreen.build(ui) } else { shell.build(ui) }
            ui.endFrame()
            backend.present(ui)
            if shell.quitRequested || kioskScreen?.exitRequested == true { break }
            if shell.fullscreenToggleRequested {
                backend.toggleFullscreen()
                shell.fullscreenToggleRequested = false
            }
            // UI wake times are on the input clock; the pacer runs on the backend's clock.
            let deadline = ui.nextWakeTime.map { backend.now + max(0, $0 - input.time) }
            activity = FramePacer.Activity(hasLiveData: ui.wantsAnotherFrame, isAnimating: false,
                                           hadInput: backend.didReceiveEvents, nextDeadline: deadline)
        }

        capture.stop()
        reloadTimer?.cancel()
        services?.scheduler?.stop(waitForRunning: true)
        banKeeper?.stop()
        withExtendedLifetime(schedulerLock) {}
        services?.writer.stop()  // every pending write completes before we exit
        if !kiosk && !backend.isFullscreen {
            let size = backend.windowSize, position = backend.windowPosition
            preferences.width = size.width
            preferences.height = size.height
            preferences.x = position.x
            preferences.y = position.y
        }
        preferences.lastTab = shell.selectedTab.title
        preferences.theme = ui.theme.name
        backend.destroy()
        do { try preferences.save() } catch {
            var standardError = StandardError()
            print("netscouter: could not save window preferences to \(UIPreferences.defaultURL.path): \(error.localizedDescription)", to: &standardError)
        }
    }
}

extension GUICommand {
    /// The database, settings, secrets and the running scheduler for the Settings and Scheduler
    /// tabs. A problem here does not keep the window from opening: the tabs say what is wrong.
    /// The returned lock must stay alive as long as this window runs the scheduler.
    func openServices() -> (services: AppServices?, lock: SchedulerLock?, problems: [(String, ToastKind)]) {
        let database: NetScouterDatabase
        do { database = try storage.openDatabase() } catch {
            return (nil, nil, [(UserError("The database could not be opened, so settings and schedules are unavailable", underlying: error).userText, .error)])
        }
        var problems: [(String, ToastKind)] = []
        var secrets: SecretsFile?
        do { secrets = try SecretsFile() } catch {
            problems.append((UserError("API keys can be read only from the environment", underlying: error).userText, .error))
        }
        // Run scheduled jobs here only if no daemon (or other window) already does.
        let (scheduler, heldLock, lockProblem) = AppServices.schedulerForWindow(database: database)
        if let lockProblem { problems.append((lockProblem.message, lockProblem.kind)) }
        let services = AppServices(database: database, writer: StoreWriter(database: database), secrets: secrets,
                                   scheduleService: ScheduleService(database: database), scheduler: scheduler, firewall: .system)
        return (services, heldLock, problems)
    }

    /// Starts scheduled jobs once the Scheduler tab is listening (it observes the scheduler), with a
    /// periodic reload that picks up jobs changed from the command line (cancel it at exit).
    func startScheduler(_ services: AppServices?) -> (reload: DispatchSourceTimer?, problem: String?) {
        guard let scheduler = services?.scheduler else { return (nil, nil) }
        do {
            try scheduler.start()
            try scheduler.startTimer()
            return (scheduler.reloadPeriodically(every: 15), nil)
        } catch {
            return (nil, UserError("Scheduled jobs are not running", underlying: error).userText)
        }
    }
}

/// Renders one frame offscreen and writes a PNG: reproducible README images and visual checks.
struct ScreenshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screenshot",
        abstract: "Render the dashboard offscreen (no display needed) and save it as a PNG.",
        discussion: "Example: netscouter screenshot --out dashboard.png --read trace.pcap --size 1280x800"
    )

    @Option(help: "Where to write the PNG.")
    var out: String

    @Option(help: "Which tab: Dashboard, Scanner, Intel, Firewall, IoT Map, Scheduler, Settings, or Kiosk.")
    var tab: String = "Dashboard"

    @Option(help: "Load this pcap or pcapng file first.")
    var read: String?

    @Option(parsing: .unconditional, help: "Image size as WIDTHxHEIGHT, from 320x240 to 7680x4320.")
    var size: String = "1280x800"

    @Option(help: "Colour theme: dark or light.")
    var theme: String = "dark"

    @Option(parsing: .unconditional, help: "Scale factor, 0.5 to 4 (2 for a HiDPI image).",
            transform: { try NumericOption.float($0, option: "--scale", range: 0.5...4, unit: "times") })
    var scale: Float = 1

    @Option(help: "Which table to show under the graph: flows, hosts or packets.")
    var table: String = "flows"

    @OptionGroup var storage: StorageOptions

    func validate() throws {
        guard parsedSize != nil else {
            throw ValidationError("--size is WIDTHxHEIGHT with whole numbers from 320x240 to 7680x4320, e.g. 1280x800, not \"\(size)\".")
        }
        guard tab.lowercased() == "kiosk" || AppShell.Tab(name: tab) != nil else {
            throw ValidationError("Unknown tab \"\(tab)\". Choose one of: \(AppShell.Tab.allCases.map(\.title).joined(separator: ", ")), Kiosk.")
        }
        guard ["flows", "hosts", "packets"].contains(table) else { throw ValidationError("--table is flows, hosts or packets.") }
    }

    var parsedSize: (Int32, Int32)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int32($0) }
        guard parts.count == 2, parts[0] >= 320, parts[1] >= 240, parts[0] <= 7680, parts[1] <= 4320 else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let (width, height) = parsedSize!
        let canvas: OffscreenCanvas
        do { canvas = try OffscreenCanvas(width: Int32(Float(width) * scale), height: Int32(Float(height) * scale), scale: scale) } catch { throw fail(error) }
        defer { canvas.destroy() }
        let ui = UIContext(theme: theme == "light" ? .light : .dark, measurer: canvas.measurer)
        ui.scale = scale
        let capture = CaptureController()
        // Settings and Scheduler show the real database (read only here: nothing is started).
        let services = (try? storage.openDatabase()).map { database in
            AppServices(database: database, writer: StoreWriter(database: database), secrets: try? SecretsFile(),
                        scheduleService: ScheduleService(database: database), scheduler: nil)
        }
        defer { services?.writer.stop() }
        let shell = AppShell(capture: capture, services: services)
        shell.selectedTab = AppShell.Tab(name: tab) ?? .dashboard
        shell.dashboard.tableTab = ["flows", "hosts", "packets"].firstIndex(of: table) ?? 0
        if table == "packets" { shell.dashboard.packetSelection = 0 }
        let kiosk = tab.lowercased() == "kiosk" ? KioskScreen(capture: capture) : nil
        if let read {
            shell.dashboard.openFile(read)
            if let error = capture.lastError { throw fail(error) }
            // Read the whole file before drawing.
            while capture.isCapturing || (capture.session?.ring.count ?? 0) > 0 {
                if capture.drain() == 0 { usleep(1000) }
            }
        }
        var time = 0.0
        for _ in 0..<3 {  // a few frames so cached rows, background reads and hover state settle
            if shell.hasPendingWork { usleep(50_000) }
            var input = InputSnapshot()
            input.time = time
            time += 1
            ui.beginFrame(input: input, viewport: canvas.viewport)
            if let kiosk { kiosk.build(ui) } else { shell.build(ui) }
            ui.endFrame()
        }
        canvas.render(ui)
        // Through Exporter: atomic for a file, in place for a device or FIFO, write errors reported.
        let png: [UInt8]
        do { png = try canvas.pngData() } catch { throw fail(error) }
        do { try Exporter.write(bytes: png, to: out) } catch { throw fail(error) }
        print("Wrote \(out) (\(width)×\(height)\(scale != 1 ? " at \(scale)×" : ""))")
    }
}

extension GUICommand {
    /// The window's ban keeper, or nil when the firewall cannot be opened (no backend installed,
    /// settings unreadable): said on stderr, and as a toast when stored bans go unapplied.
    static func banKeeper(database: NetScouterDatabase, inbox: UIInbox, toasts: UIThreadReference<ToastCenter>) -> BanKeeper? {
        do {
            return BanKeeper(firewall: try FirewallService.configured(database: database)) { line, isError in
                inbox.post { toasts.object?.post(line, kind: isError ? .error : .info) }
            }
        } catch {
            let line = "firewall: \(error) Stored bans are not re-applied."
            var standardError = StandardError()
            print("netscouter: \(line)", to: &standardError)
            if let stored = try? BlockStore(database: database).active(at: Date()), !stored.isEmpty {
                inbox.post { toasts.object?.post("\(line) (\(stored.count) stored ban\(stored.count == 1 ? "" : "s"))", kind: .error) }
            }
            return nil
        }
    }
}
