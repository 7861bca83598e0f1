import Packets
import Traffic
import UI

/// Wall-screen mode: large type, no controls that change anything, and a rotation through the
/// screens' kiosk panels (`Screen.kioskPanels`) every `rotateSeconds`.
public final class KioskScreen {
    public let capture: CaptureController
    public var rotateSeconds: Double
    /// The key combination that leaves kiosk mode (shown in small print).
    public static let exitHint = "Press Ctrl+Alt+Q to exit kiosk mode"
    public private(set) var exitRequested = false
    private var pageStartedAt: Double?
    public private(set) var page = 0
    /// How often frames come while only captured data changes (a wall is read, not touched).
    public var livePacing = LiveRedrawPacing()

    public let panels: [KioskPanel]
    /// The window's inbox (`AppShell.inbox`), drained every frame: panels that load on a worker
    /// (the IoT map) get their results through it.
    public let inbox: UIInbox?

    /// `panels` nil: the dashboard's (`AppShell.kioskPanels` gives every screen's).
    public init(capture: CaptureController, panels: [KioskPanel]? = nil, rotateSeconds: Double = 15, inbox: UIInbox? = nil) {
        self.capture = capture
        self.inbox = inbox
        self.panels = panels ?? DashboardScreen.kioskPanels(capture)
        self.rotateSeconds = max(1, rotateSeconds)
    }

    /// Builds one frame, draining the capture ring first (as `AppShell.build` does).
    public func build(_ ui: UIContext, now wallClock: Int64? = nil) {
        // Nobody points at a wall: a resting mouse must not leave a crosshair and tooltip behind.
        ui.hoverEnabled = false
        if let inbox, inbox.drain() > 0 { ui.wantsAnotherFrame = true }
        let drained = capture.drain(now: wallClock)
        if drained > 0 {
            livePacing.schedule(ui, drained: drained, session: capture.session)
        } else if capture.isCapturing {
            ui.requestWake(at: ui.input.time + 0.5)
        }
        let input = ui.input
        if input.pressed(.character("q"), modifiers: [.control, .alt]) { exitRequested = true }
        let started = pageStartedAt ?? input.time
        pageStartedAt = started
        if input.time - started >= rotateSeconds {
            page = (page + 1) % max(1, panels.count)
            pageStartedAt = input.time
        }
        ui.requestWake(at: (pageStartedAt ?? input.time) + rotateSeconds)
        let viewport = ui.viewport.insetBy(24, 24)
        let parts = ui.rows(viewport, [.fixed(60), .flex(1), .fixed(20)])
        let panelTitle = panels.indices.contains(page) ? " · " + panels[page].title : ""
        // A file by its name: a long path would push the panel's title off the wall.
        let source = capture.sourceName.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        let title = (source.map { "NetScouter — \($0)" } ?? "NetScouter") + panelTitle
        // The current bit/s on every panel, right of the title: what a wall is glanced at for.
        let bitsPerSecond = Self.currentBitsPerSecond(capture)
        let rateWidth = min(parts[0].width * 0.4, ui.textSize(bitsPerSecond, .display).width + 8)
        let header = ui.columns(parts[0], [.flex(1), .fixed(rateWidth)])
        // The largest type the title fits in (a long interface or file name takes a size less).
        let titleRole: FontRole = ui.textSize(title, .display).width <= header[0].width ? .display : .heading
        ui.drawText(title, in: header[0], color: ui.theme.text, role: titleRole)
        ui.itemAdd(header[1], id: 0, label: "kiosk-bits-per-second", kind: "counter", role: .counter("Bit/s"), value: bitsPerSecond)
        ui.drawText(bitsPerSecond, in: header[1], color: ui.theme.accent, role: .display, alignment: .right)
        ui.itemAdd(parts[1], id: 0, label: "kiosk-page-\(page)", kind: "kiosk")
        if panels.indices.contains(page) { panels[page].build(ui, parts[1]) }
        ui.drawText(Self.exitHint, in: parts[2], color: ui.theme.mutedText, role: .small, alignment: .right)
    }

    /// The layout scale (pixels per logical pixel) that makes a wall screen of `width`×`height`
    /// pixels about 960×540 logical pixels: type and charts grow with the screen (at 1920×1080
    /// the smallest text, axis labels and legends, is 24 px), never below the desktop's size.
    public static func layoutScale(pixelWidth: Float, pixelHeight: Float) -> Float {
        guard pixelWidth > 0, pixelHeight > 0 else { return 1 }
        return max(1, min(pixelWidth / 960, pixelHeight / 540))
    }

    /// Bit/s of the last full second ("0 bit/s" before any packet).
    static func currentBitsPerSecond(_ capture: CaptureController) -> String {
        let rates = capture.traffic.rates
        guard let latest = rates.latestSecond else { return ChartUnit.bitsPerSecond.format(0) }
        // While capturing, the latest second is still filling: show the one before it.
        let second = capture.isCapturing ? latest.saturatingSubtracting(1) : latest
        return ChartUnit.bitsPerSecond.format(Double(rates.value(at: second, metric: .bytes)) * 8)
    }

    static func graphPage(_ ui: UIContext, capture: CaptureController, in rect: Rect) {
        let rates = capture.traffic.rates
        let seconds = 300
        let latest = rates.latestSecond ?? 0
        let first = latest - Int64(seconds) + 1
        let series = ProtocolClass.allCases.map { ChartSeries($0.description, color: ui.theme.series[$0.rawValue]) }
        ui.timeChart("Kiosk rate", series: series, pointCount: rates.latestSecond == nil ? 0 : seconds, unit: .packetsPerSecond, stacked: true,
                     rect: rect, lastSampleIsPartial: capture.isCapturing, timeLabel: { clockTime((first + Int64($0)).saturatingMultiplying(by: 1_000_000_000), milliseconds: false) }) { series, index in
            Double(rates.value(at: first + Int64(index), protocolClass: ProtocolClass(rawValue: series)))
        }
    }

    static func summaryPage(_ ui: UIContext, capture: CaptureController, in rect: Rect) {
        let halves = ui.columns(rect, [.flex(1), .flex(1)])
        let totals = capture.traffic.totals
        let figures: [(String, String)] = [
            ("Packets", "\(totals.packets)"), ("Data", formatBytes(totals.bytes)),
            ("Hosts", "\(capture.traffic.hosts.count)"), ("Flows", "\(capture.traffic.flowCounts.seen)"),
        ] + ProtocolClass.allCases.map { ($0.description, "\(totals.packets($0))") }
        let rowHeight = min(64, halves[0].height / Float(figures.count))
        for (index, figure) in figures.enumerated() {
            let row = Rect(x: halves[0].x, y: halves[0].y + Float(index) * rowHeight, width: halves[0].width, height: rowHeight)
            ui.drawText(figure.0, in: Rect(x: row.x, y: row.y, width: row.width * 0.45, height: row.height), color: ui.theme.mutedText, role: .heading)
            ui.drawText(figure.1, in: Rect(x: row.x + row.width * 0.45, y: row.y, width: row.width * 0.55, height: row.height), color: ui.theme.text, role: .display)
        }
        let talkers = capture.traffic.topTalkers(10)
        ui.barChart("Kiosk talkers", items: talkers.map { ($0.address.description, Double($0.totalBytes)) }, unit: .bytes, rect: halves[1])
    }
}
