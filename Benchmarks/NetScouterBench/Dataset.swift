import Packets
#if canImport(Glibc)
import Glibc
#endif

/// A small, fast, seedable PRNG (SplitMix64), so the generated capture is identical every time.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound.
    @inline(__always) mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    /// Uniform in [0, 1).
    @inline(__always) mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    @inline(__always) mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }
}

/// The benchmark capture: mixed TCP/UDP/ICMP over IPv4 and IPv6 between ~1,000 hosts in ~50,000
/// flows, 60 to ~470-byte Ethernet frames, timestamps spread evenly over 100 s.
///
/// Every frame is built once up front with `FrameBuilder` (2–3 per flow: a TCP SYN, one frame per
/// direction), so writing millions of records only copies bytes. Packets are drawn from the flows
/// with a skewed popularity (a few heavy flows, a long tail) in short bursts that alternate
/// direction, the way real conversations interleave.
struct BenchDataset {
    static let version = 1
    static let hostCount = 1000
    static let flowCount = 50_000
    static let spanSeconds: Int64 = 100
    static let firstSecond: Int64 = 1_700_000_000
    static let seed: UInt64 = 0x4E65_7453_636F_7574  // "NetScout"

    let path: String
    let packetCount: Int
    let fileSize: Int
    let frameBytes: Int
    let reused: Bool
    let secondsToPrepare: Double

    /// Frames stored back to back; frame `k` is `bytes[offsets[k] ..< offsets[k] + lengths[k]]`.
    private struct Frames {
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []

        mutating func add(_ frame: [UInt8]) -> Int32 {
            var frame = frame
            // Ethernet's 60-byte minimum (without FCS): real captures show the padding too.
            if frame.count < 60 { frame += [UInt8](repeating: 0, count: 60 - frame.count) }
            offsets.append(bytes.count)
            lengths.append(frame.count)
            bytes += frame
            return Int32(offsets.count - 1)
        }
    }

    private struct FlowFrames {
        var syn: Int32  // -1 when the flow is not TCP
        var forward: Int32
        var reverse: Int32
    }

    /// Loads the cached file when it exists with the expected size, else writes it (to a
    /// temporary name, renamed at the end, so an interrupted run never leaves a short file).
    static func prepare(packets: Int, directory: String) -> BenchDataset {
        let start = nowNanoseconds()
        let (frames, flows) = buildFrames()
        // Plan first: the exact file size tells whether a cached file is complete and current.
        var frameBytes = 0
        schedule(packets: packets, flows: flows) { frame, _ in frameBytes += frames.lengths[Int(frame)] }
        let expectedSize = 24 + 16 * packets + frameBytes
        let path = "\(directory)/netscouter-bench-v\(version)-\(packets).pcap"

        if sizeOfFile(path) == expectedSize {
            return BenchDataset(path: path, packetCount: packets, fileSize: expectedSize, frameBytes: frameBytes,
                                reused: true, secondsToPrepare: Double(nowNanoseconds() - start) / 1e9)
        }
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            fatalBench("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        log("  generating \(path) (\(grouped(packets)) packets, \(formatMegabytes(expectedSize)))…")
        let temporary = path + ".partial-\(getpid())"
        do {
            let writer = try PcapFileWriter(path: temporary, linkType: .ethernet)
            try frames.bytes.withUnsafeBytes { all in
                var failure: Error?
                schedule(packets: packets, flows: flows) { frame, timestamp in
                    guard failure == nil else { return }
                    let index = Int(frame)
                    let slice = UnsafeRawBufferPointer(rebasing: all[frames.offsets[index] ..< frames.offsets[index] + frames.lengths[index]])
                    do { try writer.write(slice, timestamp: timestamp) } catch { failure = error }
                }
                if let failure { throw failure }
            }
            try writer.close()
        } catch {
            unlink(temporary)
            fatalBench("cannot write the benchmark capture: \(error)")
        }
        guard sizeOfFile(temporary) == expectedSize else {
            unlink(temporary)
            fatalBench("the generated capture \(temporary) has \(sizeOfFile(temporary) ?? -1) bytes, expected \(expectedSize)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            fatalBench("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
        return BenchDataset(path: path, packetCount: packets, fileSize: expectedSize, frameBytes: frameBytes,
                            reused: false, secondsToPrepare: Double(nowNanoseconds() - start) / 1e9)
    }

    /// Calls `emit(frameIndex, timestampNanoseconds)` for each of `packets` packets, in order.
    /// Deterministic: the same arguments give the same sequence.
    private static func schedule(packets: Int, flows: [FlowFrames], _ emit: (Int32, Int64) -> Void) {
        var random = SplitMix64(seed: seed ^ 0x5CED)
        var opened = [Bool](repeating: false, count: flows.count)
        let start = firstSecond * 1_000_000_000
        let step = Double(spanSeconds * 1_000_000_000) / Double(packets)
        var index = 0
        while index < packets {
            // P(flow ≤ k) = sqrt(k / count): the first flows are heavy, every flow still gets some.
            let u = random.unit()
            let flow = min(flows.count - 1, Int(u * u * Double(flows.count)))
            let burst = 1 + random.below(4)
            var position = 0
            while position < burst && index < packets {
                let frames = flows[flow]
                let frame: Int32
                if !opened[flow] {
                    opened[flow] = true
                    frame = frames.syn >= 0 ? frames.syn : frames.forward
                } else {
                    frame = position % 2 == 0 ? frames.forward : frames.reverse
                }
                emit(frame, start + Int64(Double(index) * step))
                index += 1
                position += 1
            }
        }
    }

    private struct Host {
        var address: IPAddress
        var mac: MACAddress
    }

    private static func buildFrames() -> (Frames, [FlowFrames]) {
        // 1,000 hosts: 800 IPv4 and 200 IPv6; every tenth one is a server.
        var clientsV4: [Host] = [], serversV4: [Host] = [], clientsV6: [Host] = [], serversV6: [Host] = []
        for index in 0..<hostCount {
            let mac = MACAddress(value: 0x02_00_5E_00_00_00 | UInt64(index))
            let isServer = index % 10 == 0
            if index < hostCount * 4 / 5 {
                let address = isServer
                    ? IPAddress(ipv4: 0x5DB8_0000 + UInt32(index) * 3 + 1)  // 93.184.x.y: "internet" servers
                    : IPAddress(ipv4: 0x0A01_0000 + UInt32(index) + 1)      // 10.1.x.y: local clients
                if isServer { serversV4.append(Host(address: address, mac: mac)) } else { clientsV4.append(Host(address: address, mac: mac)) }
            } else {
                let address = isServer
                    ? IPAddress(high: 0x2001_0DB8_0000_0000, low: UInt64(index) + 1)
                    : IPAddress(high: 0xFD00_0000_0000_0001, low: UInt64(index) + 1)
                if isServer { serversV6.append(Host(address: address, mac: mac)) } else { clientsV6.append(Host(address: address, mac: mac)) }
            }
        }

        var random = SplitMix64(seed: seed)
        var frames = Frames()
        frames.bytes.reserveCapacity(flowCount * 3 * 200)
        var flows: [FlowFrames] = []
        flows.reserveCapacity(flowCount)
        let tcpPorts: [UInt16] = [443, 443, 443, 443, 80, 80, 22, 8080, 993, 3306, 5432, 25]
        let udpPorts: [UInt16] = [53, 53, 53, 123, 443, 5353, 51820, 1900]
        for flow in 0..<flowCount {
            let isV6 = random.below(5) == 0
            let client = random.pick(isV6 ? clientsV6 : clientsV4)
            let server = random.pick(isV6 ? serversV6 : serversV4)
            let clientPort = UInt16(1024 + flow)  // unique per flow, so 5-tuples are distinct
            let kind = random.below(100)
            func payload(_ count: Int) -> [UInt8] { [UInt8](repeating: UInt8(truncatingIfNeeded: flow), count: count) }
            let from = FrameBuilder.Endpoint(client.address, clientPort)

            if kind < 70 {
                // TCP: a SYN, then data one way and (mostly) bare ACKs the other.
                let to = FrameBuilder.Endpoint(server.address, random.pick(tcpPorts))
                let downloads = random.below(3) != 0
                let dataSize = 40 + random.below(360)
                let syn = frames.add(FrameBuilder.ethernetIP(from: from, to: to, transport: .tcp, tcpFlags: [.syn],
                                                             sourceMAC: client.mac, destinationMAC: server.mac))
                let forward = frames.add(FrameBuilder.ethernetIP(
                    from: from, to: to, transport: .tcp, tcpFlags: downloads ? [.ack] : [.ack, .psh],
                    payload: downloads ? [] : payload(dataSize), sourceMAC: client.mac, destinationMAC: server.mac))
                let reverse = frames.add(FrameBuilder.ethernetIP(
                    from: to, to: from, transport: .tcp, tcpFlags: downloads ? [.ack, .psh] : [.ack],
                    payload: downloads ? payload(dataSize) : [], sourceMAC: server.mac, destinationMAC: client.mac))
                flows.append(FlowFrames(syn: syn, forward: forward, reverse: reverse))
            } else if kind < 95 {
                // UDP: a short request and a longer answer (DNS-, NTP-, QUIC-like).
                let to = FrameBuilder.Endpoint(server.address, random.pick(udpPorts))
                let forward = frames.add(FrameBuilder.ethernetIP(
                    from: from, to: to, transport: .udp, payload: payload(20 + random.below(100)),
                    sourceMAC: client.mac, destinationMAC: server.mac))
                let reverse = frames.add(FrameBuilder.ethernetIP(
                    from: to, to: from, transport: .udp, payload: payload(40 + random.below(260)),
                    sourceMAC: server.mac, destinationMAC: client.mac))
                flows.append(FlowFrames(syn: -1, forward: forward, reverse: reverse))
            } else {
                // ICMP echo request and reply with ping's 56-byte payload.
                let to = FrameBuilder.Endpoint(server.address, 0)
                let forward = frames.add(FrameBuilder.ethernetIP(
                    from: from, to: to, transport: isV6 ? .icmpv6 : .icmp, payload: payload(56),
                    sourceMAC: client.mac, destinationMAC: server.mac))
                let reply = FrameBuilder.icmp(type: isV6 ? 129 : 0, code: 0, payload: payload(56))
                let packet = isV6
                    ? FrameBuilder.ipv6(source: server.address, destination: client.address, nextHeader: 58, payload: reply)
                    : FrameBuilder.ipv4(source: server.address, destination: client.address, protocol: 1, payload: reply)
                let reverse = frames.add(FrameBuilder.ethernet(source: server.mac, destination: client.mac,
                                                               etherType: isV6 ? 0x86DD : 0x0800, payload: packet))
                flows.append(FlowFrames(syn: -1, forward: forward, reverse: reverse))
            }
        }
        return (frames, flows)
    }
}
