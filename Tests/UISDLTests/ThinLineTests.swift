import Foundation
import CSDL2
import UI
@testable import UISDL
import XCTest

/// Diagonal lines drawn as parallel one-pixel lines (`GeometryBatch.thinLine`) instead of quads:
/// the same colour, thickness and ends as the quad SDL would fill for the same line.
final class ThinLineTests: XCTestCase {
    let background = Color(10, 20, 30)

    override func tearDown() {
        XCTAssertEqual(TTFLibrary.userCount, 0, "a test left SDL_ttf in use (fonts not closed)")
        super.tearDown()
    }

    /// Pixels whose colour differs from the background, as (x, y).
    func litPixels(_ image: PixelImage) -> Set<[Int]> {
        var lit = Set<[Int]>()
        let plain = (UInt32(background.red) << 16) | (UInt32(background.green) << 8) | UInt32(background.blue)
        for y in 0..<image.height {
            for x in 0..<image.width where image.pixel(x: x, y: y) & 0x00FF_FFFF != plain { lit.insert([x, y]) }
        }
        return lit
    }

    /// The reference: the line as the quad `SDL_RenderGeometry` fills (what the renderer drew before).
    func quadPixels(_ from: Point, _ to: Point, thickness: Float, color: Color) throws -> (Set<[Int]>, PixelImage) {
        let canvas = try OffscreenCanvas(width: 200, height: 200)
        defer { canvas.destroy() }
        canvas.clear(red: background.red, green: background.green, blue: background.blue)
        var batch = GeometryBatch()
        batch.line(from.x, from.y, to.x, to.y, thickness: thickness, SDL_Color(r: color.red, g: color.green, b: color.blue, a: color.alpha))
        SDL_SetRenderDrawBlendMode(canvas.renderer, SDL_BLENDMODE_BLEND)
        batch.flush(to: canvas.renderer)
        canvas.present()
        let image = canvas.image()
        return (litPixels(image), image)
    }

    func testDiagonalLinesKeepColourThicknessAndEndsOfTheirQuad() throws {
        let opaque = Color(248, 81, 73), translucent = Color(139, 148, 158, 110)
        let cases: [(Point, Point, Float)] = [
            (Point(20.3, 30.6), Point(180.2, 90.1), 1),   // shallow, 1 px
            (Point(20, 170), Point(170, 25), 1),           // 45°-ish, rising
            (Point(100, 10), Point(130, 190), 2),          // steep, 2 px
            (Point(15, 40), Point(185, 160), 3.4),         // 3.4 px, like a busy edge
            (Point(180, 20), Point(30, 120), 4),           // right to left, 4 px
        ]
        for color in [opaque, translucent] {
            for (from, to, thickness) in cases {
                let label = "\(from)→\(to) w\(thickness) \(color.hexString)"
                let canvas = try OffscreenCanvas(width: 200, height: 200)
                defer { canvas.destroy() }
                var list = DrawList()
                list.append(.line(from: from, to: to, color, thickness: thickness))
                canvas.render(list, background: background)
                XCTAssertGreaterThan(canvas.drawListRenderer.statistics.lines, 0, label)
                XCTAssertEqual(canvas.drawListRenderer.statistics.vertices, 0, "no quad for \(label)")
                let image = canvas.image()
                let lit = litPixels(image)
                let (reference, referenceImage) = try quadPixels(from, to, thickness: thickness, color: color)

                // Colour: every pixel is the colour blended once over the background, as the
                // quad's (SDL's line and triangle blending round differently by a unit or two).
                let colors = Set(lit.map { image.pixel(x: $0[0], y: $0[1]) & 0x00FF_FFFF })
                let referenceColors = Set(reference.map { referenceImage.pixel(x: $0[0], y: $0[1]) & 0x00FF_FFFF })
                XCTAssertEqual(colors.count, 1, "one colour along \(label) (no pixel blended twice)")
                XCTAssertEqual(referenceColors.count, 1, label)
                if let ours = colors.first, let theirs = referenceColors.first {
                    for shift: UInt32 in [0, 8, 16] {
                        XCTAssertLessThanOrEqual(abs(Int(ours >> shift & 0xFF) - Int(theirs >> shift & 0xFF)), 2, "colour of \(label)")
                    }
                }

                // Thickness: along the major axis, every row (or column) holds the same run of
                // pixels across as the quad does in its middle, contiguous.
                let xMajor = abs(to.x - from.x) >= abs(to.y - from.y)
                func runs(_ pixels: Set<[Int]>) -> [Int: [Int]] {
                    Dictionary(grouping: pixels, by: { xMajor ? $0[0] : $0[1] }).mapValues { $0.map { xMajor ? $0[1] : $0[0] }.sorted() }
                }
                let ours = runs(lit), theirs = runs(reference)
                let lower = Int(min(xMajor ? from.x : from.y, xMajor ? to.x : to.y)), upper = Int(max(xMajor ? from.x : from.y, xMajor ? to.x : to.y))
                let middle = (lower + upper) / 2
                let across = ours[middle]?.count ?? 0
                XCTAssertEqual(Double(across), Double(theirs[middle]?.count ?? 0), accuracy: 1, "pixels across at the middle of \(label)")
                for (major, minors) in ours {
                    XCTAssertEqual(minors.count, across, "run at \(major) of \(label)")
                    XCTAssertEqual(minors.last! - minors.first! + 1, minors.count, "contiguous run at \(major) of \(label)")
                }

                // Ends: the line covers the same span along its major axis (the quad's ends are
                // cut square to the line, a run of pixels ends in a whole pixel: within 2), and
                // the pixel nearest each end point (or its neighbour across, for an even run)
                // is drawn.
                XCTAssertEqual(Double(ours.keys.min()!), Double(theirs.keys.min()!), accuracy: 2, label)
                XCTAssertEqual(Double(ours.keys.max()!), Double(theirs.keys.max()!), accuracy: 2, label)
                for end in [from, to] {
                    let x = Int((end.x - 0.5).rounded()), y = Int((end.y - 0.5).rounded())
                    let near = xMajor ? [[x, y], [x, y - 1], [x, y + 1]] : [[x, y], [x - 1, y], [x + 1, y]]
                    XCTAssertTrue(near.contains { lit.contains($0) }, "end \(end) of \(label)")
                }

                // Position: every pixel's centre lies inside the band (half the width either side
                // of the line) give or take the half pixel that snapping to whole pixels costs, and
                // the quad's pixels and these are each within a pixel of the other.
                let length = ((to.x - from.x) * (to.x - from.x) + (to.y - from.y) * (to.y - from.y)).squareRoot()
                for pixel in lit {
                    let cx = Float(pixel[0]) + 0.5, cy = Float(pixel[1]) + 0.5
                    let distance = abs((to.x - from.x) * (from.y - cy) - (from.x - cx) * (to.y - from.y)) / length
                    XCTAssertLessThanOrEqual(distance, max(thickness, 1) / 2 + 0.75, "pixel \(pixel) of \(label)")
                }
                func near(_ pixel: [Int], _ set: Set<[Int]>) -> Bool {
                    for dy in -1...1 { for dx in -1...1 where set.contains([pixel[0] + dx, pixel[1] + dy]) { return true } }
                    return false
                }
                // Except at the very ends: a quad's end is cut square to the line, a run of pixels
                // square to the axis, so their corners differ in the last two pixels along.
                let ends = [ours.keys.min()!, ours.keys.max()!, theirs.keys.min()!, theirs.keys.max()!]
                func atAnEnd(_ pixel: [Int]) -> Bool { ends.contains { abs($0 - (xMajor ? pixel[0] : pixel[1])) <= 2 } }
                XCTAssertEqual(lit.filter { !near($0, reference) && !atAnEnd($0) }.count, 0, "pixels away from the quad in \(label)")
                XCTAssertEqual(reference.filter { !near($0, lit) && !atAnEnd($0) }.count, 0, "quad pixels missed by \(label)")
            }
        }
    }

    /// Axis-aligned and very wide lines stay quads (their pixels as before).
    func testAxisAlignedAndWideLinesStayQuads() throws {
        let canvas = try OffscreenCanvas(width: 200, height: 200)
        defer { canvas.destroy() }
        var list = DrawList()
        list.append(.line(from: Point(10, 60), to: Point(100, 60), Color(0, 0, 255), thickness: 4))
        list.append(.line(from: Point(20, 10), to: Point(190, 180), Color(0, 0, 255), thickness: 8))
        canvas.render(list, background: background)
        XCTAssertEqual(canvas.drawListRenderer.statistics.lines, 0)
        XCTAssertEqual(canvas.drawListRenderer.statistics.vertices, 8)
    }
}
