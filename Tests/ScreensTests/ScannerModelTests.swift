import Foundation
import Jobs
import NetScouterTestSupport
import Packets
import Scan
import Screens
import Store
import UI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on `address`:`port` made inside a network namespace (or this process's own
/// when `namespace` is nil, port 0 = the kernel picks one). Connections complete in the backlog.
final class ScanTestListener {
    let descriptor: Int32
    let port: UInt16

    init(namespace: String?, address: IPAddress = IPAddress("127.0.0.1")!, port: UInt16 = 0, listening: Bool = true) throws {
        let make: @Sendable () throws -> Int32 = {
            let descriptor = socket(address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw TestNetworkError("socket: \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = SocketAddress.with(address, port: port) { bind(descriptor, $0, $1) }
            guard bound == 0, !listening || listen(descriptor, 512) == 0 else {
                let message = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw TestNetworkError("listen on [\(address)]:\(port): \(message)")
            }
            return descriptor
        }
        let made: Int32
        if let namespace { made = try NetworkNamespace.run(in: namespace, make) } else { made = try make() }
        descriptor = made
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(made, $0, &length) } }
        self.port = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }
}

/// A LAN in namespaces: a "switch" namespace with a bridge, the scanner's namespace with
/// `lan0` (SUBNET.1/24) and `peers` namespaces each with a MAC the test chose. Returns the
/// scanner's namespace and each peer's address with its MAC.
func buildTestLAN(_ network: TestNetwork, subnet: String, peers: Int) throws -> (scanner: String, peers: [String: String]) {
    let lan = try network.add("sw"), scanner = try network.add("scan")
    try network.veth("lan0", in: scanner, addresses: ["\(subnet).1/24"], mac: "02:aa:00:00:00:01", "port0", in: lan)
    var expected: [String: String] = [:]
    var ports = ["port0"]
    for index in 0..<peers {
        let peer = try network.add("p\(index)")
        let mac = String(format: "02:bb:00:00:00:%02x", index + 1), address = "\(subnet).\(20 + index * 9)"
        try network.veth("eth0", in: peer, addresses: ["\(address)/24"], mac: mac, "port\(index + 1)", in: lan)
        ports.append("port\(index + 1)")
        expected[address] = mac
    }
    try network.bridge("br0", in: lan, attach: ports)
    return (scanner, expected)
}

/// Runs `inbox.drain()` (what a frame does first) until `condition` holds; bounded, never timed.
@discardableResult
func drain(_ inbox: UIInbox, upTo rounds: Int = 5000, until condition: () -> Bool) -> Bool {
    for _ in 0..<rounds {
        inbox.drain()
        if condition() { return true }
        usleep(2000)
    }
    return condition()
}

/// The Scanner tab's model without any UI: input checks, scans through `BackgroundTask` with
/// results streamed as progress, the store, connections and LAN discovery. Scans go only to
/// loopback ports the test owns or into namespaces it creates.
final class ScannerModelTests: XCTestCase {
    private var fixture: ServicesFixture!
    private var network: TestNetwork?

    override func setUpWithError() throws {
        fixture = try ServicesFixture()
    }

    override func tearDown() {
        network?.remove()
        fixture.tearDown()
    }

    private func model() -> (ScannerModel, UIInbox, ToastCenter) {
        let inbox = UIInbox(), toasts = ToastCenter()
        return (ScannerModel(database: fixture.database, inbox: inbox, toasts: toasts), inbox, toasts)
    }

    private func parserMessage(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch { return String(describing: error) }
    }

    func testInputChecksShowTheParsersOwnMessages() throws {
        let (model, _, _) = model()
        XCTAssertNil(model.targetCheck.message, "an empty field is not an error yet")
        XCTAssertEqual(model.startBlocker, "Enter a target: an address, host name, CIDR block or range.")
        XCTAssertFalse(model.startScan())

        for bad in ["10.0.0.300", "10.0.0.5-2", "10.0.0.0/33", "2001:db8::zz", "10.0.0.1,,10.0.0.2", "bad_name!", "10.0.0.0/8"] {
            model.targetText = bad
            let expected = parserMessage { try TargetParser(hostLimit: ScannerModel.hostLimit).parse(bad) }
            XCTAssertNotNil(expected, bad)
            XCTAssertEqual(model.targetCheck.message, expected, bad)
            XCTAssertEqual(model.startBlocker, expected)
            XCTAssertFalse(model.startScan())
            XCTAssertFalse(model.isScanning)
        }
        model.targetText = "10.0.0.0/24, 192.168.1.1-3"
        XCTAssertEqual(model.targetCheck, ScannerModel.InputCheck(count: 259, message: nil))
        model.targetText = "example.org"
        XCTAssertEqual(model.targetCheck.count, 1, "a host name is checked for its form; it resolves when the scan starts")

        for bad in ["", "0", "70000", "90-80", "22,,80", "nosuchservice", "1-2-3"] {
            model.portsText = bad
            let expected = parserMessage { try PortParser().parse(bad) }
            XCTAssertNotNil(expected, bad)
            XCTAssertEqual(model.portsCheck.message, expected, bad)
            XCTAssertEqual(model.startBlocker, expected)
        }
        model.portsText = "top 0"
        XCTAssertEqual(model.portsCheck.message, "top 0 is out of range: give a count from 1 to 65535 (e.g. top 100 or top 1000).")
        model.portsText = "top lots"
        XCTAssertEqual(model.portsCheck.message, "\"top lots\" is not a top-ports preset: write top and a count, e.g. top 100.")

        // The presets: the field's text and what it names.
        for (preset, count) in zip(ScannerModel.presets, [100, 1000, 65535]) {
            model.portsText = preset.ports
            XCTAssertEqual(model.portsCheck, ScannerModel.InputCheck(count: count, message: nil), preset.title)
        }
        model.portsText = "top 100"
        XCTAssertEqual(try ScannerModel.parsePorts(model.portsText), try PortParser.top(100))
        XCTAssertNil(model.startBlocker)

        // A /16 with every port would keep billions of results: refused with what to do.
        model.targetText = "10.1.0.0/16"
        model.portsText = "-"
        XCTAssertEqual(model.startBlocker, "65,536 hosts × 65,535 ports is 4,294,901,760 probes, more than the 4,000,000 one scan here holds: "
                       + "scan fewer hosts or fewer ports at a time (e.g. a /24 with the top 1000 ports).")
        XCTAssertFalse(model.startScan())
        model.targetText = "10.1.0.0/24"
        model.portsText = "top 1000"
        XCTAssertNil(model.startBlocker)
    }

    /// Two listeners and a bound-but-not-listening socket of this test on 127.0.0.1: the ports
    /// stream in as progress reports, open ones shown, and the scan is saved as the port-scan job
    /// saves it (open ports only unless all states are asked for).
    func testScanStreamsResultsAndSavesThemInTheStore() throws {
        let (model, inbox, _) = model()
        let open = [try ScanTestListener(namespace: nil), try ScanTestListener(namespace: nil)]
        let closed = try ScanTestListener(namespace: nil, listening: false)
        defer { (open + [closed]).forEach { $0.close() } }
        model.targetText = "127.0.0.1"
        model.portsText = "\(open[0].port),\(closed.port),\(open[1].port)"
        var reports = 0
        XCTAssertTrue(model.startScan())
        XCTAssertTrue(model.isScanning)
        XCTAssertTrue(model.hasPendingWork)
        XCTAssertFalse(model.startScan(), "one scan at a time")
        XCTAssertTrue(drain(inbox) {
            if model.progress != nil { reports += 1 }
            return !model.isScanning
        })
        XCTAssertGreaterThan(reports, 0)
        XCTAssertNil(model.lastError)
        let states = Dictionary(uniqueKeysWithValues: model.results.map { ($0.port, $0.state) })
        XCTAssertEqual(states, [open[0].port: .open, open[1].port: .open, closed.port: .closed])
        XCTAssertEqual(Set(model.shownResults.map(\.port)), Set(open.map(\.port)))
        XCTAssertEqual(model.progress?.done, 3)
        XCTAssertEqual(model.progress?.total, 3)
        XCTAssertEqual(model.progress?.open, 2)
        XCTAssertEqual(model.scannedHosts.map(\.address), [IPAddress("127.0.0.1")!])
        let summary = try XCTUnwrap(model.lastSummary)
        XCTAssertTrue(summary.hasPrefix("1 host, 3 ports: 2 open, 1 closed, 0 filtered"), summary)
        XCTAssertEqual(model.statusText, summary)

        let store = ScanStore(database: fixture.database)
        let scanID = try XCTUnwrap(model.savedScanID)
        let saved = try XCTUnwrap(try store.scan(id: scanID))
        XCTAssertEqual(saved.kind, ScanRecords.portScanKind)
        XCTAssertEqual(saved.target, "127.0.0.1")
        XCTAssertEqual(saved.status, "finished")
        XCTAssertEqual(saved.summary, summary)
        XCTAssertEqual(Set(try store.results(forScan: scanID).map(\.port)), Set(open.map { Int($0.port) }))

        // All states: the table shows the closed port too, and the store keeps it.
        model.showAllStates = true
        XCTAssertEqual(model.shownResults.count, 3)
        XCTAssertTrue(model.startScan())
        XCTAssertTrue(model.results.isEmpty, "a new scan starts with no rows")
        XCTAssertTrue(drain(inbox) { !model.isScanning })
        let second = try XCTUnwrap(model.savedScanID)
        XCTAssertNotEqual(second, scanID)
        XCTAssertEqual(try store.results(forScan: second).map(\.state).sorted(), ["closed", "open", "open"])
    }

    /// A target whose name does not resolve fails on the worker with the resolver's message:
    /// shown in the tab and as a toast, and nothing is saved.
    func testAFailedScanSaysWhy() throws {
        let (model, inbox, toasts) = model()
        model.targetText = "no-such-host.invalid"
        model.portsText = "80"
        XCTAssertTrue(model.startScan())
        XCTAssertTrue(drain(inbox) { !model.isScanning })
        let error = try XCTUnwrap(model.lastError)
        XCTAssertTrue(error.contains("Cannot resolve the host name \"no-such-host.invalid\""), error)
        XCTAssertEqual(model.statusText, "Scan failed: " + error)
        XCTAssertTrue(toasts.pending.contains { $0.message.contains("no-such-host.invalid") })
        XCTAssertEqual(try ScanStore(database: fixture.database).recent().count, 0)
    }

    /// Cancel inside a namespace whose firewall drops most ports: the scan stops long before its
    /// timeouts, the ports decided so far stay, and the store says it was cancelled.
    func testCancelKeepsTheRowsAndSavesACancelledScan() throws {
        let network: TestNetwork
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        self.network = network
        let namespace = try network.add("scm")
        try network.dropOpeningSYNs(toPorts: "1000-65535", in: namespace)
        let listener = try ScanTestListener(namespace: namespace, port: 222)
        defer { listener.close() }
        let (model, inbox, _) = model()
        model.networkNamespace = namespace
        model.concurrency = 100
        model.timeoutMilliseconds = 5000
        model.targetText = "127.0.0.1"
        model.portsText = "-"
        XCTAssertTrue(model.startScan())
        XCTAssertTrue(drain(inbox) { (model.progress?.done ?? 0) >= 999 && !model.shownResults.isEmpty },
                      "ports below 1000 answer at once (the open one after its banner wait)")
        XCTAssertEqual(model.shownResults.map(\.port), [222])
        XCTAssertTrue(model.isScanning, "the dropped ports wait for their timeouts")
        let status = try XCTUnwrap(model.statusText)
        XCTAssertTrue(status.hasPrefix("Scanning 127.0.0.1: "), status)
        XCTAssertTrue(status.contains("/ 65,535 ports · 1 open"), status)
        model.cancelScan()
        XCTAssertTrue(model.cancelRequested)
        XCTAssertTrue(drain(inbox) { !model.isScanning })
        XCTAssertEqual(model.shownResults.map(\.port), [222], "the rows stay")
        XCTAssertLessThan(model.results.count, 65535)
        let summary = try XCTUnwrap(model.lastSummary)
        XCTAssertTrue(summary.hasPrefix("Cancelled: 1 host, "), summary)
        let scanID = try XCTUnwrap(model.savedScanID)
        let store = ScanStore(database: fixture.database)
        XCTAssertEqual(try store.scan(id: scanID)?.status, "cancelled")
        XCTAssertEqual(try store.results(forScan: scanID).map(\.port), [222])
    }

    /// This test's own listener and connection appear with this process as their owner; a
    /// remote address prefills the port scan's target.
    func testConnectionsListThisProcessSockets() throws {
        let (model, inbox, _) = model()
        let listener = try ScanTestListener(namespace: nil)
        defer { listener.close() }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        XCTAssertEqual(SocketAddress.with(IPAddress("127.0.0.1")!, port: listener.port) { connect(client, $0, $1) }, 0)
        model.view = .connections
        model.refreshConnectionsIfDue(now: 0)
        XCTAssertTrue(model.hasPendingWork, "read on a worker")
        XCTAssertTrue(drain(inbox) { model.connectionsLoaded })
        let mine = model.connections.filter { $0.transport == .tcp && ($0.localPort == listener.port || $0.remotePort == listener.port) }
        XCTAssertEqual(mine.count, 3, "the listener and both ends of the connection: \(mine)")
        // The server end waits in the accept queue: no descriptor of any process holds it yet.
        let owned = mine.filter { $0.state == "LISTEN" || $0.remotePort == listener.port }
        XCTAssertEqual(owned.count, 2, "\(mine)")
        XCTAssertEqual(mine.filter { $0.inode == 0 }.map(\.process), [nil])
        for entry in owned {
            XCTAssertEqual(entry.process?.pid, getpid(), "\(entry)")
            XCTAssertEqual(entry.process?.executable, Bundle.main.executableURL?.resolvingSymlinksInPath().path)
        }
        let outgoing = try XCTUnwrap(mine.first { $0.remotePort == listener.port })
        XCTAssertEqual(outgoing.state, "ESTABLISHED")

        // Refreshes come at the interval, not every frame.
        let generation = model.connectionsGeneration
        model.refreshConnectionsIfDue(now: 0.5)
        XCTAssertFalse(model.isReadingConnections)
        model.refreshConnectionsIfDue(now: model.connectionsInterval + 0.1)
        XCTAssertTrue(model.isReadingConnections)
        XCTAssertTrue(drain(inbox) { model.connectionsGeneration > generation })

        model.prefill(target: outgoing.remote.description)
        XCTAssertEqual(model.view, .portScan)
        XCTAssertEqual(model.targetText, "127.0.0.1")
    }

    /// With a namespace set, the socket table is that namespace's: its listener shows, this
    /// process's sockets outside it do not.
    func testConnectionsOfANamespace() throws {
        let network: TestNetwork
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        self.network = network
        let namespace = try network.add("conn")
        let inside = try ScanTestListener(namespace: namespace, port: 4242)
        let outside = try ScanTestListener(namespace: nil)
        defer { inside.close(); outside.close() }
        let (model, inbox, _) = model()
        model.networkNamespace = namespace
        model.refreshConnections()
        XCTAssertTrue(drain(inbox) { model.connectionsLoaded })
        let listening = model.connections.filter { $0.state == "LISTEN" }
        XCTAssertEqual(listening.map(\.localPort), [4242])
        XCTAssertEqual(listening.first?.process?.pid, getpid())
    }

    /// LAN discovery inside namespaces: the interface list is read there on a worker, the
    /// sweep finds every peer with its MAC, and the discovery is saved.
    func testLanDiscoveryFindsThePeersOfAChosenInterface() throws {
        let network: TestNetwork
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        self.network = network
        let (scanner, expected) = try buildTestLAN(network, subnet: "10.81.0", peers: 3)

        let (model, inbox, _) = model()
        model.networkNamespace = scanner
        model.reverseDNS = false
        XCTAssertFalse(model.discover(), "no interface picked yet")
        model.refreshInterfaces()
        XCTAssertTrue(model.isReadingInterfaces)
        XCTAssertTrue(drain(inbox) { model.interfacesLoaded })
        XCTAssertEqual(Set(model.interfaces.map(\.name)), ["lo", "lan0"])
        XCTAssertEqual(model.pickedInterface?.name, "lan0", "a real interface is picked before loopback")
        XCTAssertTrue(model.discover())
        XCTAssertTrue(model.isDiscovering)
        XCTAssertTrue(drain(inbox) { !model.isDiscovering })
        XCTAssertNil(model.lanError)
        XCTAssertEqual(model.lanWarnings, [])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: model.lanHosts.map { ($0.address.description, $0.mac?.description ?? "none") }), expected)
        let summary = try XCTUnwrap(model.lanSummary)
        XCTAssertTrue(summary.hasPrefix("3 hosts up on lan0 (10.81.0.1/24)"), summary)
        let saved = try XCTUnwrap(try ScanStore(database: fixture.database).recent().first)
        XCTAssertEqual(saved.kind, ScanRecords.discoveryKind)
        XCTAssertEqual(saved.target, "lan0")
        XCTAssertEqual(try ScanStore(database: fixture.database).results(forScan: saved.id!).map(\.address).sorted(), expected.keys.sorted())
    }

    func testProgressTextAndSettings() {
        XCTAssertEqual(ScannerModel.progressText(ScanProgress(done: 450, total: 1000, open: 3, portsPerSecond: 1234.4, secondsRemaining: 1.2)),
                       "450 / 1,000 ports · 3 open · 1,234 ports/s · ETA 2 s")
        XCTAssertEqual(ScannerModel.progressText(ScanProgress(done: 10, total: 65535, open: 0, portsPerSecond: 100, secondsRemaining: 655)),
                       "10 / 65,535 ports · 0 open · 100 ports/s · ETA 10 min 55 s")
        XCTAssertEqual(ScannerModel.progressText(ScanProgress(done: 5, total: 5, open: 1, portsPerSecond: 50, secondsRemaining: 0)),
                       "5 / 5 ports · 1 open · 50 ports/s")
        let (model, _, _) = model()
        var settings = AppSettings()
        settings.scanTimeoutMilliseconds = 300
        settings.scanConcurrency = 64
        model.apply(settings)
        XCTAssertEqual(model.timeoutMilliseconds, 300)
        XCTAssertEqual(model.concurrency, 64)
        XCTAssertNil(model.statusText, "nothing to say before a scan: the capture status shows")
    }
}
