import Foundation
@testable import IoT
import Packets
import XCTest

/// The capture-thread side of passive feeding: frames in, observations out on `drain()`, bounded.
final class AnnouncementCollectorTests: XCTestCase {
    func feed(_ collector: AnnouncementCollector, _ frame: [UInt8], at seconds: Int64 = 1_764_000_000) {
        frame.withUnsafeBytes { collector.captured($0, linkType: .ethernet, timestamp: seconds * 1_000_000_000) }
    }

    func testAnnouncementsAreKeptUntilDrainedAndOtherFramesIgnored() throws {
        let collector = AnnouncementCollector()
        let mac = try XCTUnwrap(MACAddress("58:cb:52:aa:00:01")), ip = IPAddress(192, 168, 5, 9)
        feed(collector, AnnouncementFrames.mdnsAnnouncement(mac: mac, ip: ip, service: "_googlecast._tcp", instance: Array("TV".utf8),
                                                            host: [Array("lounge".utf8)]))
        feed(collector, AnnouncementFrames.arp(mac: try XCTUnwrap(MACAddress("44:47:cc:aa:00:02")), ip: IPAddress(192, 168, 5, 10)))
        // Ordinary traffic announces nothing.
        feed(collector, FrameBuilder.ethernetIP(from: .init(ip, 40_000), to: .init(IPAddress(1, 1, 1, 1), 443), transport: .tcp, tcpFlags: [.syn],
                                                sourceMAC: mac, destinationMAC: MACAddress(value: 2)))
        XCTAssertEqual(collector.count, 2)
        let observations = collector.drain()
        XCTAssertEqual(observations.map(\.source), [.mdns, .arp])
        XCTAssertEqual(observations.first?.mac, mac)
        XCTAssertEqual(observations.first?.hostname, "lounge")
        XCTAssertEqual(observations.first?.time, Date(timeIntervalSince1970: 1_764_000_000))
        XCTAssertEqual(collector.count, 0)
        XCTAssertTrue(collector.drain().isEmpty)
    }

    func testAFloodBeyondTheCapacityIsCountedNotKept() throws {
        let collector = AnnouncementCollector(capacity: 5)
        for index in 0..<8 {
            feed(collector, AnnouncementFrames.arp(mac: MACAddress(value: 0x02_00_00_00_00_10 + UInt64(index)), ip: IPAddress(10, 0, 0, UInt8(index + 2))))
        }
        XCTAssertEqual(collector.count, 5)
        XCTAssertEqual(collector.dropped, 3)
        XCTAssertEqual(collector.drain().count, 5)
    }
}
