import Foundation
import NetScouterTestSupport
import XCTest

/// Every flow of every corpus capture, checked against Wireshark's own conversation list.
///
/// The reference is `tshark`: its TCP and UDP conversations (`-z conv,tcp`, `-z conv,udp`) and,
/// for exact byte totals (the conversation table rounds to kB), the per-packet `tcp.stream` /
/// `udp.stream` index with `frame.len`. Our side is the real command users run:
/// `netscouter export flows --read FILE --format ndjson`.
///
/// The two may differ only by these documented rules, each asserted where it applies:
/// 1. **Idle split**: a flow that stays quiet longer than its idle timeout (60 s for UDP, 300 s
///    for open TCP, 10 s after FIN/RST) is finished; a later packet on the same ports starts a
///    new flow. tshark keeps one conversation for the whole file. Asserted: the flows tshark
///    keeps together are consecutive in ours, sum to its packets and bytes exactly, and at every
///    boundary between them the capture's clock (the latest packet time before the new flow's
///    first packet) had passed the earlier flow's last packet by more than the timeout.
/// 2. **ICMP quotes**: tshark runs its TCP conversation tracking on the header an ICMP error
///    quotes, so a router that rewrites the quoted SYN's sequence number makes it start a new
///    conversation. NetScouter counts an ICMP error as ICMP. Asserted: such a tshark stream's
///    first frame is an ICMP error, and it is merged with the stream before it on those ports.
/// 3. **Tunnels**: NetScouter accounts a tunneled packet (L2TP, GRE, IP-in-IP: two IP layers)
///    to its outer flow; tshark also lists the inner conversation. Asserted: every tshark
///    conversation we do not have is made only of tunneled frames (its frame count is no more
///    than the file's tunneled frames, and the packet-level stream fields never saw it outside
///    a tunnel), and the outer flows match as any other.
final class FlowReferenceTests: XCTestCase {
    struct Key: Hashable, CustomStringConvertible {
        var proto: String
        var low: String
        var high: String
        init(_ proto: String, _ a: String, _ aPort: String, _ b: String, _ bPort: String) {
            self.proto = proto
            let first = "\(a)|\(aPort)", second = "\(b)|\(bPort)"
            (low, high) = first < second ? (first, second) : (second, first)
        }
        var description: String { "\(proto) \(low) <-> \(high)" }
    }

    /// A conversation on one side: packets, bytes, and (ours only) times for the idle rule.
    struct Conversation {
        var packets: Int
        var bytes: Int
        /// tshark only: its frame numbers, in file order.
        var frames: [Int] = []
        var firstSeen: Double = 0
        var lastSeen: Double = 0
        var state: String = ""
        var end: String = ""
    }

    func testEveryCorpusFileHasTsharksConversations() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/corpus").standardized
        guard FileManager.default.fileExists(atPath: corpus.path) else { throw XCTSkip("no ../shared/corpus beside the checkout") }
        let tshark = try ExternalTools.require("tshark", package: "tshark")
        let files = (FileManager.default.enumerator(atPath: corpus.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".cap") }
            .sorted()
            .map { corpus.appendingPathComponent($0).path }
        XCTAssertGreaterThan(files.count, 50)

        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var problems: [String] = []
            var compared = 0, conversations = 0, idleSplits = 0, icmpQuoteMerges = 0, tunneled = 0
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let file = files[index]
            do {
                let outcome = try Self.compare(file, tshark: tshark)
                results.lock.withLock {
                    results.compared += 1
                    results.conversations += outcome.conversations
                    results.idleSplits += outcome.idleSplits
                    results.icmpQuoteMerges += outcome.icmpQuoteMerges
                    results.tunneled += outcome.tunneled
                    results.problems += outcome.problems.map { "\(file): \($0)" }
                }
            } catch {
                results.lock.withLock { results.problems.append("\(file): \(error)") }
            }
        }
        for problem in results.problems.prefix(40) { XCTFail(problem) }
        XCTAssertEqual(results.compared, files.count)
        // The hour-long trace alone has ~6,000 TCP conversations: a large total proves the test
        // compared real lists, not two empty ones.
        XCTAssertGreaterThan(results.conversations, 6_000)
        print("FlowReferenceTests: \(results.compared) files, \(results.conversations) tshark conversations matched; "
              + "\(results.idleSplits) idle splits, \(results.icmpQuoteMerges) ICMP-quote merges, "
              + "\(results.tunneled) inner conversations of tunnels")
    }

    private struct Outcome {
        var conversations = 0
        var idleSplits = 0
        var icmpQuoteMerges = 0
        var tunneled = 0
        var problems: [String] = []
    }

    private static func compare(_ file: String, tshark: String) throws -> Outcome {
        var outcome = Outcome()
        let reference = try tsharkConversations(file, tshark: tshark)
        let ours = try ourFlows(file)
        let conversationsByKey = reference.conversations
        if ours == nil {
            if !conversationsByKey.isEmpty { outcome.problems.append("netscouter could not read it; tshark lists \(conversationsByKey.count) conversation keys") }
            return outcome
        }
        let flows = ours!
        outcome.icmpQuoteMerges = conversationsByKey.values.reduce(0) { $0 + $1.merges }
        outcome.tunneled = reference.tunneledConversations
        for key in Set(conversationsByKey.keys).union(flows.keys) {
            let expected = conversationsByKey[key]?.conversations ?? []
            // File order; a flow that finished comes before one that started at the same time.
            let actual = (flows[key] ?? []).sorted {
                ($0.firstSeen, $0.lastSeen, $0.end == "capture_end" ? 1 : 0) < ($1.firstSeen, $1.lastSeen, $1.end == "capture_end" ? 1 : 0)
            }
            outcome.conversations += expected.count
            let expectedPackets = expected.reduce(0) { $0 + $1.packets }, actualPackets = actual.reduce(0) { $0 + $1.packets }
            let expectedBytes = expected.reduce(0) { $0 + $1.bytes }, actualBytes = actual.reduce(0) { $0 + $1.bytes }
            guard expectedPackets == actualPackets, expectedBytes == actualBytes else {
                outcome.problems.append("\(key): tshark \(expected.count) conversation(s), \(expectedPackets) packets, \(expectedBytes) bytes; "
                    + "netscouter \(actual.count) flow(s), \(actualPackets) packets, \(actualBytes) bytes")
                continue
            }
            // Rule 1: tshark's conversations, in order, are runs of our flows split only by idle gaps.
            var next = 0
            for conversation in expected {
                var packets = 0, bytes = 0, first = next
                while next < actual.count, packets < conversation.packets {
                    if next > first, packets < conversation.frames.count {
                        let previous = actual[next - 1]
                        let clock = reference.clockBefore(frame: conversation.frames[packets])
                        let timeout = idleTimeout(key.proto, state: previous.state)
                        // Times are exported to the millisecond: allow that much rounding.
                        if clock - previous.lastSeen <= timeout - 0.001 {
                            outcome.problems.append("\(key): a new flow began when the capture clock was \(clock - previous.lastSeen) s "
                                + "past the previous one, within its \(timeout) s idle timeout")
                        }
                        outcome.idleSplits += 1
                    }
                    packets += actual[next].packets
                    bytes += actual[next].bytes
                    next += 1
                }
                if packets != conversation.packets || bytes != conversation.bytes {
                    outcome.problems.append("\(key): tshark conversation of \(conversation.packets) packets / \(conversation.bytes) bytes "
                        + "is not a run of our flows (got \(packets) / \(bytes) from flows \(first)..<\(next))")
                    break
                }
                first = next
            }
        }
        return outcome
    }

    private static func idleTimeout(_ proto: String, state: String) -> Double {
        if proto == "UDP" { return 60 }
        return state == "CLOSED" || state == "RESET" ? 10 : 300
    }

    // MARK: tshark

    private struct Reference {
        var conversations: [Conversation] = []
        var merges = 0
    }

    private struct FileReference {
        var conversations: [Key: Reference]
        /// The latest packet time up to and including each frame (index = frame number).
        var clock: [Double]
        /// Inner conversations of tunnels, which NetScouter counts as their outer flow.
        var tunneledConversations: Int
        func clockBefore(frame: Int) -> Double { frame - 1 < clock.count && frame >= 1 ? clock[frame - 1] : .infinity }
    }

    /// tshark's TCP and UDP conversations by key, each in order of its first frame, after the
    /// ICMP-quote merge (rule 2). Frame totals are cross-checked against `-z conv`.
    private static func tsharkConversations(_ file: String, tshark: String) throws -> FileReference {
        let fields = ["frame.number", "frame.time_epoch", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
                      "udp.srcport", "udp.dstport", "tcp.stream", "udp.stream", "icmp.type", "icmpv6.type", "frame.protocols"]
        let run = try ExternalTools.run(tshark, ["-r", file, "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
            + fields.flatMap { ["-e", $0] } + ["-z", "conv,tcp", "-z", "conv,udp"])
        struct Stream { var key: Key; var packets = 0; var bytes = 0; var frames: [Int] = []; var firstFrame: Int; var startedByICMP: Bool }
        var streams: [String: Stream] = [:]
        var clock: [Double] = []
        var tunneledFrames = 0
        var conversationTable: [Key: Int] = [:]
        var proto = ""
        for line in run.standardOutput.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("TCP Conversations") { proto = "TCP"; continue }
            if line.hasPrefix("UDP Conversations") { proto = "UDP"; continue }
            if line.contains("<->") {
                // "A:port <-> B:port  framesL bytes unit  framesR bytes unit  framesTotal bytes unit start duration"
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count >= 10, let arrow = parts.firstIndex(of: "<->") else { continue }
                func endpoint(_ text: Substring) -> (String, String) {
                    let colon = text.lastIndex(of: ":")!
                    return (String(text[..<colon]), String(text[text.index(after: colon)...]))
                }
                let a = endpoint(parts[arrow - 1]), b = endpoint(parts[arrow + 1])
                // Each side is "frames bytes unit"; the total frames is the 7th number after B.
                let numbers = parts[(arrow + 2)...].filter { Int($0) != nil }
                guard numbers.count >= 5 else { continue }
                conversationTable[Key(proto, a.0, a.1, b.0, b.1), default: 0] += Int(numbers[numbers.startIndex + 4])!
                continue
            }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == fields.count, let frame = Int(columns[0]), let length = Int(columns[2]) else { continue }
            // A packet without a time (pcapng simple packet block) is at the epoch, as libpcap says.
            let time = Double(columns[1]) ?? 0
            while clock.count < frame { clock.append(clock.last ?? -.infinity) }
            clock[frame - 1] = max(frame >= 2 ? clock[frame - 2] : -.infinity, time)
            // Errors quote the packet that caused them (ICMP 3, 4, 5, 11, 12; ICMPv6 1 to 4).
            let isICMPError = ["3", "4", "5", "11", "12"].contains(columns[13]) || ["1", "2", "3", "4"].contains(columns[14])
            let source = columns[3].isEmpty ? columns[5] : columns[3], destination = columns[4].isEmpty ? columns[6] : columns[4]
            // Rule 3: a tunneled frame counts for its outermost transport only (the first tcp or
            // udp layer; first-occurrence fields are the outer ones).
            let layers = columns[15].split(separator: ":")
            let networkLayers = layers.filter { $0 == "ip" || $0 == "ipv6" }.count
            let isTunneled = networkLayers >= 2 && !isICMPError
            if isTunneled { tunneledFrames += 1 }
            let outermost = layers.first { $0 == "tcp" || $0 == "udp" }.map(String.init)
            for (name, sourcePort, destinationPort, stream) in [("TCP", columns[7], columns[8], columns[11]),
                                                               ("UDP", columns[9], columns[10], columns[12])]
            where !stream.isEmpty && (!isTunneled || outermost == name.lowercased()) {
                let id = "\(name)#\(stream)"
                if streams[id] == nil {
                    streams[id] = Stream(key: Key(name, source, sourcePort, destination, destinationPort), firstFrame: frame,
                                         startedByICMP: isICMPError)
                }
                // The conversation table counts the packet itself, not a header an ICMP error quotes.
                if !isICMPError {
                    streams[id]!.packets += 1
                    streams[id]!.bytes += length
                    streams[id]!.frames.append(frame)
                    if streams[id]!.startedByICMP && streams[id]!.packets == 1 { streams[id]!.key = Key(name, source, sourcePort, destination, destinationPort) }
                }
            }
        }
        var result: [Key: Reference] = [:]
        for stream in streams.values.sorted(by: { $0.firstFrame < $1.firstFrame }) {
            var reference = result[stream.key] ?? Reference()
            if stream.startedByICMP, !reference.conversations.isEmpty {
                // Rule 2: a conversation opened by a quoted header belongs to the one before it.
                reference.conversations[reference.conversations.count - 1].packets += stream.packets
                reference.conversations[reference.conversations.count - 1].bytes += stream.bytes
                reference.conversations[reference.conversations.count - 1].frames += stream.frames
                reference.conversations[reference.conversations.count - 1].frames.sort()
                reference.merges += 1
            } else if stream.packets > 0 {
                reference.conversations.append(Conversation(packets: stream.packets, bytes: stream.bytes, frames: stream.frames))
            }
            if !reference.conversations.isEmpty { result[stream.key] = reference }
        }
        // The per-packet stream indexes must add up to tshark's own conversation table, but for
        // the inner conversations of tunnels (rule 3).
        var tunneledConversations = 0
        for (key, frames) in conversationTable {
            let counted = result[key]?.conversations.reduce(0) { $0 + $1.packets } ?? 0
            if counted == 0, frames <= tunneledFrames { tunneledConversations += 1; continue }
            if counted != frames { throw ReferenceError("tshark's conv table has \(frames) frames for \(key), its stream fields \(counted)") }
        }
        return FileReference(conversations: result, clock: clock, tunneledConversations: tunneledConversations)
    }

    // MARK: netscouter

    /// Our flows by key, or nil when the file could not be read at all.
    private static func ourFlows(_ file: String) throws -> [Key: [Conversation]]? {
        let run = try ExternalTools.run(CommandRun.executable.path, ["export", "flows", "--read", file, "--format", "ndjson", "--out", "-"])
        // A file that stops mid-way still exports what was read before (exit 3, rows on stdout).
        if run.status != 0 && run.standardOutput.isEmpty { return nil }
        var result: [Key: [Conversation]] = [:]
        for line in run.standardOutput.split(separator: "\n") {
            guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let proto = row["protocol"] as? String, proto == "TCP" || proto == "UDP" else { continue }
            let key = Key(proto, row["initiator"] as! String, "\(row["initiator_port"] as! Int)",
                          row["responder"] as! String, "\(row["responder_port"] as! Int)")
            let packets = (row["packets_forward"] as! Int) + (row["packets_reverse"] as! Int)
            let bytes = (row["bytes_forward"] as! Int) + (row["bytes_reverse"] as! Int)
            result[key, default: []].append(Conversation(
                packets: packets, bytes: bytes,
                firstSeen: seconds(iso: row["first_seen"] as! String),
                lastSeen: seconds(iso: row["last_seen"] as! String),
                state: row["state"] as? String ?? "", end: row["end"] as? String ?? ""))
        }
        return result
    }
}

struct ReferenceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// "2012-11-23T17:41:20.896Z" → seconds since the epoch.
private func seconds(iso text: String) -> Double {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)?.timeIntervalSince1970 ?? .nan
}
