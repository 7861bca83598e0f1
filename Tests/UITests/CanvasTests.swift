@testable import UI
import XCTest

/// The canvas the IoT map is drawn in: a world→screen transform the user pans and zooms, and
/// hit-testing in world coordinates.
final class CanvasTests: XCTestCase {
    let canvasRect = Rect(x: 100, y: 50, width: 600, height: 400)
    /// A router disc at the origin, a camera triangle to its right, a sensor square below.
    let content = Rect(x: -40, y: -40, width: 240, height: 160)
    var last: CanvasResult?
    var clicks: [String] = []

    private func makeHarness(zoomLimits: ClosedRange<Float> = 0.25...8) -> UIHarness {
        UIHarness(size: Size(800, 500)) { [unowned self] ui in
            let result = ui.canvas("Map", contentBounds: content, zoomLimits: zoomLimits, rect: canvasRect) { painter in
                painter.circle(center: Point(0, 0), radius: 20, fill: Color(hex: 0x3D8BFD), key: "router")
                painter.polygon([Point(100, -30), Point(160, 30), Point(100, 30)], fill: Color(hex: 0x3FB950), key: "camera")
                painter.polygon([Point(0, 60), Point(40, 60), Point(40, 100), Point(0, 100)], fill: Color(hex: 0xD29922), key: "sensor")
                painter.line(from: Point(0, 0), to: Point(100, 0), color: Color(hex: 0x8E96A3), width: 3)
                painter.text("router", at: Point(0, 30))
            }
            last = result
            if let clicked = result.clickedItem { clicks.append(clicked) }
        }
    }

    private func screenPoint(_ world: Point) -> Point {
        last!.transform.toScreen(world, in: canvasRect)
    }

    func testADragOfNPixelsMovesTheContentNPixels() throws {
        let harness = makeHarness()
        harness.frame()
        let router = try XCTUnwrap(harness.item("Map/router")).rect
        let camera = try XCTUnwrap(harness.item("Map/camera")).rect
        let offset = last!.transform.offset
        // Drag from an empty part of the canvas (bottom left) by (+37, -23).
        let start = Point(canvasRect.x + 20, canvasRect.maxY - 20)
        harness.drag(from: start, to: Point(start.x + 37, start.y - 23), steps: 5)
        harness.frame()
        let routerAfter = try XCTUnwrap(harness.item("Map/router")).rect
        let cameraAfter = try XCTUnwrap(harness.item("Map/camera")).rect
        XCTAssertEqual(routerAfter.x - router.x, 37, accuracy: 1e-3)
        XCTAssertEqual(routerAfter.y - router.y, -23, accuracy: 1e-3)
        XCTAssertEqual(cameraAfter.x - camera.x, 37, accuracy: 1e-3)
        XCTAssertEqual(cameraAfter.y - camera.y, -23, accuracy: 1e-3)
        XCTAssertEqual(routerAfter.width, router.width, "panning does not zoom")
        XCTAssertEqual(last!.transform.offset.x - offset.x, 37, accuracy: 1e-3)
        XCTAssertEqual(last!.transform.offset.y - offset.y, -23, accuracy: 1e-3)
        XCTAssertEqual(clicks, [], "a drag is not a click")

        // Dragging from on top of an item pans too, and does not click it.
        let onRouter = routerAfter.center
        harness.drag(from: onRouter, to: Point(onRouter.x - 50, onRouter.y + 10))
        harness.frame()
        XCTAssertEqual(try XCTUnwrap(harness.item("Map/router")).rect.center.x, onRouter.x - 50, accuracy: 1e-3)
        XCTAssertEqual(clicks, [])
    }

    func testWheelZoomKeepsTheWorldPointUnderTheCursorFixed() {
        let harness = makeHarness()
        harness.frame()
        let zoom = last!.transform.zoom
        let cursor = Point(canvasRect.x + 410, canvasRect.y + 130)
        let worldBefore = last!.transform.toWorld(cursor, in: canvasRect)
        harness.scroll(at: cursor, lines: 2)
        XCTAssertEqual(last!.transform.zoom, zoom * 1.44, accuracy: zoom * 1e-4, "two notches in: 1.2²")
        let worldAfter = last!.transform.toWorld(cursor, in: canvasRect)
        XCTAssertEqual(worldAfter.x, worldBefore.x, accuracy: 1e-3)
        XCTAssertEqual(worldAfter.y, worldBefore.y, accuracy: 1e-3)

        // Out again at another point, fractional notches (a touchpad).
        let other = Point(canvasRect.x + 50, canvasRect.y + 300)
        let otherWorld = last!.transform.toWorld(other, in: canvasRect)
        harness.scroll(at: other, lines: -0.5)
        let otherAfter = last!.transform.toWorld(other, in: canvasRect)
        XCTAssertEqual(otherAfter.x, otherWorld.x, accuracy: 1e-3)
        XCTAssertEqual(otherAfter.y, otherWorld.y, accuracy: 1e-3)
    }

    func testZoomStopsAtItsLimitsAndStillKeepsTheCursorPoint() {
        let harness = makeHarness(zoomLimits: 0.5...3)
        harness.frame()
        let cursor = Point(canvasRect.x + 300, canvasRect.y + 200)
        let world = last!.transform.toWorld(cursor, in: canvasRect)
        harness.scroll(at: cursor, lines: 40)
        XCTAssertEqual(last!.transform.zoom, 3)
        XCTAssertEqual(last!.transform.toWorld(cursor, in: canvasRect).x, world.x, accuracy: 1e-3)
        harness.scroll(at: cursor, lines: -80)
        XCTAssertEqual(last!.transform.zoom, 0.5)
        XCTAssertEqual(last!.transform.toWorld(cursor, in: canvasRect).y, world.y, accuracy: 1e-3)
    }

    func testHoverAndClickHitTheRightItemAfterPanAndZoom() {
        let harness = makeHarness()
        harness.frame()
        harness.drag(from: Point(canvasRect.x + 30, canvasRect.maxY - 30), to: Point(canvasRect.x + 90, canvasRect.maxY - 50))
        harness.scroll(at: Point(canvasRect.x + 200, canvasRect.y + 150), lines: -1.5)
        harness.scroll(at: Point(canvasRect.x + 250, canvasRect.y + 200), lines: 1)
        XCTAssertNotEqual(last!.transform.zoom, 1)
        harness.frame()

        for world in [Point(150, 25), Point(0, 0), Point(20, 80)] {
            XCTAssertTrue(canvasRect.contains(screenPoint(world)), "\(world) is in view at \(screenPoint(world))")
        }
        // Inside the camera triangle (world), near its slanted edge.
        harness.moveMouse(to: screenPoint(Point(150, 25)))
        XCTAssertEqual(last!.hoveredItem, "camera")
        // Inside the triangle's bounding box but outside the triangle: nothing.
        harness.moveMouse(to: screenPoint(Point(150, -10)))
        XCTAssertNil(last!.hoveredItem)
        // Inside the router's bounding box corner but outside the disc: nothing.
        harness.moveMouse(to: screenPoint(Point(17, 17)))
        XCTAssertNil(last!.hoveredItem)
        harness.moveMouse(to: screenPoint(Point(0, 19)))
        XCTAssertEqual(last!.hoveredItem, "router")

        harness.click(at: screenPoint(Point(20, 80)))
        XCTAssertEqual(clicks, ["sensor"])
        harness.click(at: screenPoint(Point(130, 20)))
        XCTAssertEqual(clicks, ["sensor", "camera"])
        harness.click(at: screenPoint(Point(60, 80)))
        XCTAssertEqual(clicks, ["sensor", "camera"], "a click on empty space hits nothing")
        // The harness finds items by path at their place on screen.
        harness.click("Map/router")
        XCTAssertEqual(clicks, ["sensor", "camera", "router"])
    }

    func testTheLaterItemIsOnTop() {
        var hovered: String?
        let harness = UIHarness(size: Size(400, 300)) { ui in
            hovered = ui.canvas("Overlap", contentBounds: Rect(x: 0, y: 0, width: 100, height: 100), rect: Rect(x: 0, y: 0, width: 400, height: 300)) { painter in
                painter.circle(center: Point(50, 50), radius: 40, fill: Color(hex: 0xFFFFFF), key: "below")
                painter.circle(center: Point(50, 50), radius: 10, fill: Color(hex: 0xFF0000), key: "above")
            }.hoveredItem
        }
        harness.frame()
        harness.moveMouse(to: harness.item("Overlap/above")!.rect.center)
        XCTAssertEqual(hovered, "above")
        let below = harness.item("Overlap/below")!.rect
        harness.moveMouse(to: Point(below.center.x, below.y + below.height * 0.2))
        XCTAssertEqual(hovered, "below")
    }

    /// The Fit button sits over the drawing: an item under it is neither hovered nor clicked.
    func testAnItemUnderTheFitButtonIsNotHit() throws {
        let harness = makeHarness()
        harness.frame()
        let fit = try XCTUnwrap(harness.item("Map/Fit")).rect
        // Pan the camera triangle's inside under the button.
        let inside = screenPoint(Point(130, 20))
        harness.drag(from: Point(canvasRect.x + 20, canvasRect.maxY - 20),
                     to: Point(canvasRect.x + 20 + fit.center.x - inside.x, canvasRect.maxY - 20 + fit.center.y - inside.y))
        harness.frame()
        harness.moveMouse(to: fit.center)
        XCTAssertNil(last!.hoveredItem)
        harness.moveMouse(to: Point(fit.minX - 3, fit.center.y))
        XCTAssertEqual(last!.hoveredItem, "camera", "right beside the button the camera is there")
    }

    func testFitShowsAllTheContentAfterPanningAway() throws {
        let harness = makeHarness()
        harness.frame()
        func allInside() throws -> Bool {
            try ["router", "camera", "sensor"].allSatisfy { key in
                let rect = try XCTUnwrap(harness.item("Map/" + key)).rect
                return rect.minX >= canvasRect.minX && rect.maxX <= canvasRect.maxX && rect.minY >= canvasRect.minY && rect.maxY <= canvasRect.maxY
            }
        }
        XCTAssertTrue(try allInside(), "the first frame fits the content")
        harness.drag(from: Point(canvasRect.x + 20, canvasRect.maxY - 20), to: Point(canvasRect.x + 500, canvasRect.maxY - 20))
        harness.scroll(at: Point(canvasRect.x + 500, canvasRect.y + 300), lines: 5)
        harness.frame()
        XCTAssertFalse(try allInside())
        harness.click("Map/Fit")
        harness.frame()
        XCTAssertTrue(try allInside())
        XCTAssertEqual(clicks, [], "pressing Fit clicks nothing underneath")

        // A double click on empty space fits too; on an item it does not.
        harness.drag(from: Point(canvasRect.x + 20, canvasRect.maxY - 20), to: Point(canvasRect.x + 450, canvasRect.maxY - 60))
        harness.frame()
        XCTAssertFalse(try allInside())
        let router = try XCTUnwrap(harness.item("Map/router")).rect.center
        harness.click(at: router, double: true)
        harness.frame()
        XCTAssertFalse(try allInside(), "a double click on an item is a click on it")
        XCTAssertEqual(clicks, ["router"])
        harness.click(at: Point(canvasRect.x + 5, canvasRect.y + 5), double: true)
        harness.frame()
        XCTAssertTrue(try allInside())
    }

    func testCanvasDrawsWorldShapesAtTheirScreenPlaces() {
        let harness = makeHarness()
        harness.frame()
        let commands = harness.ui.drawList.commands
        let points = harness.ui.drawList.points
        guard let polygon = commands.first(where: { if case .polygon = $0 { return true }; return false }),
              case let .polygon(start, count, _) = polygon else { return XCTFail("no polygon drawn") }
        XCTAssertEqual(count, 3)
        let corner = screenPoint(Point(160, 30))
        XCTAssertEqual(points[start + 1].x, corner.x, accuracy: 1e-3)
        XCTAssertEqual(points[start + 1].y, corner.y, accuracy: 1e-3)
        XCTAssertTrue(commands.contains { if case let .haloText(text, _, _, _, _) = $0 { return text == "router" }; return false })
        XCTAssertTrue(commands.contains { if case let .line(_, _, _, thickness) = $0 { return thickness == 3 }; return false })
    }
}
