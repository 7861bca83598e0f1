import Foundation
import IoT
import UI

/// Draws an `IoTMapGraph` into a rectangle with a world→screen transform: in the tab's canvas
/// (with hit targets, hover and selection) or on a kiosk wall (no painter: nothing to click).
///
/// Cost is what a 500-device, 5,000-edge map can afford every frame (NetScouterIoTMapBench):
/// everything outside the visible part of the world is skipped, labels are drawn only when
/// they have room, and edges become hit targets only near the mouse (all of them when the test
/// harness records items, so tests can find and click any edge).
struct IoTMapDrawing {
    static let centerKey = "center"
    static let deviceRadius: Float = 12
    static let destinationRadius: Float = 7
    static let centerRadius: Float = 20

    let ui: UIContext
    let graph: IoTMapGraph
    let rect: Rect
    let transform: CanvasTransform
    let painter: CanvasPainter?
    let hovered: String?
    let selected: String?
    var labelsAlways = false

    /// One colour per device type, readable on both themes.
    static func color(_ type: DeviceType) -> Color {
        switch type {
        case .camera: Color(hex: 0xF778BA)
        case .media: Color(hex: 0xBC8CFF)
        case .printer: Color(hex: 0x39C5CF)
        case .hub: Color(hex: 0xD29922)
        case .sensor: Color(hex: 0x3FB950)
        case .phone: Color(hex: 0x3D8BFD)
        case .computer: Color(hex: 0x8E96A3)
        case .network: Color(hex: 0xE3B341)
        case .unknown: Color(hex: 0x6E7681)
        }
    }

    /// The type's mark inside its node.
    static func glyph(_ type: DeviceType) -> String {
        switch type {
        case .camera: "C"
        case .media: "M"
        case .printer: "P"
        case .hub: "H"
        case .sensor: "S"
        case .phone: "Ph"
        case .computer: "PC"
        case .network: "N"
        case .unknown: "?"
        }
    }

    static func riskColor(_ risk: Severity?, theme: Theme) -> Color {
        switch risk {
        case .high: theme.danger
        case .medium: theme.warning
        case .low: theme.warning.withAlpha(170)
        case nil: theme.mutedText.withAlpha(110)
        }
    }

    /// 1 px up to a kilobyte, then wider by 0.6 px per tenfold traffic up to 4 px (100 MB):
    /// thick enough to tell apart, thin enough that thousands of edges stay cheap to fill.
    static func edgeWidth(_ bytes: UInt64) -> Float {
        let magnitude = log10(Float(max(bytes, 1)))
        return min(4, max(1, 1 + (magnitude - 3) * 0.6))
    }

    /// The kept-layer slots of the tab's map and the kiosk's (see `DrawCommand.beginLayer`).
    static let tabLayerSlot: UInt64 = 0x107_0001
    static let kioskLayerSlot: UInt64 = 0x107_0002

    /// Everything the layer's pixels depend on but the pan and the zoom (the layer's `scroll` and
    /// `zoom`): the graph build, the area, the theme's colours and the label rule. What shows at
    /// a zoom (labels, glyphs) follows the zoom: a scaled picture is only a preview until the zoom
    /// settles. Hover and selection are drawn over the layer, so moving the mouse keeps it.
    func layerKey(background: Color) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(graph.generation)
        // Not the pan offset nor the zoom: they are the layer's `scroll` and `zoom` (a pan moves the
        // kept picture, a zoom in progress scales it; a settled zoom draws it afresh).
        for value in [rect.x, rect.y, rect.width, rect.height] {
            hasher.combine(value.bitPattern)
        }
        let theme = ui.theme
        for color in [background, theme.background, theme.panel, theme.panelBorder, theme.gridLine, theme.text, theme.mutedText,
                      theme.accent, theme.warning, theme.danger] {
            hasher.combine(color)
        }
        hasher.combine(labelsAlways)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// Draws the map: rings, spokes, edges, nodes and labels as one layer the renderer may keep
    /// while nothing in `layerKey` changes (the 5,000-edge map would otherwise be drawn again
    /// every frame), then the hovered and selected items over it.
    func draw(background: Color? = nil) {
        let theme = ui.theme
        let zoom = transform.zoom
        let originX = rect.x + transform.offset.x, originY = rect.y + transform.offset.y
        @inline(__always) func screen(_ world: Point) -> Point { Point(originX + world.x * zoom, originY + world.y * zoom) }
        // The visible world, grown by a node so half-visible nodes still draw.
        let margin = 40 / zoom
        let minX = (rect.x - originX) / zoom - margin, maxX = (rect.maxX - originX) / zoom + margin
        let minY = (rect.y - originY) / zoom - margin, maxY = (rect.maxY - originY) / zoom + margin
        @inline(__always) func visible(_ p: Point) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }
        let records = ui.recordsItems
        let mouse = ui.input.mousePosition
        let mouseWorld: Point? = painter != nil && rect.contains(mouse) ? Point((mouse.x - originX) / zoom, (mouse.y - originY) / zoom) : nil
        let center = IoTMapLayout.center
        let layerBackground = (background ?? theme.panel).withAlpha(255)
        ui.draw(.beginLayer(slot: painter != nil ? Self.tabLayerSlot : Self.kioskLayerSlot, key: layerKey(background: layerBackground),
                            rect: rect, background: layerBackground, scroll: transform.offset, zoom: zoom,
                            zoomSettled: painter?.zoomSettled ?? true))

        // Rings: where devices and destinations live.
        for radius in graph.layout.deviceRings {
            ui.draw(.arc(center: screen(center), radius: radius * zoom, startAngle: 0, endAngle: 2 * .pi, theme.gridLine, thickness: 1))
        }
        if !graph.destinations.isEmpty {
            ui.draw(.arc(center: screen(center), radius: graph.layout.destinationRadius * zoom, startAngle: 0, endAngle: 2 * .pi,
                         theme.gridLine, thickness: 1))
        }

        // Spokes from this host to each device.
        let centerScreen = screen(center)
        let spoke = theme.panelBorder
        for device in graph.devices where visible(device.position) || visible(center) {
            ui.draw(.line(from: centerScreen, to: screen(device.position), spoke, thickness: 1))
        }

        // Edges, quiet ones first (the graph orders them); hovered and selected ones later, over the layer.
        let hitSlack = 6 / zoom
        var highlightedEdges: [Int] = []
        for (index, edge) in graph.edges.enumerated() {
            let a = graph.devices[edge.device].position, b = graph.destinations[edge.destination].position
            guard max(a.x, b.x) >= minX, min(a.x, b.x) <= maxX, max(a.y, b.y) >= minY, min(a.y, b.y) <= maxY else { continue }
            let highlighted = edge.mapKey == hovered || edge.mapKey == selected
            let width = Self.edgeWidth(edge.bytes) + (highlighted ? 2 : 0)
            if highlighted { highlightedEdges.append(index) }
            ui.draw(.line(from: screen(a), to: screen(b), Self.riskColor(edge.risk, theme: theme), thickness: Self.edgeWidth(edge.bytes)))
            guard let painter else { continue }
            let slack = max(hitSlack, width / 2 / zoom)
            if records || mouseWorld.map({ Self.distance($0, a, b) <= slack }) == true {
                painter.hitTarget(edge.mapKey, .polygon(Self.band(a, b, halfWidth: slack)))
            }
            if records {
                let mid = screen(Point((a.x + b.x) / 2, (a.y + b.y) / 2))
                ui.itemAdd(Rect(x: mid.x - 3, y: mid.y - 3, width: 6, height: 6), id: 0, label: "edge " + edge.mapKey, kind: "map edge",
                           role: ItemRole(kind: "map edge", name: edge.mapKey), value: edge.risk?.rawValue ?? "none")
            }
        }

        // Destinations, flagged in their risk colour.
        let destinationPixels = max(Self.destinationRadius * zoom, 3)
        func drawDestination(_ destination: IoTMapGraph.Destination) {
            let color = destination.risk.map { Self.riskColor($0, theme: theme) } ?? theme.accent.withAlpha(200)
            ui.draw(.circle(center: screen(destination.position), radius: destinationPixels, color, filled: true))
        }
        var highlightedDestinations: [Point] = []
        for destination in graph.destinations where visible(destination.position) {
            let p = screen(destination.position)
            drawDestination(destination)
            if destination.mapKey == hovered || destination.mapKey == selected { highlightedDestinations.append(p) }
            painter?.hitTarget(destination.mapKey, .circle(center: destination.position, radius: max(Self.destinationRadius, 5 / zoom)))
            if records {
                ui.itemAdd(Rect(x: p.x - destinationPixels, y: p.y - destinationPixels, width: 2 * destinationPixels, height: 2 * destinationPixels),
                           id: 0, label: "destination " + destination.address, kind: "map destination",
                           role: ItemRole(kind: "map destination", name: destination.address), value: destination.risk?.rawValue ?? "none")
            }
        }
        for group in graph.layout.groups where visible(group.position) {
            halo("\(group.name) (\(group.count))", at: screen(group.position), color: theme.mutedText)
        }

        // This host.
        if visible(center) {
            ui.draw(.circle(center: centerScreen, radius: max(Self.centerRadius * zoom, 8), theme.accent, filled: true))
            painter?.hitTarget(Self.centerKey, .circle(center: center, radius: Self.centerRadius))
            halo("This host", at: Point(centerScreen.x, centerScreen.y + max(Self.centerRadius * zoom, 8) + 10), color: theme.text)
        }

        // Devices on top: type colour, offline ones hollow; labels when they have room.
        let devicePixels = max(Self.deviceRadius * zoom, 4)
        let showLabels = labelsAlways || graph.devices.count <= 40 || zoom >= 1.2
        let showGlyphs = devicePixels >= 9
        func drawDevice(_ device: IoTMapGraph.Device) {
            let p = screen(device.position)
            let color = Self.color(device.type)
            if device.online {
                ui.draw(.circle(center: p, radius: devicePixels, color, filled: true))
            } else {
                ui.draw(.circle(center: p, radius: devicePixels, theme.panel, filled: true))
                ui.draw(.circle(center: p, radius: devicePixels, color, filled: false))
            }
            if showGlyphs {
                let glyph = Self.glyph(device.type)
                let size = ui.textSize(glyph, .small)
                ui.draw(.text(glyph, at: Point((p.x - size.width / 2).rounded(), (p.y - size.height / 2).rounded()),
                              device.online ? theme.background : color, .small))
            }
        }
        var emphasisedDevices: [Int] = []
        for (index, device) in graph.devices.enumerated() where visible(device.position) {
            let p = screen(device.position)
            let key = device.mapKey
            drawDevice(device)
            if painter != nil && (key == hovered || key == selected) { emphasisedDevices.append(index) }
            if showLabels {
                halo(device.label, at: Point(p.x, p.y + devicePixels + 9), color: device.online ? theme.text : theme.mutedText)
            }
            painter?.hitTarget(key, .circle(center: device.position, radius: max(Self.deviceRadius, 6 / zoom)))
            if records {
                ui.itemAdd(Rect(x: p.x - devicePixels, y: p.y - devicePixels, width: 2 * devicePixels, height: 2 * devicePixels), id: 0,
                           label: "device " + device.key, kind: "map device", role: ItemRole(kind: "map device", name: device.key),
                           value: "\(device.label) · \(device.type.rawValue) · \(device.online ? "online" : "offline")")
            }
        }
        ui.draw(.endLayer)

        // Over the layer: a hovered or selected edge (wider, in the text colour) with its two
        // ends drawn again on top of it, rings around hovered or selected nodes.
        for index in highlightedEdges {
            let edge = graph.edges[index]
            let device = graph.devices[edge.device], destination = graph.destinations[edge.destination]
            ui.draw(.line(from: screen(device.position), to: screen(destination.position), theme.text, thickness: Self.edgeWidth(edge.bytes) + 2))
            if visible(destination.position) { drawDestination(destination) }
            if visible(device.position) { drawDevice(device) }
        }
        for p in highlightedDestinations {
            ui.draw(.circle(center: p, radius: destinationPixels + 3, theme.text, filled: false))
        }
        for index in emphasisedDevices {
            let device = graph.devices[index]
            let p = screen(device.position)
            ui.draw(.circle(center: p, radius: devicePixels + 3, theme.text, filled: false))
            if !showLabels {
                halo(device.label, at: Point(p.x, p.y + devicePixels + 9), color: device.online ? theme.text : theme.mutedText)
            }
        }
    }

    private func halo(_ text: String, at center: Point, color: Color) {
        let shown = text.count > 28 ? String(text.prefix(27)) + "…" : text
        let size = ui.textSize(shown, .small)
        ui.draw(.haloText(shown, at: Point((center.x - size.width / 2).rounded(), (center.y - size.height / 2).rounded()), color,
                          halo: ui.theme.background, .small))
    }

    /// Distance from `p` to the segment `a`–`b`.
    static func distance(_ p: Point, _ a: Point, _ b: Point) -> Float {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = dx * dx + dy * dy
        let t = length > 0 ? min(1, max(0, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length)) : 0
        let x = a.x + t * dx - p.x, y = a.y + t * dy - p.y
        return (x * x + y * y).squareRoot()
    }

    /// The quadrilateral `halfWidth` either side of `a`–`b`: an edge's clickable band.
    static func band(_ a: Point, _ b: Point, halfWidth: Float) -> [Point] {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = max((dx * dx + dy * dy).squareRoot(), 1e-6)
        let nx = -dy / length * halfWidth, ny = dx / length * halfWidth
        return [Point(a.x + nx, a.y + ny), Point(b.x + nx, b.y + ny), Point(b.x - nx, b.y - ny), Point(a.x - nx, a.y - ny)]
    }
}
