import Export
import Foundation
import Packets
import Traffic
import XCTest

final class TrafficExportsTests: XCTestCase {
    private let start: Int64 = 1_700_000_000_123_000_000  // 2023-11-14T22:13:20.123Z
    private let client = IPAddress(10, 0, 0, 1), server = IPAddress(10, 0, 0, 2), resolver = IPAddress(10, 0, 0, 3)
    private let clientMAC = MACAddress(value: 0x02_00_00_00_00_01), serverMAC = MACAddress(value: 0x02_00_00_00_00_02)

    /// A TCP handshake with data, a DNS query, a ping and an ARP request, 1 ms apart.
    private func summaries() -> [PacketSummary] {
        let web = FrameBuilder.Endpoint(server, 443), browser = FrameBuilder.Endpoint(client, 40000)
        let frames: [[UInt8]] = [
            FrameBuilder.ethernetIP(from: browser, to: web, transport: .tcp, tcpFlags: [.syn], sourceMAC: clientMAC, destinationMAC: serverMAC),
            FrameBuilder.ethernetIP(from: web, to: browser, transport: .tcp, tcpFlags: [.syn, .ack], sourceMAC: serverMAC, destinationMAC: clientMAC),
            FrameBuilder.ethernetIP(from: browser, to: web, transport: .tcp, tcpFlags: [.ack, .psh], payload: [UInt8](repeating: 1, count: 100),
                                    sourceMAC: clientMAC, destinationMAC: serverMAC),
            FrameBuilder.ethernetIP(from: FrameBuilder.Endpoint(client, 5353), to: FrameBuilder.Endpoint(resolver, 53), transport: .udp,
                                    payload: [UInt8](repeating: 2, count: 20), sourceMAC: clientMAC, destinationMAC: serverMAC),
            FrameBuilder.ethernetIP(from: FrameBuilder.Endpoint(client, 0), to: FrameBuilder.Endpoint(resolver, 0), transport: .icmp,
                                    sourceMAC: clientMAC, destinationMAC: serverMAC),
            FrameBuilder.ethernet(source: clientMAC, destination: .broadcast, etherType: 0x0806,
                                  payload: FrameBuilder.arp(operation: 1, senderMAC: clientMAC, senderIP: client, targetMAC: .zero, targetIP: server)),
        ]
        return frames.enumerated().map { index, frame in
            PacketDecoder.decode(frame, linkType: .ethernet, timestamp: start + Int64(index) * 1_000_000)
        }
    }

    private func aggregator() -> TrafficAggregator {
        let traffic = TrafficAggregator()
        for summary in summaries() { traffic.ingest(summary) }
        return traffic
    }

    func testFlowsFromAnAggregatorMostBytesFirst() {
        let table = TrafficExports.flows(from: aggregator())
        XCTAssertEqual(table.columns.map(\.key), ["protocol", "initiator", "initiator_port", "responder", "responder_port", "state", "end",
                                                  "packets_forward", "packets_reverse", "bytes_forward", "bytes_reverse", "first_seen", "last_seen"])
        XCTAssertEqual(table.rows, [
            ["TCP", "10.0.0.1", .unsigned(40000), "10.0.0.2", .unsigned(443), "ESTABLISHED", "active", .unsigned(2), .unsigned(1),
             .unsigned(54 + 154), .unsigned(54), "2023-11-14T22:13:20.123Z", "2023-11-14T22:13:20.125Z"],
            ["UDP", "10.0.0.1", .unsigned(5353), "10.0.0.3", .unsigned(53), nil, "active", .unsigned(1), .unsigned(0),
             .unsigned(62), .unsigned(0), "2023-11-14T22:13:20.126Z", "2023-11-14T22:13:20.126Z"],
            ["ICMP", "10.0.0.1", nil, "10.0.0.3", nil, nil, "active", .unsigned(1), .unsigned(0),
             .unsigned(42), .unsigned(0), "2023-11-14T22:13:20.127Z", "2023-11-14T22:13:20.127Z"],
        ])
    }

    func testRowsExportInTheOrderGiven() {
        let traffic = aggregator()
        let shown = traffic.flows.all.sorted { $0.totalBytes < $1.totalBytes }  // as a GUI table sorted ascending
        XCTAssertEqual(TrafficExports.flows(shown).rows.map { $0[0] }, ["ICMP", "UDP", "TCP"])
        let hosts = traffic.hosts.all.sorted { $0.address > $1.address }
        XCTAssertEqual(TrafficExports.hosts(hosts).rows.map { $0[0] }, ["10.0.0.3", "10.0.0.2", "10.0.0.1"])
    }

    func testHostsFromAnAggregator() {
        let table = TrafficExports.hosts(from: aggregator())
        XCTAssertEqual(table.columns.map(\.key), ["address", "mac", "packets_sent", "packets_received", "bytes_sent", "bytes_received",
                                                  "ports", "first_seen", "last_seen"])
        XCTAssertEqual(table.rows, [
            ["10.0.0.1", "02:00:00:00:00:01", .unsigned(5), .unsigned(1), .unsigned(54 + 154 + 62 + 42 + 42), .unsigned(54), [],
             "2023-11-14T22:13:20.123Z", "2023-11-14T22:13:20.128Z"],
            ["10.0.0.2", "02:00:00:00:00:02", .unsigned(1), .unsigned(2), .unsigned(54), .unsigned(208), [.unsigned(443)],
             "2023-11-14T22:13:20.123Z", "2023-11-14T22:13:20.125Z"],
            ["10.0.0.3", nil, .unsigned(0), .unsigned(2), .unsigned(0), .unsigned(104), [.unsigned(53)],
             "2023-11-14T22:13:20.126Z", "2023-11-14T22:13:20.127Z"],
        ])
    }

    func testPackets() {
        let table = TrafficExports.packets(summaries())
        XCTAssertEqual(table.columns.map(\.key), ["time", "source", "source_port", "destination", "destination_port", "protocol",
                                                  "length", "tcp_flags", "info"])
        XCTAssertEqual(table.rows, [
            ["2023-11-14T22:13:20.123000Z", "10.0.0.1", .unsigned(40000), "10.0.0.2", .unsigned(443), "TCP", .unsigned(54), "SYN", "40000 → 443 [SYN]"],
            ["2023-11-14T22:13:20.124000Z", "10.0.0.2", .unsigned(443), "10.0.0.1", .unsigned(40000), "TCP", .unsigned(54), "SYN,ACK", "443 → 40000 [SYN,ACK]"],
            ["2023-11-14T22:13:20.125000Z", "10.0.0.1", .unsigned(40000), "10.0.0.2", .unsigned(443), "TCP", .unsigned(154), "ACK,PSH", "40000 → 443 [ACK,PSH]"],
            ["2023-11-14T22:13:20.126000Z", "10.0.0.1", .unsigned(5353), "10.0.0.3", .unsigned(53), "UDP", .unsigned(62), nil, "5353 → 53"],
            ["2023-11-14T22:13:20.127000Z", "10.0.0.1", nil, "10.0.0.3", nil, "ICMP", .unsigned(42), nil, "type 8 code 0"],
            ["2023-11-14T22:13:20.128000Z", "10.0.0.1", nil, "10.0.0.2", nil, "ARP", .unsigned(42), nil, "Who has 10.0.0.2? Tell 10.0.0.1"],
        ])
    }

    /// The same aggregates through all three formats, read back by the tools users have.
    func testHostsRoundTripThroughCSVAndNDJSON() throws {
        let folder = try TemporaryFolder("traffic")
        defer { folder.remove() }
        let table = TrafficExports.hosts(from: aggregator())

        let csv = folder.file("hosts.csv")
        try Exporter.write(table, format: .csv, to: csv, kind: "hosts")
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("/usr/bin/python3 is missing.") }
        let rows = try ExternalTool.json(try ExternalTool.output(python, ["-c", "import csv,sys,json; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))", csv])) as? [[String]]
        XCTAssertEqual(rows?.first, ["Address", "MAC", "Packets sent", "Packets received", "Bytes sent", "Bytes received", "Ports",
                                     "First seen (UTC)", "Last seen (UTC)"])
        XCTAssertEqual(rows?[3], ["10.0.0.3", "", "0", "2", "0", "104", "53", "2023-11-14T22:13:20.126Z", "2023-11-14T22:13:20.127Z"])

        let jq = try ExternalTool.locate("jq", package: "jq")
        let ndjson = folder.file("hosts.ndjson")
        try Exporter.write(table, format: .ndjson, to: ndjson, kind: "hosts")
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", "-s", "map([.address, .mac, .ports])", ndjson]),
                       "[[\"10.0.0.1\",\"02:00:00:00:00:01\",[]],[\"10.0.0.2\",\"02:00:00:00:00:02\",[443]],[\"10.0.0.3\",null,[53]]]\n")
    }
}
