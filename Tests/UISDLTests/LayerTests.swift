import Foundation
import CSDL2
import UI
@testable import UISDL
import XCTest

/// Kept layers (`DrawCommand.beginLayer`): drawn into a render target once, shown again while
/// their key stays, and pixel for pixel what drawing the same commands directly gives.
final class LayerTests: XCTestCase {
    let background = Color(10, 20, 30)
    let panel = Color(22, 27, 34)

    override func tearDown() {
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    /// A map-like picture: translucent and opaque lines of several widths and directions
    /// (crossing, so blending order shows), a ring, discs and text.
    func content(_ list: inout DrawList, lineColor: Color, scroll: Point = Point(0, 0)) {
        let cx = 100 + scroll.x, cy = 80 + scroll.y
        list.append(.arc(center: Point(cx, cy), radius: 50, startAngle: 0, endAngle: 2 * .pi, Color(48, 54, 61), thickness: 1))
        for step in 0..<24 {
            let angle = Float(step) / 24 * 2 * .pi
            let end = Point(cx + 90 * cos(angle), cy + 70 * sin(angle))
            let color = step % 3 == 0 ? Color(248, 81, 73) : lineColor
            list.append(.line(from: Point(cx + 20 * cos(angle * 3), cy + 20 * sin(angle * 3)), to: end, color,
                              thickness: 1 + Float(step % 4)))
        }
        list.append(.circle(center: Point(cx, cy), radius: 12, Color(61, 139, 253), filled: true))
        list.append(.circle(center: Point(cx + 60, cy - 40), radius: 6, Color(255, 255, 255), filled: false))
        list.append(.text("cam-1", at: Point(cx - 70, cy + 50), Color(230, 237, 243), .small))
    }

    func layerList(key: UInt64, lineColor: Color, rect: Rect, clip: Rect? = nil, scroll: Point = Point(0, 0)) -> DrawList {
        var list = DrawList()
        list.append(.fillRect(Rect(x: 0, y: 0, width: 20, height: 20), Color(200, 0, 0), cornerRadius: 0))
        if let clip { list.append(.clip(clip)) }
        list.append(.beginLayer(slot: 7, key: key, rect: rect, background: panel, scroll: scroll))
        content(&list, lineColor: lineColor, scroll: scroll)
        list.append(.endLayer)
        if clip != nil { list.append(.clip(nil)) }
        // Over the layer: must show whether the layer was drawn or kept.
        list.append(.line(from: Point(10, 150), to: Point(190, 10), Color(255, 255, 255), thickness: 3))
        return list
    }

    /// The same picture without a layer: the background fill, then the commands.
    func directList(lineColor: Color, rect: Rect, clip: Rect? = nil, scroll: Point = Point(0, 0)) -> DrawList {
        var list = DrawList()
        list.append(.fillRect(Rect(x: 0, y: 0, width: 20, height: 20), Color(200, 0, 0), cornerRadius: 0))
        if let clip { list.append(.clip(clip)) }
        list.append(.fillRect(rect, panel, cornerRadius: 0))
        content(&list, lineColor: lineColor, scroll: scroll)
        if clip != nil { list.append(.clip(nil)) }
        list.append(.line(from: Point(10, 150), to: Point(190, 10), Color(255, 255, 255), thickness: 3))
        return list
    }

    func differingPixels(_ a: PixelImage, _ b: PixelImage) -> Int {
        zip(a.pixels, b.pixels).reduce(0) { $0 + (($1.0 & 0x00FF_FFFF) == ($1.1 & 0x00FF_FFFF) ? 0 : 1) }
    }

    func testALayerLooksLikeItsCommandsDrawnDirectlyWhenDrawnAndWhenKept() throws {
        let muted = Color(139, 148, 158, 110)
        for scale: Float in [1, 2] {
            for clip: Rect? in [nil, Rect(x: 40, y: 30, width: 100, height: 80)] {
                let rect = Rect(x: 5, y: 5, width: 190, height: 150)
                let size = (Int32(200 * scale), Int32(160 * scale))
                let layered = try OffscreenCanvas(width: size.0, height: size.1, scale: scale)
                defer { layered.destroy() }
                let direct = try OffscreenCanvas(width: size.0, height: size.1, scale: scale)
                defer { direct.destroy() }
                direct.render(directList(lineColor: muted, rect: rect, clip: clip), background: background)
                let expected = direct.image()

                layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: clip), background: background)
                XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
                XCTAssertEqual(layered.drawListRenderer.statistics.layerHits, 0)
                XCTAssertEqual(differingPixels(layered.image(), expected), 0, "drawn layer, scale \(scale), clip \(String(describing: clip))")

                layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: clip), background: background)
                XCTAssertEqual(layered.drawListRenderer.statistics.layerHits, 1)
                XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 0)
                XCTAssertEqual(differingPixels(layered.image(), expected), 0, "kept layer, scale \(scale), clip \(String(describing: clip))")
                // Something was drawn at all: the lines and the red corner.
                XCTAssertGreaterThan(expected.distinctColorCount, 8)
            }
        }
    }

    /// A pan: the kept pixels move and only the uncovered strips are drawn; the picture matches
    /// one drawn afresh but for lines stepping differently where a strip's edge cuts them, and
    /// once the layer stops moving it is drawn afresh (exact) and then kept again.
    func testAMovedLayerDrawsOnlyTheUncoveredStripsAndIsRedrawnAtRest() throws {
        let muted = Color(139, 148, 158, 110)
        for scale: Float in [1, 2] {
            let rect = Rect(x: 5, y: 5, width: 190, height: 150)
            let size = (Int32(200 * scale), Int32(160 * scale))
            let layered = try OffscreenCanvas(width: size.0, height: size.1, scale: scale)
            defer { layered.destroy() }
            let direct = try OffscreenCanvas(width: size.0, height: size.1, scale: scale)
            defer { direct.destroy() }
            let regionPixels = Int(190 * scale) * Int(150 * scale)
            // Clipped to the layer's rectangle, as a canvas is (the content moves past its edges).
            layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: rect), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
            var scroll = Point(0, 0)
            for step in [Point(7, -4), Point(-3, 0), Point(0, 5), Point(-12, 9)] {
                scroll = Point(scroll.x + step.x, scroll.y + step.y)
                layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: rect, scroll: scroll), background: background)
                XCTAssertEqual(layered.drawListRenderer.statistics.layerMoves, 1, "moved by \(step) at scale \(scale)")
                XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 0)
                direct.render(directList(lineColor: muted, rect: rect, clip: rect, scroll: scroll), background: background)
                let differing = differingPixels(layered.image(), direct.image())
                XCTAssertLessThan(differing, regionPixels / 200, "moved by \(step) at scale \(scale): \(differing) pixels differ")
            }
            // At rest: drawn afresh once, exactly, then kept.
            layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: rect, scroll: scroll), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
            XCTAssertEqual(differingPixels(layered.image(), direct.image()), 0)
            layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: rect, scroll: scroll), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerHits, 1)
            XCTAssertEqual(differingPixels(layered.image(), direct.image()), 0)
            // A move by a fraction of a pixel cannot move pixels: drawn afresh.
            let fraction = Point(scroll.x + 0.25 / scale, scroll.y)
            layered.render(layerList(key: 1, lineColor: muted, rect: rect, clip: rect, scroll: fraction), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMoves, 0)
        }
    }

    func testAKeptLayerSkipsItsCommandsUntilTheKeyChanges() throws {
        let canvas = try OffscreenCanvas(width: 200, height: 160)
        defer { canvas.destroy() }
        let rect = Rect(x: 5, y: 5, width: 190, height: 150)
        let green = Color(0, 200, 0), blue = Color(0, 0, 255)
        // The middle of an opaque 2 px green (later blue) line of the content (step 1: 15°, width 2).
        let angle: Float = 2 * .pi / 24
        let probe = (x: Int32(((100 + 20 * cos(angle * 3) + 100 + 90 * cos(angle)) / 2).rounded(.down)),
                     y: Int32(((80 + 20 * sin(angle * 3) + 80 + 70 * sin(angle)) / 2).rounded(.down)))
        func lineColorAtProbe() -> Color {
            // The line is 2 px wide: one of the two pixels across it holds the colour.
            [canvas.color(x: probe.x, y: probe.y), canvas.color(x: probe.x, y: probe.y + 1), canvas.color(x: probe.x, y: probe.y - 1)]
                .first { $0 == green || $0 == blue } ?? canvas.color(x: probe.x, y: probe.y)
        }
        canvas.render(layerList(key: 1, lineColor: green, rect: rect), background: background)
        XCTAssertEqual(lineColorAtProbe(), green)
        // Same key, other commands: the kept picture is shown (the key is the caller's promise).
        canvas.render(layerList(key: 1, lineColor: blue, rect: rect), background: background)
        XCTAssertEqual(canvas.drawListRenderer.statistics.layerHits, 1)
        XCTAssertEqual(lineColorAtProbe(), green)
        // A new key draws the layer again.
        canvas.render(layerList(key: 2, lineColor: blue, rect: rect), background: background)
        XCTAssertEqual(canvas.drawListRenderer.statistics.layerMisses, 1)
        XCTAssertEqual(lineColorAtProbe(), blue)
        // So does a moved layer with the same key (its region changed).
        canvas.render(layerList(key: 2, lineColor: green, rect: Rect(x: 6, y: 5, width: 190, height: 150)), background: background)
        XCTAssertEqual(canvas.drawListRenderer.statistics.layerMisses, 1)
        XCTAssertEqual(lineColorAtProbe(), green)
        // The commands after the layer are drawn every frame: the white diagonal.
        XCTAssertEqual(canvas.color(x: 100, y: 80 - 1).red > 200 || canvas.color(x: 100, y: 80).red > 200 || canvas.color(x: 100, y: 81).red > 200, true)
        XCTAssertEqual(canvas.drawListRenderer.keptLayers, 1)
        canvas.drawListRenderer.purgeTextCache()
        XCTAssertEqual(canvas.drawListRenderer.keptLayers, 0)
    }

    func testALayerOutsideTheClipDrawsNothingAndIsSkipped() throws {
        let canvas = try OffscreenCanvas(width: 200, height: 160)
        defer { canvas.destroy() }
        var list = DrawList()
        list.append(.clip(Rect(x: 0, y: 0, width: 50, height: 50)))
        list.append(.beginLayer(slot: 1, key: 1, rect: Rect(x: 100, y: 100, width: 50, height: 50), background: panel))
        list.append(.fillRect(Rect(x: 0, y: 0, width: 200, height: 160), Color(255, 0, 0), cornerRadius: 0))
        list.append(.endLayer)
        list.append(.clip(nil))
        list.append(.fillRect(Rect(x: 150, y: 0, width: 10, height: 10), Color(0, 255, 0), cornerRadius: 0))
        canvas.render(list, background: background)
        XCTAssertEqual(canvas.color(x: 10, y: 10), background)
        XCTAssertEqual(canvas.color(x: 120, y: 120), background)
        XCTAssertEqual(canvas.color(x: 155, y: 5), Color(0, 255, 0))
        XCTAssertEqual(canvas.drawListRenderer.statistics.layerMisses + canvas.drawListRenderer.statistics.layerHits, 0)
    }

    /// A map-like drawing at a zoom: content point c at the rectangle's corner + scroll + c × zoom,
    /// with an opaque vertical and an opaque horizontal thick edge (their width does not scale, as
    /// the map's edges do not) and a translucent diagonal.
    func zoomedList(rect: Rect, scroll: Point, zoom: Float, settled: Bool, layered: Bool) -> DrawList {
        var list = DrawList()
        list.append(.clip(rect))
        func at(_ x: Float, _ y: Float) -> Point { Point(rect.x + scroll.x + x * zoom, rect.y + scroll.y + y * zoom) }
        if layered {
            list.append(.beginLayer(slot: 9, key: 3, rect: rect, background: panel, scroll: scroll, zoom: zoom, zoomSettled: settled))
        } else {
            list.append(.fillRect(rect, panel, cornerRadius: 0))
        }
        list.append(.line(from: at(60, 10), to: at(60, 120), Color(255, 0, 0), thickness: 6))
        list.append(.line(from: at(10, 70), to: at(150, 70), Color(0, 255, 0), thickness: 6))
        list.append(.line(from: at(0, 0), to: at(160, 130), Color(139, 148, 158, 110), thickness: 1))
        list.append(.circle(center: at(110, 40), radius: 8 * zoom, Color(61, 139, 253), filled: true))
        if layered { list.append(.endLayer) }
        list.append(.clip(nil))
        return list
    }

    /// The centre (in pixels) across a thick line: the mean column of pure red in row `y`, or the
    /// mean row of pure green in column `x`.
    func redCentre(_ image: PixelImage, row y: Int) -> Float? {
        let columns = (0..<image.width).filter { image.pixels[y * image.width + $0] & 0x00FF_FFFF == 0xFF_0000 }
        return columns.isEmpty ? nil : Float(columns.reduce(0, +)) / Float(columns.count)
    }
    func greenCentre(_ image: PixelImage, column x: Int) -> Float? {
        let rows = (0..<image.height).filter { image.pixels[$0 * image.width + x] & 0x00FF_FFFF == 0x00_FF00 }
        return rows.isEmpty ? nil : Float(rows.reduce(0, +)) / Float(rows.count)
    }

    /// A zoom in progress shows the kept picture scaled (no commands drawn): its thick edges'
    /// centres land within a pixel of where the new zoom puts them; once the zoom settles the
    /// layer is drawn afresh, exactly as a direct drawing, and then kept.
    func testAZoomingLayerIsShownScaledAndDrawnAfreshOnceSettled() throws {
        for scale: Float in [1, 2] {
            let rect = Rect(x: 5, y: 5, width: 190, height: 150)
            let size = (Int32(200 * scale), Int32(160 * scale))
            let layered = try OffscreenCanvas(width: size.0, height: size.1, scale: scale)
            defer { layered.destroy() }
            let direct = try OffscreenCanvas(width: size.0, height: size.1, scale: scale)
            defer { direct.destroy() }
            var scroll = Point(12, 6)
            var zoom: Float = 1
            layered.render(zoomedList(rect: rect, scroll: scroll, zoom: zoom, settled: true, layered: true), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
            // Wheel steps about a point (the world point under it stays put), in and out.
            let anchor = Point(70, 60)
            for factor: Float in [1.2, 1.3, 0.7, 0.8] {
                let world = Point((anchor.x - scroll.x) / zoom, (anchor.y - scroll.y) / zoom)
                zoom *= factor
                scroll = Point(anchor.x - world.x * zoom, anchor.y - world.y * zoom)
                layered.render(zoomedList(rect: rect, scroll: scroll, zoom: zoom, settled: false, layered: true), background: background)
                let statistics = layered.drawListRenderer.statistics
                XCTAssertEqual(statistics.layerScales, 1, "zoom \(zoom) at scale \(scale)")
                XCTAssertEqual(statistics.layerMisses + statistics.layerHits + statistics.layerMoves, 0)
                XCTAssertEqual(statistics.lines + statistics.vertices, 0, "a scaled layer draws none of its commands")
                direct.render(zoomedList(rect: rect, scroll: scroll, zoom: zoom, settled: true, layered: false), background: background)
                let shown = layered.image(), fresh = direct.image()
                // Rows and columns through the middle of the edges, inside the region.
                let row = Int((rect.y + scroll.y + 100 * zoom) * scale), column = Int((rect.x + scroll.x + 120 * zoom) * scale)
                let expectedRed = try XCTUnwrap(redCentre(fresh, row: row)), expectedGreen = try XCTUnwrap(greenCentre(fresh, column: column))
                let shownRed = try XCTUnwrap(redCentre(shown, row: row), "zoom \(zoom) at scale \(scale)")
                let shownGreen = try XCTUnwrap(greenCentre(shown, column: column), "zoom \(zoom) at scale \(scale)")
                // Where the edges' centres truly are (a pixel index i covers i..<i+1).
                let idealRed = (rect.x + scroll.x + 60 * zoom) * scale - 0.5, idealGreen = (rect.y + scroll.y + 70 * zoom) * scale - 0.5
                XCTAssertEqual(shownRed, idealRed, accuracy: 1, "vertical edge, zoom \(zoom) at scale \(scale)")
                XCTAssertEqual(shownGreen, idealGreen, accuracy: 1, "horizontal edge, zoom \(zoom) at scale \(scale)")
                // And near the fresh drawing's pixels (which themselves sit up to a pixel off the ideal).
                XCTAssertEqual(shownRed, expectedRed, accuracy: 2)
                XCTAssertEqual(shownGreen, expectedGreen, accuracy: 2)
                // Outside the layer's rectangle nothing changed: the background.
                XCTAssertEqual(layered.color(x: 1, y: 1), background)
            }
            // Settled: drawn afresh at the new zoom, pixel for pixel a direct drawing, then kept.
            layered.render(zoomedList(rect: rect, scroll: scroll, zoom: zoom, settled: true, layered: true), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
            XCTAssertEqual(differingPixels(layered.image(), direct.image()), 0, "settled at scale \(scale)")
            layered.render(zoomedList(rect: rect, scroll: scroll, zoom: zoom, settled: true, layered: true), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerHits, 1)
            XCTAssertEqual(differingPixels(layered.image(), direct.image()), 0, "kept at scale \(scale)")
            // A settled zoom that differs from the kept picture's is drawn afresh, never scaled.
            layered.render(zoomedList(rect: rect, scroll: scroll, zoom: zoom * 1.2, settled: true, layered: true), background: background)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerMisses, 1)
            XCTAssertEqual(layered.drawListRenderer.statistics.layerScales, 0)
        }
    }

    /// A moved layer's strips skip rings whose band misses them (the map's rings seen through a
    /// one-pixel strip); one the band crosses is still drawn.
    func testARingIsSkippedOnlyByStripsItsBandMisses() {
        func strip(_ left: Int32, _ top: Int32, _ right: Int32, _ bottom: Int32) -> PixelRect {
            PixelRect(left: left, top: top, right: right, bottom: bottom)
        }
        let center = Point(100, 100)
        for scale: Float in [1, 2] {
            func touches(_ area: PixelRect) -> Bool {
                DrawListRenderer.ring(center: center, radius: 50, thickness: 1, scale: scale, touches: area)
            }
            let s = Int32(scale)
            XCTAssertTrue(touches(strip(149 * s, 0, 150 * s, 400 * s)), "a column through the ring's right side")
            XCTAssertTrue(touches(strip(0, 99 * s, 400 * s, 100 * s)), "a row across the whole ring")
            XCTAssertFalse(touches(strip(0, 0, 1, 400 * s)), "a column left of the ring")
            XCTAssertFalse(touches(strip(95 * s, 95 * s, 105 * s, 105 * s)), "inside the inner edge")
            XCTAssertTrue(touches(strip(140 * s, 95 * s, 160 * s, 105 * s)), "across the band")
            XCTAssertFalse(touches(strip(0, 0, 10 * s, 10 * s)), "the corner outside")
        }
        XCTAssertTrue(DrawListRenderer.ring(center: Point(.nan, 0), radius: 5, thickness: 1, scale: 1, touches: strip(0, 0, 1, 1)))
    }
}
