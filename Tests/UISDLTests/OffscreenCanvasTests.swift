import Foundation
import UI
import UISDL
import XCTest

final class OffscreenCanvasTests: XCTestCase {
    override func tearDown() {
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    /// The software renderer draws into memory with no display and no SDL_Init.
    func testSoftwareRendererFillsPixels() throws {
        let canvas = try OffscreenCanvas(width: 64, height: 48)
        defer { canvas.destroy() }
        canvas.clear(red: 10, green: 20, blue: 30)
        canvas.fillRect(x: 8, y: 8, width: 16, height: 16, red: 255, green: 128, blue: 0)
        canvas.present()
        XCTAssertEqual(canvas.pixel(x: 0, y: 0) & 0x00FF_FFFF, 0x0A141E)
        XCTAssertEqual(canvas.pixel(x: 8, y: 8) & 0x00FF_FFFF, 0xFF8000)
        XCTAssertEqual(canvas.pixel(x: 23, y: 23) & 0x00FF_FFFF, 0xFF8000)
        XCTAssertEqual(canvas.pixel(x: 24, y: 24) & 0x00FF_FFFF, 0x0A141E)
    }

    func testSaveReportsAnUnwritablePath() throws {
        let canvas = try OffscreenCanvas(width: 4, height: 4)
        defer { canvas.destroy() }
        XCTAssertThrowsError(try canvas.saveBMP(to: "/nonexistent-dir/shot.bmp")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent-dir/shot.bmp"))
        }
        XCTAssertThrowsError(try canvas.savePNG(to: "/nonexistent-dir/shot.png")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent-dir/shot.png"))
        }
    }

    func testSavesAPNGThatReadsBackTheSame() throws {
        let canvas = try OffscreenCanvas(width: 64, height: 32)
        defer { canvas.destroy() }
        var list = DrawList()
        list.append(.fillRect(Rect(x: 4, y: 4, width: 20, height: 10), Color(200, 40, 40), cornerRadius: 3))
        list.append(.text("PNG", at: Point(30, 8), Color(255, 255, 255), .small))
        canvas.render(list, background: Color(16, 16, 16))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-canvas-\(getpid()).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try canvas.savePNG(to: path)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let loaded = try PixelImage.load(path: path)
        XCTAssertEqual(loaded.width, 64)
        XCTAssertEqual(loaded.height, 32)
        let original = canvas.image()
        XCTAssertEqual(loaded.pixels.map { $0 & 0x00FF_FFFF }, original.pixels.map { $0 & 0x00FF_FFFF })
    }

    func testDestroyIsIdempotentAndReleasesFonts() throws {
        let canvas = try OffscreenCanvas(width: 8, height: 8)
        XCTAssertGreaterThan(TTFLibrary.userCount, 0)
        canvas.destroy()
        canvas.destroy()
        XCTAssertTrue(canvas.isDestroyed)
        XCTAssertEqual(TTFLibrary.userCount, 0)
    }
}
