import XCTest
@testable import Packets

/// Every prefix of every fixture, empty frames, and a seeded random/mutation fuzz loop. Each
/// decode runs on a buffer of exactly the prefix length, so a read past the end traps in the
/// (debug-built) decoder's bounds checks instead of silently reading a neighbour byte.
final class TruncationAndFuzzTests: XCTestCase {
    func testEveryPrefixOfEveryFixture() {
        var decoded = 0
        for fixture in Fixtures.all {
            let full = fixture.bytes
            XCTAssertLessThanOrEqual(fixture.headerEnd, full.count, fixture.name)
            for length in 0..<full.count {
                let prefix = Array(full[0..<length])
                // Cut by the capture (wire length = the whole frame) and cut on the wire alike.
                for wireLength in [length, full.count] {
                    let summary = PacketDecoder.decode(prefix, linkType: fixture.linkType, timestamp: 7, wireLength: wireLength)
                    decoded += 1
                    let context = "\(fixture.name) prefix \(length)/\(full.count) wire \(wireLength)"
                    XCTAssertEqual(summary.capturedLength, UInt32(length), context)
                    XCTAssertEqual(summary.wireLength, UInt32(wireLength), context)
                    XCTAssertEqual(summary.flags.contains(.truncated), wireLength > length, context)
                    if length < fixture.headerEnd {
                        XCTAssertTrue(summary.isMalformed, "\(context): cuts a header but is not flagged malformed")
                        XCTAssertEqual(summary.sourcePort, 0, "\(context): no ports from a cut header")
                        XCTAssertEqual(summary.destinationPort, 0, context)
                    } else {
                        var expected = fixture.expected
                        if wireLength > length { expected.flags.insert(.truncated) }
                        assertSummary(summary, expected, context)
                    }
                }
            }
        }
        XCTAssertGreaterThan(decoded, 3000)
    }

    func testEmptyAndTinyFramesForEveryLinkType() {
        for linkType in allTestLinkTypes {
            for length in 0..<4 {
                let summary = PacketDecoder.decode([UInt8](repeating: 0x45, count: length), linkType: linkType)
                if linkType.isSupported {
                    XCTAssertTrue(summary.isMalformed, "\(linkType) with \(length) bytes")
                } else {
                    XCTAssertEqual(summary.flags, .unknownLinkType)
                }
                XCTAssertEqual(summary.sourcePort, 0)
                XCTAssertEqual(summary.capturedLength, UInt32(length))
            }
        }
    }

    func testHeadersCutAtEachLayerBoundary() {
        // Exactly the link header, nothing else: the network layer is missing.
        XCTAssertTrue(PacketDecoder.decode(Array(Fixtures.ethernetIPv4TCP.prefix(14)), linkType: .ethernet).isMalformed)
        XCTAssertTrue(PacketDecoder.decode(Array(Fixtures.linuxSLLIPv4ICMP.prefix(16)), linkType: .linuxSLL).isMalformed)
        XCTAssertTrue(PacketDecoder.decode(Array(Fixtures.linuxSLL2IPv6UDP.prefix(20)), linkType: .linuxSLL2).isMalformed)
        XCTAssertTrue(PacketDecoder.decode(Array(Fixtures.nullBigEndianIPv4TCP.prefix(4)), linkType: .null).isMalformed)
        XCTAssertTrue(PacketDecoder.decode(Array(Fixtures.loopIPv4ICMP.prefix(4)), linkType: .loop).isMalformed)
        // A VLAN tag whose next EtherType is missing.
        XCTAssertTrue(PacketDecoder.decode(Array(Fixtures.ethernetVLANIPv4UDP.prefix(16)), linkType: .ethernet).isMalformed)
        // IPv4 options cut in the middle.
        let options = PacketDecoder.decode(Array(Fixtures.ethernetIPv4OptionsUDP.prefix(40)), linkType: .ethernet, wireLength: 58)
        XCTAssertEqual(options.flags, [.malformed, .truncated])
        XCTAssertEqual(options.source, .unspecified, "an IPv4 header cut inside its options yields no addresses")
    }

    // MARK: Fuzzing

    /// ~200k frames: half pure random bytes with plausible first bytes, half mutated fixtures.
    func testSeededFuzzNeverTrapsAndKeepsInvariants() {
        var rng = SplitMix64(seed: 0x5EED_F0CC_2024_0001)
        let seeds = Fixtures.all
        let maximumLength = 256
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumLength, alignment: 8)
        defer { buffer.deallocate() }
        var violations: [String] = []
        var counts = [NetworkProtocol: Int]()
        var malformed = 0
        let iterations = 200_000

        for iteration in 0..<iterations {
            let linkType: LinkType
            var length: Int
            if iteration % 2 == 0 {
                // Random bytes, with the link header's discriminating fields made plausible
                // often enough that the fuzzer reaches IP and transport decoding.
                linkType = allTestLinkTypes[Int(rng.next() % UInt64(allTestLinkTypes.count))]
                length = Int(rng.next() % UInt64(maximumLength))
                var word: UInt64 = 0
                for index in 0..<length {
                    if index % 8 == 0 { word = rng.next() }
                    buffer[index] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(index % 8)))
                }
                plant(linkType: linkType, in: buffer, length: length, using: &rng)
            } else {
                // A fixture with 1–4 bytes overwritten (biased to header bytes) and maybe cut.
                let seed = seeds[Int(rng.next() % UInt64(seeds.count))]
                linkType = seed.linkType
                length = seed.bytes.count
                for index in 0..<length { buffer[index] = seed.bytes[index] }
                for _ in 0..<(1 + Int(rng.next() % 4)) where length > 0 {
                    let span = rng.next() % 4 == 0 ? length : min(length, seed.headerEnd + 1)
                    let position = Int(rng.next() % UInt64(span))
                    let value = rng.next()
                    // Interesting values: all-ones, zero, small lengths, or random.
                    let choices: [UInt8] = [0xFF, 0x00, 0x01, 0x05, 0x3C, 0x2C, 0x33, UInt8(truncatingIfNeeded: value >> 8)]
                    buffer[position] = choices[Int(value % UInt64(choices.count))]
                }
                if rng.next() % 3 == 0, length > 0 { length = Int(rng.next() % UInt64(length + 1)) }
            }
            let wireLength = rng.next() % 8 == 0 ? length + Int(rng.next() % 2000) : length
            let frame = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            let summary = PacketDecoder.decode(frame, linkType: linkType, timestamp: Int64(iteration), wireLength: wireLength)
            counts[summary.network, default: 0] += 1
            if summary.isMalformed { malformed += 1 }
            if let problem = invariantViolation(summary, linkType: linkType, length: length, wireLength: wireLength, timestamp: Int64(iteration)) {
                if violations.count < 10 {
                    violations.append("iteration \(iteration), \(linkType), bytes \(Array(frame).map { String($0, radix: 16) }): \(problem)")
                }
            }
        }
        XCTAssertEqual(violations, [], "decoder invariants broken")
        // The fuzzer must actually reach every network protocol and both outcomes, or it tests nothing.
        for network in NetworkProtocol.allCases {
            XCTAssertGreaterThan(counts[network, default: 0], 1000, "fuzz coverage of \(network)")
        }
        XCTAssertGreaterThan(malformed, iterations / 10)
        XCTAssertLessThan(malformed, iterations)
    }

    func testDecodeIsDeterministic() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 120)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let linkType = allTestLinkTypes[Int(rng.next() % UInt64(allTestLinkTypes.count))]
            let first = PacketDecoder.decode(bytes, linkType: linkType)
            let second = PacketDecoder.decode(bytes, linkType: linkType)
            XCTAssertTrue(sameSummary(first, second))
            XCTAssertEqual(first.capturedLength, UInt32(bytes.count))
        }
    }

    /// Makes random frames look like the link type's header often enough to reach deeper layers.
    private func plant(linkType: LinkType, in buffer: UnsafeMutableRawBufferPointer, length: Int, using rng: inout SplitMix64) {
        let choice = rng.next()
        let etherTypes: [UInt16] = [0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8]
        let etherType = etherTypes[Int(choice % UInt64(etherTypes.count))]
        func put16(_ value: UInt16, at offset: Int) {
            guard offset + 2 <= length else { return }
            buffer[offset] = UInt8(value >> 8)
            buffer[offset + 1] = UInt8(value & 0xFF)
        }
        func putVersion(at offset: Int) {
            guard offset < length else { return }
            let versions: [UInt8] = [0x45, 0x46, 0x4F, 0x60, 0x44]
            buffer[offset] = versions[Int((choice >> 8) % UInt64(versions.count))]
        }
        let networkStart: Int
        switch linkType {
        case .ethernet:
            put16(etherType, at: 12)
            if etherType == 0x8100 || etherType == 0x88A8 {
                put16(etherTypes[Int((choice >> 16) % 3)], at: 16)
                networkStart = 18
            } else {
                networkStart = 14
            }
            if etherType == 0x0806, length >= 22 {
                put16(1, at: 14); put16(0x0800, at: 16); buffer[18] = 6; buffer[19] = 4
                return
            }
        case .linuxSLL: put16(etherType == 0x8100 || etherType == 0x88A8 ? 0x0800 : etherType, at: 14); networkStart = 16
        case .linuxSLL2: put16(etherType == 0x8100 || etherType == 0x88A8 ? 0x86DD : etherType, at: 0); networkStart = 20
        case .null, .loop:
            let families: [UInt8] = [2, 24, 28, 30, 10]
            if length >= 4 {
                buffer[0] = 0; buffer[1] = 0; buffer[2] = 0; buffer[3] = 0
                buffer[choice & 1 == 0 ? 0 : 3] = families[Int((choice >> 24) % UInt64(families.count))]
            }
            networkStart = 4
        default: networkStart = 0
        }
        putVersion(at: networkStart)
        // Often make the IP total/payload length agree with the frame so transport gets parsed.
        if (choice >> 32) & 1 == 0, networkStart < length {
            let remaining = length - networkStart
            if buffer[networkStart] >> 4 == 4 { put16(UInt16(min(remaining, 0xFFFF)), at: networkStart + 2) }
            else { put16(UInt16(max(0, min(remaining - 40, 0xFFFF))), at: networkStart + 4) }
        }
        if (choice >> 40) & 3 != 0, networkStart + 9 < length, buffer[networkStart] >> 4 == 4 {
            let protocols: [UInt8] = [6, 17, 1, 47]
            buffer[networkStart + 9] = protocols[Int((choice >> 44) % 4)]
            buffer[networkStart + 6] &= 0x40  // mostly unfragmented
        }
        if (choice >> 40) & 3 != 0, networkStart + 6 < length, buffer[networkStart] >> 4 == 6 {
            let nextHeaders: [UInt8] = [6, 17, 58, 0, 43, 44, 51, 60, 59]
            buffer[networkStart + 6] = nextHeaders[Int((choice >> 44) % UInt64(nextHeaders.count))]
        }
    }

    /// Facts that hold for every summary whatever the input; returns what broke, if anything.
    private func invariantViolation(_ s: PacketSummary, linkType: LinkType, length: Int, wireLength: Int, timestamp: Int64) -> String? {
        if s.timestamp != timestamp { return "timestamp" }
        if s.capturedLength != UInt32(length) { return "capturedLength \(s.capturedLength) != \(length)" }
        if s.wireLength != UInt32(max(length, wireLength)) { return "wireLength \(s.wireLength)" }
        if s.flags.contains(.truncated) != (wireLength > length) { return "truncated flag" }
        if !linkType.isSupported {
            return s.flags.subtracting(.truncated) == .unknownLinkType && s.network == .none && s.sourceMAC == .zero ? nil : "unknown link type decoded"
        }
        if s.flags.contains(.unknownLinkType) { return "unknownLinkType on a supported link type" }
        if (s.flags.contains(.vlanTagged) || s.vlanID != 0 || s.destinationMAC != .zero) && linkType != .ethernet && s.network != .arp {
            return "Ethernet-only fields on \(linkType)"
        }
        if s.vlanID != 0 && !s.flags.contains(.vlanTagged) { return "VLAN ID without vlanTagged" }
        if s.vlanID > 0x0FFF { return "VLAN ID over 12 bits" }
        switch s.network {
        case .none:
            if s.transport != .none || s.source != .unspecified || s.destination != .unspecified || s.ipProtocol != 0
                || s.ttl != 0 || s.arpOperation != 0 || s.flags.contains(.fragment) {
                return "network fields without a network layer"
            }
        case .arp:
            if s.transport != .none || s.ipProtocol != 0 || s.ttl != 0 || s.flags.contains(.fragment) { return "IP fields on ARP" }
            if s.source != .unspecified && !s.source.isIPv4 { return "ARP address not IPv4" }
        case .ipv4:
            if s.arpOperation != 0 { return "ARP operation on IPv4" }
            if s.source != .unspecified && !s.source.isIPv4 { return "IPv4 source not IPv4-mapped" }
            if s.transport == .icmpv6 { return "ICMPv6 inside IPv4" }
        case .ipv6:
            if s.arpOperation != 0 { return "ARP operation on IPv6" }
            if s.transport == .icmp { return "ICMPv4 inside IPv6" }
        }
        if s.transport != .tcp && s.tcpFlags != [] { return "TCP flags on \(s.transport)" }
        if s.transport != .tcp && s.transport != .udp && (s.sourcePort != 0 || s.destinationPort != 0) { return "ports on \(s.transport)" }
        if s.transport != .icmp && s.transport != .icmpv6 && (s.icmpType != 0 || s.icmpCode != 0) { return "ICMP fields on \(s.transport)" }
        if s.transport == .tcp && s.ipProtocol != 6 { return "TCP with protocol \(s.ipProtocol)" }
        if s.transport == .udp && s.ipProtocol != 17 && s.ipProtocol != 136 { return "UDP with protocol \(s.ipProtocol)" }
        return nil
    }
}
