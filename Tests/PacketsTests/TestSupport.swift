import XCTest
@testable import Packets

/// Every link type the decoder knows, plus one it does not (DLT_IEEE802_11 = 105).
let allTestLinkTypes: [LinkType] = [
    .null, .ethernet, .raw, .rawOpenBSD, .rawLinktype, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
    LinkType(rawValue: 105),
]

/// SplitMix64: a tiny deterministic generator so fuzz runs are reproducible from their seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func ip(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> IPAddress {
    guard let address = IPAddress(text) else {
        XCTFail("test fixture \(text) is not an IP address", file: file, line: line)
        return .unspecified
    }
    return address
}

func mac(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> MACAddress {
    guard let address = MACAddress(text) else {
        XCTFail("test fixture \(text) is not a MAC address", file: file, line: line)
        return .zero
    }
    return address
}

/// The fields of `PacketSummary` a test cares about; `nil` means "must be the default value"
/// for every field, so an unexpected field being set fails the test too.
struct Expected {
    var network: NetworkProtocol = .none
    var transport: TransportProtocol = .none
    var source: IPAddress = .unspecified
    var destination: IPAddress = .unspecified
    var sourceMAC: MACAddress = .zero
    var destinationMAC: MACAddress = .zero
    var sourcePort: UInt16 = 0
    var destinationPort: UInt16 = 0
    var ipProtocol: UInt8 = 0
    var tcpFlags: TCPFlags = []
    var icmpType: UInt8 = 0
    var icmpCode: UInt8 = 0
    var ttl: UInt8 = 0
    var vlanID: UInt16 = 0
    var arpOperation: UInt16 = 0
    var flags: DecodeFlags = []
}

/// Compares every decoded field of `summary` with `expected` (lengths and timestamp are checked
/// by the caller, which knows what it passed in).
func assertSummary(_ summary: PacketSummary, _ expected: Expected, _ context: String = "",
                   file: StaticString = #filePath, line: UInt = #line) {
    let prefix = context.isEmpty ? "" : "\(context): "
    XCTAssertEqual(summary.network, expected.network, "\(prefix)network", file: file, line: line)
    XCTAssertEqual(summary.transport, expected.transport, "\(prefix)transport", file: file, line: line)
    XCTAssertEqual(summary.source, expected.source, "\(prefix)source \(summary.source)", file: file, line: line)
    XCTAssertEqual(summary.destination, expected.destination, "\(prefix)destination \(summary.destination)", file: file, line: line)
    XCTAssertEqual(summary.sourceMAC, expected.sourceMAC, "\(prefix)sourceMAC", file: file, line: line)
    XCTAssertEqual(summary.destinationMAC, expected.destinationMAC, "\(prefix)destinationMAC", file: file, line: line)
    XCTAssertEqual(summary.sourcePort, expected.sourcePort, "\(prefix)sourcePort", file: file, line: line)
    XCTAssertEqual(summary.destinationPort, expected.destinationPort, "\(prefix)destinationPort", file: file, line: line)
    XCTAssertEqual(summary.ipProtocol, expected.ipProtocol, "\(prefix)ipProtocol", file: file, line: line)
    XCTAssertEqual(summary.tcpFlags.rawValue, expected.tcpFlags.rawValue,
                   "\(prefix)tcpFlags \(summary.tcpFlags) vs \(expected.tcpFlags)", file: file, line: line)
    XCTAssertEqual(summary.icmpType, expected.icmpType, "\(prefix)icmpType", file: file, line: line)
    XCTAssertEqual(summary.icmpCode, expected.icmpCode, "\(prefix)icmpCode", file: file, line: line)
    XCTAssertEqual(summary.ttl, expected.ttl, "\(prefix)ttl", file: file, line: line)
    XCTAssertEqual(summary.vlanID, expected.vlanID, "\(prefix)vlanID", file: file, line: line)
    XCTAssertEqual(summary.arpOperation, expected.arpOperation, "\(prefix)arpOperation", file: file, line: line)
    XCTAssertEqual(summary.flags.rawValue, expected.flags.rawValue, "\(prefix)flags", file: file, line: line)
}

/// Decodes a whole, untruncated frame and checks the length fields too.
@discardableResult
func decodeAndAssert(_ bytes: [UInt8], _ linkType: LinkType, _ expected: Expected, _ context: String = "",
                     file: StaticString = #filePath, line: UInt = #line) -> PacketSummary {
    let summary = PacketDecoder.decode(bytes, linkType: linkType, timestamp: 1_234_567_890_123_456_789)
    XCTAssertEqual(summary.timestamp, 1_234_567_890_123_456_789, "\(context): timestamp", file: file, line: line)
    XCTAssertEqual(summary.capturedLength, UInt32(bytes.count), "\(context): capturedLength", file: file, line: line)
    XCTAssertEqual(summary.wireLength, UInt32(bytes.count), "\(context): wireLength", file: file, line: line)
    assertSummary(summary, expected, context, file: file, line: line)
    return summary
}

/// Asserts that an IPv4 header inside a literal frame carries a valid checksum, so the literal
/// fixtures are real, well-formed packets and not just something our decoder happens to accept.
func assertValidIPv4Checksum(_ frame: [UInt8], headerAt offset: Int, file: StaticString = #filePath, line: UInt = #line) {
    let headerLength = Int(frame[offset] & 0x0F) * 4
    let header = Array(frame[offset..<offset + headerLength])
    XCTAssertEqual(FrameBuilder.internetChecksum(header), 0, "IPv4 header checksum of the fixture", file: file, line: line)
}

/// Field-by-field equality (the struct has padding, so its raw bytes are not comparable).
func sameSummary(_ a: PacketSummary, _ b: PacketSummary) -> Bool {
    a.timestamp == b.timestamp && a.wireLength == b.wireLength && a.capturedLength == b.capturedLength
        && a.source == b.source && a.destination == b.destination && a.sourceMAC == b.sourceMAC
        && a.destinationMAC == b.destinationMAC && a.sourcePort == b.sourcePort && a.destinationPort == b.destinationPort
        && a.vlanID == b.vlanID && a.arpOperation == b.arpOperation && a.network == b.network && a.transport == b.transport
        && a.ipProtocol == b.ipProtocol && a.tcpFlags == b.tcpFlags && a.icmpType == b.icmpType && a.icmpCode == b.icmpCode
        && a.ttl == b.ttl && a.flags == b.flags
}
