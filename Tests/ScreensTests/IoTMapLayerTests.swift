import Foundation
import Intel
import IoT
@testable import Screens
import UI
import UISDL
import XCTest

/// The map kept as a layer (`IoTMapDrawing`): moving the mouse shows the kept picture with the
/// hover drawn over it — pixel for pixel what a renderer drawing everything afresh shows —,
/// panning moves it, zooming shows it scaled until the zoom settles, and new data draws it again.
final class IoTMapLayerTests: XCTestCase {
    static func snapshot(devices deviceCount: Int, edges edgeCount: Int, destinations destinationCount: Int) -> IoTMapSnapshot {
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        var devices: [IoTDevice] = []
        for index in 0..<deviceCount {
            let mac = String(format: "02:00:00:00:%02x:%02x", index >> 8, index & 0xFF)
            var device = IoTDevice(key: mac, mac: mac, firstSeen: start)
            device.ips = ["10.0.\(index / 250).\(index % 250 + 1)"]
            device.hostname = "device-\(index)"
            device.detectedType = DeviceType.allCases[index % DeviceType.allCases.count]
            device.online = index % 5 != 0
            devices.append(device)
        }
        var destinations: [DeviceDestination] = []
        for index in 0..<edgeCount {
            let device = devices[index % deviceCount]
            let remote = (index * 7) % destinationCount
            let flagged = index % 4 == 0
            destinations.append(DeviceDestination(
                deviceKey: device.key, deviceIP: device.ip, remoteIP: "198.18.0.\(remote + 1)", remotePort: flagged ? 23 : 443, transport: "tcp",
                country: "C\(remote % 5)", provider: "AS\(64_500 + remote % 7) P", consensus: nil,
                flows: 1, bytes: UInt64(200 + index * 997_003 % 90_000_000), firstSeen: start, lastSeen: start, risk: flagged ? .high : nil))
        }
        return IoTMapSnapshot(devices: devices, destinations: destinations, anomalies: [], loadedAt: start)
    }

    func differingPixels(_ a: PixelImage, _ b: PixelImage) -> Int {
        zip(a.pixels, b.pixels).reduce(0) { $0 + (($1.0 & 0x00FF_FFFF) == ($1.1 & 0x00FF_FFFF) ? 0 : 1) }
    }

    func testHoverOverTheKeptMapLooksLikeTheMapDrawnAfreshPanningMovesIt() throws {
        let kept = try OffscreenCanvas(width: 900, height: 700)
        defer { kept.destroy() }
        let fresh = try OffscreenCanvas(width: 900, height: 700)
        defer { fresh.destroy() }
        let ui = UIContext(theme: .dark, measurer: kept.measurer)
        ui.recordsItems = true
        let inbox = UIInbox()
        let model = IoTMapModel(database: nil, capture: nil, enricher: AddressEnricher(location: nil), inbox: inbox, toasts: nil)
        model.install(Self.snapshot(devices: 30, edges: 120, destinations: 40))
        let screen = IoTMapScreen(model: model, inbox: inbox, toasts: nil)
        let mapRect = Rect(x: 10, y: 10, width: 880, height: 680)
        func frame(_ input: InputSnapshot) {
            ui.beginFrame(input: input, viewport: kept.viewport)
            screen.buildMap(ui, in: mapRect)
            ui.endFrame()
        }
        func at(_ point: Point) -> InputSnapshot {
            var input = InputSnapshot()
            input.mousePosition = point
            return input
        }
        frame(at(Point(0, 0)))
        frame(at(Point(0, 0)))
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 1)
        let plain = kept.image()

        // Hover a flagged destination, then a device: the layer is kept, the hover drawn over it.
        let items = ui.items
        let destination = try XCTUnwrap(items.first { $0.role?.kind == "map destination" && $0.value == "high" })
        let device = try XCTUnwrap(items.first { $0.role?.kind == "map device" })
        for target in [destination.rect.center, device.rect.center] {
            frame(at(target))
            frame(at(target))
            kept.render(ui)
            XCTAssertEqual(kept.drawListRenderer.statistics.layerHits, 1, "moving the mouse keeps the layer")
            XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 0)
            fresh.drawListRenderer.purgeTextCache()
            fresh.render(ui)
            XCTAssertEqual(fresh.drawListRenderer.statistics.layerMisses, 1)
            let hovered = kept.image()
            XCTAssertEqual(differingPixels(hovered, fresh.image()), 0, "kept layer + hover = everything drawn afresh")
            XCTAssertGreaterThan(differingPixels(hovered, plain), 50, "the hover shows (ring, tooltip)")
        }

        // A drag pans: the kept pixels move and only the uncovered strips are drawn (lines cut by
        // a strip's edge may step differently by a pixel); at rest the layer is drawn afresh.
        var press = at(Point(mapRect.x + 15, mapRect.y + 15))
        press.mouseDown[0] = true
        press.mousePressed[0] = true
        frame(press)
        var drag = at(Point(mapRect.x + 45, mapRect.y + 35))
        drag.mouseDown[0] = true
        drag.mouseDelta = Point(30, 20)
        frame(drag)
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMoves, 1, "panning moves the layer")
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 0)
        fresh.drawListRenderer.purgeTextCache()
        fresh.render(ui)
        XCTAssertLessThan(differingPixels(kept.image(), fresh.image()), 880 * 680 / 200)
        var release = at(Point(mapRect.x + 45, mapRect.y + 35))
        release.mouseReleased[0] = true
        frame(release)
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 1, "at rest the moved layer is drawn afresh")
        fresh.drawListRenderer.purgeTextCache()
        fresh.render(ui)
        XCTAssertEqual(differingPixels(kept.image(), fresh.image()), 0)

        // The wheel zooms: while it turns the kept picture is shown scaled (nothing drawn); once
        // the zoom has settled (the canvas asks to be woken then) the layer is drawn afresh, exactly.
        var wheel = at(Point(mapRect.x + 300, mapRect.y + 200))
        wheel.wheel = Point(0, 1)
        wheel.time = 10
        frame(wheel)
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerScales, 1, "zooming shows the kept layer scaled")
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 0)
        XCTAssertEqual(kept.drawListRenderer.statistics.lines, 0)
        let wake = try XCTUnwrap(ui.nextWakeTime, "a wake for the settled zoom")
        XCTAssertEqual(wake, 10 + CanvasPainter.zoomSettleSeconds, accuracy: 1e-9)
        var still = at(wheel.mousePosition)
        still.time = 10.05
        frame(still)
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerScales, 1, "not settled yet")
        still.time = 10 + CanvasPainter.zoomSettleSeconds + 0.01
        frame(still)
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 1, "the settled zoom draws the layer afresh")
        XCTAssertNil(ui.nextWakeTime)
        fresh.drawListRenderer.purgeTextCache()
        fresh.render(ui)
        XCTAssertEqual(differingPixels(kept.image(), fresh.image()), 0)

        // New data (a rebuilt graph) draws it again too.
        model.install(Self.snapshot(devices: 31, edges: 120, destinations: 40))
        frame(at(Point(0, 0)))
        kept.render(ui)
        XCTAssertEqual(kept.drawListRenderer.statistics.layerMisses, 1, "a new graph draws the layer again")
        fresh.drawListRenderer.purgeTextCache()
        fresh.render(ui)
        XCTAssertEqual(differingPixels(kept.image(), fresh.image()), 0)
    }
}
