import UISDL
import XCTest

final class OffscreenCanvasTests: XCTestCase {
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
    }
}
