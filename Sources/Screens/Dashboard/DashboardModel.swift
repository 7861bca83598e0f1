import Capture
import Foundation
import Packets
import Store
import Traffic
import UI

/// The Dashboard's capture controls and figures, without any UI: which interface, the capture
/// filter (validated before a capture starts), the file to read, recording to pcap, the
/// settings in force, and the counter strip's values. The capture itself is the
/// `CaptureController`'s; the view reads both and sends intents here. UI thread only.
public final class DashboardModel {
    public let capture: CaptureController

    public var interfaceIndex = 0
    public var filterText = ""
    public var filePath = ""
    /// Why the capture filter was refused (shown in the error banner until edited).
    public private(set) var filterError: UserError?
    /// Save live captures as rotating pcap files (in the export folder), for Wireshark.
    public var recordToPcap = false
    public var pcapRotateMegabytes = 100
    /// Live-capture options from Settings.
    public var capturePromiscuous = true
    public var captureSnapLength: Int32 = 262_144
    /// The interface to preselect (Settings → Default capture interface); empty: the first.
    public var defaultInterface = ""
    /// The export folder from Settings (empty: the home directory; "~" allowed).
    public var exportDirectory = ""

    public init(capture: CaptureController) {
        self.capture = capture
        capture.onDevicesChanged = { [weak self] previous in self?.devicesChanged(previous) }
    }

    /// Takes the capture and export settings in force (at start and after Apply Settings).
    public func apply(_ settings: AppSettings) {
        capture.flowHistoryRetentionDays = settings.flowHistoryRetentionDays
        exportDirectory = settings.exportDirectory
        pcapRotateMegabytes = settings.pcapRotateMegabytes
        capturePromiscuous = settings.capturePromiscuous
        captureSnapLength = Int32(clamping: settings.captureSnapLength)
        if settings.captureInterface != defaultInterface {
            defaultInterface = settings.captureInterface
            if let index = capture.devices.firstIndex(where: { $0.name == defaultInterface }) { interfaceIndex = index }
        }
    }

    /// A new interface list keeps the interface that was picked (by name), or else the one being
    /// captured from, or else the default interface from Settings.
    private func devicesChanged(_ previous: [CaptureDevice]) {
        let picked = previous.indices.contains(interfaceIndex) ? previous[interfaceIndex].name : nil
        var running: String?
        if case let .live(options)? = capture.session?.source { running = options.interface }
        let wanted = picked ?? running ?? defaultInterface
        interfaceIndex = capture.devices.firstIndex { $0.name == wanted } ?? capture.devices.firstIndex { $0.name == defaultInterface } ?? 0
    }

    /// The picked interface's name, if the list has one.
    public var pickedInterface: String? {
        capture.devices.indices.contains(interfaceIndex) ? capture.devices[interfaceIndex].name : nil
    }

    /// Starts a live capture with the filter and the settings in force; with an inbox attached
    /// the interface opens on a worker (`capture.transition` says so until it has). False (with
    /// the reason in `filterError` or the capture's `lastError`) when it did not start.
    @discardableResult
    public func startLive(interface: String) -> Bool {
        guard validateFilter() else { return false }
        var recording: PcapRecordingOptions?
        if recordToPcap {
            recording = .timestamped(in: ExportBar.resolveDirectory(exportDirectory), prefix: "netscouter-\(interface)",
                                     rotateBytes: Int64(pcapRotateMegabytes) << 20)
        }
        var options = LiveCaptureOptions(interface: interface)
        options.promiscuous = capturePromiscuous
        options.snapLength = captureSnapLength
        return capture.begin(.live(options), filter: filterText, recording: recording)
    }

    /// Reads a capture file through the filter.
    @discardableResult
    public func openFile(_ path: String, replay: Bool = false) -> Bool {
        guard validateFilter() else { return false }
        filePath = path
        return capture.begin(.file(path: path, replayAtRecordedSpeed: replay), filter: filterText)
    }

    /// Stops the capture; with an inbox attached the capture thread is joined on a worker.
    public func stop() { capture.requestStop() }

    /// The filter text changed: its old problem no longer applies.
    public func filterEdited() { filterError = nil }

    public func dismissErrors() {
        capture.dismissError()
        filterError = nil
    }

    private func validateFilter() -> Bool {
        let trimmed = filterText.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { filterError = nil; return true }
        do {
            try PcapHandle.validateFilter(trimmed)
            filterError = nil
            return true
        } catch {
            filterError = UserError.from(error)
            return false
        }
    }

    /// The error the banner shows: the capture's, else the filter's.
    public var bannerText: String? { capture.lastError ?? filterError?.userText }

    // MARK: Counters

    /// The figures in the counter strip, by title (also what tests read). Live: the rates of
    /// the last full second. A file read to its end has no "now": its packet count and span, and
    /// the average rate over it, instead of the rates of its last second.
    public func counterValues() -> [(title: String, value: String)] {
        let traffic = capture.traffic
        let totals = traffic.totals
        let statistics = capture.statistics
        var rateFigures: [(String, String)]
        if capture.finishedReadingFile {
            // In floating point: a hostile file's first and last times can be 2^63 apart.
            let span = (Double(totals.lastTimestamp ?? 0) - Double(totals.firstTimestamp ?? 0)) / 1e9
            let bitsPerSecond = span > 0 ? Double(totals.bytes) * 8 / span : 0
            rateFigures = [("File", "\(groupedNumber(Int(totals.packets))) packets in \(Self.duration(span))"),
                           ("Average Bit/s", ChartUnit.bitsPerSecond.format(bitsPerSecond))]
        } else {
            let rates = traffic.rates
            let lastSecond = (rates.latestSecond ?? 0).saturatingSubtracting(1)
            rateFigures = [("Packets/s", ChartUnit.count.format(Double(rates.value(at: lastSecond)))),
                           ("Bit/s", ChartUnit.bitsPerSecond.format(Double(rates.value(at: lastSecond, metric: .bytes)) * 8))]
        }
        return rateFigures + [
            ("Packets", "\(totals.packets)"),
            ("Bytes", formatBytes(totals.bytes)),
            ("Hosts", "\(traffic.hosts.count)"),
            ("Flows", "\(traffic.flowCounts.seen)"),
            ("Kernel drops", "\(statistics?.kernelDrops ?? 0)"),
            ("Ring overflows", "\(statistics?.ringOverflows ?? 0)"),
        ]
    }

    /// "0.42 s", "12.3 s", "4 min 05 s", "2 h 07 min".
    static func duration(_ seconds: Double) -> String {
        let seconds = max(0, seconds)
        if seconds < 10 { return String(format: "%.2f s", seconds) }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(min(seconds, 1e15).rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
    }
}
