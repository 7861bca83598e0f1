import Foundation
import CSDL2
import UI
@testable import UISDL
import XCTest

final class DrawListRendererTests: XCTestCase {
    let background = Color(10, 20, 30)

    override func tearDown() {
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    /// Asserts a pixel's colour within a small tolerance per channel (edges are rasterised, not
    /// anti-aliased, but blending rounds).
    func assertColor(_ canvas: OffscreenCanvas, _ x: Int32, _ y: Int32, _ expected: Color, tolerance: Int = 2,
                     file: StaticString = #filePath, line: UInt = #line) {
        let actual = canvas.color(x: x, y: y)
        let close = abs(Int(actual.red) - Int(expected.red)) <= tolerance && abs(Int(actual.green) - Int(expected.green)) <= tolerance
            && abs(Int(actual.blue) - Int(expected.blue)) <= tolerance
        XCTAssertTrue(close, "pixel (\(x), \(y)) is \(actual.hexString), expected \(expected.hexString)", file: file, line: line)
    }

    func testShapesLandWhereTheDrawListSays() throws {
        let canvas = try OffscreenCanvas(width: 200, height: 150)
        defer { canvas.destroy() }
        let red = Color(255, 0, 0), green = Color(0, 200, 0), blue = Color(0, 0, 255), yellow = Color(255, 255, 0)
        let magenta = Color(255, 0, 255), cyan = Color(0, 255, 255), white = Color(255, 255, 255)
        var list = DrawList()
        list.append(.fillRect(Rect(x: 10, y: 10, width: 40, height: 30), red, cornerRadius: 0))
        list.append(.fillRect(Rect(x: 60, y: 10, width: 40, height: 30), green, cornerRadius: 10))
        list.append(.line(from: Point(10, 60), to: Point(100, 60), blue, thickness: 4))
        let polyline = list.appendPoints([Point(10, 80), Point(50, 80), Point(50, 100)])
        list.append(.polyline(start: polyline, count: 3, yellow, thickness: 2))
        let top = list.appendPoints([Point(110, 60), Point(150, 70), Point(190, 60)])
        let baseline = list.appendPoints([Point(110, 100), Point(150, 100), Point(190, 100)])
        list.append(.area(start: top, baselineStart: baseline, count: 3, magenta))
        list.append(.circle(center: Point(150, 30), radius: 15, cyan, filled: true))
        list.append(.circle(center: Point(30, 125), radius: 12, white, filled: false))
        list.append(.strokeRect(Rect(x: 60, y: 110, width: 30, height: 30), white, thickness: 2))
        canvas.render(list, background: background)

        // Plain rectangle: exact edges.
        assertColor(canvas, 20, 20, red, tolerance: 0)
        assertColor(canvas, 10, 10, red, tolerance: 0)
        assertColor(canvas, 49, 39, red, tolerance: 0)
        assertColor(canvas, 9, 9, background, tolerance: 0)
        assertColor(canvas, 50, 40, background, tolerance: 0)
        // Rounded rectangle: filled inside, corners cut.
        assertColor(canvas, 80, 25, green)
        assertColor(canvas, 61, 25, green)
        assertColor(canvas, 80, 11, green)
        assertColor(canvas, 60, 10, background)
        assertColor(canvas, 99, 39, background)
        // Thick line.
        assertColor(canvas, 50, 59, blue)
        assertColor(canvas, 50, 60, blue)
        assertColor(canvas, 50, 65, background)
        // Polyline, both segments.
        assertColor(canvas, 30, 80, yellow)
        assertColor(canvas, 50, 90, yellow)
        assertColor(canvas, 30, 90, background)
        // Area between the polyline and the baseline.
        assertColor(canvas, 150, 85, magenta)
        assertColor(canvas, 130, 95, magenta)
        assertColor(canvas, 150, 65, background, tolerance: 0)
        // Filled circle: centre in, bounding-box corner out.
        assertColor(canvas, 150, 30, cyan)
        assertColor(canvas, 150, 42, cyan)
        assertColor(canvas, 136, 16, background)
        // Circle outline: ring drawn, centre empty.
        assertColor(canvas, 30, 125, background)
        let ring = (38...43).map { canvas.color(x: Int32($0), y: 125) }
        XCTAssertTrue(ring.contains(white), "no ring pixel on the right of the outline circle: \(ring.map(\.hexString))")
        // Stroke: border drawn, inside empty.
        assertColor(canvas, 75, 110, white)
        assertColor(canvas, 61, 125, white)
        assertColor(canvas, 75, 125, background)
    }

    func testTextIsDrawnAndClipStopsDrawing() throws {
        let canvas = try OffscreenCanvas(width: 200, height: 100)
        defer { canvas.destroy() }
        let orange = Color(255, 128, 0)
        var list = DrawList()
        list.append(.text("Hello, NetScouter", at: Point(10, 10), Color(255, 255, 255), .body))
        list.append(.clip(Rect(x: 0, y: 0, width: 100, height: 100)))
        list.append(.fillRect(Rect(x: 90, y: 60, width: 40, height: 10), orange, cornerRadius: 0))
        list.append(.text("clipped text far right", at: Point(100, 40), Color(255, 255, 255), .body))
        list.append(.clip(Rect(x: 0, y: 0, width: 0, height: 0)))
        list.append(.fillRect(Rect(x: 0, y: 80, width: 200, height: 10), orange, cornerRadius: 0))
        list.append(.clip(nil))
        list.append(.fillRect(Rect(x: 150, y: 90, width: 10, height: 10), orange, cornerRadius: 0))
        canvas.render(list, background: background)

        let image = canvas.image()
        let measured = canvas.measurer.size(of: "Hello, NetScouter", role: .body)
        var textPixels = 0
        for y in 10..<(10 + Int(measured.height)) {
            for x in 10..<(10 + Int(measured.width)) where image.color(x: x, y: y) != background { textPixels += 1 }
        }
        XCTAssertGreaterThan(textPixels, 50, "text region should contain glyph pixels")
        // Nothing outside the text's measured box (one pixel of slack for the last glyph).
        for x in (12 + Int(measured.width))..<200 { XCTAssertEqual(image.color(x: x, y: 15), background) }

        assertColor(canvas, 95, 65, orange)
        assertColor(canvas, 99, 65, orange)
        assertColor(canvas, 100, 65, background, tolerance: 0)
        assertColor(canvas, 120, 65, background, tolerance: 0)
        for x in 100..<200 {
            for y in 38..<60 { XCTAssertEqual(image.color(x: x, y: y), background, "clipped text drawn at (\(x), \(y))") }
        }
        // An empty clip hides everything; lifting the clip draws again.
        assertColor(canvas, 50, 85, background, tolerance: 0)
        assertColor(canvas, 155, 95, orange, tolerance: 0)
    }

    func testTranslucentColoursBlend() throws {
        let canvas = try OffscreenCanvas(width: 40, height: 40)
        defer { canvas.destroy() }
        var list = DrawList()
        list.append(.fillRect(Rect(x: 0, y: 0, width: 20, height: 20), Color(255, 255, 255, 128), cornerRadius: 0))
        list.append(.fillRect(Rect(x: 20, y: 0, width: 20, height: 20), Color(255, 255, 255, 128), cornerRadius: 6))
        canvas.render(list, background: Color(0, 0, 0))
        assertColor(canvas, 10, 10, Color(128, 128, 128), tolerance: 2)
        // Rounded rectangles are built from non-overlapping pieces: blended exactly once.
        for (x, y) in [(30, 10), (23, 3), (36, 16), (30, 2), (22, 10)] as [(Int32, Int32)] {
            assertColor(canvas, x, y, Color(128, 128, 128), tolerance: 2)
        }
    }

    func testCirclesAndPillsCoverTheRightArea() throws {
        let canvas = try OffscreenCanvas(width: 120, height: 60)
        defer { canvas.destroy() }
        let half = Color(255, 255, 255, 128)
        var list = DrawList()
        list.append(.circle(center: Point(30, 30), radius: 20, half, filled: true))
        // A pill with an odd height: radius = height / 2 must not draw the middle row twice.
        list.append(.fillRect(Rect(x: 60, y: 20, width: 50, height: 15), half, cornerRadius: 7.5))
        canvas.render(list, background: Color(0, 0, 0))
        let image = canvas.image()
        var discPixels = 0, pillPixels = 0
        for y in 0..<60 {
            for x in 0..<120 {
                let color = image.color(x: x, y: y)
                guard color.red > 0 else { continue }
                XCTAssertEqual(Int(color.red), 128, accuracy: 2, "pixel (\(x), \(y)) blended more than once")
                if x < 55 { discPixels += 1 } else { pillPixels += 1 }
            }
        }
        XCTAssertEqual(Double(discPixels), Double.pi * 400, accuracy: Double.pi * 400 * 0.03)
        let pillArea = 35.0 * 15 + Double.pi * 7.5 * 7.5
        XCTAssertEqual(Double(pillPixels), pillArea, accuracy: pillArea * 0.04)
        // Left-right and top-bottom symmetric.
        for y in 20..<35 {
            for x in 60..<85 { XCTAssertEqual(image.color(x: x, y: y), image.color(x: 169 - x, y: y)) }
        }
        for y in 20..<27 {
            for x in 60..<110 { XCTAssertEqual(image.color(x: x, y: y), image.color(x: x, y: 54 - y)) }
        }
    }

    func testScaleMultipliesCoordinates() throws {
        let canvas = try OffscreenCanvas(width: 100, height: 100, scale: 2)
        defer { canvas.destroy() }
        XCTAssertEqual(canvas.viewport, Rect(x: 0, y: 0, width: 50, height: 50))
        var list = DrawList()
        list.append(.fillRect(Rect(x: 10, y: 10, width: 20, height: 20), Color(0, 255, 0), cornerRadius: 0))
        canvas.render(list, background: background)
        assertColor(canvas, 20, 20, Color(0, 255, 0), tolerance: 0)
        assertColor(canvas, 59, 59, Color(0, 255, 0), tolerance: 0)
        assertColor(canvas, 19, 19, background, tolerance: 0)
        assertColor(canvas, 60, 60, background, tolerance: 0)
    }

    func testTextTexturesAreReusedAcrossFrames() throws {
        let canvas = try OffscreenCanvas(width: 300, height: 200)
        defer { canvas.destroy() }
        let renderer = canvas.drawListRenderer
        var list = DrawList()
        for i in 0..<10 { list.append(.text("row \(i)", at: Point(5, Float(i * 16)), Color(230, 230, 230), .body)) }
        list.append(.text("row 0", at: Point(150, 0), Color(230, 230, 230), .body))
        canvas.render(list, background: background)
        XCTAssertEqual(renderer.textRasterisations, 10, "one rasterisation per distinct (string, role, colour)")
        XCTAssertEqual(renderer.statistics.textBlits, 11)
        canvas.render(list, background: background)
        XCTAssertEqual(renderer.textRasterisations, 10, "a second frame of the same strings rasterises nothing")
        XCTAssertEqual(renderer.statistics.rasterisations, 0)
        var recoloured = DrawList()
        recoloured.append(.text("row 0", at: Point(5, 0), Color(255, 0, 0), .body))
        recoloured.append(.text("row 0", at: Point(5, 20), Color(230, 230, 230), .heading))
        canvas.render(recoloured, background: background)
        XCTAssertEqual(renderer.textRasterisations, 12, "colour and role are part of the key")
    }

    func testTextCacheEvictsIdleAndExcessTextures() throws {
        let canvas = try OffscreenCanvas(width: 100, height: 100)
        defer { canvas.destroy() }
        let renderer = DrawListRenderer(renderer: canvas.drawListRenderer.renderer, fonts: canvas.fonts,
                                        maxCachedTexts: 8, maxIdleFrames: 5)
        defer { renderer.destroy() }
        func frame(_ strings: [String]) -> DrawList {
            var list = DrawList()
            for string in strings { list.append(.text(string, at: Point(0, 0), Color(255, 255, 255), .small)) }
            return list
        }
        // More strings in one frame than the cap: all stay while in use.
        let first = (0..<20).map { "a\($0)" }
        renderer.render(frame(first))
        XCTAssertEqual(renderer.cachedTextTextures, 20)
        // The next frame shows other strings: the unused ones go.
        let second = (0..<20).map { "b\($0)" }
        renderer.render(frame(second))
        XCTAssertEqual(renderer.cachedTextTextures, 20)
        XCTAssertEqual(renderer.textEvictions, 20)
        // Within the cap, idle textures go after maxIdleFrames (checked every sweep interval).
        renderer.render(frame(["kept", "idle"]))
        for _ in 0..<70 { renderer.render(frame(["kept"])) }
        XCTAssertEqual(renderer.cachedTextTextures, 1)
        renderer.render(frame(["kept"]))
        XCTAssertEqual(renderer.statistics.rasterisations, 0)
    }

    func testUntexturedShapesAreBatchedIntoOneCall() throws {
        let canvas = try OffscreenCanvas(width: 320, height: 240)
        defer { canvas.destroy() }
        var list = DrawList()
        for i in 0..<500 {
            let rect = Rect(x: Float(i % 30) * 10, y: Float(i / 30) * 12, width: 9, height: 11)
            list.append(.fillRect(rect, Color(UInt8(i % 256), 100, 200), cornerRadius: i % 3 == 0 ? 3 : 0))
        }
        canvas.render(list, background: background)
        XCTAssertEqual(canvas.drawListRenderer.statistics.geometryBatches, 1)
        list.append(.text("split", at: Point(0, 0), Color(255, 255, 255), .body))
        list.append(.fillRect(Rect(x: 0, y: 200, width: 10, height: 10), Color(255, 0, 0), cornerRadius: 0))
        canvas.render(list, background: background)
        XCTAssertEqual(canvas.drawListRenderer.statistics.geometryBatches, 2, "text flushes the batch to keep painter's order")
    }

    /// Rectangles are filled with `SDL_RenderFillRects` (opaque ones without blending) instead of
    /// being given to `SDL_RenderGeometry` as quads, the background only where no opaque
    /// rectangle covers it later, and an opaque rectangle is skipped where its colour already is.
    /// The pixels must be exactly those of a plain clear followed by SDL's own path for rectangle
    /// quads, command by command — overlaps, translucency, fractional coordinates, scales, clips,
    /// rectangles of the background's colour, same-colour panels (square and rounded) nested in
    /// each other, and text and lines drawn between them included — on a reference canvas.
    func testRectangleFillsAndSkippedOverdrawMatchAPlainClearAndSDLGeometryPixelForPixel() throws {
        // A crowded scene and a sparse one (where much of the background shows and panels stand alone).
        for (scale, shapes) in [(Float(1), 400), (1.5, 400), (2, 400), (1, 40), (1.5, 40), (2, 40)] {
            let width = Int32(220 * scale), height = Int32(160 * scale)
            let canvas = try OffscreenCanvas(width: width, height: height, scale: scale)
            let reference = try OffscreenCanvas(width: width, height: height, scale: scale)
            defer {
                canvas.destroy()
                reference.destroy()
            }
            var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
            func random(_ bound: Int) -> Int {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int(seed >> 33) % bound
            }
            var list = DrawList()
            for i in 0..<shapes {
                if i % 60 == 30 {
                    list.append(.clip(Rect(x: Float(random(100)) + 0.3, y: Float(random(80)) + 0.6,
                                           width: Float(40 + random(120)), height: Float(30 + random(80)))))
                } else if i % 60 == 0 {
                    list.append(.clip(nil))
                }
                let rect = Rect(x: Float(random(2400) - 200) / 10, y: Float(random(1800) - 100) / 10,
                                width: Float(random(900)) / 10, height: Float(random(600)) / 10)
                let alpha: UInt8 = [255, 255, 255, 200, 90, 1][random(6)]
                let color = i % 5 == 0 ? background : Color(UInt8(random(256)), UInt8(random(256)), UInt8(random(256)), alpha)
                list.append(.fillRect(rect, color, cornerRadius: 0))
                switch i % 7 {
                case 1:
                    // A panel in a panel of the same colour: skipped when nothing was drawn between.
                    list.append(.fillRect(Rect(x: rect.x + 2, y: rect.y + 2, width: rect.width / 2, height: rect.height / 2), color, cornerRadius: 0))
                case 2, 3:
                    // Text or a line over the panel, then the same colour over it: not skipped.
                    if i % 7 == 2 {
                        list.append(.text("Ag \(i)", at: Point(rect.x + 1, rect.y + 1), Color(255, 255, 255), .small))
                    } else {
                        list.append(.line(from: Point(rect.x + 2, rect.y + 3), to: Point(rect.x + 12, rect.y + 9), Color(250, 200, 0), thickness: 1.5))
                    }
                    list.append(.fillRect(Rect(x: rect.x + 0.5, y: rect.y + 0.5, width: rect.width * 0.7, height: rect.height * 0.7), color, cornerRadius: 0))
                case 6:
                    // A border over the panel, then its colour just inside (and over) the border.
                    list.append(.strokeRect(rect, Color(200, 200, 200), thickness: Float(1 + random(3))))
                    let inset = Float(random(4))
                    list.append(.fillRect(Rect(x: rect.x + inset, y: rect.y + inset, width: rect.width - 2 * inset, height: rect.height - 2 * inset),
                                          color, cornerRadius: 0))
                case 4, 5:
                    // A rounded panel with a rounded or square one of its colour inside, close to its edges.
                    let radius = Float(1 + random(12)) / 2
                    list.append(.fillRect(rect, color, cornerRadius: radius))
                    list.append(.fillRect(Rect(x: rect.x + Float(random(4)), y: rect.y + Float(random(8)), width: rect.width - Float(random(6)),
                                               height: rect.height - Float(random(10))), color, cornerRadius: i % 7 == 4 ? 0 : radius / 2))
                default:
                    break
                }
            }
            // Rounded panels drawn last, each with a panel of its colour just inside it: their
            // corners stay visible (background or what was under them; never skipped, never left out).
            list.append(.clip(nil))
            for (index, radius) in [Float(3), 6.5, 10].enumerated() {
                let panel = Rect(x: 4 + Float(index) * 72, y: 100, width: 68, height: 56)
                let color = Color(40 + UInt8(index) * 30, 60, 90)
                list.append(.fillRect(panel, color, cornerRadius: radius))
                list.append(.fillRect(Rect(x: panel.x + 1, y: panel.y + 1, width: panel.width - 2, height: panel.height - 2), color,
                                      cornerRadius: radius / 2))
            }
            canvas.render(list, background: background)

            let renderer = reference.renderer
            reference.drawListRenderer.clear(background)
            var clip: Rect?
            func applyClip() {
                if let rect = clip {
                    let left = DrawListRenderer.pixel(rect.minX * scale), top = DrawListRenderer.pixel(rect.minY * scale)
                    var pixels = SDL_Rect(x: left, y: top, w: DrawListRenderer.pixel(rect.maxX * scale) - left,
                                          h: DrawListRenderer.pixel(rect.maxY * scale) - top)
                    SDL_RenderSetClipRect(renderer, &pixels)
                } else {
                    SDL_RenderSetClipRect(renderer, nil)
                }
            }
            for command in list.commands {
                switch command {
                case let .clip(rect):
                    clip = rect
                    applyClip()
                case let .fillRect(rect, color, cornerRadius) where cornerRadius <= 0:
                    // Edges as the renderer computes them: scaled first, then rounded to pixels.
                    let x = rect.x * scale, y = rect.y * scale, w = rect.width * scale, h = rect.height * scale
                    let left = x.rounded(), top = y.rounded(), right = (x + w).rounded(), bottom = (y + h).rounded()
                    guard right > left, bottom > top else { continue }
                    let c = SDL_Color(r: color.red, g: color.green, b: color.blue, a: color.alpha)
                    let corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
                    let vertices = corners.map { SDL_Vertex(position: SDL_FPoint(x: $0.0, y: $0.1), color: c, tex_coord: SDL_FPoint(x: 0, y: 0)) }
                    let indices: [Int32] = [0, 1, 2, 0, 2, 3]
                    SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_BLEND)
                    _ = SDL_RenderGeometry(renderer, nil, vertices, 4, indices, 6)
                default:
                    // Rounded rectangles, text and lines as the renderer draws them, one command at a
                    // time, on no background (so nothing is known to skip).
                    var single = DrawList()
                    single.append(.clip(clip))
                    single.append(command)
                    reference.render(single)
                    applyClip()
                }
            }
            SDL_RenderSetClipRect(renderer, nil)
            reference.present()

            let drawn = canvas.image(), expected = reference.image()
            XCTAssertGreaterThan(expected.distinctColorCount, min(100, shapes), "the scene must exercise many colours")
            var differing = 0
            for index in expected.pixels.indices where drawn.pixels[index] != expected.pixels[index] { differing += 1 }
            XCTAssertEqual(differing, 0, "scale \(scale), \(shapes) shapes: \(differing) pixels differ from a plain clear and SDL's geometry path")
            let statistics = canvas.drawListRenderer.statistics
            XCTAssertGreaterThan(statistics.rectangles, shapes / 2)
            XCTAssertGreaterThan(statistics.skippedFills, shapes / 80, "the scene must exercise skipped fills")
            XCTAssertLessThan(statistics.backgroundPixels, Int(width) * Int(height), "the scene must exercise a partial background")
        }
    }

    func testRendersAUIContextFrame() throws {
        let canvas = try OffscreenCanvas(width: 400, height: 200)
        defer { canvas.destroy() }
        let ui = UIContext(theme: .dark, measurer: canvas.measurer)
        ui.beginFrame(input: InputSnapshot(), viewport: canvas.viewport)
        ui.label("Packets per second")
        _ = ui.button("Start capture")
        ui.endFrame()
        canvas.render(ui)
        let image = canvas.image()
        XCTAssertEqual(image.color(x: 399, y: 199), Theme.dark.background)
        XCTAssertGreaterThan(image.distinctColorCount, 4)
    }

    /// PLATFORM-NOTES: a busy frame (2,000 rects, 200 strings) renders offscreen in about
    /// 7–10 ms. Debug builds are slower; this prints the figures and only guards against
    /// something pathological.
    func testBusyFrameRenderTime() throws {
        let canvas = try OffscreenCanvas(width: 1280, height: 800)
        defer { canvas.destroy() }
        var list = DrawList()
        for i in 0..<2000 {
            let rect = Rect(x: Float(i % 40) * 32, y: Float(i / 40) * 16, width: 30, height: 14)
            list.append(.fillRect(rect, Color(UInt8(i % 200), 80, 160, i % 4 == 0 ? 200 : 255), cornerRadius: i % 5 == 0 ? 4 : 0))
        }
        for i in 0..<200 {
            list.append(.text("10.0.\(i / 10).\(i)  \(i * 37) pkt/s", at: Point(Float(i % 4) * 320, Float(i / 4) * 16), Color(230, 233, 239), .body))
        }
        func time(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        let cold = time { canvas.render(list, background: background) }
        var warm: [Double] = []
        for _ in 0..<10 { warm.append(time { canvas.render(list, background: background) }) }
        warm.sort()
        let stats = canvas.drawListRenderer.statistics
        var empty = DrawList()
        empty.append(.clip(nil))
        let emptyTime = time { canvas.render(empty, background: background) }
        print(String(format: "busy frame 1280×800 (2000 rects, 200 strings): first %.1f ms, cached median %.1f ms (min %.1f); empty frame %.2f ms; %d geometry batches, %d vertices",
                     cold, warm[warm.count / 2], warm[0], emptyTime, stats.geometryBatches, stats.vertices))
        XCTAssertLessThan(warm[warm.count / 2], 250)
    }

    /// The canvas's shapes through the software renderer: a convex polygon, a thick arc, a thick
    /// diagonal line and text with a halo, each where the draw list says and nowhere else.
    func testCanvasShapesPolygonArcThickLineAndHaloText() throws {
        for scale: Float in [1, 2] {
            let canvas = try OffscreenCanvas(width: Int32(240 * scale), height: Int32(160 * scale), scale: scale)
            defer { canvas.destroy() }
            func px(_ value: Float) -> Int32 { Int32((value * scale).rounded(.down)) }
            let red = Color(255, 0, 0), green = Color(0, 200, 0), blue = Color(0, 0, 255), white = Color(255, 255, 255)
            let black = Color(0, 0, 0)
            var list = DrawList()
            // A right triangle with corners (10,10), (70,10), (10,70).
            let triangle = list.appendPoints([Point(10, 10), Point(70, 10), Point(10, 70)])
            list.append(.polygon(start: triangle, count: 3, red))
            // A quarter arc, 6 wide, radius 30 around (130,50), from 0 to 90° (clockwise on screen: down).
            list.append(.arc(center: Point(130, 50), radius: 30, startAngle: 0, endAngle: .pi / 2, green, thickness: 6))
            // An 8 px thick diagonal line.
            list.append(.line(from: Point(180, 10), to: Point(230, 60), blue, thickness: 8))
            // White text with a black halo on a white panel: only the halo shows as dark pixels.
            list.append(.fillRect(Rect(x: 10, y: 100, width: 200, height: 50), white, cornerRadius: 0))
            list.append(.haloText("Camera", at: Point(20, 110), white, halo: black, .body))
            canvas.render(list, background: background)

            // Triangle: inside near each corner, outside across the hypotenuse.
            assertColor(canvas, px(15), px(15), red)
            assertColor(canvas, px(60), px(13), red)
            assertColor(canvas, px(13), px(60), red)
            assertColor(canvas, px(45), px(45), background)
            assertColor(canvas, px(42), px(42), background)
            assertColor(canvas, px(30), px(30), red)
            // Arc: on the radius at 0°, 45° and 90°; not at the centre, not at 180° or 270°,
            // not beyond its thickness.
            assertColor(canvas, px(160), px(50) + 2, green)
            assertColor(canvas, px(130 + 30 * 0.7071), px(50 + 30 * 0.7071), green)
            assertColor(canvas, px(130) + 1, px(80), green)
            assertColor(canvas, px(130), px(50), background)
            assertColor(canvas, px(100), px(50), background)
            assertColor(canvas, px(130), px(20), background)
            assertColor(canvas, px(166), px(52), background)
            assertColor(canvas, px(150), px(52), background)
            // Thick line: on the centre line and 2 px off it perpendicular; not 7 px off.
            assertColor(canvas, px(205), px(35), blue)
            assertColor(canvas, px(205 + 2 * 0.7071), px(35 - 2 * 0.7071), blue)
            assertColor(canvas, px(205 + 7 * 0.7071), px(35 - 7 * 0.7071), background)
            // Halo text: dark pixels (the halo) around the white glyphs, none outside the text.
            let size = canvas.measurer.size(of: "Camera", role: .body)
            var dark = 0, darkOutside = 0
            for y in px(101)..<px(149) {
                for x in px(11)..<px(209) {
                    let color = canvas.color(x: x, y: y)
                    guard color.red < 60 && color.green < 60 && color.blue < 60 else { continue }
                    let insideText = Float(x) >= (20 - 2) * scale && Float(x) <= (20 + size.width + 2) * scale
                        && Float(y) >= (110 - 2) * scale && Float(y) <= (110 + size.height + 2) * scale
                    if insideText { dark += 1 } else { darkOutside += 1 }
                }
            }
            XCTAssertGreaterThan(dark, Int(40 * scale * scale), "the halo outlines the glyphs at scale \(scale)")
            XCTAssertEqual(darkOutside, 0, "the halo stays next to the text at scale \(scale)")
        }
    }
}
