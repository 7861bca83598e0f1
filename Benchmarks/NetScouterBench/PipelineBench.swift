import Capture
import Packets
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// Figures of part 1 for the summary table.
struct PipelineResults {
    var packets: Int
    var pipeline: Timings
    /// Nil when tcpdump is not installed or failed.
    var tcpdump: Timings?
    var tcpdumpProblem: String?
    var readOnly: Timings
    var decodeOnly: Timings
    var sessionNullConsumer: Timings
    var aggregateOnly: Timings

    var bestRatio: Double? { tcpdump.map { pipeline.bestRate / $0.bestRate } }
    var medianRatio: Double? { tcpdump.map { pipeline.medianRate / $0.medianRate } }
}

enum PipelineBench {
    static func run(options: BenchOptions) -> PipelineResults {
        let directory = options.dataDirectory ?? packageRoot() + "/bench-data"
        log("")
        log("== 1. Capture pipeline vs tcpdump ==")
        let dataset = BenchDataset.prepare(packets: options.packets, directory: directory)
        log("  capture: \(dataset.path)")
        log("           \(grouped(dataset.packetCount)) packets, \(formatMegabytes(dataset.fileSize)), "
            + "mean frame \(fixed(Double(dataset.frameBytes) / Double(dataset.packetCount), 1)) B, "
            + "\(BenchDataset.hostCount) hosts, \(grouped(BenchDataset.flowCount)) flows planned, "
            + "\(BenchDataset.spanSeconds) s of traffic "
            + (dataset.reused ? "(cached; checked in \(fixed(dataset.secondsToPrepare, 2)) s)"
                              : "(generated in \(fixed(dataset.secondsToPrepare, 1)) s)"))
        warmPageCache(dataset.path)

        // tcpdump, interleaved with our pipeline run by run, so both see the same machine state.
        // NETSCOUTER_BENCH_TCPDUMP names another tcpdump binary (a path that does not exist
        // behaves as "not installed").
        let tcpdumpPath = getenv("NETSCOUTER_BENCH_TCPDUMP").map { String(cString: $0) }.map { isExecutable($0) ? $0 : nil }
            ?? findExecutable("tcpdump")
        var tcpdumpProblem: String?
        if tcpdumpPath == nil {
            tcpdumpProblem = "tcpdump is not installed"
            log("")
            log("  !!! tcpdump was not found on PATH (nor in /usr/sbin, /sbin), so there is no baseline to compare with.")
            log("  !!! Install it with `sudo apt-get install -y tcpdump` (`make bench` installs it), then run again.")
        }
        let stderrPath = directory + "/tcpdump.stderr"
        var tcpdumpTimings: Timings? = tcpdumpPath == nil ? nil : Timings(items: dataset.packetCount)
        var pipeline = Timings(items: dataset.packetCount)
        var lastCheck: PipelineCheck?

        log("")
        log("  Timed runs (wall clock, CLOCK_MONOTONIC):")
        for run in 1...options.runs {
            var line = "    run \(run) \(waitForQuietMachine(maximumSeconds: options.quietWait)): "
            if let tcpdumpPath, tcpdumpTimings != nil {
                let (seconds, status) = timed { runProgram(tcpdumpPath, ["-r", dataset.path, "-w", "/dev/null"], stderrPath: stderrPath) }
                if status == 0 {
                    tcpdumpTimings?.add(seconds)
                    line += "tcpdump \(fixed(seconds, 3)) s (\(millions(Double(dataset.packetCount) / seconds)) Mpps)   "
                } else {
                    let message = readTextFile(stderrPath).split(separator: "\n").last.map(String.init) ?? ""
                    tcpdumpProblem = "tcpdump exited with status \(status): \(message)"
                    log("  !!! \(tcpdumpProblem!)")
                    tcpdumpTimings = nil
                }
            }
            let (seconds, check) = runPipeline(path: dataset.path)
            check.verify(expectedPackets: dataset.packetCount, expectedBytes: dataset.frameBytes)
            pipeline.add(seconds)
            lastCheck = check
            line += "NetScouter \(fixed(seconds, 3)) s (\(millions(Double(dataset.packetCount) / seconds)) Mpps)"
            log(line)
        }
        if let check = lastCheck {
            log("  Aggregates verified: \(grouped(Int(check.packets))) packets (= expected), \(formatMegabytes(Int(check.bytes))), "
                + "\(grouped(check.hosts)) hosts, \(grouped(check.flows)) flows (\(grouped(check.flowsExpired)) expired idle), "
                + "malformed \(check.malformed), ring overflows \(check.ringOverflows)")
            log("  By class: " + ProtocolClass.allCases.map { "\($0) \(grouped(Int(check.byClass[$0.rawValue])))" }.joined(separator: ", "))
        }

        log("")
        log("  Diagnostics (where the time goes):")
        var readOnly = Timings(items: dataset.packetCount)
        var decodeOnly = Timings(items: dataset.packetCount)
        var nullConsumer = Timings(items: dataset.packetCount)
        for _ in 0..<options.runs {
            readOnly.add(readOnlyRun(path: dataset.path, expected: dataset.packetCount))
            decodeOnly.add(decodeOnlyRun(path: dataset.path, expected: dataset.packetCount))
            nullConsumer.add(nullConsumerRun(path: dataset.path, expected: dataset.packetCount))
        }
        let aggregateOnly = aggregateOnlyRuns(path: dataset.path, expected: dataset.packetCount, runs: options.runs)
        func row(_ label: String, _ timings: Timings) {
            log("    " + pad(label, 62) + padLeft(millions(timings.bestRate), 8) + " Mpps best, "
                + padLeft(millions(timings.medianRate), 6) + " median")
        }
        row("libpcap read only (pcap_next_ex, 1 thread)", readOnly)
        row("read + PacketDecoder.decode (1 thread, no ring)", decodeOnly)
        row("CaptureSession + ring, consumer only counts (2 threads)", nullConsumer)
        row("TrafficAggregator.ingest from memory (1 thread)", aggregateOnly)
        row("full pipeline (as above)", pipeline)
        if let tcpdumpTimings { row("tcpdump -r FILE -w /dev/null", tcpdumpTimings) }

        return PipelineResults(packets: dataset.packetCount, pipeline: pipeline, tcpdump: tcpdumpTimings,
                               tcpdumpProblem: tcpdumpProblem, readOnly: readOnly, decodeOnly: decodeOnly,
                               sessionNullConsumer: nullConsumer, aggregateOnly: aggregateOnly)
    }

    /// `--profile-pipeline`: only the pipeline, so a profiler sees nothing else.
    static func profile(options: BenchOptions) {
        let directory = options.dataDirectory ?? packageRoot() + "/bench-data"
        let dataset = BenchDataset.prepare(packets: options.packets, directory: directory)
        warmPageCache(dataset.path)
        for run in 1...options.runs {
            let (seconds, check) = runPipeline(path: dataset.path)
            check.verify(expectedPackets: dataset.packetCount, expectedBytes: dataset.frameBytes)
            log("  pipeline run \(run): \(fixed(seconds, 3)) s, \(millions(Double(dataset.packetCount) / seconds)) Mpps")
        }
    }

    // MARK: The real pipeline

    struct PipelineCheck {
        var packets: UInt64
        var bytes: UInt64
        var malformed: UInt64
        var byClass: [UInt64]
        var hosts: Int
        var flows: Int
        var flowsExpired: Int
        var ringOverflows: Int
        var captured: Int
        var error: PcapError?

        func verify(expectedPackets: Int, expectedBytes: Int) {
            if let error { fatalBench("the capture session failed: \(error)") }
            guard packets == UInt64(expectedPackets) else {
                fatalBench("TrafficAggregator counted \(grouped(Int(packets))) packets, expected \(grouped(expectedPackets)) "
                           + "(session captured \(grouped(captured)), ring overflows \(ringOverflows))")
            }
            guard bytes == UInt64(expectedBytes) else {
                fatalBench("TrafficAggregator counted \(bytes) bytes, expected \(expectedBytes)")
            }
            guard captured == expectedPackets, ringOverflows == 0 else {
                fatalBench("the session reports \(captured) packets captured and \(ringOverflows) ring overflows")
            }
            guard malformed == 0 else { fatalBench("\(malformed) generated frames decoded as malformed") }
        }
    }

    /// What `netscouter capture --read FILE` does: a CaptureSession on a file (its thread reads with
    /// libpcap, decodes and pushes into the SPSC ring) and this thread draining the ring into a
    /// TrafficAggregator until the session has finished and the ring is empty. Timed from opening
    /// the file to the last packet aggregated.
    static func runPipeline(path: String) -> (Double, PipelineCheck) {
        let start = nowNanoseconds()
        let session: CaptureSession
        do {
            session = try CaptureSession(source: .file(path: path), ringCapacity: 1 << 16)
        } catch {
            fatalBench("cannot open \(path): \(error)")
        }
        let aggregator = TrafficAggregator()
        session.start()
        // The consumer loop of Sources/NetScouter/CaptureCommand.swift.
        while true {
            let drained = session.ring.drain { aggregator.ingest($0) }
            if drained == 0 {
                if session.isFinished && session.ring.count == 0 { break }
                usleep(2_000)
            }
        }
        session.stop()
        session.ring.drain { aggregator.ingest($0) }
        let seconds = Double(nowNanoseconds() - start) / 1e9

        let totals = aggregator.totals
        let statistics = session.statistics
        let check = PipelineCheck(
            packets: totals.packets, bytes: totals.bytes, malformed: totals.malformed, byClass: totals.packetsByClass,
            hosts: aggregator.hosts.count, flows: aggregator.flows.count, flowsExpired: aggregator.flows.expiredCount,
            ringOverflows: statistics.ringOverflows, captured: statistics.packetsCaptured, error: session.error)
        return (seconds, check)
    }

    // MARK: Diagnostics

    static func openHandle(_ path: String) -> PcapHandle {
        do { return try PcapHandle.openFile(path) } catch { fatalBench("cannot open \(path): \(error)") }
    }

    /// libpcap alone: pcap_next_ex through PcapHandle.next(), touching only the lengths.
    static func readOnlyRun(path: String, expected: Int) -> Double {
        let (seconds, (count, sink)) = timed { () -> (Int, Int) in
            let handle = openHandle(path)
            var count = 0
            var sink = 0
            do {
                while case let .packet(bytes, _, wireLength) = try handle.next() {
                    count += 1
                    sink &+= wireLength &+ bytes.count
                }
            } catch { fatalBench("reading \(path) failed: \(error)") }
            return (count, sink)
        }
        guard count == expected, sink != 0 else { fatalBench("libpcap read \(count) packets, expected \(expected)") }
        return seconds
    }

    /// libpcap + PacketDecoder on one thread, no ring and no aggregates.
    static func decodeOnlyRun(path: String, expected: Int) -> Double {
        let (seconds, (count, sink)) = timed { () -> (Int, UInt64) in
            let handle = openHandle(path)
            let linkType = handle.linkType
            var count = 0
            var sink: UInt64 = 0
            do {
                while case let .packet(bytes, timestamp, wireLength) = try handle.next() {
                    let summary = PacketDecoder.decode(bytes, linkType: linkType, timestamp: timestamp, wireLength: wireLength)
                    count += 1
                    sink &+= summary.source.low ^ summary.destination.low ^ UInt64(summary.sourcePort) ^ UInt64(summary.wireLength)
                }
            } catch { fatalBench("reading \(path) failed: \(error)") }
            return (count, sink)
        }
        guard count == expected, sink != 0 else { fatalBench("decoded \(count) packets, expected \(expected)") }
        return seconds
    }

    /// The real CaptureSession (read + decode + ring on its thread), with a consumer that only
    /// counts: the producer side's ceiling.
    static func nullConsumerRun(path: String, expected: Int) -> Double {
        let (seconds, count) = timed { () -> Int in
            let session: CaptureSession
            do { session = try CaptureSession(source: .file(path: path), ringCapacity: 1 << 16) } catch {
                fatalBench("cannot open \(path): \(error)")
            }
            var count = 0
            session.start()
            while true {
                let drained = session.ring.drain { count += $0.count }
                if drained == 0 {
                    if session.isFinished && session.ring.count == 0 { break }
                    usleep(2_000)
                }
            }
            session.stop()
            count += session.ring.drain { _ in }
            return count
        }
        guard count == expected else { fatalBench("the null-consumer session delivered \(count) packets, expected \(expected)") }
        return seconds
    }

    /// TrafficAggregator alone: every summary decoded into memory first, then ingested in
    /// ring-sized batches on one thread (the consumer side's ceiling).
    static func aggregateOnlyRuns(path: String, expected: Int, runs: Int) -> Timings {
        var summaries: [PacketSummary] = []
        summaries.reserveCapacity(expected)
        let handle = openHandle(path)
        let linkType = handle.linkType
        do {
            while case let .packet(bytes, timestamp, wireLength) = try handle.next() {
                summaries.append(PacketDecoder.decode(bytes, linkType: linkType, timestamp: timestamp, wireLength: wireLength))
            }
        } catch { fatalBench("reading \(path) failed: \(error)") }
        guard summaries.count == expected else { fatalBench("decoded \(summaries.count) packets, expected \(expected)") }
        var timings = Timings(items: expected)
        for _ in 0..<runs {
            let (seconds, packets) = timed { () -> UInt64 in
                let aggregator = TrafficAggregator()
                summaries.withUnsafeBufferPointer { all in
                    var start = 0
                    while start < all.count {
                        let end = min(start + (1 << 16), all.count)
                        aggregator.ingest(UnsafeBufferPointer(rebasing: all[start..<end]))
                        start = end
                    }
                }
                return aggregator.totals.packets
            }
            guard packets == UInt64(expected) else { fatalBench("aggregate-only counted \(packets) packets, expected \(expected)") }
            timings.add(seconds)
        }
        return timings
    }
}
