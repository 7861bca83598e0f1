import UI
@testable import UISDL
import XCTest

final class FontTests: XCTestCase {
    override func tearDown() {
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    func testFontconfigFindsDejaVu() throws {
        let sans = try XCTUnwrap(FontLocator.match("DejaVu Sans"))
        XCTAssertEqual(sans.family, "DejaVu Sans")
        XCTAssertTrue(sans.path.hasSuffix(".ttf"), sans.path)
        let paths = try FontLocator.uiFonts()
        XCTAssertTrue(paths.sans.hasSuffix("DejaVuSans.ttf"), paths.sans)
        XCTAssertTrue(paths.mono.hasSuffix("DejaVuSansMono.ttf"), paths.mono)
        XCTAssertEqual(FontFamily(.monospace), .mono)
        XCTAssertEqual(FontFamily(.heading), .sans)
    }

    func testUnusableFontsNameTheDebianPackage() throws {
        try TTFLibrary.acquire()
        defer { TTFLibrary.release() }
        XCTAssertNotNil(FontLocator.problem(opening: "/nonexistent/font.ttf"))
        XCTAssertNotNil(FontLocator.problem(opening: "/etc/hostname"), "a text file is not a font")
        XCTAssertThrowsError(try FontSet(paths: FontPaths(sans: "/nonexistent/DejaVuSans.ttf", mono: "/nonexistent/mono.ttf"))) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("sudo apt-get install fonts-dejavu-core"), message)
            XCTAssertTrue(message.contains("/nonexistent/DejaVuSans.ttf"), message)
        }
    }

    func testFontSizesFollowTheScale() throws {
        XCTAssertEqual(FontSet.pixelSize(.body, scale: 1), 14)
        XCTAssertEqual(FontSet.pixelSize(.small, scale: 1), 12)
        XCTAssertEqual(FontSet.pixelSize(.heading, scale: 1), 17)
        XCTAssertEqual(FontSet.pixelSize(.monospace, scale: 1), 13)
        XCTAssertEqual(FontSet.pixelSize(.display, scale: 1), 34)
        XCTAssertEqual(FontSet.pixelSize(.body, scale: 2), 28)
        XCTAssertEqual(FontSet.pixelSize(.body, scale: 1.5), 21)
    }

    func testMeasurerWidthsGrowWithTextAndFontSize() throws {
        let fonts = try FontSet(scale: 1)
        defer { fonts.close() }
        let measurer = SDLTextMeasurer(fonts: fonts)
        let short = measurer.size(of: "Flows", role: .body)
        let long = measurer.size(of: "Flows and hosts", role: .body)
        XCTAssertGreaterThan(short.width, 20)
        XCTAssertGreaterThan(long.width, short.width)
        XCTAssertGreaterThan(measurer.size(of: "Flows", role: .heading).width, measurer.size(of: "Flows", role: .small).width)
        XCTAssertGreaterThan(measurer.size(of: "Flows", role: .display).width, measurer.size(of: "Flows", role: .heading).width)
        XCTAssertGreaterThan(measurer.lineHeight(.heading), measurer.lineHeight(.small))
        XCTAssertEqual(short.height, measurer.lineHeight(.body))
        XCTAssertEqual(measurer.size(of: "", role: .body).width, 0)
        // Monospace: every character the same advance.
        let mono1 = measurer.size(of: "iiii", role: .monospace).width, mono2 = measurer.size(of: "WWWW", role: .monospace).width
        XCTAssertEqual(mono1, mono2)
    }

    func testMeasurerCachesAndStaysBounded() throws {
        let fonts = try FontSet(scale: 1)
        defer { fonts.close() }
        let measurer = SDLTextMeasurer(fonts: fonts, capacity: 16)
        _ = measurer.size(of: "10.0.0.1", role: .monospace)
        _ = measurer.size(of: "10.0.0.1", role: .monospace)
        XCTAssertEqual(measurer.measurements, 1)
        _ = measurer.size(of: "10.0.0.1", role: .body)
        XCTAssertEqual(measurer.measurements, 2, "the role is part of the key")
        for i in 0..<100 { _ = measurer.size(of: "host \(i)", role: .body) }
        XCTAssertLessThanOrEqual(measurer.cachedCount, 32)
    }

    func testLogicalSizesAreAboutTheSameAtEveryScale() throws {
        let one = try FontSet(scale: 1)
        defer { one.close() }
        let two = try FontSet(scale: 2)
        defer { two.close() }
        let a = SDLTextMeasurer(fonts: one).size(of: "Packets per second", role: .body)
        let b = SDLTextMeasurer(fonts: two).size(of: "Packets per second", role: .body)
        XCTAssertEqual(a.width, b.width, accuracy: a.width * 0.08)
        XCTAssertEqual(a.height, b.height, accuracy: 2)
    }

    func testReloadingFontsInvalidatesTheMeasurerCache() throws {
        let fonts = try FontSet(scale: 1)
        defer { fonts.close() }
        let measurer = SDLTextMeasurer(fonts: fonts)
        let before = measurer.size(of: "Scale", role: .body)
        try fonts.reload(scale: 2)
        XCTAssertEqual(fonts.scale, 2)
        let after = measurer.size(of: "Scale", role: .body)
        XCTAssertEqual(measurer.measurements, 2)
        XCTAssertEqual(before.width, after.width, accuracy: before.width * 0.1)
    }
}
