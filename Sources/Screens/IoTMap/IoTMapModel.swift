import Capture
import Foundation
import Intel
import IoT
import Packets
import Synchronization
import Store
import Traffic
import UI

/// What the IoT map shows at one moment: the inventory, where IoT-class devices send traffic
/// outside and the anomalies of that traffic.
public struct IoTMapSnapshot: Sendable {
    public var devices: [IoTDevice]
    public var destinations: [DeviceDestination]
    public var anomalies: [IoTAnomaly]
    /// Live (unfinished) flows of the window's capture counted in `destinations`/`anomalies`
    /// but not saved: they are saved once finished, through the flow history.
    public var liveFlows: Int
    public var loadedAt: Date

    public init(devices: [IoTDevice], destinations: [DeviceDestination], anomalies: [IoTAnomaly], liveFlows: Int = 0, loadedAt: Date = Date()) {
        self.devices = devices
        self.destinations = destinations
        self.anomalies = anomalies
        self.liveFlows = liveFlows
        self.loadedAt = loadedAt
    }

    public static let empty = IoTMapSnapshot(devices: [], destinations: [], anomalies: [], loadedAt: Date(timeIntervalSince1970: 0))
}

/// How the outer ring groups destinations.
public enum IoTMapGrouping: String, CaseIterable, Sendable {
    case country, provider
}

/// The map's drawable content, derived from a snapshot: one node per device and per remote
/// address, one edge per device and remote address (its ports and transports summed).
public struct IoTMapGraph: Sendable {
    public struct Device: Sendable {
        public var key: String
        public var label: String
        public var type: DeviceType
        public var online: Bool
        public var device: IoTDevice
        public var position: Point
        public var mapKey: String
    }

    public struct Destination: Sendable {
        public var address: String
        public var country: String?
        public var provider: String?
        public var consensus: String?
        public var bytes: UInt64
        public var flows: Int
        public var risk: Severity?
        public var devices: Int
        public var position: Point
        /// Map keys ("dest:…") are built once, not per frame.
        public var mapKey: String
    }

    public struct Edge: Sendable {
        public var device: Int
        public var destination: Int
        public var bytes: UInt64
        public var flows: Int
        public var risk: Severity?
        /// "23/tcp", "443/tcp"…
        public var ports: [String]
        public var mapKey: String
    }

    public var devices: [Device] = []
    public var destinations: [Destination] = []
    public var edges: [Edge] = []
    public var layout = IoTMapLayout()
    /// Which build this is: every graph built gets a new number, so a drawing can tell a
    /// rebuilt graph from the one it drew before (the map's kept layer, see `IoTMapDrawing`).
    public private(set) var generation: UInt64 = IoTMapGraph.nextGeneration()
    /// The anomalies per edge key, for details and the Block action.
    public var anomaliesByEdge: [String: [IoTAnomaly]] = [:]
    public var deviceIndex: [String: Int] = [:]
    public var destinationIndex: [String: Int] = [:]
    public var edgeIndex: [String: Int] = [:]

    public init() {}

    private static let generations = Atomic<UInt64>(0)
    private static func nextGeneration() -> UInt64 { generations.add(1, ordering: .relaxed).newValue }

    public static func deviceKey(_ key: String) -> String { "device:" + key }
    public static func destinationKey(_ address: String) -> String { "dest:" + address }
    public static func edgeKey(device: String, address: String) -> String { "edge:" + device + "|" + address }

    /// A name for a device: its host name, else its address, else its MAC.
    public static func label(_ device: IoTDevice) -> String { device.hostname ?? device.ip ?? device.mac ?? device.key }

    public init(_ snapshot: IoTMapSnapshot, grouping: IoTMapGrouping) {
        var destinationInfo: [String: Destination] = [:]
        var edgeInfo: [String: (device: String, address: String, bytes: UInt64, flows: Int, risk: Severity?, ports: [String])] = [:]
        var devicesPerDestination: [String: Set<String>] = [:]
        let known = Set(snapshot.devices.map(\.key))
        for destination in snapshot.destinations where known.contains(destination.deviceKey) {
            var info = destinationInfo[destination.remoteIP] ?? Destination(
                address: destination.remoteIP, country: destination.country, provider: destination.provider, consensus: destination.consensus,
                bytes: 0, flows: 0, risk: nil, devices: 0, position: .zero, mapKey: Self.destinationKey(destination.remoteIP))
            info.bytes &+= destination.bytes
            info.flows += destination.flows
            info.risk = [info.risk, destination.risk].compactMap { $0 }.max()
            info.country = info.country ?? destination.country
            info.provider = info.provider ?? destination.provider
            info.consensus = info.consensus ?? destination.consensus
            destinationInfo[destination.remoteIP] = info
            devicesPerDestination[destination.remoteIP, default: []].insert(destination.deviceKey)
            let key = Self.edgeKey(device: destination.deviceKey, address: destination.remoteIP)
            var edge = edgeInfo[key] ?? (destination.deviceKey, destination.remoteIP, 0, 0, nil, [])
            edge.bytes &+= destination.bytes
            edge.flows += destination.flows
            edge.risk = [edge.risk, destination.risk].compactMap { $0 }.max()
            edge.ports.append("\(destination.remotePort)/\(destination.transport)")
            edgeInfo[key] = edge
        }
        for anomaly in snapshot.anomalies {
            anomaliesByEdge[Self.edgeKey(device: anomaly.deviceKey, address: anomaly.remoteIP), default: []].append(anomaly)
        }
        let destinationGroup: (Destination) -> String = { destination in
            switch grouping {
            case .country: destination.country ?? ""
            case .provider: destination.provider ?? ""
            }
        }
        layout = IoTMapLayout.compute(devices: snapshot.devices.map { IoTMapLayout.DeviceInput(key: $0.key, firstSeen: $0.firstSeen) },
                                      destinations: destinationInfo.values.map { IoTMapLayout.DestinationInput(key: $0.address, group: destinationGroup($0)) })
        for device in snapshot.devices.sorted(by: { $0.key < $1.key }) {
            deviceIndex[device.key] = devices.count
            devices.append(Device(key: device.key, label: Self.label(device), type: device.deviceType, online: device.online, device: device,
                                  position: layout.devices[device.key] ?? .zero, mapKey: Self.deviceKey(device.key)))
        }
        for address in destinationInfo.keys.sorted() {
            var destination = destinationInfo[address]!
            destination.devices = devicesPerDestination[address]?.count ?? 0
            destination.position = layout.destinations[address] ?? .zero
            destinationIndex[address] = destinations.count
            destinations.append(destination)
        }
        // Quiet edges first, risky ones last: drawn on top.
        let ordered = edgeInfo.sorted { a, b in
            (a.value.risk.map { $0.rank + 1 } ?? 0, a.key) < (b.value.risk.map { $0.rank + 1 } ?? 0, b.key)
        }
        for (key, edge) in ordered {
            guard let device = deviceIndex[edge.device], let destination = destinationIndex[edge.address] else { continue }
            edgeIndex[key] = edges.count
            edges.append(Edge(device: device, destination: destination, bytes: edge.bytes, flows: edge.flows, risk: edge.risk,
                              ports: edge.ports.sorted(), mapKey: key))
        }
    }
}

extension Severity {
    var rank: Int { self == .low ? 0 : self == .medium ? 1 : 2 }
}

/// What is selected on the map (by key, so a refresh keeps it).
public enum IoTMapSelection: Equatable, Sendable {
    case device(String)
    case destination(String)
    case edge(device: String, address: String)

    /// From a map key ("device:…", "dest:…", "edge:…|…").
    public init?(mapKey: String) {
        if mapKey.hasPrefix("device:") {
            self = .device(String(mapKey.dropFirst(7)))
        } else if mapKey.hasPrefix("dest:") {
            self = .destination(String(mapKey.dropFirst(5)))
        } else if mapKey.hasPrefix("edge:"), let bar = mapKey.lastIndex(of: "|") {
            self = .edge(device: String(mapKey[mapKey.index(mapKey.startIndex, offsetBy: 5)..<bar]), address: String(mapKey[mapKey.index(after: bar)...]))
        } else {
            return nil
        }
    }

    public var mapKey: String {
        switch self {
        case let .device(key): IoTMapGraph.deviceKey(key)
        case let .destination(address): IoTMapGraph.destinationKey(address)
        case let .edge(device, address): IoTMapGraph.edgeKey(device: device, address: address)
        }
    }
}

/// The IoT map without any UI: loads the inventory, destinations and anomalies from the store on
/// a worker (at start, every `refreshInterval` seconds, after Refresh, after a LAN discovery and
/// after a type change), correlating on the way the flow history rows not seen before (finished
/// flows of the window's capture, the daemon, capture-window jobs) and, for the view only, the
/// window capture's flows still open. UI thread only.
public final class IoTMapModel {
    public private(set) var snapshot = IoTMapSnapshot.empty
    public private(set) var graph = IoTMapGraph()
    /// Bumps with every new snapshot or grouping (tables and the map rebuild on it).
    public private(set) var generation = 0
    public var grouping = IoTMapGrouping.country {
        didSet { if grouping != oldValue { rebuildGraph() } }
    }
    public var selection: IoTMapSelection?
    /// The last load's failure (shown above the map until the next load succeeds).
    public private(set) var loadError: String?
    /// Something the map works without but the user should know (no MAC vendor registry).
    public private(set) var notice: String?
    public var refreshInterval: Double = 30
    public var announcementSaveInterval: Double = 5
    private var lastAnnouncementSave: Double?
    public let hasStore: Bool

    let database: NetScouterDatabase?
    let capture: CaptureController?
    let enricher: AddressEnricher
    private let loader: BackgroundTask<LoadRequest, Never, Loaded>
    private var lastRefreshAt: Double?
    private var loadedOnce = false
    struct CaptureState: Equatable {
        var session: ObjectIdentifier?
        var capturing: Bool
    }
    private var lastCaptureState: CaptureState?
    /// Type overrides not yet saved. Every load carries all of them: loads coalesce (only the
    /// latest waiting request runs), so a change asked for while one runs is never dropped.
    private var pendingTypeChanges: [TypeChange] = []

    struct TypeChange: Sendable, Equatable {
        let key: String
        /// nil: back to what the rules say.
        let type: DeviceType?
    }

    struct LoadRequest: Sendable {
        var liveFlows: [OutboundFlow]
        /// The flows were captured here: this machine's own are not a LAN device's.
        var excludeThisHost: Bool
        /// Type overrides to save first, oldest first.
        var typeChanges: [TypeChange]
        /// The graph is built on the worker too (tens of milliseconds for thousands of edges).
        var grouping: IoTMapGrouping
        /// Announcements the window's capture saw, to add to the inventory (and save) first.
        var observations: [DeviceObservation] = []
        /// The number after the last of `observations` (announcements are numbered in arrival order).
        var observationsThrough = 0
    }

    struct Loaded: Sendable {
        var snapshot: IoTMapSnapshot
        var graph: IoTMapGraph
        var grouping: IoTMapGrouping
        var typeChanges: [TypeChange]
        var notice: String?
        /// How many of the model's unsaved announcements this load saved.
        /// The announcements this load saved: those numbered below this (see `unsavedBase`).
        var savedThrough = 0
    }

    /// Loaded once on the worker: the MAC vendor registry and the rule files.
    final class Resources: @unchecked Sendable {
        var loaded = false
        var vendors: MACVendors?
        var typeRules = DeviceTypeRules.builtIn
        var riskRules = IoTRiskRules.builtIn
        var notice: String?
    }

    public init(database: NetScouterDatabase?, capture: CaptureController?, enricher: AddressEnricher, inbox: UIInbox, toasts: ToastCenter?) {
        self.database = database
        self.capture = capture
        self.enricher = enricher
        hasStore = database != nil
        let resources = Resources()
        loader = BackgroundTask("iot-map", policy: .coalesce, inbox: inbox, toasts: toasts) { request, _ in
            let snapshot = try database.map { try Self.load(request, database: $0, enricher: enricher, resources: resources) } ?? .empty
            return Loaded(snapshot: snapshot, graph: IoTMapGraph(snapshot, grouping: request.grouping), grouping: request.grouping,
                          typeChanges: request.typeChanges, notice: resources.notice, savedThrough: request.observationsThrough)
        }
    }

    public var isLoading: Bool { loader.isRunning }

    /// Shows `snapshot` (tests, the benchmark, and every finished load).
    public func install(_ snapshot: IoTMapSnapshot) {
        install(snapshot, graph: IoTMapGraph(snapshot, grouping: grouping))
    }

    private func install(_ snapshot: IoTMapSnapshot, graph: IoTMapGraph) {
        self.snapshot = snapshot
        loadedOnce = true
        self.graph = graph
        generation += 1
        if let selection, !contains(selection) { self.selection = nil }
    }

    private func rebuildGraph() {
        graph = IoTMapGraph(snapshot, grouping: grouping)
        generation += 1
        if let selection, !contains(selection) { self.selection = nil }
    }

    func contains(_ selection: IoTMapSelection) -> Bool {
        switch selection {
        case let .device(key): graph.deviceIndex[key] != nil
        case let .destination(address): graph.destinationIndex[address] != nil
        case let .edge(device, address): graph.edgeIndex[IoTMapGraph.edgeKey(device: device, address: address)] != nil
        }
    }

    /// Called every frame the map shows (tab or kiosk): loads at first sight, then every
    /// `refreshInterval` seconds.
    public func tick(now: Double) {
        guard hasStore else { return }
        // A capture started, or one ended and its last packets were drained (a file read to its
        // end): its flows change the picture.
        let captureState = capture.map { CaptureState(session: $0.session.map(ObjectIdentifier.init), capturing: $0.isCapturing || ($0.session?.ring.count ?? 0) > 0) }
        let captureChanged = captureState != lastCaptureState
        lastCaptureState = captureState
        if !captureChanged, let last = lastRefreshAt, now - last < refreshInterval { return }
        lastRefreshAt = now
        refresh()
    }

    /// While the map is not on screen: device announcements the window's capture collected are
    /// saved every `announcementSaveInterval` seconds (at once when 1,000 wait), so a session
    /// that never opens the map still fills the inventory and the collector never overflows.
    public func saveAnnouncementsIfDue(now: Double) {
        guard hasStore, let capture, !loader.isRunning else { return }
        let waiting = capture.announcements.count
        guard waiting > 0 else { return }
        if waiting < 1_000, let last = lastAnnouncementSave, now - last < announcementSaveInterval { return }
        lastAnnouncementSave = now
        refresh()
    }

    /// Loads again now (Refresh, a finished discovery).
    public func refresh() {
        let (flows, live) = liveFlows()
        let observations = takeAnnouncements()
        start(LoadRequest(liveFlows: flows, excludeThisHost: live, typeChanges: pendingTypeChanges, grouping: grouping,
                          observations: observations, observationsThrough: unsavedBase + observations.count))
    }

    /// Announcements drained from the window's capture and not yet saved by a load: each load
    /// carries all of them (a newer load may replace a pending one), and a finished load removes
    /// the ones it saved. Ingesting one twice only refreshes what it already said.
    private var unsavedAnnouncements: [DeviceObservation] = []
    /// The number of `unsavedAnnouncements[0]`: a load says up to which number it saved, so
    /// trimming or newer arrivals while it ran never make it forget the wrong ones.
    private var unsavedBase = 0
    /// At most this many are kept while loads fail (a store that cannot be written).
    private let maxUnsavedAnnouncements = 50_000

    private func takeAnnouncements() -> [DeviceObservation] {
        if let capture {
            unsavedAnnouncements += capture.announcements.drain()
            if unsavedAnnouncements.count > maxUnsavedAnnouncements {
                let excess = unsavedAnnouncements.count - maxUnsavedAnnouncements
                unsavedAnnouncements.removeFirst(excess)
                unsavedBase += excess
            }
        }
        return unsavedAnnouncements
    }

    /// A discovery saved new sightings: show them.
    public func discoveryFinished() { refresh() }

    /// Overrides a device's type (nil: back to what the rules say), saved, then reloaded.
    public func setType(_ type: DeviceType?, for key: String) {
        pendingTypeChanges.removeAll { $0.key == key }
        pendingTypeChanges.append(TypeChange(key: key, type: type))
        refresh()
    }

    private func start(_ request: LoadRequest) {
        guard hasStore else { return }
        loader.start(request) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(loaded):
                loadError = nil
                notice = loaded.notice
                settle(loaded.typeChanges)
                let saved = max(0, min(loaded.savedThrough - unsavedBase, unsavedAnnouncements.count))
                unsavedAnnouncements.removeFirst(saved)
                unsavedBase += saved
                // Regrouped while it loaded: the graph is rebuilt for the grouping now in force.
                install(loaded.snapshot, graph: loaded.grouping == grouping ? loaded.graph : IoTMapGraph(loaded.snapshot, grouping: grouping))
            case let .failure(error):
                loadError = error.userText
                // Not asked again with every later load: the error says what to do.
                settle(request.typeChanges)
                return .unhandled
            case .cancelled: break
            }
            return .shown
        }
    }

    /// Forgets the changes a finished load carried, unless asked again with another type since.
    private func settle(_ changes: [TypeChange]) {
        pendingTypeChanges.removeAll { changes.contains($0) }
    }

    /// The window capture's flows the store does not have: a live capture's open flows (its
    /// finished ones reach the flow history and are correlated from there, once), or every flow
    /// of a capture file (files are not kept in the history). Shown, never saved.
    func liveFlows() -> (flows: [OutboundFlow], live: Bool) {
        guard let capture, let session = capture.session else { return ([], false) }
        var flows: [OutboundFlow] = []
        let add: (FlowStats) -> Void = { flow in
            if let outbound = OutboundFlow(flow), outbound.isExternal { flows.append(outbound) }
        }
        if case .file = session.source {
            capture.traffic.flows.forEachFlow(add)
            return (flows, false)
        }
        guard capture.isCapturing else { return ([], true) }
        capture.traffic.flows.forEach(add)
        return (flows, true)
    }

    static func load(_ request: LoadRequest, database: NetScouterDatabase, enricher: AddressEnricher, resources: Resources) throws -> IoTMapSnapshot {
        if !resources.loaded {
            // A broken rules file fails the load with its message (as `netscouter iot` does):
            // classifying with the built-in rules instead would save types the user did not ask for.
            resources.typeRules = try DeviceTypeRules.load().rules
            resources.riskRules = try IoTRiskRules.load().rules
            do {
                resources.vendors = try MACVendors()
            } catch {
                resources.notice = "No MAC vendors: \(error)"
            }
            resources.loaded = true
        }
        let engine = try IoTEngine(database: database, classifier: DeviceClassifier(rules: resources.typeRules), vendors: resources.vendors,
                                   rules: resources.riskRules, enricher: enricher)
        for change in request.typeChanges {
            guard engine.inventory.setUserType(change.type, for: change.key) else {
                throw UserError("The device \(change.key) is no longer in the inventory", remedy: "Refresh the map and pick it again.")
            }
        }
        for observation in request.observations { engine.inventory.ingest(observation) }
        try engine.correlateStoredFlows()
        try engine.save()
        // Open flows count in what is shown, never in what is saved: the engine is dropped here.
        if !request.liveFlows.isEmpty {
            engine.correlator.correlate(request.liveFlows, inventory: engine.inventory, excluding: request.excludeThisHost ? IoTEngine.thisHostsAddresses() : [])
        }
        return IoTMapSnapshot(devices: engine.inventory.sorted, destinations: engine.correlator.sortedDestinations,
                              anomalies: engine.correlator.sortedAnomalies, liveFlows: request.liveFlows.count, loadedAt: Date())
    }

    /// The inventory and anomalies as `netscouter iot export` writes them.
    public func exportDocument(at time: Date = Date()) -> IoTExportDocument {
        IoTExportDocument(generatedAt: time, devices: snapshot.devices, anomalies: snapshot.anomalies)
    }

    public var hasLoaded: Bool { loadedOnce }
}
