import Capture
import Foundation
import NetScouterTestSupport
import Packets
import Traffic
import XCTest

/// Capture files that libpcap cannot read to their end, checked against outside references:
/// - a file libpcap stops reading part-way (truncated, damaged, an unsupported block) gives
///   exactly the packets `tcpdump` counts before its error, and says it is partial;
/// - a pcapng file libpcap refuses because its interfaces differ in link type or snapshot length
///   is read whole by our pcapng reader, packet for packet as `tshark` reads it.
final class PartialAndMixedFileTests: XCTestCase {
    static let corpusURL: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/corpus").standardizedFileURL

    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static func corpusFiles() throws -> [String] {
        let root = corpusURL
        guard FileManager.default.fileExists(atPath: root.path),
              let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw XCTSkip("The capture corpus is not present at \(root.path); corpus tests skipped.")
        }
        var files: [String] = []
        for case let url as URL in enumerator where ["pcap", "pcapng"].contains(url.pathExtension) {
            files.append(url.standardizedFileURL.path)
        }
        return files.sorted()
    }

    private func tool(_ name: String, package: String) throws -> String {
        do { return try ExternalTools.require(name, package: package) } catch { throw XCTSkip("\(error)") }
    }

    /// What tcpdump makes of a file: the packets it reads and the error that stopped it, if any.
    struct TcpdumpReading {
        var packets: Int
        var status: Int32
        var error: String?
        /// libpcap failed after opening the file (`pcap_loop: …`), not at open.
        var stoppedMidway: Bool { status != 0 && error?.contains("pcap_loop:") == true }
    }

    private func tcpdump(_ path: String) throws -> TcpdumpReading {
        let tcpdump = try tool("tcpdump", package: "tcpdump")
        // `--count` prints "N packets" even when reading ends in an error.
        let run = try ExternalTools.run(tcpdump, ["--count", "-r", path])
        let packets = Int(run.standardOutput.split(separator: " ").first ?? "") ?? 0
        let error = run.standardError.split(separator: "\n").first { $0.hasPrefix("tcpdump:") }.map(String.init)
        let reading = TcpdumpReading(packets: packets, status: run.status, error: error)
        if reading.stoppedMidway {
            // Cross-check the count before the error with one printed line per packet.
            let lines = try ExternalTools.run(tcpdump, ["-nqr", path]).standardOutput.split(separator: "\n").count
            XCTAssertEqual(packets, lines, "tcpdump --count and tcpdump -nq disagree on \(path)")
        }
        return reading
    }

    /// One packet as tshark reads it (records without an interface, such as custom blocks, are
    /// not packets and are left out).
    struct TsharkPacket: Equatable {
        var interfaceID: Int
        /// Wireshark's encapsulation number (WTAP_ENCAP_*), not a DLT.
        var encapsulation: Int
        var capturedLength: Int
        var wireLength: Int
        var epochNanoseconds: Int64?
        var hasIP: Bool
    }

    /// tshark takes about 0.3 s a file (mostly start-up): read each file once, several at a time.
    nonisolated(unsafe) private static var tsharkCache: [String: [TsharkPacket]] = [:]
    private static let tsharkLock = NSLock()

    private func prefetchTshark(_ paths: [String]) throws {
        let tshark = try tool("tshark", package: "tshark")
        let missing = Self.tsharkLock.withLock { paths.filter { Self.tsharkCache[$0] == nil } }
        DispatchQueue.concurrentPerform(iterations: missing.count) { index in
            let packets = (try? Self.runTshark(tshark, missing[index])) ?? []
            Self.tsharkLock.withLock { Self.tsharkCache[missing[index]] = packets }
        }
    }

    private func tshark(_ path: String) throws -> [TsharkPacket] {
        try prefetchTshark([path])
        return Self.tsharkLock.withLock { Self.tsharkCache[path] ?? [] }
    }

    private static func runTshark(_ tshark: String, _ path: String) throws -> [TsharkPacket] {
        let run = try ExternalTools.run(tshark, ["-r", path, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_id",
                                                 "-e", "frame.encap_type", "-e", "frame.cap_len", "-e", "frame.len",
                                                 "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ipv6.src"])
        return run.standardOutput.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 7, let interface = Int(fields[0]) else { return nil }
            return TsharkPacket(interfaceID: interface, encapsulation: Int(fields[1]) ?? -1, capturedLength: Int(fields[2]) ?? -1,
                                wireLength: Int(fields[3]) ?? -1, epochNanoseconds: Self.nanoseconds(fields[4]),
                                hasIP: !fields[5].isEmpty || !fields[6].isEmpty)
        }
    }

    /// "1340954905.298858000" → nanoseconds.
    static func nanoseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let seconds = Int64(parts[0]) else { return nil }
        let fraction = String(parts[1].prefix(9)).padding(toLength: 9, withPad: "0", startingAt: 0)
        guard let nanos = Int64(fraction) else { return nil }
        return seconds * 1_000_000_000 + nanos
    }

    /// Wireshark's encapsulation numbers for the link types in the corpus.
    static let dltForEncapsulation: [Int: Int32] = [1: 1, 15: 0, 7: 12, 25: 113]

    struct SessionReading {
        var summaries: [PacketSummary] = []
        var error: PcapError?
        var isPartial = false
        var linkType: LinkType = .ethernet
    }

    private func readWithSession(_ path: String, filter: String? = nil) throws -> SessionReading {
        let session = try CaptureSession(source: .file(path: path), filter: filter, ringCapacity: 1024)
        var reading = SessionReading(linkType: session.linkType)
        session.start()
        while !(session.isFinished && session.ring.count == 0) {
            if session.ring.drain({ reading.summaries.append(contentsOf: $0) }) == 0 { usleep(500) }
        }
        session.stop()
        session.ring.drain { reading.summaries.append(contentsOf: $0) }
        reading.error = session.error
        reading.isPartial = session.isPartialFile
        XCTAssertEqual(session.statistics.packetsCaptured, reading.summaries.count, path)
        return reading
    }

    // MARK: Acceptance over the whole corpus

    /// Every corpus file: where libpcap stops part-way, our count is tcpdump's and the session
    /// says partial; where it stops because interfaces differ, we read the whole file as tshark
    /// does; every other file reads whole, as tcpdump reads it.
    func testEveryCorpusFileMatchesTcpdumpOrTshark() throws {
        try prefetchTshark(try Self.corpusFiles().filter { Self.mixedInterfaceNames.contains(URL(fileURLWithPath: $0).lastPathComponent) })
        var stoppedMidway: [String] = [], mixed: [String] = [], refusedAtOpen: [String] = []
        for path in try Self.corpusFiles() {
            let name = path.replacingOccurrences(of: Self.corpusURL.path + "/", with: "")
            let reference = try tcpdump(path)
            if reference.status != 0 && !reference.stoppedMidway {
                refusedAtOpen.append(name)
                XCTAssertThrowsError(try CaptureSession(source: .file(path: path)), name)
                continue
            }
            let ours = try readWithSession(path)
            if reference.stoppedMidway, PcapngReader.isMixedInterfaceError(reference.error ?? "") {
                mixed.append(name)
                let packets = try tshark(path)
                XCTAssertNil(ours.error, "\(name): \(ours.error.map(String.init(describing:)) ?? "")")
                XCTAssertEqual(ours.summaries.count, packets.count, "\(name): packets vs tshark")
                XCTAssertGreaterThanOrEqual(ours.summaries.count, reference.packets, "\(name): at least libpcap's part")
                // Each packet decoded with its own interface's link type: IP where tshark finds IP.
                for (index, (summary, packet)) in zip(ours.summaries, packets).enumerated() {
                    XCTAssertEqual(summary.network == .ipv4 || summary.network == .ipv6, packet.hasIP, "\(name) packet \(index + 1)")
                    XCTAssertFalse(summary.flags.contains(.unknownLinkType), "\(name) packet \(index + 1)")
                    XCTAssertEqual(Int(summary.capturedLength), packet.capturedLength, "\(name) packet \(index + 1)")
                    XCTAssertEqual(Int(summary.wireLength), packet.wireLength, "\(name) packet \(index + 1)")
                }
            } else if reference.stoppedMidway {
                stoppedMidway.append(name)
                XCTAssertTrue(ours.isPartial, "\(name) should be reported as partial")
                XCTAssertEqual(ours.summaries.count, reference.packets, "\(name): packets before the error vs tcpdump")
                guard case let .fileReadStopped(_, packetsRead, byteOffset, _, reason)? = ours.error else {
                    XCTFail("\(name): \(String(describing: ours.error))"); continue
                }
                XCTAssertEqual(packetsRead, reference.packets, name)
                XCTAssertNotNil(byteOffset, name)
                XCTAssertTrue(reference.error?.contains(reason) == true, "\(name): our reason \"\(reason)\" vs \(reference.error ?? "")")
            } else {
                XCTAssertNil(ours.error, name)
                XCTAssertEqual(ours.summaries.count, reference.packets, "\(name): packets vs tcpdump")
            }
        }
        print("Corpus: \(stoppedMidway.count) files stop part-way in libpcap (\(stoppedMidway.joined(separator: ", "))); "
              + "\(mixed.count) mixed-interface pcapng files read by our reader; "
              + "\(refusedAtOpen.count) refused at open by libpcap and by us (\(refusedAtOpen.joined(separator: ", ")))")
        XCTAssertEqual(mixed.count, 22, "the corpus has 22 mixed-interface pcapng files (11 per byte order)")
        XCTAssertGreaterThanOrEqual(stoppedMidway.count, 3)
    }

    /// The gopacket conformance files whose interfaces differ (the same names in both byte orders).
    static let mixedInterfaceNames: Set<String> = ["test004.pcapng", "test005.pcapng", "test006.pcapng", "test008.pcapng",
                                                   "test014.pcapng", "test100.pcapng", "test101.pcapng", "test102.pcapng",
                                                   "test200.pcapng", "test201.pcapng", "test202.pcapng"]

    /// Our pcapng reader alone, on every pcapng of the corpus, packet for packet: interface, link
    /// type, lengths and timestamp. The reference is libpcap where it reads the file to its end,
    /// else tshark (mixed interfaces, an unsupported section version, custom blocks only).
    func testPcapngReaderMatchesLibpcapOrTsharkPacketForPacket() throws {
        let files = try Self.corpusFiles().filter { $0.hasSuffix(".pcapng") }
        var byLibpcap: [String: [(linkType: LinkType, captured: Int, wire: Int, timestamp: Int64)]] = [:]
        for path in files {
            guard let handle = try? PcapHandle.openFile(path) else { continue }
            var records: [(linkType: LinkType, captured: Int, wire: Int, timestamp: Int64)] = []
            do {
                while case let .packet(bytes, timestamp, wire) = try handle.next() {
                    records.append((handle.linkType, bytes.count, wire, timestamp))
                }
                byLibpcap[path] = records
            } catch {}
        }
        try prefetchTshark(files.filter { byLibpcap[$0] == nil })
        var compared = 0, againstTshark = 0
        for path in files {
            let name = path.replacingOccurrences(of: Self.corpusURL.path + "/", with: "")
            let reader = try PcapngReader(path: path)
            var records: [PcapngReader.Record] = []
            var copies: [(interface: Int, linkType: LinkType, captured: Int, wire: Int, timestamp: Int64)] = []
            var failure: PcapError?
            do {
                while let record = try reader.next() {
                    records.append(record)
                    copies.append((record.interfaceID, record.linkType, record.bytes.count, record.wireLength, record.timestamp))
                }
            } catch { failure = error }
            if let expected = byLibpcap[path] {
                XCTAssertNil(failure, name)
                XCTAssertEqual(copies.count, expected.count, name)
                for (index, (ours, theirs)) in zip(copies, expected).enumerated() {
                    let context = "\(name) packet \(index + 1)"
                    XCTAssertEqual(ours.linkType, theirs.linkType, context)
                    XCTAssertEqual(ours.captured, theirs.captured, context)
                    XCTAssertEqual(ours.wire, theirs.wire, context)
                    XCTAssertEqual(ours.timestamp, theirs.timestamp, context)
                }
            } else {
                againstTshark += 1
                let expected = try tshark(path)
                XCTAssertEqual(copies.count, expected.count, "\(name): \(String(describing: failure))")
                // tshark also stops at the section of an unsupported version (test901).
                XCTAssertEqual(failure != nil, name.hasSuffix("test901.pcapng"), "\(name): \(String(describing: failure))")
                for (index, (ours, packet)) in zip(copies, expected).enumerated() {
                    let context = "\(name) packet \(index + 1)"
                    XCTAssertEqual(ours.interface, packet.interfaceID, context)
                    XCTAssertEqual(ours.linkType.rawValue, Self.dltForEncapsulation[packet.encapsulation], context)
                    XCTAssertEqual(ours.captured, packet.capturedLength, context)
                    XCTAssertEqual(ours.wire, packet.wireLength, context)
                    // Simple Packet Blocks carry no time; tshark shows none.
                    if let nanoseconds = packet.epochNanoseconds { XCTAssertEqual(ours.timestamp, nanoseconds, context) }
                }
            }
            compared += copies.count
        }
        XCTAssertGreaterThan(compared, 100)
        XCTAssertGreaterThanOrEqual(againstTshark, 22)
    }

    // MARK: Damaged files made here

    /// Cut and garbage-appended copies of corpus files (classic pcap and pcapng, both byte
    /// orders): tcpdump's count before its error, ours the same, and the session says partial.
    func testTruncatedAndGarbageAppendedFilesGiveThePacketsBeforeTheError() throws {
        let sources = ["dpkt/http.pcap", "gopacket/pcapng-le/test010.pcapng", "gopacket/pcapng-be/test018.pcapng",
                       "gopacket/pcapng-le/test102.pcapng"]
        var checked = 0
        for source in sources {
            let original = Self.corpusURL.appendingPathComponent(source).path
            guard let bytes = FileManager.default.contents(atPath: original) else { throw XCTSkip("corpus file \(source) missing") }
            var variants: [(String, Data)] = []
            for fraction in [0.3, 0.55, 0.8, 0.97] {
                variants.append(("cut at \(Int(fraction * 100)) %", bytes.prefix(Int(Double(bytes.count) * fraction))))
            }
            // Garbage: a header claiming a huge record / block, then noise.
            variants.append(("garbage appended", bytes + Data([0xDE, 0xAD, 0xBE, 0xEF, 0xFF, 0xFF, 0xFF, 0x7F] + (0..<40).map { UInt8($0 * 37 & 0xFF) })))
            variants.append(("7 bytes appended", bytes + Data([1, 2, 3, 4, 5, 6, 7])))
            for (index, (label, data)) in variants.enumerated() {
                let path = directory.appendingPathComponent("damaged-\(checked)-\(index).\(original.hasSuffix("pcapng") ? "pcapng" : "pcap")").path
                try data.write(to: URL(fileURLWithPath: path))
                let context = "\(source) \(label)"
                let reference = try tcpdump(path)
                if reference.status != 0 && !reference.stoppedMidway {
                    XCTAssertThrowsError(try CaptureSession(source: .file(path: path)), context)
                    continue
                }
                let ours = try readWithSession(path)
                if reference.stoppedMidway, PcapngReader.isMixedInterfaceError(reference.error ?? "") {
                    // The mixed-interface file goes on in our reader, which meets the same damage
                    // as tshark: the same packets before it.
                    XCTAssertTrue(ours.isPartial || ours.error == nil, context)
                    XCTAssertGreaterThanOrEqual(ours.summaries.count, reference.packets, context)
                    XCTAssertEqual(ours.summaries.count, try tshark(path).count, "\(context): vs tshark")
                    continue
                }
                XCTAssertEqual(ours.isPartial, reference.stoppedMidway, context)
                XCTAssertEqual(ours.summaries.count, reference.packets, "\(context): vs tcpdump")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 12)
    }

    /// A pcapng with an Ethernet, a BSD loopback and a raw-IP interface, in both byte orders,
    /// with nanosecond and binary timestamp resolutions: every packet decoded with its own
    /// interface's link type, and a BPF filter applied per link type.
    func testMixedInterfacesDecodeEachPacketWithItsOwnLinkType() throws {
        let ethernet = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 40000), to: .init(IPAddress(10, 0, 0, 2), 80),
                                               transport: .tcp, tcpFlags: [.syn])
        let ipv4UDP = FrameBuilder.ipv4(source: IPAddress(127, 0, 0, 1), destination: IPAddress(127, 0, 0, 1), protocol: 17,
                                        payload: FrameBuilder.udp(sourcePort: 5353, destinationPort: 53))
        for bigEndian in [false, true] {
            var file = PcapngBuilder(bigEndian: bigEndian)
            file.sectionHeader()
            file.interface(linkType: 1, snapLength: 65_535, timestampResolution: 9)
            file.interface(linkType: 0, snapLength: 262_144, timestampResolution: 0x80 | 20)  // 2^-20 s ticks
            file.interface(linkType: 101, snapLength: 1_500)
            file.enhancedPacket(interface: 0, ticks: 1_700_000_000_123_456_789, data: ethernet)
            file.enhancedPacket(interface: 1, ticks: UInt64(1_700_000_001) << 20 | 1 << 19, data: [2, 0, 0, 0] + ipv4UDP)
            file.block(0x0000_0BAD, [1, 2, 3, 4, 5])  // a custom block: skipped
            file.enhancedPacket(interface: 2, ticks: 1_700_000_002_000_000, data: ipv4UDP)
            let path = directory.appendingPathComponent("mixed-\(bigEndian ? "be" : "le").pcapng").path
            try file.write(to: path)

            let reading = try readWithSession(path)
            XCTAssertNil(reading.error, "\(String(describing: reading.error))")
            XCTAssertEqual(reading.summaries.map(\.transport), [.tcp, .udp, .udp])
            XCTAssertEqual(reading.summaries.map(\.source), [IPAddress(10, 0, 0, 1), IPAddress(127, 0, 0, 1), IPAddress(127, 0, 0, 1)])
            XCTAssertEqual(reading.summaries.map(\.timestamp),
                           [1_700_000_000_123_456_789, 1_700_000_001_500_000_000, 1_700_000_002_000_000_000])
            XCTAssertEqual(reading.summaries.filter(\.isMalformed).count, 0)

            // The filter is compiled for each link type: UDP on loopback and raw IP, TCP on Ethernet.
            XCTAssertEqual(try readWithSession(path, filter: "udp").summaries.count, 2)
            XCTAssertEqual(try readWithSession(path, filter: "tcp").summaries.count, 1)
            // An expression that cannot be compiled for a link type (`ether` on loopback or raw IP)
            // matches none of that type's packets: only the Ethernet one here.
            XCTAssertEqual(try readWithSession(path, filter: "ether host 02:00:00:00:00:01 or udp").summaries.map(\.transport), [.tcp])

            // tshark agrees on the packets and their interfaces.
            let packets = try tshark(path)
            XCTAssertEqual(packets.map(\.interfaceID), [0, 1, 2])
            XCTAssertEqual(packets.map(\.epochNanoseconds), reading.summaries.map(\.timestamp))
        }
    }

    /// Recording a mixed-interface file: a pcap file has one link type, so the packets of the
    /// first interface's type are saved (tcpdump reads them back) and the others are counted.
    func testRecordingAMixedFileSavesTheFirstLinkTypeAndCountsTheRest() throws {
        let ethernet = FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 40000), to: .init(IPAddress(10, 0, 0, 2), 80),
                                               transport: .tcp, tcpFlags: [.syn])
        let ipv4 = Array(ethernet[14...])
        var file = PcapngBuilder()
        file.sectionHeader()
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 0, ticks: 1_000, data: ethernet)
        file.interface(linkType: 0)
        for tick in 2...4 as ClosedRange<UInt64> {
            file.enhancedPacket(interface: 1, ticks: tick * 1_000, data: [2, 0, 0, 0] + ipv4)
            file.enhancedPacket(interface: 0, ticks: tick * 1_000 + 1, data: ethernet)
        }
        let path = directory.appendingPathComponent("mixed-record.pcapng").path
        try file.write(to: path)
        let saved = directory.appendingPathComponent("saved.pcap").path
        let session = try CaptureSession(source: .file(path: path), recording: PcapRecordingOptions(path: saved))
        session.start()
        session.waitUntilFinished()
        XCTAssertNil(session.error)
        XCTAssertEqual(session.statistics.packetsCaptured, 7)
        XCTAssertEqual(session.statistics.recordedPackets, 4)
        XCTAssertEqual(session.statistics.unrecordedPackets, 3)
        XCTAssertEqual(try tcpdump(saved).packets, 4)
        XCTAssertEqual(try tcpdump(saved).status, 0)
    }

    // MARK: Hostile pcapng

    /// Lying lengths end reading with an error, never a trap or a huge allocation.
    func testHostilePcapngBlocksEndReadingWithAnError() throws {
        let frame = [UInt8](repeating: 0x42, count: 60)
        /// The file, and where its good part ends.
        func file(_ build: (inout PcapngBuilder) -> Void) throws -> (String, Int64) {
            var builder = PcapngBuilder()
            builder.sectionHeader()
            builder.interface(linkType: 1)
            builder.enhancedPacket(interface: 0, ticks: 1, data: frame)
            let good = Int64(builder.bytes.count)
            build(&builder)
            let path = directory.appendingPathComponent("hostile-\(UUID().uuidString).pcapng").path
            try builder.write(to: path)
            return (path, good)
        }
        let cases: [(String, (inout PcapngBuilder) -> Void, String)] = [
            ("block length 4 GiB", { $0.raw([6, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF]) }, "exceeds"),
            ("block length 8", { $0.raw([6, 0, 0, 0, 8, 0, 0, 0]) }, "shorter than a block header"),
            ("block length not a multiple of 4", { $0.raw([6, 0, 0, 0, 13, 0, 0, 0]) }, "multiple of 4"),
            ("captured length past the block", { b in
                var body = [UInt8](repeating: 0, count: 20)
                body[12] = 0xFF; body[13] = 0xFF; body[14] = 0xFF; body[15] = 0x7F
                b.block(6, body)
            }, "holds"),
            ("unknown interface", { $0.enhancedPacket(interface: 7, ticks: 1, data: frame) }, "interface 7"),
            ("option past the block", { b in b.block(1, [1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0xFF, 0xFF]) }, "runs past"),
            ("trailer disagrees", { b in b.raw([0xAD, 0x0B, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0]) }, "disagree"),
            ("truncated header", { $0.raw([6, 0, 0]) }, "truncated block header"),
        ]
        for (label, build, expected) in cases {
            let (path, good) = try file(build)
            let reader = try PcapngReader(path: path)
            XCTAssertNotNil(try reader.next(), label)
            XCTAssertThrowsError(try reader.next(), label) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(label): \(error)")
                XCTAssertTrue("\(error)".contains("block at byte \(good)"), "\(label): \(error)")
            }
            XCTAssertEqual(reader.offset, good, "\(label): readable up to the bad block")
        }
    }

    /// Thousands of random corruptions of corpus pcapng files: the reader returns packets or an
    /// error, never traps, and never holds more than its block limit.
    func testRandomlyCorruptedPcapngNeverTraps() throws {
        let seeds = ["gopacket/pcapng-le/test202.pcapng", "gopacket/pcapng-be/test202.pcapng", "gopacket/pcapng-le/test018.pcapng"]
        var generator = SplitMix64(seed: 0x5EED)
        var errors = 0, packets = 0
        for seed in seeds {
            guard let original = FileManager.default.contents(atPath: Self.corpusURL.appendingPathComponent(seed).path) else {
                throw XCTSkip("corpus file \(seed) missing")
            }
            let path = directory.appendingPathComponent("fuzz.pcapng").path
            for _ in 0..<400 {
                var bytes = [UInt8](original)
                for _ in 0..<Int(generator.next() % 6 + 1) {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] = generator.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: generator.next())
                }
                if generator.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let reader = try PcapngReader(path: path)
                do {
                    while let record = try reader.next() {
                        packets += 1
                        XCTAssertLessThanOrEqual(record.bytes.count, PcapngReader.maximumBlockLength)
                    }
                } catch {
                    errors += 1
                }
            }
        }
        XCTAssertGreaterThan(errors, 100)
        XCTAssertGreaterThan(packets, 1000)
    }

    /// Corrupted pcap and pcapng files (mixed interfaces and extreme timestamps among them)
    /// through the whole file path: CaptureSession (libpcap, then our reader), the aggregates and
    /// the report. Every file ends complete or partial, never in a trap.
    func testCorruptedFilesThroughTheSessionAndAggregatesNeverTrap() throws {
        var seeds = try ExtremeTimestampFiles.write(into: directory)
        for name in ["dpkt/http.pcap", "gopacket/pcapng-le/test202.pcapng", "gopacket/pcapng-be/test102.pcapng"] {
            let path = Self.corpusURL.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("corpus file \(name) missing") }
            seeds.append(path)
        }
        var generator = SplitMix64(seed: 0xF11E5)
        var partial = 0, complete = 0, refused = 0
        for seed in seeds {
            let original = try XCTUnwrap(FileManager.default.contents(atPath: seed))
            let path = directory.appendingPathComponent("corrupt-\(URL(fileURLWithPath: seed).lastPathComponent)").path
            for _ in 0..<25 {
                var bytes = [UInt8](original)
                for _ in 0..<Int(generator.next() % 8 + 1) {
                    // Past the file header, so most files still open and the damage is met mid-way.
                    let index = 24 + Int(generator.next() % UInt64(max(1, bytes.count - 24)))
                    if index < bytes.count { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                guard let session = try? CaptureSession(source: .file(path: path), ringCapacity: 256) else { refused += 1; continue }
                let traffic = TrafficAggregator()
                session.start()
                while !(session.isFinished && session.ring.count == 0) {
                    if session.ring.drain({ traffic.ingest($0) }) == 0 { usleep(200) }
                }
                session.stop()
                session.ring.drain { traffic.ingest($0) }
                var report = TrafficReport(aggregator: traffic, source: path, filter: nil, linkType: session.linkType,
                                           counters: .init(kernelDrops: 0, interfaceDrops: 0, ringOverflows: 0), top: 10)
                if let error = session.error {
                    XCTAssertTrue(session.isPartialFile, "\(error)")
                    report.markIncomplete(error.description)
                    partial += 1
                } else {
                    complete += 1
                }
                XCTAssertEqual(report.packets, UInt64(session.statistics.packetsCaptured))
                XCTAssertFalse(report.renderTable().isEmpty)
            }
        }
        XCTAssertGreaterThan(partial, 10)
        XCTAssertGreaterThan(complete, 10)
        print("Corrupted files: \(complete) read whole, \(partial) partial, \(refused) refused at open")
    }

    func testTimestampResolutionsSaturateInsteadOfTrapping() {
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: 1_500_000, resolution: 6, offsetSeconds: 0), 1_500_000_000)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: 1_500_000, resolution: 9, offsetSeconds: 2), 2_001_500_000)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: 3, resolution: 0x80 | 1, offsetSeconds: 0), 1_500_000_000)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: 123_456_789_012, resolution: 12, offsetSeconds: 0), 123_456_789)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: .max, resolution: 6, offsetSeconds: 0), .max)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: .max, resolution: 0, offsetSeconds: 0), .max)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: .max, resolution: 0x80, offsetSeconds: 0), .max)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: .max, resolution: 0x80 | 127, offsetSeconds: 0), 0)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: .max, resolution: 255, offsetSeconds: 0), 0)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: 1, resolution: 6, offsetSeconds: .min), .min)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: .max, resolution: 6, offsetSeconds: .max), .max)
        XCTAssertEqual(PcapngReader.nanoseconds(ticks: 0, resolution: 6, offsetSeconds: -1), -1_000_000_000)
    }
}


/// IPv4 total length 0 (segmentation offload): our decoder and Wireshark classify such packets
/// alike, by protocol and ports, from the captured bytes.
final class SegmentationOffloadTests: XCTestCase {
    func testTotalLengthZeroIsDecodedAsWiresharkDoes() throws {
        let tshark: String
        do { tshark = try ExternalTools.require("tshark", package: "tshark") } catch { throw XCTSkip("\(error)") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-tso-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        let client = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 1), 50_000), server = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 2), 443)
        var tcp = FrameBuilder.ethernetIP(from: client, to: server, transport: .tcp, tcpFlags: [.ack, .psh],
                                          payload: [UInt8](repeating: 0x41, count: 2_896))
        var udp = FrameBuilder.ethernetIP(from: server, to: client, transport: .udp, payload: [UInt8](repeating: 7, count: 3_000))
        tcp[16] = 0; tcp[17] = 0
        udp[16] = 0; udp[17] = 0
        try writer.write(tcp, timestamp: 1_700_000_000_000_000_000)
        try writer.write(udp, timestamp: 1_700_000_000_001_000_000)
        try writer.close()

        let session = try CaptureSession(source: .file(path: path))
        var summaries: [PacketSummary] = []
        session.start()
        session.waitUntilFinished()
        session.ring.drain { summaries.append(contentsOf: $0) }
        XCTAssertEqual(summaries.map(\.transport), [.tcp, .udp])
        XCTAssertEqual(summaries.map(\.isMalformed), [false, false])

        let run = try ExternalTools.run(tshark, ["-r", path, "-T", "fields", "-E", "separator=|", "-e", "ip.len",
                                                 "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"])
        let rows = run.standardOutput.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.count, 2, run.standardError)
        guard rows.count == 2 else { return }
        // Wireshark, too, takes the datagram's length from the captured bytes.
        XCTAssertEqual(rows[0][0], "\(tcp.count - 14)")
        XCTAssertEqual([rows[0][1], rows[0][2]], ["\(summaries[0].sourcePort)", "\(summaries[0].destinationPort)"])
        XCTAssertEqual([rows[1][3], rows[1][4]], ["\(summaries[1].sourcePort)", "\(summaries[1].destinationPort)"])
    }
}
