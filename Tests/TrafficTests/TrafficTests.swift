import Packets
@testable import Traffic
import XCTest

private let second: Int64 = 1_000_000_000

/// A summary as the decoder would produce it, without going through bytes.
private func packet(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16,
                    _ transport: TransportProtocol = .tcp, flags: TCPFlags = [.ack], length: UInt32 = 100, at time: Int64) -> PacketSummary {
    var summary = PacketSummary()
    summary.timestamp = time
    summary.wireLength = length
    summary.capturedLength = length
    summary.source = IPAddress(source)!
    summary.destination = IPAddress(destination)!
    summary.network = summary.source.isIPv4 ? .ipv4 : .ipv6
    summary.sourcePort = sourcePort
    summary.destinationPort = destinationPort
    summary.transport = transport
    summary.ipProtocol = transport == .tcp ? 6 : transport == .udp ? 17 : transport == .icmp ? 1 : 58
    summary.tcpFlags = transport == .tcp ? flags : []
    return summary
}

final class OpenHashTableTests: XCTestCase {
    /// Random inserts and deletes checked against Dictionary: backward-shift deletion must never
    /// lose an entry that is still present, even with heavy collisions.
    func testMatchesDictionaryUnderRandomInsertAndRemove() {
        struct CollidingKey: TableKey, Hashable {
            var value: Int
            var tableHash: UInt64 { UInt64(value % 37) }  // many keys share a home slot
        }
        let table = OpenHashTable<CollidingKey, Int>(minimumCapacity: 16)
        var reference: [Int: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<40 {
            for _ in 0..<200 {
                let key = Int.random(in: 0..<2000, using: &generator)
                let (slot, _) = table.slot(forInserting: CollidingKey(value: key)) { 0 }
                table[slot: slot] += 1
                reference[key, default: 0] += 1
            }
            let cut = round % 5
            table.removeAll { key, _ in key.value % 5 == cut }
            reference = reference.filter { $0.key % 5 != cut }
            XCTAssertEqual(table.count, reference.count)
            for (key, value) in reference { XCTAssertEqual(table[CollidingKey(value: key)], value) }
        }
        var visited = 0
        table.forEach { key, value in visited += 1; XCTAssertEqual(reference[key.value], value) }
        XCTAssertEqual(visited, reference.count)
    }
}

final class FlowTableTests: XCTestCase {
    func testBothDirectionsMergeIntoOneFlowWithHandshakeStates() {
        let traffic = TrafficAggregator()
        let client = "192.168.1.10", server = "93.184.216.34"
        traffic.ingest(packet(client, 50000, server, 443, flags: [.syn], length: 74, at: 0))
        let key = FlowKey(packet(client, 50000, server, 443, at: 0))
        XCTAssertEqual(traffic.flows[key]?.tcpState, .synSent)
        traffic.ingest(packet(server, 443, client, 50000, flags: [.syn, .ack], length: 74, at: 1))
        XCTAssertEqual(traffic.flows[key]?.tcpState, .synReceived)
        traffic.ingest(packet(client, 50000, server, 443, flags: [.ack], length: 66, at: 2))
        XCTAssertEqual(traffic.flows[key]?.tcpState, .established)
        traffic.ingest(packet(server, 443, client, 50000, flags: [.ack, .psh], length: 1500, at: 3))
        traffic.ingest(packet(client, 50000, server, 443, flags: [.fin, .ack], length: 66, at: 4))
        XCTAssertEqual(traffic.flows[key]?.tcpState, .closing)
        traffic.ingest(packet(server, 443, client, 50000, flags: [.fin, .ack], length: 66, at: 5))

        XCTAssertEqual(traffic.flows.count, 1)
        let flow = try! XCTUnwrap(traffic.flows[key])
        XCTAssertEqual(flow.tcpState, .closed)
        XCTAssertEqual(flow.initiator, IPAddress(client))
        XCTAssertEqual(flow.initiatorPort, 50000)
        XCTAssertEqual(flow.responderPort, 443)
        XCTAssertEqual(flow.packetsForward, 3)
        XCTAssertEqual(flow.packetsReverse, 3)
        XCTAssertEqual(flow.bytesForward, 74 + 66 + 66)
        XCTAssertEqual(flow.bytesReverse, 74 + 1500 + 66)
        XCTAssertEqual(flow.firstSeen, 0)
        XCTAssertEqual(flow.lastSeen, 5)
    }

    func testFlowFirstSeenOnSynAckIsOrientedToTheRealClient() {
        let traffic = TrafficAggregator()
        traffic.ingest(packet("10.0.0.2", 22, "10.0.0.1", 40000, flags: [.syn, .ack], at: 0))
        let flow = try! XCTUnwrap(traffic.flows.all.first)
        XCTAssertEqual(flow.initiator, IPAddress("10.0.0.1"))
        XCTAssertEqual(flow.responderPort, 22)
        XCTAssertEqual(flow.packetsReverse, 1)
        XCTAssertEqual(traffic.hosts[IPAddress("10.0.0.2")!]?.ports, [22])
    }

    func testResetAndMidStreamStates() {
        let traffic = TrafficAggregator()
        traffic.ingest(packet("10.0.0.1", 1000, "10.0.0.2", 80, flags: [.ack, .psh], at: 0))
        XCTAssertEqual(traffic.flows.all.first?.tcpState, .established, "mid-stream pickup counts as established")
        traffic.ingest(packet("10.0.0.2", 80, "10.0.0.1", 1000, flags: [.rst], at: 1))
        XCTAssertEqual(traffic.flows.all.first?.tcpState, .reset)
    }

    func testUDPAndIPv6FlowsAreSeparateFromTCP() {
        let traffic = TrafficAggregator()
        traffic.ingest(packet("10.0.0.1", 5353, "10.0.0.2", 53, .udp, at: 0))
        traffic.ingest(packet("10.0.0.2", 53, "10.0.0.1", 5353, .udp, at: 1))
        traffic.ingest(packet("10.0.0.1", 5353, "10.0.0.2", 53, .tcp, at: 2))
        traffic.ingest(packet("2001:db8::1", 5353, "2001:db8::2", 53, .udp, at: 3))
        XCTAssertEqual(traffic.flows.count, 3)
        XCTAssertEqual(traffic.flows.all.filter { $0.transport == .udp }.map(\.totalPackets).sorted(), [1, 2])
    }

    func testIdleFlowsExpirePerTimeout() {
        var configuration = TrafficConfiguration()
        configuration.sweepInterval = 1 * second
        let traffic = TrafficAggregator(configuration: configuration)
        traffic.ingest(packet("10.0.0.1", 1, "10.0.0.2", 53, .udp, at: 0))              // other: 60 s
        traffic.ingest(packet("10.0.0.1", 2, "10.0.0.2", 80, flags: [.rst], at: 0))     // finished TCP: 10 s
        traffic.ingest(packet("10.0.0.1", 3, "10.0.0.2", 443, flags: [.ack], at: 0))    // active TCP: 300 s
        traffic.advanceClock(to: 30 * second)
        XCTAssertEqual(traffic.flows.count, 2, "the reset flow goes after 10 s")
        traffic.advanceClock(to: 90 * second)
        XCTAssertEqual(traffic.flows.count, 1, "UDP goes after 60 s")
        traffic.advanceClock(to: 400 * second)
        XCTAssertEqual(traffic.flows.count, 0)
        XCTAssertEqual(traffic.flows.expiredCount, 3)
    }

    func testCapEvictsTheLeastRecentFlows() {
        var configuration = TrafficConfiguration()
        configuration.maximumFlows = 800
        let traffic = TrafficAggregator(configuration: configuration)
        for index in 0..<5000 {
            traffic.ingest(packet("10.0.0.1", UInt16(1024 + index), "10.0.0.2", 80, .udp, at: Int64(index)))
        }
        XCTAssertLessThanOrEqual(traffic.flows.count, 800)
        XCTAssertGreaterThan(traffic.flows.evictedCount, 0)
        // The newest flows survive; the oldest are gone.
        let ports = Set(traffic.flows.all.map(\.initiatorPort))
        XCTAssertTrue(ports.contains(UInt16(1024 + 4999)))
        XCTAssertFalse(ports.contains(1024))
        XCTAssertEqual(traffic.totals.packets, 5000, "eviction never loses totals")
        // Evicted flows are finished, not forgotten.
        XCTAssertEqual(traffic.flows.history.count, traffic.flows.evictedCount)
        XCTAssertTrue(traffic.flows.history.all.allSatisfy { $0.endReason == .evicted })
        XCTAssertEqual(traffic.flowCounts.seen, 5000)
        XCTAssertEqual(traffic.flows.allIncludingFinished.count, 5000)
        XCTAssertEqual(Set(traffic.flows.allIncludingFinished.map(\.initiatorPort)).count, 5000)
    }
}

/// Flows that leave the live table keep their counters and say why they ended.
final class FlowHistoryTests: XCTestCase {
    private func sweepingEverySecond(historyLimit: Int? = nil) -> TrafficAggregator {
        var configuration = TrafficConfiguration()
        configuration.sweepInterval = 1 * second
        configuration.flowHistoryLimit = historyLimit
        return TrafficAggregator(configuration: configuration)
    }

    func testExpiredFlowsMoveToTheHistoryWithTheirReasonAndCounters() {
        let traffic = sweepingEverySecond()
        traffic.ingest(packet("10.0.0.1", 1, "10.0.0.2", 53, .udp, length: 70, at: 0))
        traffic.ingest(packet("10.0.0.2", 53, "10.0.0.1", 1, .udp, length: 130, at: 1))
        traffic.ingest(packet("10.0.0.1", 2, "10.0.0.2", 80, flags: [.syn], at: 0))
        traffic.ingest(packet("10.0.0.2", 80, "10.0.0.1", 2, flags: [.syn, .ack], at: 0))
        traffic.ingest(packet("10.0.0.1", 2, "10.0.0.2", 80, flags: [.fin, .ack], at: 1))
        traffic.ingest(packet("10.0.0.2", 80, "10.0.0.1", 2, flags: [.fin, .ack], at: 1))
        traffic.ingest(packet("10.0.0.1", 3, "10.0.0.2", 443, flags: [.ack], at: 0))
        traffic.advanceClock(to: 400 * second)
        XCTAssertEqual(traffic.flows.count, 0)
        let history = traffic.flows.history.all
        XCTAssertEqual(history.count, 3)
        let dns = try! XCTUnwrap(history.first { $0.responderPort == 53 })
        XCTAssertEqual(dns.endReason, .idle)
        XCTAssertEqual(dns.packetsForward, 1)
        XCTAssertEqual(dns.packetsReverse, 1)
        XCTAssertEqual(dns.bytesReverse, 130)
        XCTAssertEqual(history.first { $0.responderPort == 80 }?.endReason, .closed)
        XCTAssertEqual(history.first { $0.responderPort == 443 }?.endReason, .idle)
        XCTAssertEqual(traffic.flowCounts, FlowCounts(seen: 3, active: 0, finished: 3, expired: 3, evicted: 0, inMemory: 3))
        // They still count for top flows and reports.
        XCTAssertEqual(traffic.topFlows(1).first?.responderPort, 80, "4 packets of 100 bytes: the busiest")
    }

    func testFinishCaptureEndsOpenFlows() {
        let traffic = sweepingEverySecond()
        traffic.ingest(packet("10.0.0.1", 1, "10.0.0.2", 53, .udp, at: 0))
        traffic.ingest(packet("10.0.0.1", 3, "10.0.0.2", 443, flags: [.ack], at: 0))
        traffic.finishCapture()
        XCTAssertEqual(traffic.flows.count, 0)
        XCTAssertEqual(traffic.flows.history.all.map(\.endReason), [.captureEnded, .captureEnded])
        XCTAssertEqual(traffic.flowCounts.seen, 2)
        XCTAssertEqual(traffic.flowCounts.finished, 2)
    }

    /// Wireshark's rule: a SYN with another initial sequence number on the same ports is a new
    /// connection; a retransmitted SYN (same number) is not.
    func testSynWithANewSequenceNumberStartsANewFlow() {
        let traffic = sweepingEverySecond()
        func syn(_ sequence: UInt32, at time: Int64) -> PacketSummary {
            var summary = packet("10.0.0.1", 40000, "10.0.0.2", 80, flags: [.syn], at: time)
            summary.tcpSequence = sequence
            return summary
        }
        traffic.ingest(syn(1000, at: 0))
        traffic.ingest(syn(1000, at: 1))  // retransmission
        XCTAssertEqual(traffic.flows.count, 1)
        XCTAssertEqual(traffic.flows.history.count, 0)
        traffic.ingest(packet("10.0.0.2", 80, "10.0.0.1", 40000, flags: [.rst, .ack], at: 1))
        traffic.ingest(syn(5000, at: 2))  // a new connection on the same ports
        XCTAssertEqual(traffic.flows.count, 1)
        XCTAssertEqual(traffic.flows.history.count, 1)
        XCTAssertEqual(traffic.flows.history.all.first?.endReason, .closed)
        XCTAssertEqual(traffic.flows.history.all.first?.totalPackets, 3)
        XCTAssertEqual(traffic.flows.all.first?.totalPackets, 1)
        XCTAssertEqual(traffic.flows.all.first?.tcpState, .synSent)
        traffic.ingest(syn(9000, at: 3))  // replaced while still opening
        XCTAssertEqual(traffic.flows.history.all.last?.endReason, .reused)
        XCTAssertEqual(traffic.flowCounts.seen, 3)
    }

    final class CollectingSink: FinishedFlowSink {
        var batches: [[FlowStats]] = []
        func store(_ flows: [FlowStats]) { batches.append(flows) }
    }

    /// With a memory limit the history keeps the newest flows in a ring, and the sink gets every
    /// finished flow, in batches, exactly once.
    func testMemoryLimitKeepsTheNewestAndTheSinkGetsEveryFlow() {
        let traffic = sweepingEverySecond(historyLimit: 100)
        let sink = CollectingSink()
        traffic.flows.history.sink = sink
        for index in 0..<10_000 {
            // One short UDP flow per millisecond: each expires 60 s later.
            traffic.ingest(packet("10.1.\(index / 250).\(index % 250)", 5000, "10.0.0.2", 53, .udp, at: Int64(index) * 1_000_000))
        }
        traffic.finishCapture()
        XCTAssertEqual(traffic.flows.history.count, 100)
        XCTAssertEqual(traffic.flows.history.finishedCount, 10_000)
        XCTAssertEqual(traffic.flows.history.droppedFromMemory, 9_900)
        let stored = sink.batches.flatMap { $0 }
        XCTAssertEqual(stored.count, 10_000)
        XCTAssertEqual(Set(stored.map(\.initiator)).count, 10_000, "each flow stored once")
        XCTAssertTrue(sink.batches.allSatisfy { $0.count <= traffic.flows.history.batchSize })
        // The ring holds the 100 that finished last, oldest first.
        let kept = traffic.flows.history.all
        XCTAssertEqual(kept.map(\.initiator), stored.suffix(100).map(\.initiator))
    }
}

final class HostTableTests: XCTestCase {
    func testHostsCountBothDirectionsAndServicePorts() {
        let traffic = TrafficAggregator()
        var first = packet("192.168.1.5", 40000, "192.168.1.1", 53, .udp, length: 80, at: 10)
        first.sourceMAC = MACAddress("aa:bb:cc:00:00:05")!
        traffic.ingest(first)
        traffic.ingest(packet("192.168.1.1", 53, "192.168.1.5", 40000, .udp, length: 200, at: 20))
        traffic.ingest(packet("192.168.1.5", 40001, "192.168.1.1", 80, flags: [.syn], length: 60, at: 30))
        let client = try! XCTUnwrap(traffic.hosts[IPAddress("192.168.1.5")!])
        XCTAssertEqual(client.packetsSent, 2)
        XCTAssertEqual(client.bytesSent, 140)
        XCTAssertEqual(client.packetsReceived, 1)
        XCTAssertEqual(client.bytesReceived, 200)
        XCTAssertEqual(client.firstSeen, 10)
        XCTAssertEqual(client.lastSeen, 30)
        XCTAssertEqual(client.mac, MACAddress("aa:bb:cc:00:00:05"))
        XCTAssertEqual(client.ports, [], "ephemeral client ports are not services")
        XCTAssertEqual(traffic.hosts[IPAddress("192.168.1.1")!]?.ports.sorted(), [53, 80])
    }

    func testHostCapEvictsLeastRecent() {
        var configuration = TrafficConfiguration()
        configuration.maximumHosts = 100
        let traffic = TrafficAggregator(configuration: configuration)
        for index in 0..<1000 {
            traffic.ingest(packet("10.1.\(index / 256).\(index % 256)", 1, "10.0.0.1", 80, .udp, at: Int64(index)))
        }
        XCTAssertLessThanOrEqual(traffic.hosts.count, 100)
        XCTAssertNotNil(traffic.hosts[IPAddress("10.0.0.1")!], "the busiest, most recent host stays")
        XCTAssertNil(traffic.hosts[IPAddress("10.1.0.0")!])
    }

    func testTopTalkersAreOrderedByBytes() {
        let traffic = TrafficAggregator()
        for (index, size) in [300, 100, 900, 500].enumerated() {
            traffic.ingest(packet("10.0.0.\(index + 1)", 1, "172.16.0.1", 80, .udp, length: UInt32(size), at: 0))
        }
        let top = traffic.topTalkers(3).map(\.address.description)
        XCTAssertEqual(top, ["172.16.0.1", "10.0.0.3", "10.0.0.4"])
        XCTAssertEqual(traffic.topFlows(1).first?.initiator, IPAddress("10.0.0.3"))
    }

    func testARPRecordsOnlyTheSender() {
        let traffic = TrafficAggregator()
        var arp = PacketSummary()
        arp.network = .arp
        arp.arpOperation = 1
        arp.source = IPAddress("192.168.1.7")!
        arp.destination = IPAddress("192.168.1.99")!
        arp.wireLength = 42
        traffic.ingest(arp)
        XCTAssertNotNil(traffic.hosts[IPAddress("192.168.1.7")!])
        XCTAssertNil(traffic.hosts[IPAddress("192.168.1.99")!], "an ARP target may not exist")
        XCTAssertEqual(traffic.flows.count, 0)
        XCTAssertEqual(traffic.totals.packets(.arp), 1)
    }
}

final class RateHistoryTests: XCTestCase {
    func testPerSecondPerProtocolCountsAndWindow() {
        let traffic = TrafficAggregator()
        let base: Int64 = 1_700_000_000 * second
        for index in 0..<10 { traffic.ingest(packet("10.0.0.1", 1, "10.0.0.2", 2, .udp, length: 100, at: base + Int64(index) * second / 10)) }
        for index in 0..<4 { traffic.ingest(packet("10.0.0.1", 1, "10.0.0.2", 3, .tcp, length: 1000, at: base + second + Int64(index))) }
        traffic.ingest(packet("10.0.0.1", 1, "10.0.0.2", 3, .icmp, length: 64, at: base + 3 * second))

        let rates = traffic.rates
        XCTAssertEqual(rates.latestSecond, 1_700_000_003)
        XCTAssertEqual(rates.value(at: 1_700_000_000, protocolClass: .udp), 10)
        XCTAssertEqual(rates.value(at: 1_700_000_000, protocolClass: .udp, metric: .bytes), 1000)
        XCTAssertEqual(rates.value(at: 1_700_000_001, protocolClass: .tcp), 4)
        XCTAssertEqual(rates.value(at: 1_700_000_001), 4)
        XCTAssertEqual(rates.value(at: 1_700_000_002), 0)
        let series = rates.series(seconds: 60)
        XCTAssertEqual(series.count, 60)
        XCTAssertEqual(Array(series.suffix(4)), [10, 4, 0, 1])
        XCTAssertEqual(series.reduce(0, +), 15)
    }

    func testHourWindowForgetsOlderSecondsAndAdvanceZeroes() {
        let rates = RateHistory(capacity: 3600)
        rates.record(second: 100, protocolClass: .tcp, bytes: 10)
        rates.advance(to: 100 + 3599)
        XCTAssertEqual(rates.value(at: 100, protocolClass: .tcp), 1, "still inside the hour")
        rates.advance(to: 100 + 3600)
        XCTAssertEqual(rates.value(at: 100, protocolClass: .tcp), 0, "an hour later it is gone")
        rates.record(second: 50, protocolClass: .tcp, bytes: 10)
        XCTAssertEqual(rates.tooOldCount, 1)
        // A bucket reused after wrapping starts from zero.
        rates.record(second: 100 + 3600 + 3600, protocolClass: .udp, bytes: 1)
        XCTAssertEqual(rates.value(at: 100 + 7200), 1)
    }
}

/// The memory bound in the README rests on these sizes: keep them true.
final class FlowMemoryLayoutTests: XCTestCase {
    func testFlowSizesBehindTheReadmeBound() {
        let slot = 1 + MemoryLayout<FlowKey>.stride + MemoryLayout<FlowStats>.stride
        print("FlowMemoryLayoutTests: FlowKey \(MemoryLayout<FlowKey>.stride) B, FlowStats \(MemoryLayout<FlowStats>.stride) B, slot \(slot) B")
        XCTAssertLessThanOrEqual(slot, 210, "a live-table slot")
        XCTAssertLessThanOrEqual(MemoryLayout<FlowStats>.stride, 170, "a finished flow in the history")
    }
}
