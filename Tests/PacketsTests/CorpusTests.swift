import Capture
import CPcap
import Foundation
import XCTest
@testable import Packets

/// Real-world captures from ../shared/corpus: every file must open (or fail to open) exactly as
/// libpcap itself does, every packet must decode without a trap, and the packet count must equal
/// an independent libpcap count (and, for classic pcap files, a count by a parser written here).
final class CorpusTests: XCTestCase {
    /// <package root>/../shared/corpus, the package root being two directories above this file's folder.
    static let corpusURL: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/PacketsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("../shared/corpus")
        .standardizedFileURL

    static func corpusFiles() throws -> [String] {
        let root = corpusURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw XCTSkip("The capture corpus is not present at \(root.path) (it lives next to the package in the "
                + "development checkout, not in user clones); corpus tests skipped.")
        }
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            XCTFail("cannot list \(root.path)")
            return []
        }
        var files: [String] = []
        for case let url as URL in enumerator where ["pcap", "pcapng"].contains(url.pathExtension) {
            files.append(url.standardizedFileURL.path)
        }
        return files.sorted()
    }

    /// What libpcap, called directly, makes of a file.
    struct LibpcapReading {
        var openError: String?
        var linkType: Int32 = -1
        /// caplen, len and the timestamp in microseconds of every record read.
        var records: [(caplen: Int, len: Int, microseconds: Int64)] = []
        /// The status that ended the pcap_next_ex loop: -2 at the end of the file, -1 on an error.
        var endStatus: Int32 = 0
        var readError: String?
        /// Packets libpcap's own BPF engine matched for each filter, per packet.
        var bpf: [String: [Bool]] = [:]
    }

    static let bpfFilters = ["tcp", "udp", "icmp or icmp6", "arp"]

    static func readWithLibpcap(_ path: String) -> LibpcapReading {
        var reading = LibpcapReading()
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let pcap = pcap_open_offline(path, &errorBuffer) else {
            reading.openError = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return reading
        }
        defer { pcap_close(pcap) }
        reading.linkType = pcap_datalink(pcap)
        var programs: [(String, bpf_program)] = []
        for filter in bpfFilters {
            var program = bpf_program()
            if pcap_compile(pcap, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 {
                programs.append((filter, program))
                reading.bpf[filter] = []
            }
        }
        defer { for index in programs.indices { pcap_freecode(&programs[index].1) } }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(pcap, &header, &data)
            guard status == 1, let header, let data else {
                reading.endStatus = status
                if status == -1 { reading.readError = String(cString: pcap_geterr(pcap)) }
                break
            }
            let h = header.pointee
            reading.records.append((Int(h.caplen), Int(h.len), Int64(h.ts.tv_sec) * 1_000_000 + Int64(h.ts.tv_usec)))
            for index in programs.indices {
                let matched = withUnsafePointer(to: &programs[index].1) { pcap_offline_filter($0, header, data) != 0 }
                reading.bpf[programs[index].0]!.append(matched)
            }
        }
        return reading
    }

    /// Counts the records of a classic pcap file with a parser independent of libpcap; nil for pcapng.
    static func countClassicPcapRecords(_ path: String) throws -> (count: Int, trailingBytes: Int)? {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count >= 24 else { return nil }
        let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        let littleEndian: Bool
        switch magic {
        case 0xA1B2_C3D4, 0xA1B2_3C4D: littleEndian = true
        case 0xD4C3_B2A1, 0x4D3C_B2A1: littleEndian = false
        default: return nil  // pcapng or something else
        }
        func u32(_ offset: Int) -> Int {
            let b = bytes[offset..<offset + 4].map(Int.init)
            return littleEndian ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        }
        var offset = 24
        var count = 0
        while offset + 16 <= bytes.count {
            let caplen = u32(offset + 8)
            guard offset + 16 + caplen <= bytes.count else { break }
            offset += 16 + caplen
            count += 1
        }
        return (count, bytes.count - offset)
    }

    /// Per-file tallies of the decoded summaries.
    struct Tally {
        var packets = 0
        var network = [NetworkProtocol: Int]()
        var transport = [TransportProtocol: Int]()
        var malformed = 0
        var truncated = 0
        var vlan = 0
    }

    // MARK: The whole corpus

    func testEveryCorpusFileOpensDecodesAndMatchesLibpcapCount() throws {
        let files = try Self.corpusFiles()
        XCTAssertGreaterThan(files.count, 50, "corpus at \(Self.corpusURL.path) looks incomplete")
        var openedFiles = 0
        var failedOpens = 0
        var failedReads = 0
        var totalPackets = 0
        var bpfCompared = 0
        for path in files {
            let name = String(path.dropFirst(Self.corpusURL.path.count + 1))
            let direct = Self.readWithLibpcap(path)

            // Open through Capture: it must fail exactly when libpcap fails, with libpcap's message.
            let handle: PcapHandle
            do {
                handle = try PcapHandle.openFile(path)
            } catch {
                XCTAssertNotNil(direct.openError, "\(name): PcapHandle failed to open (\(error)) but libpcap opens it")
                if let message = direct.openError {
                    XCTAssertEqual(error, .cannotOpenFile(path: path, message: message), name)
                }
                failedOpens += 1
                continue
            }
            guard direct.openError == nil else {
                XCTFail("\(name): libpcap cannot open it (\(direct.openError!)) but PcapHandle did")
                continue
            }
            openedFiles += 1
            XCTAssertEqual(handle.linkType.rawValue, direct.linkType, name)
            XCTAssertTrue(handle.linkType.isSupported, "\(name): link type \(handle.linkType)")
            XCTAssertTrue(direct.endStatus == -2 || direct.endStatus == -1, "\(name): pcap_next_ex ended with \(direct.endStatus)")

            // Read and decode every packet through PcapHandle.
            var tally = Tally()
            var recordMismatch: String?
            var summaryProblem: String?
            var bpfMismatch: String?
            var readError: PcapError?
            reading: while true {
                let result: PcapHandle.ReadResult
                do { result = try handle.next() } catch { readError = error; break reading }
                switch result {
                case .none:
                    XCTFail("\(name): next() returned .none on a file")
                    break reading
                case .endOfStream:
                    break reading
                case let .packet(bytes, timestamp, wireLength):
                    let index = tally.packets
                    let summary = PacketDecoder.decode(bytes, linkType: handle.linkType, timestamp: timestamp, wireLength: wireLength)
                    tally.packets += 1
                    tally.network[summary.network, default: 0] += 1
                    tally.transport[summary.transport, default: 0] += 1
                    if summary.isMalformed { tally.malformed += 1 }
                    if summary.flags.contains(.truncated) { tally.truncated += 1 }
                    if summary.flags.contains(.vlanTagged) { tally.vlan += 1 }

                    if index < direct.records.count {
                        let record = direct.records[index]
                        if recordMismatch == nil, record.caplen != bytes.count || record.len != wireLength
                            || record.microseconds != timestamp / 1000 {
                            recordMismatch = "packet \(index): libpcap \(record), PcapHandle caplen \(bytes.count) len \(wireLength) ts \(timestamp)"
                        }
                    }
                    if summaryProblem == nil {
                        if summary.capturedLength != UInt32(bytes.count) || summary.wireLength != UInt32(max(wireLength, bytes.count))
                            || summary.flags.contains(.truncated) != (bytes.count < wireLength) || summary.timestamp != timestamp
                            || summary.flags.contains(.unknownLinkType) {
                            summaryProblem = "packet \(index): lengths/flags \(summary.capturedLength)/\(summary.wireLength)/\(summary.flags)"
                        }
                    }
                    // libpcap's BPF engine as a second opinion on the protocol, where its filters
                    // and our decoder look at the same header (no VLAN tag or PPPoE header, which
                    // BPF's "udp" does not look inside, nothing malformed).
                    if bpfMismatch == nil, !summary.isMalformed, !summary.flags.contains(.vlanTagged), !summary.flags.contains(.pppoe),
                       index < direct.records.count {
                        let ours: [String: Bool] = [
                            "tcp": summary.transport == .tcp, "udp": summary.transport == .udp,
                            "icmp or icmp6": summary.transport == .icmp || summary.transport == .icmpv6,
                            "arp": summary.network == .arp,
                        ]
                        for filter in Self.bpfFilters {
                            // A filter that does not compile for this link type ("arp" on raw IP or
                            // loopback) can match nothing, and the decoder must agree.
                            let bpf = direct.bpf[filter]?[index] ?? false
                            if bpf != ours[filter] {
                                bpfMismatch = "packet \(index): BPF \"\(filter)\" says \(bpf), decoder says "
                                    + "\(summary.network)/\(summary.transport) ipProtocol \(summary.ipProtocol)"
                            }
                        }
                        bpfCompared += 1
                    }
                }
            }
            totalPackets += tally.packets

            XCTAssertEqual(tally.packets, direct.records.count, "\(name): packet count vs libpcap")
            XCTAssertNil(recordMismatch, "\(name): \(recordMismatch ?? "")")
            XCTAssertNil(summaryProblem, "\(name): \(summaryProblem ?? "")")
            XCTAssertNil(bpfMismatch, "\(name): \(bpfMismatch ?? "")")
            XCTAssertEqual(Set(direct.bpf.keys).isSuperset(of: ["tcp", "udp", "icmp or icmp6"]), true,
                           "\(name): the IP filters compile for every link type")
            if handle.linkType == .ethernet || handle.linkType == .linuxSLL || handle.linkType == .linuxSLL2 {
                XCTAssertNotNil(direct.bpf["arp"], "\(name): \"arp\" compiles for a link type that carries ARP")
            }
            // A read error must surface exactly where libpcap reports one, with its message.
            if direct.endStatus == -1 {
                failedReads += 1
                XCTAssertEqual(readError, .readFailed(message: direct.readError ?? ""), "\(name): read error")
            } else {
                XCTAssertNil(readError, "\(name): PcapHandle failed (\(readError.map { "\($0)" } ?? "")) where libpcap read to the end")
            }
            // Classic pcap files: a third, libpcap-free count.
            if let classic = try Self.countClassicPcapRecords(path) {
                XCTAssertEqual(classic.count, tally.packets, "\(name): record count by the test's own parser")
                XCTAssertEqual(classic.trailingBytes == 0, direct.endStatus == -2,
                               "\(name): trailing bytes \(classic.trailingBytes) vs libpcap end status \(direct.endStatus)")
            }
        }
        XCTAssertGreaterThan(openedFiles, 60)
        XCTAssertGreaterThan(totalPackets, 70_000)
        XCTAssertGreaterThan(bpfCompared, 60_000)
        // The pcapng conformance suite has files libpcap rejects at open and files it stops reading
        // with an error (several interfaces with different link types or snap lengths, version 2).
        XCTAssertGreaterThan(failedOpens, 0, "expected some unreadable pcapng test files")
        XCTAssertGreaterThan(failedReads, 0, "expected some pcapng test files that end in a read error")
    }

    // MARK: Known facts about particular files

    private func tally(_ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> (LinkType, Tally, [PacketSummary]) {
        _ = try Self.corpusFiles()  // skips when the corpus is absent
        let path = Self.corpusURL.appendingPathComponent(relativePath).path
        let (linkType, packets) = try readAllWithPcapHandle(path)
        var tally = Tally()
        var summaries: [PacketSummary] = []
        for packet in packets {
            let summary = packet.bytes.withUnsafeBytes {
                PacketDecoder.decode($0, linkType: linkType, timestamp: packet.timestamp, wireLength: packet.wireLength)
            }
            summaries.append(summary)
            tally.packets += 1
            tally.network[summary.network, default: 0] += 1
            tally.transport[summary.transport, default: 0] += 1
            if summary.isMalformed { tally.malformed += 1 }
            if summary.flags.contains(.truncated) { tally.truncated += 1 }
            if summary.flags.contains(.vlanTagged) { tally.vlan += 1 }
        }
        return (linkType, tally, summaries)
    }

    func testDpktHTTPHas43PacketsOf41TCPAnd2UDP() throws {
        let (linkType, tally, summaries) = try tally("dpkt/http.pcap")
        XCTAssertEqual(linkType, .ethernet)
        XCTAssertEqual(tally.packets, 43)
        XCTAssertEqual(tally.transport[.tcp], 41)
        XCTAssertEqual(tally.transport[.udp], 2)
        XCTAssertEqual(tally.network[.ipv4], 43)
        XCTAssertEqual(tally.malformed, 0)
        // The two UDP packets are the DNS query and its answer.
        let udp = summaries.filter { $0.transport == .udp }
        XCTAssertEqual(udp.map(\.destinationPort).filter { $0 == 53 }.count, 1)
        XCTAssertEqual(udp.map(\.sourcePort).filter { $0 == 53 }.count, 1)
        // The TCP packets are one HTTP conversation on port 80.
        XCTAssertTrue(summaries.filter { $0.transport == .tcp }.allSatisfy { $0.sourcePort == 80 || $0.destinationPort == 80 })
        XCTAssertEqual(summaries.filter { $0.tcpFlags == [.syn] }.count, 1, "one connection opening")
        // Timestamps never go backwards in this capture.
        XCTAssertEqual(summaries.map(\.timestamp), summaries.map(\.timestamp).sorted())
    }

    func testDpktDNSAndICMP() throws {
        let (_, tally, summaries) = try tally("dpkt/dns_icmp.pcap")
        XCTAssertEqual(tally.packets, 32)
        XCTAssertEqual(tally.transport[.udp], 10)
        XCTAssertEqual(tally.transport[.icmp], 22)
        XCTAssertEqual(tally.malformed, 0)
        XCTAssertTrue(summaries.filter { $0.transport == .icmp }.allSatisfy { $0.sourcePort == 0 && $0.ttl > 0 })
    }

    /// A DSL capture: IP inside PPPoE sessions (and L2TP inside that). The counts are tshark's
    /// (`tshark -T fields -e frame.protocols`): 6 ARP, 1 ICMP, 20 TCP, 35 UDP; nothing "other".
    func testDpktPPPoESessionFramesDecodeAsIP() throws {
        let (_, tally, summaries) = try tally("dpkt/nb6-http.pcap")
        XCTAssertEqual(tally.packets, 62)
        XCTAssertEqual(tally.network[.arp], 6)
        XCTAssertEqual(tally.transport[.icmp], 1)
        XCTAssertEqual(tally.transport[.tcp], 20)
        XCTAssertEqual(tally.transport[.udp], 35)
        XCTAssertEqual(tally.network[NetworkProtocol.none] ?? 0, 0)
        XCTAssertEqual(tally.malformed, 0)
        XCTAssertEqual(summaries.filter { $0.flags.contains(.pppoe) }.count, 46)
    }

    func testGopacketBSDLoopbackIPv6() throws {
        let (linkType, tally, summaries) = try tally("gopacket/pcap/test_loopback.pcap")
        XCTAssertEqual(linkType, .null)
        XCTAssertEqual(tally.packets, 24)
        XCTAssertEqual(tally.network[.ipv6], 24)
        XCTAssertEqual(tally.transport[.tcp], 24)
        XCTAssertEqual(tally.malformed, 0)
        XCTAssertTrue(summaries.allSatisfy { $0.source.isLoopback && $0.destination.isLoopback })
        XCTAssertTrue(summaries.allSatisfy { $0.sourcePort == 8080 || $0.destinationPort == 8080 })
        XCTAssertEqual(summaries.first?.sourcePort, 58799)
        XCTAssertEqual(summaries.first?.tcpFlags, [.psh, .ack])
    }

    func testGopacketDNS() throws {
        let (_, tally, summaries) = try tally("gopacket/pcap/test_dns.pcap")
        XCTAssertEqual(tally.packets, 10)
        XCTAssertEqual(tally.transport[.udp], 10)
        XCTAssertTrue(summaries.allSatisfy { $0.sourcePort == 53 || $0.destinationPort == 53 })
    }

    func testPathspiderRawIPFile() throws {
        let (linkType, tally, _) = try tally("pathspider/icmp_ttl.pcap")
        XCTAssertEqual(linkType, .raw, "LINKTYPE_RAW (101) is reported as DLT_RAW (12)")
        XCTAssertEqual(tally.packets, 9009)
        XCTAssertEqual(tally.transport[.tcp], 5374)
        XCTAssertEqual(tally.transport[.icmp], 3635)
    }

    func testPathspiderRealTrace() throws {
        let (_, tally, _) = try tally("pathspider/real.pcap")
        XCTAssertEqual(tally.packets, 62781)
        XCTAssertEqual(tally.transport[.tcp], 60873)
        XCTAssertEqual(tally.transport[.udp], 1031)
        XCTAssertEqual(tally.transport[.icmp], 105)
        XCTAssertEqual(tally.transport[.other], 29)
        XCTAssertEqual(tally.network[.arp], 743)
        XCTAssertEqual(tally.network[.ipv4], 62038)
        XCTAssertEqual(tally.malformed, 0)
    }

    func testPathspiderRandomARPBodies() throws {
        // 5,000 Ethernet frames typed ARP with random bodies; tcpdump prints "[|arp]" (addresses
        // beyond the captured data) for exactly 1,255 of them, the ones the decoder must flag.
        let (_, tally, summaries) = try tally("pathspider/random.pcap")
        XCTAssertEqual(tally.packets, 5000)
        XCTAssertEqual(tally.network[.arp], 5000)
        XCTAssertEqual(tally.malformed, 1255)
        XCTAssertTrue(summaries.allSatisfy { $0.transport == .none && $0.sourcePort == 0 })
    }

    func testDpktTruncatedDNS() throws {
        // The second file has a 7-byte partial record header at the end: libpcap reads one packet
        // then reports an error, and PcapHandle must surface that error rather than hide it.
        let (_, tally, _) = try tally("dpkt/truncated_dns.pcap")
        XCTAssertEqual(tally.packets, 1)
        XCTAssertEqual(tally.transport[.udp], 1)
        let path = Self.corpusURL.appendingPathComponent("dpkt/truncated_dns_2.pcap").path
        XCTAssertThrowsError(try readAllWithPcapHandle(path)) { error in
            guard case PcapError.readFailed(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("truncated"), message)
        }
    }
}
