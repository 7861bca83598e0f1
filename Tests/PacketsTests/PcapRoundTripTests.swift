import Capture
import Foundation
import XCTest
@testable import Packets

/// A packet as read back from a file: its bytes, time in nanoseconds and wire length.
struct ReadPacket: Equatable {
    var bytes: [UInt8]
    var timestamp: Int64
    var wireLength: Int
}

/// Reads a whole file through Capture's `PcapHandle`.
func readAllWithPcapHandle(_ path: String) throws -> (linkType: LinkType, packets: [ReadPacket]) {
    let handle = try PcapHandle.openFile(path)
    var packets: [ReadPacket] = []
    while true {
        switch try handle.next() {
        case let .packet(bytes, timestamp, wireLength):
            packets.append(ReadPacket(bytes: Array(bytes), timestamp: timestamp, wireLength: wireLength))
        case .none:
            XCTFail("a file read returned .none")
            return (handle.linkType, packets)
        case .endOfStream:
            return (handle.linkType, packets)
        }
    }
}

/// PcapFileWriter → file → libpcap (through PcapHandle) → PacketDecoder.
final class PcapRoundTripTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("PacketsTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A varied set of frames: TCP/UDP/ICMP over IPv4 and IPv6, VLAN, ARP, plus the literals.
    private func sampleFrames() -> [[UInt8]] {
        let a4 = FrameBuilder.Endpoint(IPAddress(192, 168, 1, 20), 51000)
        let b4 = FrameBuilder.Endpoint(IPAddress(203, 0, 113, 9), 443)
        let a6 = FrameBuilder.Endpoint(IPAddress("2001:db8::20")!, 51001)
        let b6 = FrameBuilder.Endpoint(IPAddress("2001:db8::9")!, 53)
        return [
            FrameBuilder.ethernetIP(from: a4, to: b4, transport: .tcp, tcpFlags: [.syn]),
            FrameBuilder.ethernetIP(from: b4, to: a4, transport: .tcp, tcpFlags: [.syn, .ack], payload: Array("hello".utf8)),
            FrameBuilder.ethernetIP(from: a4, to: b4, transport: .udp, payload: [1, 2, 3]),
            FrameBuilder.ethernetIP(from: a4, to: b4, transport: .icmp),
            FrameBuilder.ethernetIP(from: a6, to: b6, transport: .udp, payload: Array(repeating: 0x61, count: 300)),
            FrameBuilder.ethernetIP(from: a6, to: b6, transport: .icmpv6),
            FrameBuilder.ethernet(source: MACAddress(value: 0x0200_0000_0001), destination: .broadcast, etherType: 0x0806,
                                  payload: FrameBuilder.arp(operation: 1, senderMAC: MACAddress(value: 0x0200_0000_0001),
                                                            senderIP: IPAddress(192, 168, 1, 20), targetMAC: .zero,
                                                            targetIP: IPAddress(192, 168, 1, 1))),
            FrameBuilder.ethernet(source: .zero, destination: .broadcast, etherType: 0x0800, vlanIDs: [42],
                                  payload: Array(Fixtures.ethernetIPv4TCP[14...])),
            Fixtures.ethernetIPv4TCP, Fixtures.ethernetQinQIPv6ICMPv6, Fixtures.ethernetIPv6ExtensionChainTCP,
            Fixtures.ethernetIPv4FirstFragment, Fixtures.ethernetIPv4MiddleFragment, Fixtures.ethernetARPReply,
        ]
    }

    private func assertRoundTrip(nanosecond: Bool, timestamps: [Int64], expectedTimestamps: [Int64],
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let frames = sampleFrames()
        let target = path(nanosecond ? "nano.pcap" : "micro.pcap")
        let writer = try PcapFileWriter(path: target, linkType: .ethernet, nanosecond: nanosecond)
        for (index, frame) in frames.enumerated() {
            // The last frame is written as if snaplen had cut it: 40 bytes of a 1,000-byte frame.
            if index == frames.count - 1 {
                try writer.write(Array(frame.prefix(40)), timestamp: timestamps[index], wireLength: 1000)
            } else {
                try writer.write(frame, timestamp: timestamps[index])
            }
        }
        XCTAssertEqual(writer.packetCount, frames.count, file: file, line: line)
        try writer.close()

        let (linkType, packets) = try readAllWithPcapHandle(target)
        XCTAssertEqual(linkType, .ethernet, file: file, line: line)
        XCTAssertEqual(packets.count, frames.count, file: file, line: line)
        for (index, packet) in packets.enumerated() where index < frames.count {
            let last = index == frames.count - 1
            let frame = last ? Array(frames[index].prefix(40)) : frames[index]
            XCTAssertEqual(packet.bytes, frame, "packet \(index) bytes", file: file, line: line)
            XCTAssertEqual(packet.timestamp, expectedTimestamps[index], "packet \(index) timestamp", file: file, line: line)
            XCTAssertEqual(packet.wireLength, last ? 1000 : frame.count, "packet \(index) wire length", file: file, line: line)

            let readBack = packet.bytes.withUnsafeBytes {
                PacketDecoder.decode($0, linkType: linkType, timestamp: packet.timestamp, wireLength: packet.wireLength)
            }
            let original = PacketDecoder.decode(frame, linkType: .ethernet, timestamp: expectedTimestamps[index],
                                                wireLength: last ? 1000 : frame.count)
            XCTAssertTrue(sameSummary(original, readBack), "packet \(index) decodes the same after the round trip",
                          file: file, line: line)
            XCTAssertEqual(readBack.flags.contains(.truncated), last, "packet \(index) truncated flag", file: file, line: line)
        }
        // Spot-check decoded fields, not just equality with a second decode.
        let syn = packets[0].bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, timestamp: 0, wireLength: $0.count) }
        XCTAssertEqual(syn.source, IPAddress(192, 168, 1, 20), file: file, line: line)
        XCTAssertEqual(syn.destinationPort, 443, file: file, line: line)
        XCTAssertEqual(syn.tcpFlags, [.syn], file: file, line: line)
        let vlan = packets[7].bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, timestamp: 0, wireLength: $0.count) }
        XCTAssertEqual(vlan.vlanID, 42, file: file, line: line)
        let cut = packets[frames.count - 1]
        let cutSummary = cut.bytes.withUnsafeBytes {
            PacketDecoder.decode($0, linkType: .ethernet, timestamp: cut.timestamp, wireLength: cut.wireLength)
        }
        XCTAssertEqual(cutSummary.capturedLength, 40, file: file, line: line)
        XCTAssertEqual(cutSummary.wireLength, 1000, file: file, line: line)
        XCTAssertEqual(cutSummary.network, .arp, file: file, line: line)
        XCTAssertEqual(cutSummary.flags, [.truncated, .malformed], "40 bytes cut the 42-byte ARP frame", file: file, line: line)
    }

    func testMicrosecondFileRoundTrip() throws {
        let count = sampleFrames().count
        // Microsecond-aligned times come back exactly.
        let timestamps = (0..<count).map { 1_700_000_000_000_000_000 + Int64($0) * 1_234_567_000 }
        try assertRoundTrip(nanosecond: false, timestamps: timestamps, expectedTimestamps: timestamps)
    }

    func testMicrosecondFileTruncatesNanoseconds() throws {
        let count = sampleFrames().count
        let timestamps = (0..<count).map { 1_700_000_000_123_456_789 + Int64($0) * 999_999_999 }
        let expected = timestamps.map { $0 / 1000 * 1000 }
        try assertRoundTrip(nanosecond: false, timestamps: timestamps, expectedTimestamps: expected)
    }

    func testNanosecondFileRoundTrip() throws {
        let count = sampleFrames().count
        let timestamps = (0..<count).map { 1_700_000_000_123_456_789 + Int64($0) * 1_000_000_001 }
        try assertRoundTrip(nanosecond: true, timestamps: timestamps, expectedTimestamps: timestamps)
    }

    func testFileHeaderIsByteExact() throws {
        let target = path("header.pcap")
        let writer = try PcapFileWriter(path: target, linkType: .ethernet)
        try writer.write([0xAA, 0xBB, 0xCC], timestamp: 1_000_000_002_000_003_000, wireLength: 60)
        try writer.close()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)))
        XCTAssertEqual(bytes, [
            0xD4, 0xC3, 0xB2, 0xA1,  // magic 0xA1B2C3D4 (microseconds), little-endian
            0x02, 0x00, 0x04, 0x00,  // version 2.4
            0x00, 0x00, 0x00, 0x00,  // thiszone
            0x00, 0x00, 0x00, 0x00,  // sigfigs
            0x00, 0x00, 0x04, 0x00,  // snaplen 262144
            0x01, 0x00, 0x00, 0x00,  // LINKTYPE_ETHERNET
            0x02, 0xCA, 0x9A, 0x3B,  // ts_sec 1,000,000,002
            0x03, 0x00, 0x00, 0x00,  // ts_usec 3
            0x03, 0x00, 0x00, 0x00,  // caplen 3
            0x3C, 0x00, 0x00, 0x00,  // len 60
            0xAA, 0xBB, 0xCC,        // packet data
        ])

        let nanoTarget = path("header-ns.pcap")
        let nanoWriter = try PcapFileWriter(path: nanoTarget, linkType: .linuxSLL2, snapLength: 65535, nanosecond: true)
        try nanoWriter.close()
        let nanoBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: nanoTarget)))
        XCTAssertEqual(nanoBytes, [
            0x4D, 0x3C, 0xB2, 0xA1,  // magic 0xA1B23C4D (nanoseconds)
            0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
            0xFF, 0xFF, 0x00, 0x00,  // snaplen 65535
            0x14, 0x01, 0x00, 0x00,  // LINKTYPE_LINUX_SLL2 (276)
        ])
    }

    func testEveryLinkTypeRoundTripsThroughLibpcap() throws {
        // (link type written, LINKTYPE in the file header, DLT libpcap reports on Linux, frame)
        let cases: [(LinkType, UInt32, Int32, [UInt8])] = [
            (.ethernet, 1, 1, Fixtures.ethernetVLANIPv4UDP),
            (.null, 0, 0, Fixtures.nullBigEndianIPv4TCP),
            (.loop, 108, 108, Fixtures.loopIPv4ICMP),
            (.linuxSLL, 113, 113, Fixtures.linuxSLLIPv4ICMP),
            (.linuxSLL2, 276, 276, Fixtures.linuxSLL2IPv6UDP),
            (.raw, 101, 12, Fixtures.rawIPv4TCP),
            (.rawLinktype, 101, 12, Fixtures.rawIPv4TCP),
            (.ipv4, 228, 228, Fixtures.ipv4DHCP),
            (.ipv6, 229, 229, Fixtures.ipv6NeighborSolicitation),
        ]
        for (linkType, headerValue, dlt, frame) in cases {
            let target = path("link-\(linkType.rawValue).pcap")
            let writer = try PcapFileWriter(path: target, linkType: linkType)
            try writer.write(frame, timestamp: 5_000_000_000)
            try writer.close()
            let header = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)).prefix(24))
            XCTAssertEqual(header[20..<24].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }, headerValue, "\(linkType)")
            let (readType, packets) = try readAllWithPcapHandle(target)
            XCTAssertEqual(readType.rawValue, dlt, "\(linkType) read back")
            XCTAssertEqual(packets, [ReadPacket(bytes: frame, timestamp: 5_000_000_000, wireLength: frame.count)])
            let summary = PacketDecoder.decode(frame, linkType: readType)
            XCTAssertFalse(summary.isMalformed, "\(linkType)")
            XCTAssertNotEqual(summary.network, .none, "\(linkType)")
        }
    }

    func testOpenBSDRawLinkTypeIsWrittenAsLINKTYPE_RAW() throws {
        // DLT 14 means raw IP only on OpenBSD; a file must carry the portable LINKTYPE_RAW (101)
        // (libpcap's dlt_to_linktype does this mapping). With 14 in the header, tcpdump on Linux
        // stops with "unknown data link type 14".
        let target = path("openbsd-raw.pcap")
        let writer = try PcapFileWriter(path: target, linkType: .rawOpenBSD)
        try writer.write(Fixtures.rawIPv4TCP, timestamp: 0)
        try writer.close()
        let header = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)).prefix(24))
        XCTAssertEqual(Array(header[20..<24]), [101, 0, 0, 0], "file link type for DLT_RAW (OpenBSD 14)")
        let (readType, packets) = try readAllWithPcapHandle(target)
        XCTAssertEqual(readType.rawValue, LinkType.raw.rawValue, "libpcap on Linux reports DLT_RAW (12) for LINKTYPE_RAW")
        XCTAssertEqual(packets.count, 1)
    }

    func testLargeFileFlushesAcrossBufferBoundary() throws {
        // 30,000 × (16 + 62) bytes ≈ 2.3 MB: more than the writer's 1 MB buffer, so it flushes midway.
        let target = path("large.pcap")
        let writer = try PcapFileWriter(path: target, linkType: .ethernet, nanosecond: true)
        let base = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 1), to: .init(IPAddress(10, 0, 0, 2), 2),
                                           transport: .udp, payload: Array(repeating: 0, count: 20))
        var frame = base
        for index in 0..<30_000 {
            frame[34] = UInt8(index >> 8); frame[35] = UInt8(index & 0xFF)  // UDP source port = index
            try writer.write(frame, timestamp: Int64(index) * 1_000_003)
        }
        try writer.close()
        let size = try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int
        XCTAssertEqual(size, 24 + 30_000 * (16 + base.count))

        let handle = try PcapHandle.openFile(target)
        var index = 0
        var mismatches = 0
        reading: while true {
            switch try handle.next() {
            case let .packet(bytes, timestamp, wireLength):
                let summary = PacketDecoder.decode(bytes, linkType: handle.linkType, timestamp: timestamp, wireLength: wireLength)
                if summary.sourcePort != UInt16(index & 0xFFFF) || summary.timestamp != Int64(index) * 1_000_003
                    || summary.transport != .udp || summary.flags != [] { mismatches += 1 }
                index += 1
            case .none, .endOfStream:
                break reading
            }
        }
        XCTAssertEqual(index, 30_000)
        XCTAssertEqual(mismatches, 0)
    }

    func testWriterReportsUnwritablePath() {
        let target = path("no/such/folder/out.pcap")
        XCTAssertThrowsError(try PcapFileWriter(path: target, linkType: .ethernet)) { error in
            guard case let PcapFileWriter.WriterError.cannotOpen(path, reason) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(path, target)
            XCTAssertFalse(reason.isEmpty)
            XCTAssertTrue("\(error)".contains(target))
        }
    }

    func testOpeningAMissingOrBogusFileThrows() throws {
        let missing = path("missing.pcap")
        XCTAssertThrowsError(try PcapHandle.openFile(missing)) { error in
            guard case let PcapError.cannotOpenFile(path, message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(path, missing)
            XCTAssertFalse(message.isEmpty)
        }
        let bogus = path("bogus.pcap")
        try Data("this is not a capture file at all".utf8).write(to: URL(fileURLWithPath: bogus))
        XCTAssertThrowsError(try PcapHandle.openFile(bogus))
    }
}
