import Export
import Intel
import Packets
import Scan
import Store
import UI

/// The Scanner tab: port scans with streaming results, this machine's connections with their
/// processes, and LAN discovery. The view of `ScannerModel`.
///
/// IDs: "Scanner/View" (the view tabs), "Scanner/Target", "Scanner/Ports", "Scanner/Top 100",
/// "Scanner/Top 1000", "Scanner/All", "Scanner/Start", "Scanner/Cancel", "Scanner/Interface",
/// "Scanner/Discover"; rows are recorded with role `.row("HOST PORT")` (ports),
/// `.row("PROTO LOCAL REMOTE")` (connections) and `.row(ADDRESS)` (LAN hosts).
public final class ScannerScreen: TabScreen {
    public static let title = "Scanner"

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        let screen = ScannerScreen(model: ScannerModel(database: environment.services?.database, inbox: environment.inbox, toasts: environment.toasts),
                                   intel: environment.intel)
        screen.blockRequests = environment.blockRequests
        return screen
    }

    /// "Block" (and `B`) on the selected scan result or connection: the shell's confirm-block dialog.
    public var blockRequests: BlockRequests?

    public let model: ScannerModel

    /// A port result's row key: one row per host and port.
    public struct PortKey: Hashable, Sendable {
        public let address: IPAddress
        public let port: UInt16
        public init(address: IPAddress, port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    /// A socket's row key: its transport and endpoints (inodes repeat as 0 for TIME_WAIT).
    public struct SocketKey: Hashable, Sendable {
        let transport: SocketEntry.Transport
        let local: IPAddress, localPort: UInt16, remote: IPAddress, remotePort: UInt16
        init(_ entry: SocketEntry) {
            transport = entry.transport
            local = entry.local
            localPort = entry.localPort
            remote = entry.remote
            remotePort = entry.remotePort
        }
    }

    public let resultsTable = DataTable<PortResult, PortKey>("Scan results", columns: ScannerScreen.portColumns,
                                                             key: { PortKey(address: $0.host.address, port: $0.port) })
    public let connectionsTable = DataTable<SocketEntry, SocketKey>("Connections", columns: ScannerScreen.connectionColumns, key: SocketKey.init,
                                                                    sort: DataSort(column: "Process", ascending: true))
    public let lanTable = DataTable<DiscoveredHost, IPAddress>("LAN hosts", columns: ScannerScreen.lanColumns, key: \.address,
                                                               sort: DataSort(column: "IP", ascending: true))
    /// Consensus, country and AS of scanned hosts and remote ends (nil in tests without one).
    public let intel: IntelModel?
    private var shownScanNumber = 0
    private var shownAllStates = false

    public init(model: ScannerModel, intel: IntelModel? = nil) {
        self.model = model
        self.intel = intel
        // Results arrive about ten times a second; a few table refreshes a second show them stream.
        resultsTable.refreshInterval = 0.25
        resultsTable.enableExport("ports", singular: "port", inbox: model.inbox, toasts: model.toasts, placement: .manual)
        connectionsTable.enableExport("connections", singular: "connection", inbox: model.inbox, toasts: model.toasts, placement: .manual)
        lanTable.enableExport("lan-hosts", singular: "host", inbox: model.inbox, toasts: model.toasts, placement: .manual)
        if let intel {
            resultsTable.columns.append(contentsOf: IntelColumns.standard(intel, address: { $0.host.address }))
            connectionsTable.columns.insert(contentsOf: IntelColumns.standard(intel, address: Self.remoteAddress), at: 3)
            let enricher = intel.enricher
            let vendor: (DiscoveredHost) -> String = { host in host.mac.map { enricher.vendor($0).text } ?? "—" }
            lanTable.columns.insert(DataColumn("Vendor", width: 200, text: vendor, sortBy: vendor), at: 2)
        }
    }

    /// A connection's remote end, when it has one (listening sockets show 0.0.0.0 / ::).
    static func remoteAddress(_ entry: SocketEntry) -> IPAddress? { isScannable(entry.remote) ? entry.remote : nil }

    /// The Intel cell closure for `table` (lookups of the rows in view, hover text), or nil.
    private func intelCell<Row, Key>(_ ui: UIContext, _ table: DataTable<Row, Key>, address: @escaping (Row) -> IPAddress?) -> ((TableRow, Row) -> Void)? {
        intel.map { IntelColumns.decorator(ui, columns: table.shownColumns, intel: $0, address: address) }
    }

    static func rttText(_ milliseconds: Double?) -> String {
        milliseconds.map { $0 < 10 ? String(format: "%.2f ms", $0) : String(format: "%.0f ms", $0) } ?? "—"
    }

    static var portColumns: [DataColumn<PortResult>] { [
        DataColumn("Host", width: 200, text: { $0.host.description }, less: { ($0.host.address, $0.port) < ($1.host.address, $1.port) },
                   export: { .string($0.host.address.description) }),
        DataColumn("Port", width: 70, alignment: .right, text: { "\($0.port)" }, less: { ($0.port, $0.host.address) < ($1.port, $1.host.address) },
                   export: { .integer(Int64($0.port)) }),
        DataColumn("State", width: 80, text: { $0.state.rawValue }, less: { ($0.state.rawValue, $0.port) < ($1.state.rawValue, $1.port) },
                   color: { row, theme in row.state == .open ? theme.success : row.state == .filtered ? theme.warning : theme.mutedText }),
        DataColumn("Service", width: 110, text: { ServiceNames.system.name(of: $0.port) ?? "" }, sortBy: { ServiceNames.system.name(of: $0.port) ?? "" },
                   export: { .text(ServiceNames.system.name(of: $0.port)) }),
        DataColumn("Banner", width: 320, text: { $0.banner ?? "" }, sortBy: { $0.banner ?? "" }, export: { .text($0.banner) }),
        DataColumn("RTT", width: 80, alignment: .right, exportKey: "rtt_ms", text: { rttText($0.rttMilliseconds) },
                   sortBy: { $0.rttMilliseconds ?? .infinity }, export: { $0.rttMilliseconds.map(ExportValue.double) ?? .null }),
    ] }

    static func socketEndpoint(_ address: IPAddress, _ port: UInt16) -> String { endpoint(address, port) }

    static var connectionColumns: [DataColumn<SocketEntry>] { [
        DataColumn("Proto", width: 60, text: { $0.transport.rawValue + ($0.isIPv6 ? "6" : "") }, sortBy: { $0.transport.rawValue }),
        DataColumn("Local", width: 220, text: { socketEndpoint($0.local, $0.localPort) }, less: { ($0.local, $0.localPort) < ($1.local, $1.localPort) }),
        DataColumn("Remote", width: 220, text: { socketEndpoint($0.remote, $0.remotePort) }, less: { ($0.remote, $0.remotePort) < ($1.remote, $1.remotePort) }),
        DataColumn("State", width: 110, text: { $0.state }, sortBy: { $0.state }),
        DataColumn("PID", width: 70, alignment: .right, text: { $0.process.map { "\($0.pid)" } ?? "—" }, sortBy: { $0.process?.pid ?? -1 },
                   export: { $0.process.map { .integer(Int64($0.pid)) } ?? .null }),
        // Sockets no process holds (TIME_WAIT, not yet accepted) sort after the processes' own.
        DataColumn("Process", width: 140, text: { $0.process?.name ?? "—" },
                   less: { ($0.process == nil ? 1 : 0, $0.process?.name ?? "", $0.localPort) < ($1.process == nil ? 1 : 0, $1.process?.name ?? "", $1.localPort) },
                   export: { .text($0.process?.name) }),
        DataColumn("User", width: 100, text: { $0.process?.user ?? "uid \($0.uid)" }, sortBy: { $0.process?.user ?? "" }),
    ] }

    static var lanColumns: [DataColumn<DiscoveredHost>] { [
        DataColumn("IP", width: 160, text: { $0.address.description }, sortBy: { $0.address }),
        DataColumn("MAC", width: 150, text: { $0.mac?.description ?? "—" }, sortBy: { $0.mac?.description ?? "" }, export: { .text($0.mac?.description) }),
        DataColumn("Name", width: 240, text: { $0.name ?? "" }, sortBy: { $0.name ?? "" }, export: { .text($0.name) }),
        DataColumn("RTT", width: 90, alignment: .right, exportKey: "rtt_ms", text: { rttText($0.rttMilliseconds) },
                   sortBy: { $0.rttMilliseconds ?? .infinity }, export: { $0.rttMilliseconds.map(ExportValue.double) ?? .null }),
        DataColumn("Found by", width: 120, text: { $0.sources.sorted().map(\.rawValue).joined(separator: "+") },
                   sortBy: { $0.sources.sorted().map(\.rawValue).joined(separator: "+") }),
    ] }

    // MARK: Frame

    public func build(_ ui: UIContext, in rect: Rect) {
        ui.withID("Scanner") {
            ui.panel(nil, rect: rect) {
                ui.row([.fixed(380), .flex(1)])
                var selected = model.view.rawValue
                ui.tabs("View", ScannerModel.View.allCases.map(\.title), selection: &selected)
                model.view = ScannerModel.View(rawValue: selected) ?? .portScan
                ui.label("")
                switch model.view {
                case .portScan: portScan(ui)
                case .connections: connections(ui)
                case .lan: lan(ui)
                }
            }
        }
    }

    /// The target field's ID, for focusing it after a "Scan" action.
    public func targetFieldID(_ ui: UIContext) -> WidgetID { ui.withID("Scanner") { ui.id("Target") } }

    func portScan(_ ui: UIContext) {
        ui.row([.flex(1.4), .flex(1), .fixed(84), .fixed(92), .fixed(48), .fixed(90), .fixed(90)])
        let target = ui.textField("Target", text: &model.targetText, placeholder: "Targets: 192.168.1.10, example.org, 10.0.0.0/24, 10.0.0.1-20")
        let ports = ui.textField("Ports", text: &model.portsText, placeholder: "Ports: 22,80,443, 8000-8100, - for all, top 100")
        for preset in ScannerModel.presets {
            let button = ui.button(preset.title, style: model.portsText == preset.ports ? .primary : .normal)
            if button.contains(.pressed) { model.portsText = preset.ports }
            if button.contains(.hovered) { ui.showTooltip(preset.ports == "-" ? "All 65,535 ports" : "The \(preset.title.lowercased()) ports most often found open") }
        }
        if ui.checkbox("Banners", isOn: &model.grabBanners).contains(.hovered) {
            ui.showTooltip("Read what each open port sends first (up to 1.5 s per open port; control characters escaped)")
        }
        if model.isScanning {
            if ui.button("Cancel", style: .danger).contains(.pressed) { model.cancelScan() }
        } else {
            let blocker = model.startBlocker
            let start = ui.button("Start", style: .primary, enabled: blocker == nil)
            if start.contains(.hovered), let blocker { ui.showTooltip(blocker) }
            if start.contains(.pressed) || target.contains(.submitted) || ports.contains(.submitted) { model.startScan() }
        }
        inputChecks(ui)
        progress(ui)

        ui.row([.flex(1), .fixed(130), .fixed(86), .flex(1.3), .fixed(84)])
        ui.label(model.results.isEmpty ? "No results yet" : "\(groupedNumber(model.openCount)) open of \(groupedNumber(model.results.count)) ports scanned",
                 color: ui.theme.mutedText)
        ui.checkbox("All states", isOn: &model.showAllStates)
        resultsTable.buildExportBar(ui)

        if shownScanNumber != model.scanNumber {
            shownScanNumber = model.scanNumber
            resultsTable.reset()
        }
        if shownAllStates != model.showAllStates {
            shownAllStates = model.showAllStates
            resultsTable.invalidate()
        }
        let model = model
        resultsTable.update(generation: model.resultsGeneration, filter: "", now: ui.input.time, streaming: model.isScanning,
                            source: { model.shownResults })
        let parts = ui.columns(ui.remainingRect, [.flex(1), .fixed(320)])
        let resultsIntel = intelCell(ui, resultsTable) { $0.host.address }
        resultsTable.build(ui, in: parts[0]) { [blockRequests] tableRow, result in
            resultsIntel?(tableRow, result)
            blockRequests?.rowAction(ui, tableRow, address: result.host.address, place: "Scanner results")
            ui.itemAdd(tableRow.rect, id: 0, label: "port:\(result.host.address) \(result.port)", kind: "scanrow",
                       role: .row("\(result.host.address) \(result.port)"), value: result.state.rawValue)
        }
        portDetail(ui, in: parts[1])
    }

    /// Under each field: the parser's message when it refuses the text, else what it names.
    func inputChecks(_ ui: UIContext) {
        let target = model.targetCheck, ports = model.portsCheck
        // Each under its field: the same columns as the fields' row.
        let buttons: Float = 84 + 92 + 48 + 90 + 90 + 4 * ui.theme.spacing
        let columns = ui.columns(Rect(x: 0, y: 0, width: ui.remainingRect.width, height: 1), [.flex(1.4), .flex(1), .fixed(buttons)])
        let lines = max(target.message.map { ui.fieldErrorLineCount(UserError($0), width: columns[0].width) } ?? 1,
                        ports.message.map { ui.fieldErrorLineCount(UserError($0), width: columns[1].width) } ?? 1)
        ui.row([.flex(1.4), .flex(1), .fixed(buttons)], height: .fixed(Float(lines) * 16 + 2))
        if let message = target.message {
            ui.fieldError(UserError(message), key: "Target")
        } else {
            ui.label(target.count.map { "\(groupedNumber($0)) host\($0 == 1 ? "" : "s")" } ?? "",
                     color: ui.theme.mutedText, role: .small)
        }
        if let message = ports.message {
            ui.fieldError(UserError(message), key: "Ports")
        } else {
            ui.label(ports.count.map { "\(groupedNumber($0)) port\($0 == 1 ? "" : "s")" } ?? "", color: ui.theme.mutedText, role: .small)
        }
    }

    func progress(_ ui: UIContext) {
        ui.row([.fill], height: .fixed(20))
        if let progress = model.progress {
            // Once it ended, rate and ETA no longer apply: how it ended says it all.
            let caption = model.isScanning ? ScannerModel.progressText(progress) : model.lastSummary ?? ScannerModel.progressText(progress)
            let rect = ui.remainingRect
            ui.progressBar(progress.fraction, caption: caption)
            ui.itemAdd(Rect(x: rect.x, y: rect.y, width: rect.width, height: 20), id: 0, label: "scan-progress", kind: "counter",
                       role: .counter("Scanned"), value: "\(progress.done)/\(progress.total)")
        } else if model.isScanning {
            ui.progressBar(nil, caption: model.cancelRequested ? "Cancelling…" : "Resolving targets…")
        } else if let error = model.lastError {
            ui.fieldError(UserError(error), key: "Scan")
        } else {
            ui.label(model.lastSummary ?? "Enter targets and ports, then Start (Enter). Escape cancels a running scan.",
                     color: ui.theme.mutedText, role: .small)
        }
    }

    func portDetail(_ ui: UIContext, in rect: Rect) {
        ui.panel("Port detail", rect: rect) {
            guard let result = resultsTable.selectedRow else {
                ui.label("Select a port to see its details.", color: ui.theme.mutedText)
                return
            }
            var fields: [(String, String)] = [("Host", result.host.address.description)]
            if let name = result.host.name { fields.append(("Name", name)) }
            fields += [
                ("Port", "\(result.port)/tcp"),
                ("Service", ServiceNames.system.name(of: result.port) ?? "unknown"),
                ("State", result.state.rawValue),
                ("Reason", result.reason),
                ("RTT", Self.rttText(result.rttMilliseconds)),
                ("Banner", result.banner ?? (model.grabBanners ? "none received" : "not asked for")),
            ]
            detailFields(ui, fields)
        }
    }

    func detailFields(_ ui: UIContext, _ fields: [(String, String)]) {
        let valueWidth = ui.remainingRect.width - 80 - ui.theme.spacing
        for (name, value) in fields {
            for (index, line) in ui.wrap(value, width: valueWidth, role: .small).enumerated() {
                ui.row([.fixed(80), .flex(1)], height: .fixed(18))
                ui.label(index == 0 ? name : "", color: ui.theme.mutedText, role: .small)
                ui.label(line, role: .small)
            }
        }
    }

    // MARK: Connections

    func connections(_ ui: UIContext) {
        model.refreshConnectionsIfDue(now: ui.input.time)
        // Live: look again when the next refresh is due.
        ui.requestWake(at: ui.input.time + model.connectionsInterval)
        ui.row([.fixed(260), .flex(1), .fixed(86), .flex(1.3), .fixed(84)])
        let count = model.connections.count
        let shown = model.connectionsFilter.isEmpty ? "" : "\(groupedNumber(connectionsTable.rows.count)) of "
        ui.label(model.connectionsLoaded ? "\(shown)\(groupedNumber(count)) socket\(count == 1 ? "" : "s"), refreshed every \(Int(model.connectionsInterval)) s"
                 : "Reading /proc/net…", color: ui.theme.mutedText)
        ui.textField("Filter connections", text: &model.connectionsFilter, placeholder: "Filter by address, port, state, process or user")
        connectionsTable.buildExportBar(ui)
        let model = model
        connectionsTable.update(generation: model.connectionsGeneration, filter: model.connectionsFilter.lowercased(), now: ui.input.time,
                                streaming: false, source: { model.connections })
        let parts = ui.columns(ui.remainingRect, [.flex(1), .fixed(320)])
        let connectionsIntel = intelCell(ui, connectionsTable, address: Self.remoteAddress)
        let activated = connectionsTable.build(ui, in: parts[0]) { [blockRequests] tableRow, entry in
            connectionsIntel?(tableRow, entry)
            blockRequests?.rowAction(ui, tableRow, address: Self.remoteAddress(entry), place: "Scanner connections")
            let key = "\(entry.transport.rawValue) \(Self.socketEndpoint(entry.local, entry.localPort)) \(Self.socketEndpoint(entry.remote, entry.remotePort))"
            ui.itemAdd(tableRow.rect, id: 0, label: "socket:" + key, kind: "socketrow", role: .row(key), value: entry.process.map { "\($0.pid)" })
        }
        let selected = connectionsTable.selectedRow
        if activated.contains(.submitted), let selected, Self.isScannable(selected.remote) { scan(selected.remote.description) }
        ui.panel("Connection detail", rect: parts[1]) {
            guard let entry = selected else {
                ui.label("Select a socket to see its process.", color: ui.theme.mutedText)
                return
            }
            ui.row([.fill])
            let scannable = Self.isScannable(entry.remote)
            let button = ui.button("Scan remote address", style: .primary, enabled: scannable)
            if button.contains(.pressed) { scan(entry.remote.description) }
            if button.contains(.hovered) {
                ui.showTooltip(scannable ? "Put \(entry.remote) into the port scan's target (Enter on the row does too)" : "This socket has no remote address")
            }
            var fields: [(String, String)] = [
                ("Local", Self.socketEndpoint(entry.local, entry.localPort)),
                ("Remote", Self.socketEndpoint(entry.remote, entry.remotePort)),
                ("State", entry.state),
            ]
            if let process = entry.process {
                fields += [("PID", "\(process.pid)"), ("Process", process.name), ("Executable", process.executable ?? "unknown"),
                           ("Command", process.commandLine.joined(separator: " ")), ("User", process.user)]
            } else {
                // Inode 0: no descriptor holds it (waiting to be accepted, or closing).
                fields += [("Process", entry.inode == 0 ? "none (not yet accepted, or closing)" : "not visible (another user's process: run as root to see it)"),
                           ("UID", "\(entry.uid)")]
            }
            fields.append(("Inode", "\(entry.inode)"))
            detailFields(ui, fields)
        }
    }

    /// A remote address worth scanning: not the unspecified address of a listening socket.
    static func isScannable(_ address: IPAddress) -> Bool {
        address != IPAddress("0.0.0.0")! && address != IPAddress("::")!
    }

    private func scan(_ address: String) {
        model.prefill(target: address)
    }

    // MARK: LAN

    func lan(_ ui: UIContext) {
        if !model.interfacesLoaded && !model.isReadingInterfaces { model.refreshInterfaces() }
        ui.row([.fixed(300), .fixed(100), .flex(1), .fixed(86), .flex(1.3), .fixed(84)])
        let names = model.interfaces.map { "\($0.name)  \($0.address)/\($0.prefixLength)" }
        if names.isEmpty {
            let text = !model.interfacesLoaded ? "Reading interfaces…" : model.interfaceError ?? "No interface with an IPv4 address"
            ui.label(text, color: model.interfaceError == nil ? ui.theme.mutedText : ui.theme.danger)
        } else {
            model.interfaceIndex = min(model.interfaceIndex, names.count - 1)
            let picker = ui.dropdown("Interface", options: names, selection: &model.interfaceIndex)
            if picker.contains(.pressed) { model.refreshInterfaces() }
        }
        if model.isDiscovering {
            if ui.button("Cancel", style: .danger).contains(.pressed) { model.cancelDiscovery() }
        } else {
            let button = ui.button("Discover", style: .primary, enabled: model.pickedInterface != nil)
            if button.contains(.hovered), let interface = model.pickedInterface {
                ui.showTooltip("ARP sweep and ping of \(interface.address)/\(interface.prefixLength), plus the kernel's neighbour table")
            }
            if button.contains(.pressed) { model.discover() }
        }
        let status = model.isDiscovering ? "Sweeping \(model.pickedInterface.map { "\($0.address)/\($0.prefixLength)" } ?? "")…"
            : model.lanError ?? ([model.lanSummary].compactMap { $0 } + model.lanWarnings).joined(separator: " ")
        let statusRect = ui.nextRect()
        ui.itemAdd(statusRect, id: 0, label: "lan-status:" + status, kind: "label")
        ui.drawText(status, in: statusRect, color: model.lanError != nil ? ui.theme.danger : model.lanWarnings.isEmpty ? ui.theme.mutedText : ui.theme.warning)
        // A long warning (a missing capability and how to grant it) is read in full as a tooltip.
        if !status.isEmpty, ui.mouseOver(statusRect) { ui.showTooltip(status) }
        lanTable.buildExportBar(ui)
        let model = model
        lanTable.update(generation: model.lanGeneration, filter: "", now: ui.input.time, streaming: false, source: { model.lanHosts })
        let parts = ui.columns(ui.remainingRect, [.flex(1), .fixed(320)])
        let activated = lanTable.build(ui, in: parts[0]) { tableRow, host in
            ui.itemAdd(tableRow.rect, id: 0, label: "lanhost:\(host.address)", kind: "lanrow", role: .row(host.address.description), value: host.mac?.description)
        }
        if activated.contains(.submitted), let host = lanTable.selectedRow { scan(host.address.description) }
        ui.panel("Host detail", rect: parts[1]) {
            guard let host = lanTable.selectedRow else {
                ui.label("Select a host to see its details.", color: ui.theme.mutedText)
                return
            }
            ui.row([.fill])
            if ui.button("Scan this host", style: .primary).contains(.pressed) { scan(host.address.description) }
            detailFields(ui, [("IP", host.address.description), ("MAC", host.mac?.description ?? "unknown"), ("Name", host.name ?? "none"),
                              ("RTT", Self.rttText(host.rttMilliseconds)),
                              ("Found by", host.sources.sorted().map(\.rawValue).joined(separator: ", "))])
        }
    }

    // MARK: Screen

    public var hasPendingWork: Bool { model.hasPendingWork || resultsTable.isExporting || connectionsTable.isExporting || lanTable.isExporting }

    public func apply(_ settings: AppSettings) {
        model.apply(settings)
        resultsTable.apply(settings)
        connectionsTable.apply(settings)
        lanTable.apply(settings)
    }

    public var statusText: String? { model.statusText }

    public var shortcutHints: [String] {
        let block = blockRequests?.isAvailable == true ? [BlockRequests.hint] : []
        switch model.view {
        case .portScan: return (model.isScanning ? ["Esc cancel scan"] : ["Enter start scan"]) + block
        case .connections: return ["Enter scan remote"] + block
        case .lan: return model.isDiscovering ? ["Esc cancel discovery"] : ["Enter scan host"]
        }
    }

    public func handleShortcuts(_ ui: UIContext) {
        guard ui.input.pressed(.escape) else { return }
        if model.isScanning { model.cancelScan() }
        if model.isDiscovering { model.cancelDiscovery() }
    }
}
