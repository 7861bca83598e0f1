import Foundation
import Jobs
import Packets
import Scan
import Store

/// The Scanner tab's state and work, without any UI: the port-scan form with its inline checks,
/// the running scan (results streaming in through progress reports), this machine's
/// connections refreshed live, and LAN discovery on a chosen interface.
///
/// All work runs in `BackgroundTask`s (scan, socket table, interface list, discovery); their
/// reports and results arrive on the UI thread through the inbox. UI thread only.
public final class ScannerModel {
    public enum View: Int, CaseIterable, Sendable {
        case portScan, connections, lan
        public var title: String {
            switch self {
            case .portScan: "Port scan"
            case .connections: "Connections"
            case .lan: "LAN"
            }
        }
    }

    public var view: View = .portScan

    /// Where scans, discoveries and interface lists run: nil for this process's own network
    /// namespace, or the name of one under /run/netns (tests scan only namespaces they made).
    public var networkNamespace: String?

    // MARK: Port scan form

    public var targetText = ""
    /// nmap's port syntax, or "top N" (the N most often open ports).
    public var portsText = "top 1000"
    public var grabBanners = true
    /// Closed and filtered ports shown in the table (and saved) too, not only open ones.
    public var showAllStates = false
    /// From Settings: the per-port wait and the connections in flight.
    public var timeoutMilliseconds = PortScanOptions().timeoutMilliseconds
    public var concurrency = 200

    /// The port presets: what each puts into the ports field.
    public static let presets: [(title: String, ports: String)] = [("Top 100", "top 100"), ("Top 1000", "top 1000"), ("All", "-")]
    /// More hosts than a /16 from the window is almost certainly a typo (the CLI takes more).
    public static let hostLimit = 1 << 16
    /// Host × port pairs one scan from the window may cover: every decided port is kept (the
    /// engine's summary and the table's rows), about 200 bytes each.
    public static let probeLimit = 4_000_000

    /// What an input check found: the message of the parser that refused the text, or how many
    /// hosts / ports it names.
    public struct InputCheck: Equatable, Sendable {
        public var count: Int?
        public var message: String?
        public var isValid: Bool { message == nil }
        public init(count: Int?, message: String?) {
            self.count = count
            self.message = message
        }
    }

    private var checkedTarget: (text: String, check: InputCheck)?
    private var checkedPorts: (text: String, check: InputCheck, ports: [UInt16])?

    /// The target field's check. Host names are checked for their form only here; they are
    /// resolved on the scan's worker when the scan starts (a slow DNS server never stalls a frame).
    public var targetCheck: InputCheck {
        if let checkedTarget, checkedTarget.text == targetText { return checkedTarget.check }
        let check: InputCheck
        if targetText.trimmingCharacters(in: .whitespaces).isEmpty {
            check = InputCheck(count: nil, message: nil)
        } else {
            let parser = TargetParser(hostLimit: Self.hostLimit, resolve: { _ in [IPAddress("0.0.0.0")!] })
            do { check = InputCheck(count: try parser.parse(targetText).count, message: nil) } catch {
                check = InputCheck(count: nil, message: String(describing: error))
            }
        }
        checkedTarget = (targetText, check)
        return check
    }

    /// The ports field's check.
    public var portsCheck: InputCheck { portsChecked().check }

    private func portsChecked() -> (check: InputCheck, ports: [UInt16]) {
        if let checkedPorts, checkedPorts.text == portsText { return (checkedPorts.check, checkedPorts.ports) }
        var result: (InputCheck, [UInt16])
        do {
            let ports = try Self.parsePorts(portsText)
            result = (InputCheck(count: ports.count, message: nil), ports)
        } catch {
            result = (InputCheck(count: nil, message: String(describing: error)), [])
        }
        checkedPorts = (portsText, result.0, result.1)
        return result
    }

    /// The ports a field's text names: "top N" or nmap's syntax.
    public static func parsePorts(_ text: String) throws -> [UInt16] {
        let words = text.lowercased().split(separator: " ")
        if words.first == "top" {
            guard words.count == 2, let count = Int(words[1]) else {
                throw PortError("\"\(text.trimmingCharacters(in: .whitespaces))\" is not a top-ports preset: write top and a count, e.g. top 100.")
            }
            do { return try PortParser.top(count) } catch {
                throw PortError("top \(count) is out of range: give a count from 1 to 65535 (e.g. top 100 or top 1000).")
            }
        }
        return try PortParser().parse(text)
    }

    /// Why Start is not possible now, or nil when it is.
    public var startBlocker: String? {
        if isScanning { return "A scan is running: cancel it first." }
        if targetText.trimmingCharacters(in: .whitespaces).isEmpty { return "Enter a target: an address, host name, CIDR block or range." }
        if let message = targetCheck.message { return message }
        if let message = portsCheck.message { return message }
        if let hosts = targetCheck.count, let ports = portsCheck.count, hosts * ports > Self.probeLimit {
            return "\(groupedNumber(hosts)) hosts × \(groupedNumber(ports)) ports is \(groupedNumber(hosts * ports)) probes, more than the "
                + "\(groupedNumber(Self.probeLimit)) one scan here holds: scan fewer hosts or fewer ports at a time (e.g. a /24 with the top 1000 ports)."
        }
        return nil
    }

    // MARK: Running scan

    /// One port scan as the worker gets it.
    struct ScanRequest: Sendable {
        var targets: String
        var ports: [UInt16]
        var options: PortScanOptions
        var allStates: Bool
        var namespace: String?
        var database: NetScouterDatabase?
    }

    /// A progress report: the figures and the ports decided since the last report; the last
    /// report of a run also says how it ended and where it was saved.
    public struct ScanUpdate: Sendable {
        public var progress: ScanProgress?
        public var results: [PortResult]
        public var hosts: [ScanHost]?
        public var summary: String?
        public var savedScanID: Int64?
    }

    /// Every port decided in the current (or last) scan, in the order they were decided.
    public private(set) var results: [PortResult] = []
    /// How many of `results` are open: kept as results arrive, not counted every frame.
    public private(set) var openCount = 0
    /// Changes whenever `results` changes (for the table's cache).
    public private(set) var resultsGeneration = 0
    /// Bumped when a new scan replaces the rows: the table drops its selection then.
    public private(set) var scanNumber = 0
    public var progress: ScanProgress? { lastProgress }
    private var lastProgress: ScanProgress?
    /// The target text and host count of the current (or last) scan.
    public private(set) var scannedTarget: String?
    public private(set) var scannedHosts: [ScanHost] = []
    /// How the last scan ended ("Cancelled: 1 host, …", or the error), nil while none ended.
    public private(set) var lastSummary: String?
    public private(set) var lastError: String?
    /// The `scans` row the last scan was saved in.
    public private(set) var savedScanID: Int64?
    public private(set) var cancelRequested = false

    public var isScanning: Bool { scanTask.isRunning }

    let database: NetScouterDatabase?
    let inbox: UIInbox
    let toasts: ToastCenter
    private let scanTask: BackgroundTask<ScanRequest, ScanUpdate, Void>
    private let connectionsTask: BackgroundTask<String?, Never, [SocketEntry]>
    private let interfacesTask: BackgroundTask<String?, Never, [InterfaceAddress]>
    private let discoveryTask: BackgroundTask<DiscoveryRequest, Never, DiscoveryResult>

    public init(database: NetScouterDatabase?, inbox: UIInbox, toasts: ToastCenter) {
        self.database = database
        self.inbox = inbox
        self.toasts = toasts
        scanTask = BackgroundTask("port-scan", policy: .ignoreWhileRunning, inbox: inbox, toasts: toasts) { request, context in
            try Self.runScan(request, context)
        }
        connectionsTask = BackgroundTask("connections", policy: .coalesce, inbox: inbox, toasts: nil) { namespace, _ in
            // /proc/net is the main thread's namespace; thread-self/net is the one this thread joined.
            try Self.inNamespace(namespace) { SocketTable(netDirectory: namespace == nil ? nil : "/proc/thread-self/net").read() }
        }
        interfacesTask = BackgroundTask("scan-interfaces", policy: .coalesce, inbox: inbox, toasts: nil) { namespace, _ in
            try Self.inNamespace(namespace) { try InterfaceAddress.all() }
        }
        discoveryTask = BackgroundTask("lan-discovery", policy: .ignoreWhileRunning, inbox: inbox, toasts: toasts) { request, context in
            try Self.runDiscovery(request, context)
        }
        scanTask.onProgress = { [weak self] update in self?.receive(update) }
    }

    /// Takes the scan settings in force.
    public func apply(_ settings: AppSettings) {
        timeoutMilliseconds = max(1, settings.scanTimeoutMilliseconds)
        concurrency = max(1, settings.scanConcurrency)
    }

    /// Starts scanning `targetText` on the ports of `portsText`. False (with nothing started)
    /// when `startBlocker` says why not.
    @discardableResult
    public func startScan() -> Bool {
        guard startBlocker == nil else { return false }
        var options = PortScanOptions(timeoutMilliseconds: timeoutMilliseconds, concurrency: concurrency, grabBanners: grabBanners)
        options.minimumTimeoutMilliseconds = min(options.minimumTimeoutMilliseconds, timeoutMilliseconds)
        let request = ScanRequest(targets: targetText, ports: portsChecked().ports, options: options, allStates: showAllStates,
                                  namespace: networkNamespace, database: database)
        results = []
        openCount = 0
        resultsGeneration += 1
        scanNumber += 1
        lastProgress = nil
        lastSummary = nil
        lastError = nil
        savedScanID = nil
        cancelRequested = false
        scannedTarget = targetText
        scannedHosts = []
        return scanTask.start(request) { [weak self] outcome in
            guard let self else { return .shown }
            if let error = outcome.error {
                lastError = error.userText
                return .unhandled
            }
            return .shown
        }
    }

    /// Stops the running scan; the ports decided so far stay (and are saved as a cancelled scan).
    public func cancelScan() {
        guard isScanning else { return }
        cancelRequested = true
        scanTask.cancel()
    }

    private func receive(_ update: ScanUpdate) {
        if let hosts = update.hosts { scannedHosts = hosts }
        if !update.results.isEmpty {
            results += update.results
            openCount += update.results.reduce(0) { $0 + ($1.state == .open ? 1 : 0) }
            resultsGeneration += 1
        }
        if let progress = update.progress { lastProgress = progress }
        if let summary = update.summary { lastSummary = summary }
        if let id = update.savedScanID { savedScanID = id }
    }

    /// The results the table shows: open ports, or every port when `showAllStates`.
    public var shownResults: [PortResult] {
        showAllStates ? results : results.filter { $0.state == .open }
    }

    /// Puts `address` into the target field and shows the port-scan view (the "Scan" action of
    /// host, flow and connection rows). A running scan is left alone.
    public func prefill(target address: String) {
        targetText = address
        view = .portScan
    }

    /// The worker side of a scan: resolve the targets, save a "running" scan row, scan with
    /// results streamed as progress, save the results and how it ended.
    static func runScan(_ request: ScanRequest, _ context: TaskContext<ScanUpdate>) throws {
        // Only the name resolution and the scan run in the namespace: the store is written from
        // the task's own thread, so no thread the database layer might start inherits it.
        let hosts = try inNamespace(request.namespace) { try TargetParser(hostLimit: hostLimit).parse(request.targets) }
        context.report(ScanUpdate(progress: nil, results: [], hosts: hosts))
        let scanner = ConnectScanner(hosts: hosts, ports: request.ports, options: request.options)
        let scanID = try request.database.map { try ScanRecords.begin(kind: ScanRecords.portScanKind, target: request.targets, in: $0) }
        let summary: PortScanSummary
        do {
            summary = try inNamespace(request.namespace) {
                // onResult and onProgress both run on this thread (the scan's loop); the last
                // progress report comes after the last result.
                final class Batch: @unchecked Sendable { var results: [PortResult] = [] }
                let batch = Batch()
                return try scanner.run(onResult: { batch.results.append($0) }, onProgress: { progress in
                    if context.isCancelled { scanner.cancel() }
                    context.report(ScanUpdate(progress: progress, results: batch.results))
                    batch.results.removeAll(keepingCapacity: true)
                })
            }
        } catch {
            if let database = request.database, let scanID { ScanRecords.fail(scanID: scanID, error: error, in: database) }
            throw error
        }
        let text = ScanRecords.summary(of: summary, hosts: hosts.count)
        if let database = request.database, let scanID {
            try ScanRecords.finish(scanID: scanID, scan: summary, hosts: hosts.count, allStates: request.allStates, in: database)
        }
        context.report(ScanUpdate(progress: nil, results: [], summary: text, savedScanID: scanID))
    }

    /// Runs `body` in `namespace` (on a thread of its own that joined it), or here when nil.
    static func inNamespace<T: Sendable>(_ namespace: String?, _ body: @escaping @Sendable () throws -> T) throws -> T {
        guard let namespace else { return try body() }
        return try NetworkNamespace.run(in: namespace, body)
    }

    // MARK: Connections

    /// This machine's sockets at the last refresh.
    public private(set) var connections: [SocketEntry] = []
    public private(set) var connectionsGeneration = 0
    public private(set) var connectionsLoaded = false
    /// How often the connections view re-reads the socket table while it shows.
    public var connectionsInterval = 2.0
    /// The rows filter of the connections table (address, port, process, state, user).
    public var connectionsFilter = ""
    private var connectionsReadAt: Double?
    public var isReadingConnections: Bool { connectionsTask.isRunning }

    /// Re-reads the socket table (on a worker) when the last read is older than the interval.
    public func refreshConnectionsIfDue(now: Double) {
        if let connectionsReadAt, now - connectionsReadAt < connectionsInterval { return }
        connectionsReadAt = now
        refreshConnections()
    }

    public func refreshConnections() {
        connectionsTask.start(networkNamespace) { [weak self] outcome in
            guard let self, let entries = outcome.value else { return .shown }
            connections = entries
            connectionsLoaded = true
            connectionsGeneration += 1
            return .shown
        }
    }

    // MARK: LAN discovery

    struct DiscoveryRequest: Sendable {
        var interface: String
        var namespace: String?
        var database: NetScouterDatabase?
        var reverseDNS: Bool
    }

    public private(set) var interfaces: [InterfaceAddress] = []
    public private(set) var interfacesLoaded = false
    public private(set) var interfaceError: String?
    public var interfaceIndex = 0
    public var isReadingInterfaces: Bool { interfacesTask.isRunning }
    /// Off in tests whose namespaces have no resolver to ask.
    public var reverseDNS = true

    public private(set) var lanHosts: [DiscoveredHost] = []
    public private(set) var lanGeneration = 0
    public private(set) var lanSummary: String?
    public private(set) var lanWarnings: [String] = []
    public private(set) var lanError: String?
    public var isDiscovering: Bool { discoveryTask.isRunning }

    /// Lists the interfaces with an IPv4 subnet (on a worker); the picked one stays picked.
    public func refreshInterfaces() {
        let picked = interfaces.indices.contains(interfaceIndex) ? interfaces[interfaceIndex].name : nil
        interfacesTask.start(networkNamespace) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(list):
                interfaces = list
                interfaceError = nil
                // Loopback has no neighbours: pick a real interface first when there is one.
                interfaceIndex = picked.flatMap { name in list.firstIndex { $0.name == name } }
                    ?? list.firstIndex { !$0.address.description.hasPrefix("127.") } ?? 0
            case let .failure(error):
                interfaceError = error.userText
            case .cancelled:
                break
            }
            interfacesLoaded = true
            return .shown
        }
    }

    public var pickedInterface: InterfaceAddress? { interfaces.indices.contains(interfaceIndex) ? interfaces[interfaceIndex] : nil }

    /// Sweeps the picked interface's subnet. False when no interface is picked or one runs.
    @discardableResult
    public func discover() -> Bool {
        guard let interface = pickedInterface, !isDiscovering else { return false }
        lanHosts = []
        lanGeneration += 1
        lanSummary = nil
        lanWarnings = []
        lanError = nil
        let request = DiscoveryRequest(interface: interface.name, namespace: networkNamespace, database: database, reverseDNS: reverseDNS)
        return discoveryTask.start(request) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(result):
                lanHosts = result.hosts
                lanGeneration += 1
                lanSummary = ScanRecords.summary(of: result)
                lanWarnings = result.warnings
                onDiscoveryFinished?()
            case let .failure(error):
                lanError = error.userText
                return .unhandled
            case .cancelled:
                lanSummary = "Discovery cancelled."
            }
            return .shown
        }
    }

    public func cancelDiscovery() { discoveryTask.cancel() }

    /// Called on the UI thread after a discovery finished and was saved (it fed the IoT
    /// inventory: the IoT map reloads).
    public var onDiscoveryFinished: (() -> Void)?

    static func runDiscovery(_ request: DiscoveryRequest, _ context: TaskContext<Never>) throws -> DiscoveryResult {
        var options = DiscoveryOptions()
        options.reverseDNS = request.reverseDNS
        let discovery = LanDiscovery(interface: request.interface, options: options)
        let scanID = try request.database.map { try ScanRecords.begin(kind: ScanRecords.discoveryKind, target: request.interface, in: $0) }
        // The sweep blocks in poll: a cancel of the task cancels the sweep.
        context.onCancel { discovery.cancel() }
        do {
            let result = try inNamespace(request.namespace) { try discovery.run() }
            if let database = request.database, let scanID { try ScanRecords.finish(scanID: scanID, discovery: result, in: database) }
            return result
        } catch {
            if let database = request.database, let scanID { ScanRecords.fail(scanID: scanID, error: error, in: database) }
            throw error
        }
    }

    // MARK: Status

    /// Work started here that has not reported back.
    public var hasPendingWork: Bool { isScanning || isDiscovering || isReadingInterfaces || connectionsTask.isRunning }

    /// The status bar's text while the tab shows: the running scan's figures, or how the last
    /// one ended; nil when there is nothing to say (the capture status shows then).
    public var statusText: String? {
        if isScanning {
            guard let progress = lastProgress else { return "Scanning \(scannedTarget ?? "")…" }
            return "Scanning \(scannedTarget ?? ""): " + Self.progressText(progress)
        }
        if isDiscovering { return "Discovering hosts on \(pickedInterface?.name ?? "")…" }
        if let lastError { return "Scan failed: \(lastError)" }
        return lastSummary
    }

    /// "450 / 1,000 ports · 3 open · 1,234 ports/s · ETA 2 s".
    public static func progressText(_ progress: ScanProgress) -> String {
        var parts = ["\(groupedNumber(progress.done)) / \(groupedNumber(progress.total)) ports", "\(groupedNumber(progress.open)) open",
                     "\(groupedNumber(Int(progress.portsPerSecond.rounded()))) ports/s"]
        if let remaining = progress.secondsRemaining, progress.done < progress.total { parts.append("ETA " + durationText(remaining)) }
        return parts.joined(separator: " · ")
    }

    static func durationText(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}
