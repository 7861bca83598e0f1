import Foundation
import UI
import UISDL
import XCTest

/// A real X11 window on a private Xvfb server started by the test itself.
final class SDLWindowBackendTests: XCTestCase {
    private var xvfb: Process?
    private var savedDisplay: String?
    private var changedDisplay = false

    override func tearDown() {
        SDLHints.reset(SDLHints.videoDriver)
        if changedDisplay {
            if let savedDisplay { setenv("DISPLAY", savedDisplay, 1) } else { unsetenv("DISPLAY") }
            changedDisplay = false
        }
        if let xvfb, xvfb.isRunning {
            xvfb.terminate()
            xvfb.waitUntilExit()
        }
        xvfb = nil
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    /// Starts `Xvfb :N` on the first free display from :97 and points SDL at it (x11 driver by
    /// hint, DISPLAY for this test only; tearDown restores both and stops the server).
    private func startXvfb() throws {
        guard let path = ["/usr/bin/Xvfb", "/usr/local/bin/Xvfb"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("Xvfb is not installed (sudo apt-get install xvfb): skipping the real-window test")
        }
        guard let number = (97..<130).first(where: {
            !FileManager.default.fileExists(atPath: "/tmp/.X\($0)-lock") && !FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\($0)")
        }) else { throw XCTSkip("no free X display number between :97 and :129") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [":\(number)", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        xvfb = process
        let socket = "/tmp/.X11-unix/X\(number)"
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socket) {
            guard process.isRunning, Date() < deadline else {
                XCTFail("Xvfb :\(number) did not start")
                throw XCTSkip("Xvfb :\(number) did not start")
            }
            usleep(20_000)
        }
        savedDisplay = ProcessInfo.processInfo.environment["DISPLAY"]
        setenv("DISPLAY", ":\(number)", 1)
        changedDisplay = true
        SDLHints.set(SDLHints.videoDriver, "x11")
    }

    func testWindowPresentsAUIFrameAndSavesAScreenshot() throws {
        try startXvfb()
        let backend = try SDLWindowBackend(title: "NetScouter test", width: 640, height: 400, scale: 1)
        defer { backend.destroy() }
        XCTAssertEqual(backend.scale, 1)
        XCTAssertEqual(backend.viewportSize, Size(640, 400))

        let ui = UIContext(theme: .dark, measurer: backend.measurer)
        var clicked = false
        for _ in 0..<3 {
            let input = try XCTUnwrap(backend.pollInput(timeout: 0.05), "no quit was requested")
            XCTAssertGreaterThan(input.time, 0)
            ui.beginFrame(input: input, viewport: backend.viewport)
            ui.label("Packets per second", role: .heading)
            if ui.button("Start capture").contains(.pressed) { clicked = true }
            ui.endFrame()
            backend.present(ui)
        }
        XCTAssertFalse(clicked)
        print("window renderer: \(backend.rendererName), present \(String(format: "%.2f", backend.lastPresentDuration * 1000)) ms")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-window-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try backend.saveScreenshot(path: path)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let shot = try PixelImage.load(path: path)
        XCTAssertEqual(shot.width, 640)
        XCTAssertEqual(shot.height, 400)
        XCTAssertGreaterThan(shot.distinctColorCount, 1, "the screenshot is blank")
        XCTAssertEqual(shot.color(x: 639, y: 399).withAlpha(255), Theme.dark.background)

        let size = backend.windowSize
        XCTAssertEqual(size.width, 640)
        XCTAssertEqual(size.height, 400)
        _ = backend.windowPosition
        backend.setCursorVisible(false)
        backend.setCursorVisible(true)
    }

    func testIdleWaitBlocksWithoutSpinning() throws {
        try startXvfb()
        let backend = try SDLWindowBackend(title: "idle", width: 320, height: 200, scale: 1)
        defer { backend.destroy() }
        // Let the window settle (map, expose, focus events), then wait on an idle queue.
        for _ in 0..<5 { _ = backend.pollInput(timeout: 0.05) }
        let wallStart = Date(), cpuStart = clock()
        let input = backend.pollInput(timeout: 0.3)
        let wall = Date().timeIntervalSince(wallStart), cpu = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
        XCTAssertNotNil(input)
        if !backend.didReceiveEvents {
            XCTAssertGreaterThan(wall, 0.25, "an idle wait should block for the timeout")
        }
        XCTAssertLessThan(cpu, 0.05, "an idle wait must not spin (used \(cpu) s of CPU in \(wall) s)")
        print(String(format: "idle wait: %.0f ms wall, %.1f ms CPU", wall * 1000, cpu * 1000))
    }

    func testFullscreenToggleChangesTheViewport() throws {
        try startXvfb()
        let backend = try SDLWindowBackend(title: "fullscreen", width: 320, height: 200, scale: 2)
        defer { backend.destroy() }
        XCTAssertEqual(backend.scale, 2)
        XCTAssertEqual(backend.viewportSize, Size(160, 100))
        backend.toggleFullscreen()
        XCTAssertTrue(backend.isFullscreen)
        for _ in 0..<10 { _ = backend.pollInput(timeout: 0.02) }
        XCTAssertEqual(backend.viewportSize, Size(640, 400), "fullscreen on a 1280×800 screen at scale 2")
        backend.setFullscreen(false)
        XCTAssertFalse(backend.isFullscreen)
    }

    /// A size and position saved on a bigger screen (4000×3000 at 3000,2000) open on this
    /// 1280×800 screen as a window that fits on it.
    func testSavedWindowLargerThanTheScreenIsClampedToTheDisplay() throws {
        try startXvfb()
        let backend = try SDLWindowBackend(title: "NetScouter clamp test", width: 4000, height: 3000, scale: 1, position: (3000, 2000))
        defer { backend.destroy() }
        for _ in 0..<3 { _ = backend.pollInput(timeout: 0.02) }
        let size = backend.windowSize, position = backend.windowPosition
        XCTAssertLessThanOrEqual(size.width, 1280)
        XCTAssertLessThanOrEqual(size.height, 800)
        XCTAssertGreaterThan(size.width, 600, "clamped to the screen, not shrunk to nothing")
        XCTAssertGreaterThanOrEqual(position.x, 0)
        XCTAssertGreaterThanOrEqual(position.y, 0)
        XCTAssertLessThanOrEqual(position.x + size.width, 1280, "the window's right edge is on the screen")
        XCTAssertLessThanOrEqual(position.y + size.height, 800, "the window's bottom edge is on the screen")
    }

    func testFitKeepsTheWindowOnTheDisplayItWasOn() {
        let displays = [SDLWindowBackend.DisplayBounds(x: 0, y: 0, width: 1920, height: 1080),
                        SDLWindowBackend.DisplayBounds(x: 1920, y: 0, width: 1280, height: 1024)]
        // On the second display, too wide for it: narrowed and moved left to fit there.
        let second = SDLWindowBackend.fit(width: 1600, height: 900, position: (2500, 300), displays: displays)
        XCTAssertEqual(second.width, 1280)
        XCTAssertEqual(second.height, 900)
        XCTAssertEqual(second.position?.x, 1920)
        XCTAssertEqual(second.position?.y, 124)
        // On no display (a monitor that is gone): brought onto the first.
        let gone = SDLWindowBackend.fit(width: 800, height: 600, position: (5000, 5000), displays: displays)
        XCTAssertEqual(gone.position?.x, 1120)
        XCTAssertEqual(gone.position?.y, 480)
        // Fits already: unchanged.
        let fits = SDLWindowBackend.fit(width: 800, height: 600, position: (100, 50), displays: displays)
        XCTAssertEqual(fits.width, 800)
        XCTAssertEqual(fits.position?.x, 100)
        XCTAssertEqual(fits.position?.y, 50)
    }
}
