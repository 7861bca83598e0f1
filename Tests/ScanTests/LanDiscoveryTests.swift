import Foundation
import NetScouterTestSupport
import Packets
@testable import Scan
import XCTest

/// A LAN in namespaces: a "switch" namespace with a bridge, the scanner and several peers each
/// attached by a veth pair with a MAC chosen by the test.
final class LanDiscoveryTests: XCTestCase {
    private var network: TestNetwork!

    override func setUpWithError() throws {
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
    }

    override func tearDown() {
        network?.remove()
    }

    /// Builds the LAN; returns the scanner's namespace and the peers' addresses with their MACs.
    static func buildLAN(_ network: TestNetwork, subnet: String, peers: Int, prefix: Int = 24) throws -> (scanner: String, peers: [String: String]) {
        let lan = try network.add("sw")
        let scanner = try network.add("scan")
        try network.veth("lan0", in: scanner, addresses: ["\(subnet).1/\(prefix)"], mac: "02:aa:00:00:00:01",
                         "port0", in: lan)
        var ports = ["port0"]
        var expected: [String: String] = [:]
        for index in 0..<peers {
            let peer = try network.add("p\(index)")
            let mac = String(format: "02:bb:00:00:%02x:%02x", index / 256, index % 256 + 1)
            // Peers spread over the subnet, not only at its start.
            let address = "\(subnet).\(10 + index * 7)"
            try network.veth("eth0", in: peer, addresses: ["\(address)/\(prefix)"], mac: mac, "port\(index + 1)", in: lan)
            ports.append("port\(index + 1)")
            expected[address] = mac
        }
        try network.bridge("br0", in: lan, attach: ports)
        return (scanner, expected)
    }

    func testARPSweepFindsEveryPeerWithItsMAC() throws {
        let (scanner, expected) = try Self.buildLAN(network, subnet: "10.80.0", peers: 6)
        var options = DiscoveryOptions()
        options.reverseDNS = false
        let discovery = LanDiscovery(interface: "lan0", options: options)
        let result = try NetworkNamespace.run(in: scanner) { try discovery.run() }
        XCTAssertEqual(result.warnings, [])
        XCTAssertEqual(result.interface.address.description, "10.80.0.1")
        XCTAssertEqual(result.interface.prefixLength, 24)
        XCTAssertEqual(result.interface.mac.description, "02:aa:00:00:00:01")
        let found = Dictionary(uniqueKeysWithValues: result.hosts.map { ($0.address.description, $0.mac?.description ?? "none") })
        XCTAssertEqual(found, expected)
        for host in result.hosts {
            XCTAssertTrue(host.sources.contains(.arp), "\(host.address) answered ARP")
            XCTAssertTrue(host.sources.contains(.icmp), "\(host.address) answered the echo")
            XCTAssertNotNil(host.rttMilliseconds)
        }
    }

    /// Without ARP (as without CAP_NET_RAW) the echo replies and the kernel's neighbour table
    /// still find every peer with its MAC.
    func testEchoAndNeighbourTableAloneFindPeers() throws {
        let (scanner, expected) = try Self.buildLAN(network, subnet: "10.81.0", peers: 3)
        var options = DiscoveryOptions()
        options.arp = false
        options.reverseDNS = false
        let discovery = LanDiscovery(interface: "lan0", options: options)
        let result = try NetworkNamespace.run(in: scanner) { try discovery.run() }
        let found = Dictionary(uniqueKeysWithValues: result.hosts.map { ($0.address.description, $0.mac?.description ?? "none") })
        XCTAssertEqual(found, expected)
        XCTAssertTrue(result.hosts.allSatisfy { $0.sources == [.icmp, .neighbour] }, "\(result.hosts.map(\.sources))")
    }

    func testRefusalsSayWhatToDo() throws {
        let namespace = try network.add("big")
        let other = try network.add("big2")
        try network.veth("wide0", in: namespace, addresses: ["10.0.0.1/8"], "wide1", in: other)
        XCTAssertThrowsError(try NetworkNamespace.run(in: namespace) { try LanDiscovery(interface: "wide0").run() }) { error in
            XCTAssertEqual("\(error)", "wide0's subnet 10.0.0.1/8 holds 16777216 addresses; sweeps larger than a /16 need --allow-large (they take long and flood the network).")
        }
        XCTAssertThrowsError(try NetworkNamespace.run(in: namespace) { try LanDiscovery(interface: "nosuch0").run() }) { error in
            XCTAssertTrue("\(error)".hasPrefix("No interface \"nosuch0\": choose one of lo, wide0"), "\(error)")
        }
        XCTAssertThrowsError(try NetworkNamespace.run(in: other) { try LanDiscovery(interface: "wide1").run() }) { error in
            XCTAssertEqual("\(error)", "Interface wide1 has no IPv4 address, so there is no subnet to sweep: choose an interface with an IPv4 address.")
        }
    }

    func testSweepAddresses() {
        let interface = InterfaceAddress(name: "x", index: 1, mac: .zero, address: IPAddress("192.168.5.9")!, prefixLength: 29)
        XCTAssertEqual(interface.sweepAddresses.map(\.description), ["192.168.5.10", "192.168.5.11", "192.168.5.12", "192.168.5.13", "192.168.5.14"])
    }
}
