import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Part 3: live capture loss against tcpdump. Two network namespaces created here are joined by a
// veth pair; a sendmmsg sender (Benchmarks/LiveLoss/udp_blaster.c, compiled with cc) in the
// first sends 64-byte UDP frames to the second, where `netscouter capture` or
// `tcpdump -w /dev/null` captures alone. Traffic never leaves the two namespaces, and both are
// deleted afterwards, also when the benchmark fails or is interrupted.

/// One load the sender produces.
struct LiveLoad {
    var label: String
    var packets: Int
    /// Packets per second on average; 0 sends as fast as the sender can.
    var rate: Int
    /// Datagrams handed to one sendmmsg call, back to back.
    var burst: Int
}

/// What one capturing run saw.
struct LiveRun {
    var load: String
    var tool: String
    var run: Int
    var sent: Int
    var senderSeconds: Double
    /// Frames the receiving veth took in during the run (`rx_packets`): the reference.
    var delivered: Int
    /// Packets the tool reported (tcpdump: "captured"; NetScouter: the report's packet total).
    var captured: Int
    /// The tool's own kernel drop counter.
    var kernelDrops: Int
    /// NetScouter only: summaries lost between the capture thread and the report.
    var ringOverflows: Int
    /// Delivered frames that the tool neither captured nor counted as dropped.
    var unaccounted: Int { delivered - captured - kernelDrops - ringOverflows }
    /// Every delivered frame the tool did not capture, whatever it blames.
    var lost: Int { max(0, delivered - captured) }
}

struct LiveLossResults {
    var loads: [LiveLoad]
    var runs: [LiveRun]
    var problem: String?

    func runs(of tool: String, load: LiveLoad) -> [LiveRun] {
        runs.filter { $0.tool == tool && $0.load == load.label }
    }
}

enum LiveLossBench {
    static let port = 9_000
    static let senderAddress = "10.250.0.1"
    static let receiverAddress = "10.250.0.2"
    static let filter = "udp dst port \(port)"

    static func loads(packets: Int, burstPackets: Int) -> [LiveLoad] {
        [
            LiveLoad(label: "100k pps", packets: packets, rate: 100_000, burst: 16),
            LiveLoad(label: "200k pps", packets: packets, rate: 200_000, burst: 16),
            LiveLoad(label: "400k pps", packets: packets, rate: 400_000, burst: 32),
            LiveLoad(label: "flat out", packets: packets, rate: 0, burst: 64),
            LiveLoad(label: "bursts of 200 at 1k pps", packets: burstPackets, rate: 1_000, burst: 200),
        ]
    }

    static func run(options: BenchOptions) -> LiveLossResults {
        log("")
        log("== 3. Live capture loss vs tcpdump (veth between two namespaces) ==")
        let loads = loads(packets: options.livePackets, burstPackets: options.liveBurstPackets)
        func unavailable(_ problem: String) -> LiveLossResults {
            log("  !!! \(problem)")
            return LiveLossResults(loads: loads, runs: [], problem: problem)
        }
        guard geteuid() == 0 else {
            return unavailable("needs root (network namespaces and packet capture): run `sudo make bench-live`")
        }
        guard let ip = findExecutable("ip") else { return unavailable("`ip` is missing: apt-get install -y iproute2") }
        guard let tcpdump = findExecutable("tcpdump") else { return unavailable("tcpdump is missing: apt-get install -y tcpdump") }
        guard let compiler = findExecutable("cc") else { return unavailable("no C compiler (cc) for the sender: apt-get install -y gcc") }
        let netscouter = getenv("NETSCOUTER_BENCH_BINARY").map { String(cString: $0) } ?? packageRoot() + "/.build/release/netscouter"
        guard isExecutable(netscouter) else {
            return unavailable("\(netscouter) is missing: build it first with `swift build -c release --product netscouter` (make bench does)")
        }
        let directory = options.dataDirectory ?? packageRoot() + "/bench-data"
        mkdir(directory, 0o755)
        let blaster = directory + "/udp_blaster"
        let source = packageRoot() + "/Benchmarks/LiveLoss/udp_blaster.c"
        let compileStatus = runProgram(compiler, ["-O2", "-Wall", "-o", blaster, source], stderrPath: directory + "/udp_blaster.cc.stderr")
        guard compileStatus == 0 else {
            return unavailable("compiling \(source) failed: " + readTextFile(directory + "/udp_blaster.cc.stderr"))
        }
        log("  NetScouter: \(netscouter)")
        log("  tcpdump:    \(tcpdump)")
        log("  filter (both): \(filter); frames: 64 bytes; \(options.runs) runs per tool and load, the tools taking turns")

        let pair: NamespacePair
        do {
            pair = try NamespacePair.create(ip: ip)
        } catch {
            return unavailable("setting up the namespaces failed: \(error)")
        }
        defer { pair.destroy() }
        log("  namespaces \(pair.sender) (\(senderAddress)/30 on \(pair.senderInterface)) → \(pair.receiver) "
            + "(\(receiverAddress)/30 on \(pair.receiverInterface)); IPv6 off, static neighbours, so the veth carries only the test's frames")

        let sink = spawnProgram(ip, ["netns", "exec", pair.receiver, blaster, "sink", String(port)],
                                stdoutPath: directory + "/sink.stdout", stderrPath: directory + "/sink.stderr")
        guard sink > 0 else { return unavailable("cannot start the UDP sink") }
        ChildProcesses.add(sink)
        defer { ChildProcesses.terminate(sink) }

        var results = LiveLossResults(loads: loads, runs: [], problem: nil)
        for load in loads {
            log("")
            log("  \(load.label): \(grouped(load.packets)) datagrams, \(load.burst) per sendmmsg")
            for run in 1...options.runs {
                // Alternate which tool goes first, so neither always meets a warmer or cooler machine.
                let order: [CaptureTool] = run % 2 == 1 ? [.tcpdump(tcpdump), .netscouter(netscouter)] : [.netscouter(netscouter), .tcpdump(tcpdump)]
                for tool in order {
                    let measured = measure(tool: tool, load: load, run: run, pair: pair, ip: ip, blaster: blaster, directory: directory)
                    results.runs.append(measured)
                    log("    run \(run) " + pad(tool.name, 10) + " sent \(padLeft(grouped(measured.sent), 9)) "
                        + "(\(padLeft(grouped(Int(Double(measured.sent) / max(measured.senderSeconds, 1e-9))), 9)) pps)  "
                        + "delivered \(padLeft(grouped(measured.delivered), 9))  captured \(padLeft(grouped(measured.captured), 9))  "
                        + "kernel drops \(padLeft(grouped(measured.kernelDrops), 7))"
                        + (tool.name == "NetScouter" ? "  ring overflows \(measured.ringOverflows)" : "")
                        + "  unaccounted \(measured.unaccounted)")
                }
            }
        }
        return results
    }

    enum CaptureTool {
        case tcpdump(String)
        case netscouter(String)

        var name: String {
            switch self {
            case .tcpdump: "tcpdump"
            case .netscouter: "NetScouter"
            }
        }
    }

    static func measure(tool: CaptureTool, load: LiveLoad, run: Int, pair: NamespacePair, ip: String, blaster: String,
                        directory: String) -> LiveRun {
        let stdoutPath = directory + "/live-capture.stdout"
        let stderrPath = directory + "/live-capture.stderr"
        let arguments: [String]
        switch tool {
        case let .tcpdump(path):
            arguments = [path, "-n", "-i", pair.receiverInterface, "-w", "/dev/null", filter]
        case let .netscouter(path):
            arguments = [path, "capture", "--interface", pair.receiverInterface, "--filter", filter, "--json"]
        }
        let socketsBefore = pair.packetSocketCount()
        let capture = spawnProgram(ip, ["netns", "exec", pair.receiver] + arguments, stdoutPath: stdoutPath, stderrPath: stderrPath)
        guard capture > 0 else { fatalBench("cannot start \(tool.name)") }
        ChildProcesses.add(capture)
        // Ready once its packet socket exists; then give it time to install the filter.
        let readyBy = nowNanoseconds() + 10_000_000_000
        while pair.packetSocketCount() <= socketsBefore {
            if nowNanoseconds() > readyBy { fatalBench("\(tool.name) did not open a packet socket in 10 s: \(readTextFile(stderrPath))") }
            usleep(20_000)
        }
        usleep(500_000)

        let deliveredBefore = pair.receiverRxPackets()
        let senderOutput = directory + "/sender.stdout"
        let senderStatus = runProgram(ip, ["netns", "exec", pair.sender, blaster, "send", receiverAddress, String(port),
                                           String(load.packets), String(load.rate), String(load.burst)],
                                      stderrPath: directory + "/sender.stderr", stdoutPath: senderOutput)
        guard senderStatus == 0 else { fatalBench("the sender failed (status \(senderStatus)): \(readTextFile(directory + "/sender.stderr"))") }
        // Let the tool read what is still queued in its buffer before it is told to stop.
        usleep(1_000_000)
        let delivered = pair.receiverRxPackets() - deliveredBefore
        kill(capture, SIGINT)
        let status = waitForExit(capture, seconds: 20)
        ChildProcesses.remove(capture)
        let senderText = readTextFile(senderOutput)
        let sent = Int(value(after: "sent=", in: senderText) ?? "") ?? 0
        let seconds = Double(value(after: "seconds=", in: senderText) ?? "") ?? 0

        var measured = LiveRun(load: load.label, tool: tool.name, run: run, sent: sent, senderSeconds: seconds, delivered: delivered,
                               captured: 0, kernelDrops: 0, ringOverflows: 0)
        switch tool {
        case .tcpdump:
            let text = readTextFile(stderrPath)
            guard let captured = number(before: " packets captured", in: text),
                  let drops = number(before: " packets dropped by kernel", in: text) else {
                fatalBench("tcpdump (status \(status)) printed no statistics: \(text)")
            }
            measured.captured = captured
            measured.kernelDrops = drops
        case .netscouter:
            let data = Data(readTextFile(stdoutPath).utf8)
            guard status == 0,
                  let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let packets = (report["packets"] as? NSNumber)?.intValue,
                  let counters = report["capture"] as? [String: Any],
                  let drops = (counters["kernelDrops"] as? NSNumber)?.intValue,
                  let overflows = (counters["ringOverflows"] as? NSNumber)?.intValue else {
                fatalBench("netscouter capture (status \(status)) gave no JSON report: \(readTextFile(stderrPath))")
            }
            measured.captured = packets
            measured.kernelDrops = drops
            measured.ringOverflows = overflows
        }
        return measured
    }

    /// The whole number just before `suffix` ("1000000 packets captured" → 1000000).
    static func number(before suffix: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasSuffix(suffix) {
            return Int(line.dropLast(suffix.count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    static func value(after prefix: String, in text: String) -> String? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.hasPrefix(prefix) {
            return String(word.dropFirst(prefix.count))
        }
        return nil
    }

    // MARK: Summary

    /// Per load: both tools' losses over all runs and the verdict, as a table of its own (the
    /// main summary's Best / Median columns do not fit), plus one row for the main summary.
    static func summaryRows(_ results: LiveLossResults) -> (rows: [[String]], failures: [String]) {
        if let problem = results.problem {
            return ([["Live loss vs tcpdump", "n/a", "n/a", "≤ tcpdump", "FAIL (\(problem))"]], ["live loss: \(problem)"])
        }
        var table: [[String]] = [["Load", "Runs", "Delivered", "NetScouter lost", "tcpdump lost", "NetScouter unaccounted",
                                  "Sender pps (min–max)", "Result"]]
        var failures: [String] = []
        var passed = 0
        for load in results.loads {
            let ours = results.runs(of: "NetScouter", load: load)
            let theirs = results.runs(of: "tcpdump", load: load)
            guard !ours.isEmpty, !theirs.isEmpty else { continue }
            let ourLoss = ours.map(\.lost).reduce(0, +)
            let theirLoss = theirs.map(\.lost).reduce(0, +)
            let unaccounted = ours.map { abs($0.unaccounted) }.reduce(0, +)
            let rates = (ours + theirs).map { Int(Double($0.sent) / max($0.senderSeconds, 1e-9)) }
            let pass = ourLoss <= theirLoss && unaccounted == 0
            if pass { passed += 1 } else {
                failures.append("live \(load.label): NetScouter lost \(grouped(ourLoss)) vs tcpdump \(grouped(theirLoss))"
                    + (unaccounted == 0 ? "" : ", \(grouped(unaccounted)) packets unaccounted by its drop counters"))
            }
            table.append([load.label, "\(ours.count) + \(theirs.count)", grouped(ours.map(\.delivered).reduce(0, +)),
                          grouped(ourLoss), grouped(theirLoss), grouped(unaccounted),
                          "\(grouped(rates.min() ?? 0))–\(grouped(rates.max() ?? 0))", verdict(pass)])
        }
        log("")
        log("== Live capture loss per load (target: NetScouter lost ≤ tcpdump lost, drop counters exact) ==")
        let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
        for (index, row) in table.enumerated() {
            log(row.enumerated().map { column, cell in column == 0 || column == 7 ? pad(cell, widths[column]) : padLeft(cell, widths[column]) }
                .joined(separator: " | "))
            if index == 0 { log(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")) }
        }
        let loads = table.count - 1
        return ([["Live loss vs tcpdump (loads passed, see the table above)", "\(passed) of \(loads)", "",
                  "NetScouter ≤ tcpdump at every load", verdict(passed == loads && loads > 0)]], failures)
    }

    static func verdict(_ pass: Bool) -> String { pass ? "PASS" : "FAIL" }

    /// The per-run table printed after the runs.
    static func printTable(_ results: LiveLossResults) {
        guard results.problem == nil, !results.runs.isEmpty else { return }
        log("")
        log("== Live capture loss, per run (reference: frames the receiving veth took in) ==")
        var rows: [[String]] = [["Load", "Tool", "Run", "Sent", "Sender pps", "Delivered", "Captured", "Kernel drops", "Ring ovf", "Lost", "Unaccounted"]]
        for run in results.runs {
            rows.append([run.load, run.tool, String(run.run), grouped(run.sent),
                         grouped(Int(Double(run.sent) / max(run.senderSeconds, 1e-9))), grouped(run.delivered), grouped(run.captured),
                         grouped(run.kernelDrops), run.tool == "NetScouter" ? grouped(run.ringOverflows) : "-", grouped(run.lost),
                         grouped(run.unaccounted)])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            log(row.enumerated().map { column, cell in column < 2 ? pad(cell, widths[column]) : padLeft(cell, widths[column]) }
                .joined(separator: " | "))
            if index == 0 { log(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")) }
        }
        log("Lost = delivered − captured. Unaccounted = delivered − captured − kernel drops − ring overflows "
            + "(0 when the tool's drop counters are exact).")
    }
}

// MARK: The namespaces

/// Two namespaces and the veth pair between them, named after this process so parallel or
/// crashed runs never collide; `destroy()` (also run at exit) deletes them.
final class NamespacePair: @unchecked Sendable {
    let ip: String
    let sender: String
    let receiver: String
    let senderInterface: String
    let receiverInterface: String

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    private init(ip: String) {
        self.ip = ip
        let id = getpid()
        sender = "nsbench-\(id)-a"
        receiver = "nsbench-\(id)-b"
        // Interface names are at most 15 characters; both ends are named in the root namespace first.
        senderInterface = "nsb\(id)a"
        receiverInterface = "nsb\(id)b"
    }

    static func create(ip: String) throws -> NamespacePair {
        removeLeftovers(ip: ip)
        let pair = NamespacePair(ip: ip)
        NamespaceCleanup.register(pair)
        let steps: [[String]] = [
            ["netns", "add", pair.sender],
            ["netns", "add", pair.receiver],
            ["link", "add", pair.senderInterface, "address", "02:00:0a:fa:00:01", "type", "veth",
             "peer", "name", pair.receiverInterface, "address", "02:00:0a:fa:00:02"],
            ["link", "set", pair.senderInterface, "netns", pair.sender],
            ["link", "set", pair.receiverInterface, "netns", pair.receiver],
            ["netns", "exec", pair.sender, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"],
            ["netns", "exec", pair.receiver, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"],
            ["-n", pair.sender, "address", "add", LiveLossBench.senderAddress + "/30", "dev", pair.senderInterface],
            ["-n", pair.receiver, "address", "add", LiveLossBench.receiverAddress + "/30", "dev", pair.receiverInterface],
            ["-n", pair.sender, "link", "set", pair.senderInterface, "up"],
            ["-n", pair.receiver, "link", "set", pair.receiverInterface, "up"],
            // Static neighbours: no ARP in the middle of a run.
            ["-n", pair.sender, "neigh", "replace", LiveLossBench.receiverAddress, "lladdr", "02:00:0a:fa:00:02",
             "dev", pair.senderInterface, "nud", "permanent"],
            ["-n", pair.receiver, "neigh", "replace", LiveLossBench.senderAddress, "lladdr", "02:00:0a:fa:00:01",
             "dev", pair.receiverInterface, "nud", "permanent"],
        ]
        let stderrPath = "/tmp/nsbench-\(getpid()).stderr"
        defer { unlink(stderrPath) }
        for step in steps {
            let status = runProgram(ip, step, stderrPath: stderrPath)
            if status != 0 {
                pair.destroy()
                throw SetupError(description: "`ip \(step.joined(separator: " "))` failed (status \(status)): \(readTextFile(stderrPath))")
            }
        }
        return pair
    }

    /// Deletes both namespaces (the veth pair goes with them). Idempotent.
    func destroy() {
        for name in [sender, receiver] {
            _ = runProgram(ip, ["netns", "delete", name], stderrPath: "/dev/null")
        }
        // If a namespace could not be created, the veth pair may still be in the root namespace.
        _ = runProgram(ip, ["link", "delete", senderInterface], stderrPath: "/dev/null")
    }

    /// Namespaces left by an earlier run that was killed before it could clean up.
    private static func removeLeftovers(ip: String) {
        let listing = "/tmp/nsbench-list-\(getpid())"
        defer { unlink(listing) }
        _ = runProgram(ip, ["netns", "list"], stderrPath: "/dev/null", stdoutPath: listing)
        for line in readTextFile(listing).split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "nsbench", let owner = Int32(parts[1]) else { continue }
            if kill(owner, 0) != 0 && errno == ESRCH {
                _ = runProgram(ip, ["netns", "delete", name], stderrPath: "/dev/null")
            }
        }
    }

    func receiverRxPackets() -> Int {
        let path = "/tmp/nsbench-rx-\(getpid())"
        defer { unlink(path) }
        _ = runProgram(ip, ["netns", "exec", receiver, "cat", "/sys/class/net/\(receiverInterface)/statistics/rx_packets"],
                       stderrPath: "/dev/null", stdoutPath: path)
        guard let count = Int(readTextFile(path).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            fatalBench("cannot read rx_packets of \(receiverInterface) in \(receiver)")
        }
        return count
    }

    /// Packet sockets open in the receiving namespace (/proc/net/packet, one line each after the header).
    func packetSocketCount() -> Int {
        let path = "/tmp/nsbench-packet-\(getpid())"
        defer { unlink(path) }
        _ = runProgram(ip, ["netns", "exec", receiver, "cat", "/proc/net/packet"], stderrPath: "/dev/null", stdoutPath: path)
        return max(0, readTextFile(path).split(separator: "\n").count - 1)
    }
}

/// Deletes the namespaces and stops the children at exit, also after `fatalBench` or Ctrl+C.
enum NamespaceCleanup {
    nonisolated(unsafe) private static var pairs: [NamespacePair] = []
    nonisolated(unsafe) private static var installed = false

    static func register(_ pair: NamespacePair) {
        pairs.append(pair)
        guard !installed else { return }
        installed = true
        atexit {
            ChildProcesses.terminateAll()
            for pair in NamespaceCleanup.pairs { pair.destroy() }
        }
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { _ in exit(130) }
        }
    }
}

/// Child processes to stop if the benchmark ends early.
enum ChildProcesses {
    nonisolated(unsafe) private static var running: Set<pid_t> = []

    static func add(_ pid: pid_t) { running.insert(pid) }
    static func remove(_ pid: pid_t) { running.remove(pid) }

    static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        _ = waitForExit(pid, seconds: 5)
        running.remove(pid)
    }

    static func terminateAll() {
        for pid in running { terminate(pid) }
    }
}

// MARK: Processes

/// Starts a program with stdin on /dev/null and stdout and stderr into files; its pid, or -1.
func spawnProgram(_ executable: String, _ arguments: [String], stdoutPath: String, stderrPath: String) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    return posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 ? pid : -1
}

/// Waits up to `seconds` for `pid`, then kills it; its exit status (128 + signal when killed).
func waitForExit(_ pid: pid_t, seconds: Double) -> Int32 {
    let deadline = nowNanoseconds() + Int64(seconds * 1e9)
    var waitStatus: Int32 = 0
    while true {
        let result = waitpid(pid, &waitStatus, WNOHANG)
        if result == pid { break }
        if result < 0 && errno != EINTR { return -1 }
        if nowNanoseconds() > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &waitStatus, 0)
            break
        }
        usleep(10_000)
    }
    let signal = waitStatus & 0x7F
    return signal == 0 ? (waitStatus >> 8) & 0xFF : 128 + signal
}
