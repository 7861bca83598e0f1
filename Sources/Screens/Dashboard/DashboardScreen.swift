import Foundation
import Capture
import Export
import Intel
import Packets
import Store
import Traffic
import UI

/// The live traffic dashboard: capture controls, counters, the packet-rate graph, top talkers,
/// and the flows / hosts / packets tables.
public final class DashboardScreen {
    public let model: DashboardModel
    public var capture: CaptureController { model.capture }

    // The model's capture controls, as the view and tests reach them.
    public var interfaceIndex: Int {
        get { model.interfaceIndex }
        set { model.interfaceIndex = newValue }
    }
    public var filterText: String {
        get { model.filterText }
        set { model.filterText = newValue }
    }
    public var filePath: String {
        get { model.filePath }
        set { model.filePath = newValue }
    }
    public var recordToPcap: Bool {
        get { model.recordToPcap }
        set { model.recordToPcap = newValue }
    }
    public var captureSnapLength: Int32 { model.captureSnapLength }
    public var capturePromiscuous: Bool { model.capturePromiscuous }

    // Graph.
    public enum GraphWindow: Int, CaseIterable, Sendable {
        case oneMinute = 60, fiveMinutes = 300, oneHour = 3600
        var title: String { self == .oneMinute ? "1 min" : self == .fiveMinutes ? "5 min" : "1 hour" }
    }
    public var graphWindow = GraphWindow.oneMinute
    public var stacked = true
    public var showBits = false

    // Tables.
    public var tableTab = 0
    /// Flows table: 0 shows the flows still open, 1 every flow of the capture (finished ones
    /// too, with how they ended).
    public var flowSet = 1
    public var rowFilter = ""
    public var flowSort: DataSort? {
        get { flowTable.sort }
        set { flowTable.sort = newValue }
    }
    public var hostSort: DataSort? {
        get { hostTable.sort }
        set { hostTable.sort = newValue }
    }
    /// The selected flow's and host's rows as shown (the tables keep them by key).
    public var flowSelection: Int? { flowTable.selectedIndex }
    public var hostSelection: Int? { hostTable.selectedIndex }
    /// The selected packet's row in the Packets table as shown (set 0 to select the first packet
    /// once there is one). The table keeps the selection by packet number, so it stays on the
    /// same packet while new ones arrive.
    public var packetSelection: Int? {
        get { packetTable.selectedIndex }
        set {
            guard let newValue else { packetTable.selectedKey = nil; return }
            if packetTable.rows.indices.contains(newValue) {
                packetTable.selectedKey = packetTable.rows[newValue].number
            } else {
                selectFirstPacketWhenShown = newValue == 0
            }
        }
    }
    private var selectFirstPacketWhenShown = false
    /// The flow whose packets the Packets tab shows (Enter or a double click on a flow); nil: all.
    public private(set) var packetsOfFlow: FlowStats?
    public let flowTable = DataTable<FlowStats, FlowRowKey>("Flows", columns: DashboardScreen.flowTableColumns, key: FlowRowKey.init,
                                                            sort: DataSort(column: "Packets", ascending: false))
    public let hostTable = DataTable<HostStats, IPAddress>("Hosts", columns: DashboardScreen.hostTableColumns, key: \.address,
                                                           sort: DataSort(column: "Sent", ascending: false))
    /// The packet list filtered by `rowFilter` (only used while the filter is not empty; the
    /// unfiltered list reads the capture's recent packets directly, newest first).
    public let packetTable: DataTable<PacketRow, Int> = {
        let table = DataTable<PacketRow, Int>("Packets", columns: DashboardScreen.packetTableColumns, key: \.number)
        // The packet list moves fast; a few refreshes a second keep it readable and cheap.
        table.refreshInterval = 0.25
        return table
    }()
    private var lastFrameTime = 0.0

    // Exports: each table owns its bar; the one of the table showing sits in the tables panel's
    // toolbar. They write the command line's record formats (`netscouter export flows`), not
    // the drawn columns, so a file from the window and one from the CLI read alike; flows and
    // hosts add the Intel columns (consensus, country, AS) after the shared fields.
    public let inbox: UIInbox
    public let toasts: ToastCenter
    public var flowExport: ExportBar { flowTable.exportBar! }
    public var hostExport: ExportBar { hostTable.exportBar! }
    public var packetExport: ExportBar { packetTable.exportBar! }
    /// The export folder from Settings (empty: the home directory; "~" allowed).
    public var exportDirectory: String {
        get { model.exportDirectory }
        set {
            model.exportDirectory = newValue
            flowTable.setExportDirectory(newValue)
            hostTable.setExportDirectory(newValue)
            packetTable.setExportDirectory(newValue)
        }
    }

    /// Country, AS and Consensus of the flows' and hosts' addresses (nil: no such columns).
    public let intel: IntelModel?

    /// `inbox` must be drained on the UI thread at frame start (`AppShell.build` does) and
    /// `toasts` delivered to the UI, for export results to show.
    public init(capture: CaptureController, inbox: UIInbox = UIInbox(), toasts: ToastCenter = ToastCenter(), exportDirectory: String = "",
                intel: IntelModel? = nil) {
        model = DashboardModel(capture: capture)
        self.intel = intel
        if let intel {
            flowTable.columns.insert(contentsOf: IntelColumns.standard(intel, address: IntelColumns.remoteAddress), at: 3)
            hostTable.columns.insert(contentsOf: IntelColumns.standard(intel, address: { $0.address }), at: 2)
        }
        model.exportDirectory = exportDirectory
        self.inbox = inbox
        self.toasts = toasts
        // The command line's records plus the Intel columns the window shows (consensus,
        // country, AS): a file from the table carries what the user saw.
        let intelTitles = intel == nil ? [] : IntelColumns.titles
        flowTable.enableExport("flows", singular: "flow", inbox: inbox, toasts: toasts, directory: exportDirectory, placement: .manual,
                               records: flowTable.records({ TrafficExports.flows($0) }, adding: intelTitles))
        hostTable.enableExport("hosts", singular: "host", inbox: inbox, toasts: toasts, directory: exportDirectory, placement: .manual,
                               records: hostTable.records({ TrafficExports.hosts($0) }, adding: intelTitles))
        packetTable.enableExport("packets", singular: "packet", inbox: inbox, toasts: toasts, directory: exportDirectory, placement: .manual,
                                 records: { TrafficExports.packets($0.map(\.packet)) })
    }

    /// True while an export started here has not reported back.
    public var isExporting: Bool { flowTable.isExporting || hostTable.isExporting || packetTable.isExporting }

    /// A flow in the table: its 5-tuple and when it began (a 5-tuple reused after its flow
    /// ended is another flow under All).
    public struct FlowRowKey: Hashable, Sendable {
        public let key: FlowKey
        public let firstSeen: Int64
        public init(_ flow: FlowStats) {
            key = flow.key
            firstSeen = flow.firstSeen
        }
    }

    static var flowTableColumns: [DataColumn<FlowStats>] { [
        DataColumn("Proto", width: 62, text: { protocolName($0.transport, ipProtocol: $0.key.ipProtocol) },
                   sortBy: { protocolName($0.transport, ipProtocol: $0.key.ipProtocol) }),
        DataColumn("Initiator", width: 230, text: { endpoint($0.initiator, $0.initiatorPort) }, less: { ($0.initiator, $0.initiatorPort) < ($1.initiator, $1.initiatorPort) }),
        DataColumn("Responder", width: 230, text: { endpoint($0.responder, $0.responderPort) }, less: { ($0.responder, $0.responderPort) < ($1.responder, $1.responderPort) }),
        DataColumn("State", width: 110, text: { $0.tcpState.description }, sortBy: { $0.tcpState.rawValue },
                   color: { flow, theme in flow.tcpState == .reset ? theme.warning : nil }),
        DataColumn("Packets", width: 80, alignment: .right, text: { "\($0.totalPackets)" }, sortBy: { $0.totalPackets }),
        DataColumn("Bytes →", width: 90, alignment: .right, text: { formatBytes($0.bytesForward) }, sortBy: { $0.bytesForward }),
        DataColumn("Bytes ←", width: 90, alignment: .right, text: { formatBytes($0.bytesReverse) }, sortBy: { $0.bytesReverse }),
        DataColumn("Last seen", width: 110, text: { clockTime($0.lastSeen) }, sortBy: { $0.lastSeen }),
        DataColumn("Ended by", width: 110, text: { $0.endReason.description }, sortBy: { $0.endReason.rawValue },
                   color: { flow, theme in flow.endReason == .active ? nil : theme.mutedText }),
    ] }

    static var hostTableColumns: [DataColumn<HostStats>] { [
        DataColumn("Address", width: 250, text: { $0.address.description }, sortBy: { $0.address }),
        DataColumn("MAC", width: 140, text: { $0.mac == .zero ? "—" : $0.mac.description }, sortBy: { $0.mac }, color: { _, theme in theme.mutedText }),
        DataColumn("Sent", width: 90, alignment: .right, text: { formatBytes($0.bytesSent) }, sortBy: { $0.bytesSent }),
        DataColumn("Received", width: 90, alignment: .right, text: { formatBytes($0.bytesReceived) }, sortBy: { $0.bytesReceived }),
        DataColumn("Packets", width: 80, alignment: .right, text: { "\($0.totalPackets)" }, sortBy: { $0.totalPackets }),
        DataColumn("Ports", width: 160, text: { $0.ports.sorted().prefix(8).map(String.init).joined(separator: ", ") }, sortBy: { $0.ports.count }),
        DataColumn("First seen", width: 110, text: { clockTime($0.firstSeen) }, sortBy: { $0.firstSeen }),
        DataColumn("Last seen", width: 110, text: { clockTime($0.lastSeen) }, sortBy: { $0.lastSeen }),
    ] }

    /// One packet of the list and its number in the capture (the row key).
    public struct PacketRow: Sendable {
        public let number: Int
        public let packet: PacketSummary
    }

    static func packetEndpoint(_ packet: PacketSummary, source: Bool) -> String {
        let address = source ? packet.source : packet.destination
        return packet.network == .arp ? address.description : endpoint(address, source ? packet.sourcePort : packet.destinationPort)
    }

    /// Ties go by packet number, so equal lengths keep capture order and a re-sort is repeatable.
    static var packetTableColumns: [DataColumn<PacketRow>] { [
        DataColumn("Time", width: 110, text: { clockTime($0.packet.timestamp) }, less: { ($0.packet.timestamp, $0.number) < ($1.packet.timestamp, $1.number) }),
        DataColumn("Source", width: 230, text: { packetEndpoint($0.packet, source: true) },
                   less: { ($0.packet.source, $0.packet.sourcePort, $0.number) < ($1.packet.source, $1.packet.sourcePort, $1.number) }),
        DataColumn("Destination", width: 230, text: { packetEndpoint($0.packet, source: false) },
                   less: { ($0.packet.destination, $0.packet.destinationPort, $0.number) < ($1.packet.destination, $1.packet.destinationPort, $1.number) }),
        DataColumn("Proto", width: 62, text: { packetProtocolName($0.packet) }, less: { (packetProtocolName($0.packet), $0.number) < (packetProtocolName($1.packet), $1.number) }),
        DataColumn("Length", width: 70, alignment: .right, text: { "\($0.packet.wireLength)" }, less: { ($0.packet.wireLength, $0.number) < ($1.packet.wireLength, $1.number) }),
        DataColumn("Info", width: 200, text: { packetInfo($0.packet) }, less: { (packetInfo($0.packet), $0.number) < (packetInfo($1.packet), $1.number) },
                   color: { row, theme in row.packet.isMalformed ? theme.danger : nil }),
    ] }

    // MARK: Frame

    public func build(_ ui: UIContext, in area: Rect) {
        ui.withID("Dashboard") {
            ui.group(area) {
                toolbar(ui)
                fileProgress(ui)
                if let message = model.bannerText { errorBanner(ui, message) }
                counters(ui)
                let rest = ui.remainingRect
                // The graph keeps the height its labels need in a small (or `--scale 2`) window:
                // its panel's title and controls plus the chart's minimum, as long as the tables
                // keep two fifths of the space.
                let graphChrome = ui.measurer.lineHeight(.heading) + 2 * ui.theme.spacing + 2 * ui.theme.padding + ui.theme.rowHeight
                let graphHeight = min(max((rest.height - ui.theme.spacing) * 0.42, graphChrome + ui.timeChartMinimumHeight), rest.height * 0.6)
                let halves = ui.rows(rest, [.fixed(graphHeight.rounded(.up)), .flex(1)])
                let top = ui.columns(halves[0], [.flex(2), .flex(1)])
                rateGraph(ui, in: top[0])
                topTalkers(ui, in: top[1])
                tables(ui, in: halves[1])
            }
        }
    }

    /// The capture-filter field's ID, for the `/` shortcut.
    public func filterFieldID(_ ui: UIContext) -> WidgetID { ui.withID("Dashboard") { ui.id("Capture filter") } }

    func toolbar(_ ui: UIContext) {
        if !capture.devicesLoaded && !capture.isRefreshingDevices { capture.refreshDevices() }
        let names = capture.devices.map(\.name)
        // The filter and the file path share what the buttons leave (the filter more), so at
        // 800 px the filter is still a usable field rather than "BP…".
        ui.row([.fixed(170), .flex(1.6), .fixed(96), .fixed(104), .flex(1), .fixed(86)])
        if names.isEmpty {
            let text = !capture.devicesLoaded ? "Reading interfaces…" : capture.deviceError == nil ? "No interfaces" : "Interfaces unavailable"
            let rect = ui.nextRect()
            ui.itemAdd(rect, id: 0, label: text, kind: "label")
            ui.drawText(text, in: rect, color: capture.deviceError == nil ? ui.theme.mutedText : ui.theme.danger)
            if let error = capture.deviceError, rect.contains(ui.input.mousePosition) { ui.showTooltip(error) }
        } else {
            interfaceIndex = min(interfaceIndex, names.count - 1)
            let picker = ui.dropdown("Interface", options: names, selection: &interfaceIndex)
            // Opening the list re-reads the interfaces (on a worker), so a newly plugged adapter
            // shows up; the picked interface stays picked.
            if picker.contains(.pressed) { capture.refreshDevices() }
        }
        let filterRect = ui.nextRect()
        let filterResult = ui.textField("Capture filter", text: &filterText,
                                        placeholder: Self.fitting(ui, Self.filterPlaceholders, in: filterRect), rect: filterRect)
        if filterResult.contains(.changed) { model.filterEdited() }
        if capture.isStarting {
            ui.button("Starting…###Start", style: .primary, enabled: false)
        } else if capture.isStopping {
            ui.button("Stopping…###Stop", style: .danger, enabled: false)
        } else if capture.isCapturing {
            if ui.button("Stop", style: .danger).contains(.pressed) { model.stop() }
        } else {
            let start = ui.button("Start", style: .primary, enabled: !names.isEmpty)
            if start.contains(.pressed) || (filterResult.contains(.submitted) && !names.isEmpty) {
                startLive(interface: names[interfaceIndex])
            }
        }
        let record = ui.checkbox("Save pcap", isOn: &model.recordToPcap)
        if record.contains(.hovered) {  // built only when shown
            ui.showTooltip(capture.session?.recordedFiles.last.map { "Saving to \($0)" }
                           ?? "Also save live packets as pcap files in \(ExportBar.resolveDirectory(exportDirectory)) (new file every \(model.pcapRotateMegabytes) MB)")
        }
        let pathRect = ui.nextRect()
        let pathResult = ui.textField("Capture file", text: &filePath,
                                      placeholder: Self.fitting(ui, ["/path/to/trace.pcapng", "trace.pcapng", "file"], in: pathRect), rect: pathRect)
        if ui.button("Open file", enabled: !filePath.isEmpty).contains(.pressed) || pathResult.contains(.submitted) {
            openFile(filePath)
        }
    }

    static let filterPlaceholders = ["BPF filter, e.g. tcp port 443  (press / to edit)", "BPF filter, e.g. tcp port 443",
                                     "BPF filter (press /)", "BPF filter"]

    /// The longest of `texts` (longest first) that fits a text field in `rect`, else the last.
    static func fitting(_ ui: UIContext, _ texts: [String], in rect: Rect) -> String {
        let room = rect.width - 2 * ui.theme.padding
        return texts.first { ui.textSize($0, .body).width <= room } ?? texts[texts.count - 1]
    }

    /// Takes the capture and export settings in force (at start and after Apply Settings).
    public func apply(_ settings: AppSettings) {
        model.apply(settings)
        exportDirectory = settings.exportDirectory
    }

    /// While a capture file is being read: how far, with the packet count so far.
    func fileProgress(_ ui: UIContext) {
        guard capture.isCapturing, let session = capture.session, let fraction = session.fileProgress else { return }
        ui.row([.fill], height: .fixed(18))
        let name = session.source.displayName.split(separator: "/").last.map(String.init) ?? session.source.displayName
        ui.progressBar(fraction, caption: "Reading \(name) — \(Int((fraction * 100).rounded())) % · \(capture.traffic.totals.packets) packets")
    }

    public func startLive(interface: String) {
        model.startLive(interface: interface)
        invalidateRows()
    }

    public func openFile(_ path: String, replay: Bool = false) {
        model.openFile(path, replay: replay)
        invalidateRows()
    }

    /// A new capture: the cached rows are of the old one.
    private func invalidateRows() {
        flowTable.reset()
        hostTable.reset()
        packetTable.reset()
        packetsOfFlow = nil
        selectFirstPacketWhenShown = false
    }

    func errorBanner(_ ui: UIContext, _ message: String) {
        let lines = ui.wrap(message, width: ui.remainingRect.width - 140)
        ui.row([.flex(1), .fixed(110)], height: .fixed(max(30, Float(lines.count) * 18 + 10)))
        let rect = ui.nextRect()
        ui.draw(.fillRect(rect, ui.theme.danger.withAlpha(60), cornerRadius: ui.theme.cornerRadius))
        ui.draw(.fillRect(Rect(x: rect.x, y: rect.y, width: 4, height: rect.height), ui.theme.danger, cornerRadius: 0))
        ui.itemAdd(rect, id: 0, label: "error:" + message, kind: "error")
        for (index, line) in lines.enumerated() {
            ui.drawText(line, in: Rect(x: rect.x + 12, y: rect.y + 5 + Float(index) * 18, width: rect.width - 16, height: 18), color: ui.theme.text)
        }
        if ui.button("Dismiss").contains(.pressed) { model.dismissErrors() }
    }

    // MARK: Counters

    /// The figures in the counter strip, by title (also what tests read).
    public func counterValues() -> [(title: String, value: String)] { model.counterValues() }

    func counters(_ ui: UIContext) {
        let (rows, role) = Self.counterLayout(ui, counterValues(), width: ui.remainingRect.width)
        for row in rows {
            ui.row(row.map { .fixed($0.width) }, height: .fixed(54))
            for cell in row { counter(ui, title: cell.title, value: cell.value, role: role) }
        }
    }

    typealias CounterCell = (title: String, value: String, width: Float)

    /// The counter strip's rows, cell widths and figure size. Every figure is shown whole
    /// ("286.5 kbit/s", not "286.5 …" at 800 px), trying in turn: evenly spread (a finished
    /// file's summary, "1,234 packets in 4 min 05 s", twice as wide); each cell as wide as its
    /// figure needs plus an equal share of the rest; the same with body-size figures; two rows.
    static func counterLayout(_ ui: UIContext, _ values: [(title: String, value: String)], width: Float)
        -> (rows: [[CounterCell]], role: FontRole) {
        let spacing = ui.theme.spacing
        func needed(_ item: (title: String, value: String), _ role: FontRole) -> Float {
            max(ui.textSize(item.value, role).width, ui.textSize(item.title, .small).width) + 20
        }
        func byNeed(_ items: ArraySlice<(title: String, value: String)>, _ role: FontRole) -> [CounterCell]? {
            let room = width - spacing * Float(max(0, items.count - 1))
            let needs = items.map { needed($0, role) }
            let spare = room - needs.reduce(0, +)
            guard spare >= 0 else { return nil }
            return zip(items, needs).map { ($0.title, $0.value, ($1 + spare / Float(items.count)).rounded(.down)) }
        }
        let all = values[...]
        let room = width - spacing * Float(max(0, values.count - 1))
        let weights = values.map { $0.title == "File" ? Float(2) : 1 }
        let even = weights.map { (room * $0 / weights.reduce(0, +)).rounded(.down) }
        if zip(values, even).allSatisfy({ needed($0, .heading) <= $1 }) {
            return ([zip(values, even).map { ($0.title, $0.value, $1) }], .heading)
        }
        if let one = byNeed(all, .heading) { return ([one], .heading) }
        if let one = byNeed(all, .body) { return ([one], .body) }
        let half = (values.count + 1) / 2
        // Too narrow even for two rows (a tiny window): evenly, and the figures are cut.
        func evenly(_ items: ArraySlice<(title: String, value: String)>) -> [CounterCell] {
            let cell = ((width - spacing * Float(max(0, items.count - 1))) / Float(max(1, items.count))).rounded(.down)
            return items.map { ($0.title, $0.value, cell) }
        }
        return ([byNeed(all.prefix(half), .body) ?? evenly(all.prefix(half)), byNeed(all.dropFirst(half), .body) ?? evenly(all.dropFirst(half))], .body)
    }

    func counter(_ ui: UIContext, title: String, value: String, role: FontRole) {
        let rect = ui.nextRect()
        ui.itemAdd(rect, id: 0, label: "counter:\(title)=\(value)", kind: "counter", role: .counter(title), value: value)
        ui.draw(.fillRect(rect, ui.theme.panel, cornerRadius: ui.theme.cornerRadius))
        let warn = (title == "Kernel drops" || title == "Ring overflows") && value != "0"
        ui.drawText(title, in: Rect(x: rect.x + 10, y: rect.y + 4, width: rect.width - 20, height: 18), color: ui.theme.mutedText, role: .small)
        ui.drawText(value, in: Rect(x: rect.x + 10, y: rect.y + 22, width: rect.width - 20, height: 26), color: warn ? ui.theme.warning : ui.theme.text, role: role)
    }

    // MARK: Graph and talkers

    func rateGraph(_ ui: UIContext, in rect: Rect) {
        ui.panel("Packet rate", rect: rect) {
            ui.row([.fixed(70), .fixed(70), .fixed(80), .fixed(110), .fixed(110), .flex(1)])
            for window in GraphWindow.allCases {
                ui.radio(window.title, value: window, selection: &graphWindow)
            }
            ui.toggle("Stacked", isOn: &stacked)
            ui.toggle("Bits/s", isOn: &showBits)
            _ = ui.nextRect()
            let chartRect = ui.remainingRect
            let rates = capture.traffic.rates
            let seconds = graphWindow.rawValue
            let latest = rates.latestSecond ?? 0
            let first = latest - Int64(seconds) + 1
            let metric: RateHistory.Metric = showBits ? .bytes : .packets
            let series = ProtocolClass.allCases.map { ChartSeries($0.description, color: ui.theme.series[$0.rawValue]) }
            let factor = showBits ? 8.0 : 1.0
            ui.timeChart("Rate", series: series, pointCount: rates.latestSecond == nil ? 0 : seconds, unit: showBits ? .bitsPerSecond : .packetsPerSecond,
                         stacked: stacked, rect: chartRect, lastSampleIsPartial: capture.isCapturing, timeLabel: { clockTime((first + Int64($0)).saturatingMultiplying(by: 1_000_000_000), milliseconds: false) + " UTC" }) { series, index in
                Double(rates.value(at: first + Int64(index), protocolClass: ProtocolClass(rawValue: series), metric: metric)) * factor
            }
        }
    }

    private struct TalkersKey: Equatable {
        var generation: Int
        var latestSecond: Int64?
        var window: Int64
        var bits: Bool
    }
    private var talkersCache: (key: TalkersKey, talkers: [TrafficAggregator.RecentTalker])?

    func topTalkers(_ ui: UIContext, in rect: Rect) {
        ui.panel("Top talkers", rect: rect) {
            // Over the graph's window and in its unit: bit/s ranks by bytes, packets/s by packets.
            let window = Int64(graphWindow.rawValue)
            // Every host is visited: only when packets, packet time or the choice changed.
            let key = TalkersKey(generation: capture.generation, latestSecond: capture.traffic.rates.latestSecond, window: window, bits: showBits)
            if talkersCache?.key != key {
                talkersCache = (key, capture.traffic.topTalkers(8, overLast: window, byPackets: !showBits))
            }
            let talkers = talkersCache?.talkers ?? []
            let rate: (TrafficAggregator.RecentTalker) -> Double = { [showBits] talker in
                (showBits ? talker.bytes * 8 : talker.packets) / talker.seconds
            }
            let unit: ChartUnit = showBits ? .bitsPerSecond : .packetsPerSecond
            let windowTitle = graphWindow.title
            let chosen = ui.barChart("Talkers", items: talkers.map { ($0.host.address.description, rate($0)) }, unit: unit,
                                     rect: ui.remainingRect) { index in
                let talker = talkers[index]
                let host = talker.host
                return "\(host.address) · average over the last \(windowTitle)\n"
                    + "\(ChartUnit.bitsPerSecond.format(talker.bytes * 8 / talker.seconds)) · \(ChartUnit.packetsPerSecond.format(talker.packets / talker.seconds))\n"
                    + "\(formatBytes(UInt64(talker.bytes.rounded()))) in \(Int(talker.packets.rounded())) packets in the window\n"
                    + "Whole capture: \(formatBytes(host.bytesSent)) sent, \(formatBytes(host.bytesReceived)) received"
            }
            if let chosen {
                rowFilter = talkers[chosen].host.address.description
                tableTab = 1
            }
        }
    }

    // MARK: Tables

    func tables(_ ui: UIContext, in rect: Rect) {
        // The capture's internet addresses are looked up behind the rows in view.
        intel?.noteSeen(capture.traffic, now: ui.input.time)
        ui.panel(nil, rect: rect) {
            let counts = capture.traffic.flowCounts, hostCount = capture.traffic.hosts.count
            let flowCount = flowSet == 0 ? counts.active : counts.seen
            // Tabs | Active/All (flows) | row filter | export: format, path, button (for the table showing).
            ui.row([.fixed(420), .fixed(130), .flex(1), .fixed(86), .flex(1.3), .fixed(84)])
            // With a row filter, every tab counts the rows it would show ("Hosts (2 of 25)"), so
            // the hidden tables are kept filtered too (at their usual refresh rate).
            var labels = ["Flows (\(flowCount))###Flows", "Hosts (\(hostCount))###Hosts", "Packets###Packets"]
            if !rowFilter.isEmpty {
                refreshFlowRows(now: ui.input.time)
                refreshHostRows(now: ui.input.time)
                refreshPacketRows(now: ui.input.time)
                labels = ["Flows (\(groupedNumber(flowTable.rows.count)) of \(flowCount))###Flows",
                          "Hosts (\(groupedNumber(hostTable.rows.count)) of \(hostCount))###Hosts",
                          "Packets (\(groupedNumber(packetTable.rows.count)) of \(capture.recentCount))###Packets"]
            }
            ui.tabs("Tables", labels, selection: &tableTab)
            if tableTab == 0 {
                let before = flowSet
                ui.tabs("Flow set", ["Active", "All"], selection: &flowSet)
                if flowSet != before { flowTable.invalidate() }
            } else {
                ui.label("")
            }
            ui.textField("Filter rows", text: &rowFilter, placeholder: "Filter by address, port, protocol…")
            switch tableTab {
            case 0: flowTable.buildExportBar(ui)
            case 1: hostTable.buildExportBar(ui)
            default: packetTable.buildExportBar(ui)
            }
            let area = ui.remainingRect
            switch tableTab {
            case 0: flowsTable(ui, in: area)
            case 1: hostsTable(ui, in: area)
            default: packetsTable(ui, in: area)
            }
        }
    }

    func flowsTable(_ ui: UIContext, in rect: Rect) {
        refreshFlowRows(now: ui.input.time)
        let intelCell = intel.map { IntelColumns.decorator(ui, columns: flowTable.columns, intel: $0, address: IntelColumns.remoteAddress) }
        let built = flowTable.build(ui, in: rect) { [self] row, flow in
            intelCell?(row, flow)
            scanButton(ui, row, flow.responder)
            blockRequests?.rowAction(ui, row, address: IntelColumns.remoteAddress(flow) ?? flow.responder, place: "Dashboard flows",
                                     rightInset: onScan == nil ? 0 : 64)
        }
        if built.contains(.submitted), let flow = flowTable.selectedRow { showPackets(of: flow) }
    }

    /// Set by the shell: puts an address into the Scanner's target and shows that tab.
    public var onScan: ((String) -> Void)?
    /// "Block" (and `B`) on the selected flow or host row: the shell's confirm-block dialog.
    public var blockRequests: BlockRequests?

    /// A "Scan" button at the right end of the selected host or flow row (a flow scans its responder).
    private func scanButton(_ ui: UIContext, _ row: TableRow, _ address: IPAddress) {
        guard row.isSelected, let onScan else { return }
        let rect = Rect(x: row.rect.maxX - 62, y: row.rect.y + 1, width: 60, height: row.rect.height - 2)
        let button = ui.button("Scan##\(address)", rect: rect)
        if button.contains(.hovered) { ui.showTooltip("Port-scan \(address) in the Scanner tab") }
        if button.contains(.pressed) { onScan(address.description) }
    }

    /// Switches to the Packets tab showing only `flow`'s packets (nil: all packets again).
    public func showPackets(of flow: FlowStats?) {
        packetsOfFlow = flow
        packetTable.invalidate()
        packetTable.selectedKey = nil
        if flow != nil { tableTab = 2 }
    }

    private func refreshFlowRows(now: Double) {
        let traffic = capture.traffic
        flowTable.update(generation: capture.generation, filter: rowFilter, now: now, streaming: capture.isCapturing,
                         source: { [flowSet] in flowSet == 0 ? traffic.flows.all : traffic.flows.allIncludingFinished },
                         matches: { flow, needle in
                             endpoint(flow.initiator, flow.initiatorPort).contains(needle) || endpoint(flow.responder, flow.responderPort).contains(needle)
                                 || protocolName(flow.transport, ipProtocol: flow.key.ipProtocol).lowercased().contains(needle)
                                 || flow.tcpState.description.lowercased().contains(needle)
                         })
    }

    func hostsTable(_ ui: UIContext, in rect: Rect) {
        refreshHostRows(now: ui.input.time)
        let intelCell = intel.map { IntelColumns.decorator(ui, columns: hostTable.columns, intel: $0, address: { $0.address }) }
        hostTable.build(ui, in: rect) { [self] row, host in
            intelCell?(row, host)
            scanButton(ui, row, host.address)
            blockRequests?.rowAction(ui, row, address: host.address, place: "Dashboard hosts", rightInset: onScan == nil ? 0 : 64)
        }
    }

    private func refreshHostRows(now: Double) {
        let traffic = capture.traffic
        hostTable.update(generation: capture.generation, filter: rowFilter, now: now, streaming: capture.isCapturing,
                         source: { traffic.hosts.all },
                         matches: { host, needle in
                             host.address.description.contains(needle) || host.mac.description.contains(needle)
                                 || host.ports.contains { String($0) == needle }
                         })
    }

    /// The packet list as shown: newest first (or sorted by a header), filtered by `rowFilter`.
    public func shownPackets() -> [PacketSummary] {
        refreshPacketRows(now: lastFrameTime)
        return packetTable.rows.map(\.packet)
    }

    private func refreshPacketRows(now: Double) {
        let capture = capture
        let flowKey = packetsOfFlow?.key
        packetTable.update(generation: capture.generation, filter: rowFilter, now: now, streaming: capture.isCapturing,
                           source: {
                               let count = capture.recentCount
                               let rows = (0..<count).map { offset in
                                   let index = count - 1 - offset
                                   return PacketRow(number: capture.recentPacketNumber(at: index), packet: capture.recentPacket(at: index))
                               }
                               guard let flowKey else { return rows }
                               return rows.filter { FlowKey($0.packet) == flowKey }
                           },
                           matches: { row, needle in
                               let packet = row.packet
                               return endpoint(packet.source, packet.sourcePort).contains(needle)
                                   || endpoint(packet.destination, packet.destinationPort).contains(needle)
                                   || packetProtocolName(packet).lowercased().contains(needle)
                                   || packetInfo(packet).lowercased().contains(needle)
                           })
        if selectFirstPacketWhenShown, let first = packetTable.rows.first {
            packetTable.selectedKey = first.number
            selectFirstPacketWhenShown = false
        }
    }

    func packetsTable(_ ui: UIContext, in rect: Rect) {
        let parts = ui.columns(rect, [.flex(1), .fixed(300)])
        lastFrameTime = ui.input.time
        refreshPacketRows(now: ui.input.time)
        var tableRect = parts[0]
        if let flow = packetsOfFlow {
            let strip = ui.rows(parts[0], [.fixed(ui.theme.rowHeight), .flex(1)])
            tableRect = strip[1]
            let halves = ui.columns(strip[0], [.flex(1), .fixed(150)])
            let text = "Packets of \(endpoint(flow.initiator, flow.initiatorPort)) ↔ \(endpoint(flow.responder, flow.responderPort)) (among the last \(groupedNumber(capture.recentPacketLimit)) kept)"
            ui.itemAdd(halves[0], id: 0, label: "flow:" + text, kind: "label")
            ui.drawText(text, in: halves[0], color: ui.theme.text)
            if ui.button("Show all packets", rect: halves[1]).contains(.pressed) { showPackets(of: nil) }
        }
        packetTable.build(ui, in: tableRect)
        let selected = packetTable.selectedRow?.packet
        ui.panel("Packet detail", rect: parts[1]) {
            guard let selected else {
                ui.label("Select a packet to see its fields.", color: ui.theme.mutedText)
                return
            }
            // Long values (IPv6 addresses, MAC pairs) wrap onto more lines instead of being cut.
            let valueWidth = ui.remainingRect.width - 92 - ui.theme.spacing
            for (name, value) in packetDetail(selected) {
                let lines = ui.wrap(value, width: valueWidth, role: .small)
                for (index, line) in lines.enumerated() {
                    ui.row([.fixed(92), .flex(1)], height: .fixed(18))
                    ui.label(index == 0 ? name : "", color: ui.theme.mutedText, role: .small)
                    ui.label(line, role: .small)
                }
            }
        }
    }
}

/// Field/value pairs for the packet detail pane.
extension DashboardScreen: TabScreen {
    public static let title = "Dashboard"

    public static func make(_ environment: ScreenEnvironment) -> any Screen {
        environment.capture.attach(inbox: environment.inbox)
        let screen = DashboardScreen(capture: environment.capture, inbox: environment.inbox, toasts: environment.toasts, intel: environment.intel)
        screen.blockRequests = environment.blockRequests
        return screen
    }

    public var hasPendingWork: Bool { isExporting || capture.isRefreshingDevices || capture.transition != nil }
    public var shortcutHints: [String] { ["/ filter"] + (blockRequests?.isAvailable == true ? [BlockRequests.hint] : []) }

    public func handleShortcuts(_ ui: UIContext) {
        let input = ui.input
        // A focused table does not take typed characters, so `/` still reaches the filter.
        if !ui.isEditingText, input.text == "/" || input.keysPressed.contains(.character("/")) {
            ui.focus(filterFieldID(ui), swallowTypedText: true)
        }
    }

    public var kioskPanels: [KioskPanel] { Self.kioskPanels(capture) }

    /// The wall-screen panels: the packet-rate graph and the summary figures with top talkers.
    public static func kioskPanels(_ capture: CaptureController) -> [KioskPanel] {
        [
            KioskPanel(title: "Packet rate") { ui, rect in KioskScreen.graphPage(ui, capture: capture, in: rect) },
            KioskPanel(title: "Summary") { ui, rect in KioskScreen.summaryPage(ui, capture: capture, in: rect) },
        ]
    }
}

public func packetDetail(_ packet: PacketSummary) -> [(String, String)] {
    var fields: [(String, String)] = [
        ("Time", clockTime(packet.timestamp) + " UTC"),
        ("Length", "\(packet.wireLength) bytes (\(packet.capturedLength) captured)"),
    ]
    if packet.sourceMAC != .zero || packet.destinationMAC != .zero {
        fields.append(("Ethernet", "\(packet.sourceMAC) → \(packet.destinationMAC)"))
    }
    if packet.flags.contains(.vlanTagged) { fields.append(("VLAN", "\(packet.vlanID)")) }
    switch packet.network {
    case .ipv4, .ipv6:
        fields.append((packet.network == .ipv4 ? "IPv4" : "IPv6", "\(packet.source) → \(packet.destination)"))
        fields.append((packet.network == .ipv4 ? "TTL" : "Hop limit", "\(packet.ttl)"))
        fields.append(("Protocol", "\(packetProtocolName(packet)) (\(packet.ipProtocol))"))
    case .arp:
        fields.append(("ARP", packet.arpOperation == 1 ? "request" : packet.arpOperation == 2 ? "reply" : "op \(packet.arpOperation)"))
        fields.append(("Sender", "\(packet.source) (\(packet.sourceMAC))"))
        fields.append(("Target", "\(packet.destination) (\(packet.destinationMAC))"))
    case .none:
        fields.append(("Network", "not IP"))
    }
    switch packet.transport {
    case .tcp:
        fields.append(("Ports", "\(packet.sourcePort) → \(packet.destinationPort)"))
        fields.append(("TCP flags", packet.tcpFlags.description))
    case .udp:
        fields.append(("Ports", "\(packet.sourcePort) → \(packet.destinationPort)"))
    case .icmp, .icmpv6:
        fields.append(("ICMP", "type \(packet.icmpType), code \(packet.icmpCode)"))
    case .none, .other:
        break
    }
    var notes: [String] = []
    if packet.isMalformed { notes.append("malformed") }
    if packet.flags.contains(.truncated) { notes.append("truncated by snaplen") }
    if packet.flags.contains(.fragment) { notes.append("IP fragment") }
    if !notes.isEmpty { fields.append(("Notes", notes.joined(separator: ", "))) }
    return fields
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view.removeFirst() }
        while let last = view.last, set.contains(last) { view.removeLast() }
        return String(view)
    }
}
