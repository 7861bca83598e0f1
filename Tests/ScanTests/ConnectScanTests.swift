import Foundation
import NetScouterTestSupport
import Packets
@testable import Scan
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Connect scans against listeners in network namespaces the tests create: nothing else listens
/// there, so every port's expected state is known.
final class ConnectScanTests: XCTestCase {
    private var network: TestNetwork!

    override func setUpWithError() throws {
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
    }

    override func tearDown() {
        network?.remove()
    }

    /// Full 65,535-port scans of 127.0.0.1 and ::1 inside a fresh namespace: the listeners are
    /// open, every other port closed, none filtered. IPv4 with one epoll loop and with two (threads
    /// started from the namespace's thread), IPv6 with the default; either way the callbacks run
    /// on the calling thread and each progress report counts exactly the results streamed so far.
    func testFullRangeLoopbackScanInNamespaceIPv4AndIPv6() throws {
        let namespace = try network.add("lo")
        let listening: [UInt16] = [22, 80, 443, 8080, 65535]
        var listeners: [TestListener] = []
        defer { listeners.forEach { $0.close() } }
        for address in [IPAddress("127.0.0.1")!, IPAddress("::1")!] {
            for port in listening { listeners.append(try TestListener(namespace: namespace, address: address, port: port)) }
        }
        for (address, workers) in [(IPAddress("127.0.0.1")!, 1), (IPAddress("127.0.0.1")!, 2), (IPAddress("::1")!, 0)] {
            let scanner = ConnectScanner(hosts: [ScanHost(address: address)], ports: try PortParser().parse("-"),
                                         options: PortScanOptions(workers: workers))
            if workers == 2 && ProcessInfo.processInfo.activeProcessorCount >= 2 { XCTAssertEqual(scanner.workerCount, 2) }
            if workers == 1 { XCTAssertEqual(scanner.workerCount, 1) }
            final class Counter: @unchecked Sendable {
                var streamed = 0
                var progress: [ScanProgress] = []
                var offThread = 0
                var progressBehind = 0
            }
            let counter = Counter()
            let summary = try NetworkNamespace.run(in: namespace) {
                let caller = pthread_self()
                return try scanner.run(onResult: { _ in
                    counter.streamed += 1
                    if pthread_equal(pthread_self(), caller) == 0 { counter.offThread += 1 }
                }, onProgress: {
                    counter.progress.append($0)
                    if pthread_equal(pthread_self(), caller) == 0 { counter.offThread += 1 }
                    if $0.done != counter.streamed { counter.progressBehind += 1 }
                })
            }
            let label = "\(address), workers \(workers)"
            XCTAssertEqual(summary.results.count, 65535, label)
            XCTAssertEqual(counter.streamed, 65535, label)
            XCTAssertEqual(counter.offThread, 0, "callbacks on the calling thread, \(label)")
            XCTAssertEqual(counter.progressBehind, 0, "progress counts the results streamed, \(label)")
            XCTAssertEqual(summary.ports(.open, host: address), listening, "open on \(label)")
            XCTAssertEqual(summary.count(.closed), 65535 - listening.count, "closed on \(label)")
            XCTAssertEqual(summary.count(.filtered), 0, label)
            XCTAssertEqual(Set(summary.results.map(\.port)).count, 65535, "every port exactly once, \(label)")
            XCTAssertTrue(summary.results.filter { $0.state != .filtered }.allSatisfy { $0.rttMilliseconds != nil })
            let last = try XCTUnwrap(counter.progress.last)
            XCTAssertEqual(last.done, 65535)
            XCTAssertEqual(last.total, 65535)
            XCTAssertEqual(last.open, listening.count)
            XCTAssertFalse(summary.cancelled)
        }
    }

    /// A namespace host whose nftables rules drop some ports and reject others with an ICMP
    /// "administratively prohibited": both are filtered; listeners open; the rest closed.
    func testFilteredPortsBehindNftablesIPv4AndIPv6() throws {
        let client = try network.add("client"), server = try network.add("server")
        try network.veth("sc0", in: client, addresses: ["10.77.0.1/24", "fd77::1/64"],
                         "sc1", in: server, addresses: ["10.77.0.2/24", "fd77::2/64"])
        try network.waitUntilReachable("10.77.0.2", from: client)
        try network.waitUntilReachable("fd77::2", from: client)
        try network.nft("""
            table inet scantest {
                chain input {
                    type filter hook input priority 0; policy accept;
                    tcp dport { 443, 9000 } drop
                    tcp dport { 8080, 9001 } reject with icmpx type admin-prohibited
                }
            }
            """, in: server)
        var listeners: [TestListener] = []
        defer { listeners.forEach { $0.close() } }
        let v4 = IPAddress("10.77.0.2")!, v6 = IPAddress("fd77::2")!
        for address in [v4, v6] {
            for port: UInt16 in [22, 80, 443, 8080] { listeners.append(try TestListener(namespace: server, address: address, port: port)) }
        }
        let ports = try PortParser().parse("1-1024,8080,9000-9002")
        var options = PortScanOptions(timeoutMilliseconds: 400, retries: 1)
        options.minimumTimeoutMilliseconds = 100
        let scanner = ConnectScanner(hosts: [ScanHost(address: v4), ScanHost(address: v6)], ports: ports, options: options)
        let summary = try NetworkNamespace.run(in: client) { try scanner.run() }
        XCTAssertEqual(summary.results.count, 2 * ports.count)
        for address in [v4, v6] {
            XCTAssertEqual(summary.ports(.open, host: address), [22, 80], "open on \(address)")
            XCTAssertEqual(summary.ports(.filtered, host: address), [443, 8080, 9000, 9001], "filtered on \(address)")
            XCTAssertEqual(summary.ports(.closed, host: address).count, ports.count - 6, "closed on \(address)")
            let reasons = Dictionary(uniqueKeysWithValues: summary.results.filter { $0.host.address == address }.map { ($0.port, $0.reason) })
            XCTAssertEqual(reasons[443], "timeout")
            XCTAssertEqual(reasons[9000], "timeout")
            if address.isIPv4 {
                // The ICMP unreachable decides at once, without waiting for the timeout.
                XCTAssertEqual(reasons[8080], "host-unreachable")
                XCTAssertEqual(reasons[9001], "host-unreachable")
            }
            XCTAssertEqual(reasons[1], "reset")
        }
        // Linux reports an ICMPv6 "administratively prohibited" to a connecting socket only with
        // the SYN's first retransmission (about 1 s), after the adapted timeout above has already
        // called those ports filtered. With a fixed 1.5 s wait the ICMPv6 error itself decides.
        var patient = PortScanOptions(timeoutMilliseconds: 1500, retries: 0)
        patient.minimumTimeoutMilliseconds = 1500
        let patientScanner = ConnectScanner(hosts: [ScanHost(address: v6)], ports: [8080, 9001], options: patient)
        let icmpv6 = try NetworkNamespace.run(in: client) {
            try patientScanner.run()
        }
        XCTAssertEqual(icmpv6.results.map(\.state), [.filtered, .filtered])
        XCTAssertEqual(icmpv6.results.map(\.reason), ["admin-prohibited", "admin-prohibited"])
    }

    func testBannersAreReadAndSanitised() throws {
        let namespace = try network.add("banner")
        let raw: [UInt8] = Array("SSH-2.0-Test\r\n".utf8) + [0x1B] + Array("[2Jgone".utf8) + [0xC3, 0x28, 0x00]
        let withBanner = try TestListener(namespace: namespace, address: IPAddress("127.0.0.1")!, port: 2222, banner: raw)
        let silent = try TestListener(namespace: namespace, address: IPAddress("127.0.0.1")!, port: 2223)
        defer { withBanner.close(); silent.close() }
        var options = PortScanOptions(grabBanners: true)
        options.bannerTimeoutMilliseconds = 300
        let scanner = ConnectScanner(hosts: [ScanHost(address: IPAddress("127.0.0.1")!)], ports: [2222, 2223, 2224], options: options)
        let summary = try NetworkNamespace.run(in: namespace) { try scanner.run() }
        let byPort = Dictionary(uniqueKeysWithValues: summary.results.map { ($0.port, $0) })
        XCTAssertEqual(byPort[2222]?.state, .open)
        XCTAssertEqual(byPort[2222]?.banner, "SSH-2.0-Test\\r\\n\\x1b[2Jgone\u{FFFD}(\\x00")
        XCTAssertEqual(byPort[2223]?.state, .open)
        XCTAssertNil(byPort[2223]?.banner)
        XCTAssertEqual(byPort[2224]?.state, .closed)
    }

    /// Cancel stops a scan of dropped ports long before its timeouts would end it; the ports
    /// decided so far stay in the summary.
    func testCancelStopsTheScanAndKeepsResults() throws {
        let client = try network.add("cc"), server = try network.add("cs")
        try network.veth("cc0", in: client, addresses: ["10.78.0.1/24"], "cc1", in: server, addresses: ["10.78.0.2/24"])
        try network.nft("""
            table inet t {
                chain input {
                    type filter hook input priority 0;
                    tcp dport 1000-2000 drop
                }
            }
            """, in: server)
        let scanner = ConnectScanner(hosts: [ScanHost(address: IPAddress("10.78.0.2")!)], ports: Array(1...2000),
                                     options: PortScanOptions(timeoutMilliseconds: 10_000, retries: 3, concurrency: 1500))
        let started = Date()
        let summary = try NetworkNamespace.run(in: client) {
            try scanner.run(onProgress: { progress in if progress.done >= 999 { scanner.cancel() } })
        }
        XCTAssertTrue(summary.cancelled)
        XCTAssertEqual(summary.count(.closed), 999, "ports 1-999 answered with resets before the cancel")
        XCTAssertEqual(summary.count(.filtered), 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "cancel, not the 10 s timeouts, ended the scan")
    }

    /// The rate limit spaces new attempts: 300 ports at 1,000 per second cannot finish in under
    /// about 0.3 s; the concurrency setting is the number of slots used.
    func testRateLimitAndConcurrencySetting() throws {
        let namespace = try network.add("rate")
        let ports = Array(UInt16(1)...300)
        let limited = ConnectScanner(hosts: [ScanHost(address: IPAddress("127.0.0.1")!)], ports: ports,
                                     options: PortScanOptions(concurrency: 7, packetsPerSecond: 1000))
        let summary = try NetworkNamespace.run(in: namespace) { try limited.run() }
        XCTAssertEqual(summary.count(.closed), 300)
        XCTAssertEqual(summary.concurrency, 7)
        XCTAssertGreaterThanOrEqual(summary.elapsedSeconds, 0.29)
        // More than the open-file limit allows is cut to what the (raised) soft limit leaves.
        let bound = ConnectScanner.descriptorBound(wanted: 100_000_000)
        var limit = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit), 0)
        XCTAssertLessThan(bound, Int(limit.rlim_cur))
        XCTAssertGreaterThan(bound, 0)
        XCTAssertEqual(ConnectScanner.descriptorBound(wanted: 10), 10)
    }

    func testUnreachableNetworkIsFiltered() throws {
        let namespace = try network.add("nonet")
        // A namespace with only loopback has no route to 10.0.0.0/8: connect fails with
        // ENETUNREACH at once, which counts as filtered.
        let scanner = ConnectScanner(hosts: [ScanHost(address: IPAddress("10.79.0.1")!)], ports: [80])
        let summary = try NetworkNamespace.run(in: namespace) { try scanner.run() }
        XCTAssertEqual(summary.results.map(\.state), [.filtered])
        XCTAssertEqual(summary.results.first?.reason, "net-unreachable")
    }
}
