import Export
import Foundation
import IoT
import Store
import Packets
import Traffic
import UI

/// The IoT Map tab (the view of `IoTMapModel`): every LAN device around this host, coloured by
/// type, what IoT-class devices talk to outside on the outer ring (grouped by country or
/// provider), edges as thick as the traffic and coloured by risk. Pan by dragging, zoom with the
/// wheel, hover for details, click to select; a selected flagged destination or edge offers
/// Block. Beside the map: the selection's details (a device's type can be overridden there), the
/// inventory and the anomalies (sortable, exportable), and "Export JSON" writing the document of
/// `netscouter iot export`.
public final class IoTMapScreen: TabScreen {
    public static let title = "IoT Map"
    public let model: IoTMapModel
    public let inventoryTable: DataTable<IoTDevice, String>
    public let anomaliesTable: DataTable<IoTAnomaly, String>
    /// Asks to block an address (the shell wires it to the confirm-block dialog). The map's
    /// Block button shows only when it is set.
    public var onBlock: ((String) -> Void)?
    /// "Block" (and `B`) on the selected anomaly's remote address: the confirm-block dialog.
    public var blockRequests: BlockRequests?
    /// Where "Export JSON" writes; empty: `netscouter-iot.json` in the export folder.
    public var exportPath = ""
    public private(set) var exportDirectory: String
    private let exporter: BackgroundTask<ExportRequest, Never, String>
    private let toasts: ToastCenter?
    private var typeChoice = 0
    private var typeChoiceFor: String?

    struct ExportRequest: Sendable {
        let document: IoTExportDocument
        let path: String
    }

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        guard let services = environment.services else {
            return UnavailableScreen(title: title, reason: "The IoT map needs the NetScouter database, which could not be opened.",
                                     lines: ["Check that the data directory is writable and restart NetScouter.",
                                             "`netscouter iot devices` and `netscouter iot anomalies` show the same inventory on the command line."])
        }
        let model = IoTMapModel(database: services.database, capture: environment.capture, enricher: environment.intel.enricher,
                                inbox: environment.inbox, toasts: environment.toasts)
        let screen = IoTMapScreen(model: model, inbox: environment.inbox, toasts: environment.toasts)
        screen.blockRequests = environment.blockRequests
        return screen
    }

    public init(model: IoTMapModel, inbox: UIInbox, toasts: ToastCenter?, exportDirectory: String = "") {
        self.model = model
        self.toasts = toasts
        self.exportDirectory = ExportBar.resolveDirectory(exportDirectory)
        inventoryTable = DataTable("Inventory", columns: Self.inventoryColumns(), key: \.key, sort: DataSort(column: "IP", ascending: true))
        anomaliesTable = DataTable("Anomalies", columns: Self.anomalyColumns(), key: \.identity, sort: DataSort(column: "Severity", ascending: false))
        exporter = BackgroundTask("iot-export", policy: .ignoreWhileRunning, inbox: inbox, toasts: toasts) { request, _ in
            try request.document.write(to: request.path)
            return request.path
        }
        if let toasts {
            inventoryTable.enableExport("iot-devices", singular: "device", inbox: inbox, toasts: toasts, directory: exportDirectory)
            anomaliesTable.enableExport("iot-anomalies", singular: "anomaly", inbox: inbox, toasts: toasts, directory: exportDirectory)
        }
    }

    static func time(_ date: Date) -> String { IoTExportDocument.time(date) }

    static func inventoryColumns() -> [DataColumn<IoTDevice>] {
        let name: (IoTDevice) -> String = { $0.hostname ?? "" }
        let address: (IoTDevice) -> String = { $0.ip ?? "" }
        return [
            DataColumn("Name", width: 120, text: name, sortBy: name),
            DataColumn("IP", width: 110, text: address, less: { addressLess($0.ip, $1.ip) }, export: { $0.ip.map(ExportValue.string) ?? .null }),
            DataColumn("MAC", width: 130, text: { $0.mac ?? "" }, sortBy: { $0.mac ?? "" }, export: { $0.mac.map(ExportValue.string) ?? .null }),
            DataColumn("Vendor", width: 120, text: { $0.vendor ?? ($0.randomisedMAC ? "(randomised MAC)" : "") }, sortBy: { $0.vendor ?? "" }),
            DataColumn("Type", width: 110, exportKey: "device_type", text: { $0.deviceType.displayName }, sortBy: { $0.deviceType.displayName },
                       export: { .string($0.deviceType.rawValue) }),
            DataColumn("Online", width: 60, text: { $0.online ? "yes" : "no" }, sortBy: { $0.online ? 1 : 0 }, export: { .bool($0.online) },
                       color: { device, theme in device.online ? theme.success : theme.mutedText }),
            DataColumn("Last seen", width: 150, text: { time($0.lastSeen) }, sortBy: { $0.lastSeen }),
            .exportOnly("Type reasons", key: "type_reasons") { .string($0.typeReasons.joined(separator: "; ")) },
            .exportOnly("First seen", key: "first_seen") { .string(time($0.firstSeen)) },
        ]
    }

    static func anomalyColumns() -> [DataColumn<IoTAnomaly>] {
        [
            DataColumn("Severity", width: 70, text: { $0.severity.rawValue }, sortBy: { $0.severity },
                       color: { anomaly, theme in anomaly.severity == .high ? theme.danger : anomaly.severity == .medium ? theme.warning : nil }),
            DataColumn("Device", width: 110, exportKey: "device_ip", text: { $0.deviceIP ?? $0.deviceKey }, sortBy: { $0.deviceIP ?? $0.deviceKey }),
            DataColumn("Remote", width: 120, exportKey: "remote_ip", text: { $0.remoteIP }, less: { addressLess($0.remoteIP, $1.remoteIP) }),
            DataColumn("Port", width: 50, alignment: .right, exportKey: "remote_port", text: { "\($0.remotePort)" }, sortBy: { $0.remotePort },
                       export: { .number($0.remotePort) }),
            DataColumn("Country", width: 60, text: { $0.country ?? "" }, sortBy: { $0.country ?? "" }),
            DataColumn("Provider", width: 130, text: { $0.provider ?? "" }, sortBy: { $0.provider ?? "" }),
            DataColumn("Rule", width: 110, text: { $0.rule }, sortBy: { $0.rule }),
            DataColumn("Count", width: 50, alignment: .right, text: { "\($0.count)" }, sortBy: { $0.count }, export: { .number($0.count) }),
            DataColumn("Last seen", width: 150, text: { time($0.lastSeen) }, sortBy: { $0.lastSeen }),
            .exportOnly("Device MAC", key: "device_mac") { $0.deviceMAC.map(ExportValue.string) ?? .null },
            .exportOnly("Reason", key: "reason") { .string($0.reason) },
            .exportOnly("First seen", key: "first_seen") { .string(time($0.firstSeen)) },
        ]
    }

    // MARK: Screen

    public var hasPendingWork: Bool { model.isLoading || exporter.isRunning || inventoryTable.isExporting || anomaliesTable.isExporting }
    public var shortcutHints: [String] {
        ["Drag to pan", "Wheel zooms", "Ctrl+R refresh"] + (blockRequests?.isAvailable == true ? [BlockRequests.hint] : [])
    }

    public func apply(_ settings: AppSettings) {
        exportDirectory = ExportBar.resolveDirectory(settings.exportDirectory)
        inventoryTable.apply(settings)
        anomaliesTable.apply(settings)
    }

    public func handleShortcuts(_ ui: UIContext) {
        if !ui.isEditingText, ui.input.pressed(.character("r"), modifiers: .control) { model.refresh() }
    }

    public var statusText: String? {
        if let error = model.loadError { return "IoT map: \(error)" }
        guard model.hasLoaded else { return "IoT map: loading the inventory…" }
        let snapshot = model.snapshot
        let online = snapshot.devices.filter(\.online).count
        var parts = ["\(snapshot.devices.count) device\(snapshot.devices.count == 1 ? "" : "s") (\(online) online)",
                     "\(model.graph.destinations.count) destination\(model.graph.destinations.count == 1 ? "" : "s")",
                     "\(snapshot.anomalies.count) anomal\(snapshot.anomalies.count == 1 ? "y" : "ies")"]
        if snapshot.liveFlows > 0 { parts.append("\(snapshot.liveFlows) open flow\(snapshot.liveFlows == 1 ? "" : "s") of this capture included") }
        return "IoT map: " + parts.joined(separator: " · ")
    }

    public var kioskPanels: [KioskPanel] {
        [KioskPanel(title: "IoT map") { [weak self] ui, rect in self?.buildKiosk(ui, in: rect) }]
    }

    /// Where Export JSON writes.
    public var resolvedExportPath: String {
        let typed = exportPath.trimmingCharacters(in: .whitespaces)
        if typed.isEmpty { return (exportDirectory as NSString).appendingPathComponent("netscouter-iot.json") }
        return ExportBar.resolveDirectory(typed)
    }

    public var isExportingJSON: Bool { exporter.isRunning }

    /// Writes the inventory and anomalies shown, as `netscouter iot export` does, on a worker.
    @discardableResult
    public func exportJSON() -> Bool {
        let document = model.exportDocument()
        let devices = document.devices.count, anomalies = document.anomalies.count
        return exporter.start(ExportRequest(document: document, path: resolvedExportPath)) { [toasts] outcome in
            if let path = outcome.value {
                toasts?.post("Exported \(devices) device\(devices == 1 ? "" : "s") and \(anomalies) anomal\(anomalies == 1 ? "y" : "ies") to \(path)", kind: .success)
            }
            return .unhandled
        }
    }

    // MARK: Frame

    public func backgroundTick(now: Double) {
        model.saveAnnouncementsIfDue(now: now)
    }

    public func build(_ ui: UIContext, in area: Rect) {
        model.tick(now: ui.input.time)
        let generation = model.generation
        inventoryTable.update(generation: generation, filter: "", now: ui.input.time, streaming: false, source: { model.snapshot.devices })
        anomaliesTable.update(generation: generation, filter: "", now: ui.input.time, streaming: false, source: { model.snapshot.anomalies })
        ui.withID("IoT Map") {
            let parts = ui.rows(area, [.fixed(ui.theme.rowHeight), .flex(1)])
            toolbar(ui, in: parts[0])
            let halves = ui.columns(parts[1], [.flex(1), .fixed(min(520, parts[1].width * 0.42))])
            map(ui, in: halves[0])
            let side = ui.rows(halves[1], [.fixed(200), .flex(1), .flex(1)])
            detail(ui, in: side[0])
            ui.panel("Inventory", rect: side[1]) {
                if inventoryTable.build(ui, in: ui.remainingRect).contains(.changed), let key = inventoryTable.selectedKey {
                    model.selection = .device(key)
                }
            }
            ui.panel("Anomalies", rect: side[2]) {
                let anomalies = anomaliesTable.build(ui, in: ui.remainingRect) { [blockRequests] row, anomaly in
                    blockRequests?.rowAction(ui, row, address: IPAddress(anomaly.remoteIP), place: "IoT Map anomalies")
                }
                if anomalies.contains(.changed), let anomaly = anomaliesTable.selectedRow {
                    model.selection = .edge(device: anomaly.deviceKey, address: anomaly.remoteIP)
                }
            }
        }
    }

    func toolbar(_ ui: UIContext, in rect: Rect) {
        ui.group(rect) {
            ui.row([.fixed(90), .fixed(70), .fixed(110), .flex(1), .fixed(260), .fixed(110)])
            if ui.button("Refresh", enabled: model.hasStore).contains(.pressed) { model.refresh() }
            ui.label("Group by", color: ui.theme.mutedText)
            var grouping = IoTMapGrouping.allCases.firstIndex(of: model.grouping) ?? 0
            if ui.dropdown("Group by", options: IoTMapGrouping.allCases.map(\.rawValue), selection: &grouping).contains(.changed) {
                model.grouping = IoTMapGrouping.allCases[grouping]
            }
            if let error = model.loadError {
                ui.label(error, color: ui.theme.danger)
            } else {
                ui.label(model.isLoading ? "Loading…" : model.hasLoaded ? "Updated \(Self.time(model.snapshot.loadedAt))" : "", color: ui.theme.mutedText)
                if let notice = model.notice { ui.label(notice, color: ui.theme.warning) }
            }
            ui.textField("JSON path", text: &exportPath, placeholder: resolvedExportPath)
            if ui.button("Export JSON", enabled: !exporter.isRunning).contains(.pressed) { exportJSON() }
        }
    }

    /// The map alone, as the tab draws it (the benchmark times this).
    public func buildMap(_ ui: UIContext, in rect: Rect) {
        ui.withID("IoT Map") { map(ui, in: rect) }
    }

    func map(_ ui: UIContext, in rect: Rect) {
        let graph = model.graph
        var hoverDetail: String?
        // No bounds while empty: the canvas fits the first content that arrives, and later only
        // on "Fit" (a growing inventory must not re-zoom the map under the user's mouse).
        let result = ui.canvas("Map", contentBounds: graph.devices.isEmpty ? nil : graph.layout.bounds, zoomLimits: 0.05...8, rect: rect) { painter in
            IoTMapDrawing(ui: ui, graph: graph, rect: painter.rect, transform: painter.transform, painter: painter,
                          hovered: painter.hoveredKey, selected: model.selection?.mapKey).draw()
        }
        if graph.devices.isEmpty {
            let message = model.hasLoaded ? "No devices yet: run a LAN discovery (Scanner tab), or capture on the LAN interface." : "Loading the inventory…"
            ui.drawText(message, in: Rect(x: rect.x + 16, y: rect.y + 12, width: rect.width - 80, height: 20), color: ui.theme.mutedText, role: .small)
        }
        if let hovered = result.hoveredItem {
            hoverDetail = Self.details(hovered, graph: graph).joined(separator: "\n")
        }
        if let hoverDetail, !hoverDetail.isEmpty { ui.showTooltip(hoverDetail) }
        if let clicked = result.clickedItem, let selection = IoTMapSelection(mapKey: clicked) {
            model.selection = selection
            if case let .device(key) = selection { inventoryTable.selectedKey = key }
        }
    }

    /// The facts about a map item, one line each (tooltip and detail panel).
    static func details(_ mapKey: String, graph: IoTMapGraph) -> [String] {
        guard let selection = IoTMapSelection(mapKey: mapKey) else {
            return mapKey == IoTMapDrawing.centerKey ? ["This host", "LAN devices around it; their outside destinations on the outer ring"] : []
        }
        switch selection {
        case let .device(key):
            guard let index = graph.deviceIndex[key] else { return [] }
            let device = graph.devices[index].device
            var lines = [IoTMapGraph.label(device), "Type: \(device.deviceType.displayName)"]
            lines += device.typeReasons.map { "  · " + $0 }
            if !device.ips.isEmpty { lines.append("IP: " + device.ips.prefix(4).joined(separator: ", ")) }
            if let mac = device.mac { lines.append("MAC: \(mac)" + (device.randomisedMAC ? " (randomised)" : "")) }
            if let vendor = device.vendor { lines.append("Vendor: \(vendor)") }
            if let hostname = device.hostname { lines.append("Host name: \(hostname)" + (device.hostnameSource.map { " (\($0))" } ?? "")) }
            lines.append(device.online ? "Online" : "Offline (missed \(device.missedSweeps) sweeps)")
            lines.append("First seen \(time(device.firstSeen)), last seen \(time(device.lastSeen))")
            let destinations = graph.edges.filter { $0.device == index }.count
            if destinations > 0 { lines.append("\(destinations) outside destination\(destinations == 1 ? "" : "s")") }
            return lines
        case let .destination(address):
            guard let index = graph.destinationIndex[address] else { return [] }
            let destination = graph.destinations[index]
            var lines = [address]
            lines.append("Country: \(destination.country ?? "unknown") · Provider: \(destination.provider ?? "unknown")")
            if let consensus = destination.consensus { lines.append("Consensus: \(consensus) providers flag it") }
            lines.append("\(destination.devices) device\(destination.devices == 1 ? "" : "s") · \(destination.flows) flow\(destination.flows == 1 ? "" : "s") · \(formatBytes(destination.bytes))")
            lines.append(destination.risk.map { "Risk: \($0.rawValue)" } ?? "No risk rule matched")
            let reasons = graph.anomaliesByEdge.filter { $0.key.hasSuffix("|" + address) }.values.flatMap { $0 }
            lines += Set(reasons.map { "  · \($0.rule): \($0.reason)" }).sorted()
            return lines
        case let .edge(deviceKey, address):
            let key = IoTMapGraph.edgeKey(device: deviceKey, address: address)
            guard let index = graph.edgeIndex[key] else { return [] }
            let edge = graph.edges[index]
            let device = graph.devices[edge.device], destination = graph.destinations[edge.destination]
            var lines = ["\(device.label) → \(address)", "Ports: \(edge.ports.joined(separator: ", "))",
                         "\(edge.flows) flow\(edge.flows == 1 ? "" : "s") · \(formatBytes(edge.bytes))",
                         "Country: \(destination.country ?? "unknown") · Provider: \(destination.provider ?? "unknown")"]
            lines.append(edge.risk.map { "Risk: \($0.rawValue)" } ?? "No risk rule matched")
            lines += (graph.anomaliesByEdge[key] ?? []).map { "  · \($0.rule) (\($0.remotePort)/\($0.transport)): \($0.reason)" }.sorted()
            return lines
        }
    }

    /// The address the selection would block: a destination or edge some risk rule flagged.
    public var blockableAddress: String? {
        let graph = model.graph
        switch model.selection {
        case let .destination(address):
            guard let index = graph.destinationIndex[address], graph.destinations[index].risk != nil else { return nil }
            return address
        case let .edge(device, address):
            guard let index = graph.edgeIndex[IoTMapGraph.edgeKey(device: device, address: address)], graph.edges[index].risk != nil else { return nil }
            return address
        default: return nil
        }
    }

    func detail(_ ui: UIContext, in rect: Rect) {
        ui.panel("Selected", rect: rect) {
            guard let selection = model.selection else {
                ui.row([.fill], height: .fixed(20))
                ui.label("Click a device, destination or edge on the map.", color: ui.theme.mutedText, role: .small)
                return
            }
            let lines = Self.details(selection.mapKey, graph: model.graph)
            var actionsHeight: Float = 0
            if case .device = selection { actionsHeight = ui.theme.rowHeight + ui.theme.spacing }
            if onBlock != nil, blockableAddress != nil { actionsHeight = ui.theme.rowHeight + ui.theme.spacing }
            let body = ui.remainingRect
            ui.scrollArea("detail", rect: Rect(x: body.x, y: body.y, width: body.width, height: max(20, body.height - actionsHeight))) {
                for (index, line) in lines.enumerated() {
                    ui.row([.fill], height: .fixed(18))
                    let rect = ui.nextRect()
                    if index == 0 { ui.itemAdd(rect, id: 0, label: "detail-title", kind: "label", role: ItemRole(kind: "map detail", name: selection.mapKey), value: lines.joined(separator: "\n")) }
                    ui.drawText(line, in: rect, color: index == 0 ? ui.theme.text : ui.theme.mutedText, role: index == 0 ? .body : .small)
                }
            }
            ui.group(Rect(x: body.x, y: body.maxY - actionsHeight + ui.theme.spacing, width: body.width, height: max(0, actionsHeight - ui.theme.spacing))) {
                if case let .device(key) = selection, let index = model.graph.deviceIndex[key] {
                    typeOverride(ui, device: model.graph.devices[index].device)
                } else if let onBlock, let address = blockableAddress {
                    ui.row([.fixed(170), .flex(1)])
                    if ui.button("Block \(address)##block", style: .primary).contains(.pressed) { onBlock(address) }
                    ui.label("flagged by the IoT risk rules", color: ui.theme.warning, role: .small)
                }
            }
        }
    }

    /// "auto (rules: camera)" or a type: saved in the store, as `netscouter iot set-type` does.
    func typeOverride(_ ui: UIContext, device: IoTDevice) {
        let options = ["auto (rules: \(device.detectedType.displayName))"] + DeviceType.allCases.map(\.displayName)
        let current = device.userType.flatMap { DeviceType.allCases.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        if typeChoiceFor != device.key || !model.isLoading {
            typeChoice = current
            typeChoiceFor = device.key
        }
        ui.row([.fixed(44), .flex(1)])
        ui.label("Type", color: ui.theme.mutedText, role: .small)
        if ui.dropdown("Device type", options: options, selection: &typeChoice).contains(.changed), typeChoice != current {
            model.setType(typeChoice == 0 ? nil : DeviceType.allCases[typeChoice - 1], for: device.key)
        }
    }

    /// The kiosk panel: the map fitted to the wall, no controls, and the figures underneath.
    func buildKiosk(_ ui: UIContext, in rect: Rect) {
        model.tick(now: ui.input.time)
        let graph = model.graph
        let parts = ui.rows(rect, [.flex(1), .fixed(32)])
        let transform = CanvasTransform.fitting(graph.layout.bounds, in: parts[0], limits: 0.05...4, margin: 8)
        ui.draw(.fillRect(parts[0], ui.theme.panel, cornerRadius: 0))
        ui.withClip(parts[0]) {
            IoTMapDrawing(ui: ui, graph: graph, rect: parts[0], transform: transform, painter: nil, hovered: nil, selected: nil,
                          labelsAlways: graph.devices.count <= 60).draw()
        }
        let snapshot = model.snapshot
        let flagged = graph.destinations.filter { $0.risk != nil }.count
        let figures = "\(snapshot.devices.count) devices · \(snapshot.devices.filter(\.online).count) online · \(graph.destinations.count) destinations · \(flagged) flagged · \(snapshot.anomalies.count) anomalies"
        ui.itemAdd(parts[1], id: 0, label: "kiosk-iot-figures", kind: "counter", role: .counter("IoT map"), value: figures)
        ui.drawText(figures, in: parts[1], color: flagged > 0 ? ui.theme.warning : ui.theme.text, role: .heading)
    }
}

/// Addresses in numeric order (10.0.0.9 before 10.0.0.10), text that is no address last.
func addressLess(_ lhs: String?, _ rhs: String?) -> Bool {
    switch (lhs.flatMap(IPAddress.init), rhs.flatMap(IPAddress.init)) {
    case let (l?, r?): return l < r
    case (_?, nil): return true
    case (nil, _?): return false
    default: return (lhs ?? "") < (rhs ?? "")
    }
}
