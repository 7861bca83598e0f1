// Scanner benchmark (`make bench-scan`, part of `make bench`): NetScouter against nmap and
// arp-scan on the same targets in the same run, inside network namespaces this program creates
// and deletes (never the machine's own interfaces). Needs root, nmap, arp-scan, nft, ip.
import Foundation
import NetScouterTestSupport
import Packets
import Scan
#if canImport(Glibc)
import Glibc
#endif

let netscouter = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("netscouter").path
let rounds = Int(ProcessInfo.processInfo.environment["SCAN_BENCH_ROUNDS"] ?? "") ?? 3
nonisolated(unsafe) var failures: [String] = []

func check(_ condition: Bool, _ message: String) {
    print(condition ? "  ok: \(message)" : "  FAIL: \(message)")
    fflush(nil)
    if !condition { failures.append(message) }
}

/// CPU seconds (user + system) of every child process reaped so far.
func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

nonisolated(unsafe) var lastCPUSeconds = 0.0

/// Wall time of one command, seconds, with its output; its CPU time lands in `lastCPUSeconds`
/// (wall time on 2 shared cores depends on what else runs; CPU time much less).
func timed(_ arguments: [String]) throws -> (Double, Command.Output) {
    let cpuBefore = childrenCPUSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    let output = try Command.run(arguments)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    lastCPUSeconds = childrenCPUSeconds() - cpuBefore
    guard output.status == 0 else { throw TestNetworkError("`\(arguments.joined(separator: " "))` exited \(output.status): \(output.standardError)") }
    return (seconds, output)
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func format(_ seconds: Double) -> String { String(format: "%.3f s", seconds) }

/// Open ports from `nmap -oG -` output.
func nmapOpenPorts(_ text: String) -> Set<Int> {
    var ports = Set<Int>()
    for line in text.split(separator: "\n") where line.contains("Ports:") {
        let list = line.components(separatedBy: "Ports:")[1].split(separator: "\t")[0]
        for entry in list.split(separator: ",") {
            let fields = entry.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
            if fields.count > 1, fields[1] == "open", let port = Int(fields[0]) { ports.insert(port) }
        }
    }
    return ports
}

func ourPorts(_ text: String, state: String) throws -> (Set<Int>, [String: Int]) {
    let objects = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    var ports = Set<Int>()
    var counts: [String: Int] = [:]
    for object in objects {
        if let port = object["port"] as? Int, object["state"] as? String == state { ports.insert(port) }
        if let count = object["count"] as? Int, let s = object["state"] as? String { counts[s, default: 0] += count }
        else if let s = object["state"] as? String { counts[s, default: 0] += 1 }
    }
    return (ports, counts)
}

func listen(in namespace: String, address: String, port: UInt16) throws -> Int32 {
    try NetworkNamespace.run(in: namespace) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = SocketAddress.with(IPAddress(address)!, port: port) { bind(descriptor, $0, $1) }
        guard bound == 0, listen(descriptor, 1024) == 0 else { throw TestNetworkError("listen \(address):\(port): \(String(cString: strerror(errno)))") }
        return descriptor
    }
}

/// "median (min–max)" of a set of run times.
func spread(_ values: [Double]) -> String {
    String(format: "%.3f s (%.3f–%.3f)", median(values), values.min() ?? .nan, values.max() ?? .nan)
}

func fullRangeLoopback() throws -> Double {
    // Five rounds by default: on 2 shared cores single runs swing by a factor of two, and the
    // median of three still follows one unlucky round.
    let fullRounds = Int(ProcessInfo.processInfo.environment["SCAN_BENCH_ROUNDS"] ?? "") ?? 5
    print("1. Full 65,535-port TCP connect scan of 127.0.0.1 in a fresh namespace with 5 listeners")
    print("   nmap -sT -p- -T4 against netscouter's defaults (one epoll loop per core); netscouter --workers 1 (a single loop) for information.")
    print("   One unmeasured warm-up run of each, then \(fullRounds) rounds; each round starts with the next tool in turn.")
    let network = try TestNetwork()
    defer { network.remove() }
    let namespace = try network.add("benchlo")
    let listening: Set<Int> = [22, 80, 443, 8080, 31337]
    let descriptors = try listening.map { try listen(in: namespace, address: "127.0.0.1", port: UInt16($0)) }
    defer { descriptors.forEach { close($0) } }
    let commands = [
        ["ip", "netns", "exec", namespace, "nmap", "-sT", "-p-", "-T4", "-n", "-oG", "-", "127.0.0.1"],
        ["ip", "netns", "exec", namespace, netscouter, "scan", "127.0.0.1", "-p", "-", "--json", "--no-save"],
        ["ip", "netns", "exec", namespace, netscouter, "scan", "127.0.0.1", "-p", "-", "--json", "--no-save", "--workers", "1"],
    ]
    let names = ["nmap", "netscouter", "netscouter --workers 1"]
    // Warm-up: binaries and libraries into the page cache, nmap's data files read once.
    for command in commands { _ = try timed(command) }
    var times = [[Double]](repeating: [], count: commands.count), cpus = times
    for round in 1...fullRounds {
        var outputs = [Command.Output?](repeating: nil, count: commands.count)
        for step in 0..<commands.count {
            let tool = (round - 1 + step) % commands.count
            let (time, output) = try timed(commands[tool])
            times[tool].append(time)
            cpus[tool].append(lastCPUSeconds)
            outputs[tool] = output
        }
        let nmapOpen = nmapOpenPorts(outputs[0]!.standardOutput)
        var line = "  round \(round): nmap \(format(times[0].last!)) (CPU \(format(cpus[0].last!)))"
        for tool in 1..<commands.count {
            let (open, counts) = try ourPorts(outputs[tool]!.standardOutput, state: "open")
            line += String(format: "; %@ %@ (CPU %@, ratio %.2f, closed %d, filtered %d)", names[tool], format(times[tool].last!),
                           format(cpus[tool].last!), times[tool].last! / times[0].last!, counts["closed"] ?? 0, counts["filtered"] ?? 0)
            check(open == nmapOpen && open == listening, "\(names[tool]): same open set as nmap \(nmapOpen.sorted()) (and as the listeners)")
        }
        print(line)
    }
    print("  wall time, median (min–max): " + names.indices.map { "\(names[$0]) \(spread(times[$0]))" }.joined(separator: ", "))
    for tool in 1..<commands.count {
        let roundRatios = zip(times[tool], times[0]).map { $0 / $1 }
        print(String(format: "  %@: ratio of medians %.2f; per-round ratios median %.2f, worst %.2f; CPU (user + system) median %@ vs nmap %@ → %.2f",
                     names[tool], median(times[tool]) / median(times[0]), median(roundRatios), roundRatios.max() ?? .nan,
                     format(median(cpus[tool])), format(median(cpus[0])), median(cpus[tool]) / median(cpus[0])))
    }
    let ratio = median(times[1]) / median(times[0])
    check(ratio <= 0.5, String(format: "full-range scan ≤ 0.5× nmap's wall time (%.2f)", ratio))
    return ratio
}

func droppedHost() throws -> Double {
    print("2. 1,000-port scan (ports 1-1000) of a namespace host whose nftables drops every TCP packet")
    print("   Same timeout policy for both: 500 ms per attempt, 1 retry (2 attempts), no host discovery.")
    let network = try TestNetwork()
    defer { network.remove() }
    let client = try network.add("dc"), server = try network.add("ds")
    try network.veth("bd0", in: client, addresses: ["10.91.0.1/24"], "bd1", in: server, addresses: ["10.91.0.2/24"])
    try network.waitUntilReachable("10.91.0.2", from: client)
    try network.nft("""
        table inet bench {
            chain input {
                type filter hook input priority 0; policy accept;
                meta l4proto tcp drop
            }
        }
        """, in: server)
    var nmapTimes: [Double] = [], ourTimes: [Double] = []
    // One round: nmap needs about 100 s here (its congestion control shrinks parallelism on drops).
    for round in 1...1 {
        let (nmapTime, nmapOutput) = try timed(["ip", "netns", "exec", client, "nmap", "-sT", "-Pn", "-n", "-T4", "-p", "1-1000",
                                                "--max-retries", "1", "--initial-rtt-timeout", "500ms", "--min-rtt-timeout", "500ms",
                                                "--max-rtt-timeout", "500ms", "-oG", "-", "10.91.0.2"])
        let (ourTime, ourOutput) = try timed(["ip", "netns", "exec", client, netscouter, "scan", "10.91.0.2", "-p", "1-1000",
                                              "--timeout", "500", "--retries", "1", "--json", "--no-save"])
        let (_, counts) = try ourPorts(ourOutput.standardOutput, state: "open")
        let nmapFiltered = nmapOutput.standardOutput.contains("Ignored State: filtered (1000)")
        print("  round \(round): nmap \(format(nmapTime)), netscouter \(format(ourTime)); netscouter filtered \(counts["filtered"] ?? 0), nmap all filtered: \(nmapFiltered)")
        check(counts["filtered"] == 1000, "all 1,000 ports filtered")
        nmapTimes.append(nmapTime)
        ourTimes.append(ourTime)
    }
    let ratio = median(ourTimes) / median(nmapTimes)
    print(String(format: "  median: nmap %@, netscouter %@ → ratio %.2f (goal ≤ 1.00)", format(median(nmapTimes)), format(median(ourTimes)), ratio))
    check(ratio <= 1.0, "dropped-host scan ≤ nmap's wall time")
    return ratio
}

func arpDiscovery() throws -> Double {
    print("3. ARP discovery of a /24 with 20 live peers (bridge in a switch namespace)")
    print("   arp-scan defaults: 2 tries per address, 500 ms timeout, 256 kbit/s; netscouter defaults: 2 tries, 250 ms wait, 2,000 frames/s, plus ICMP echo and the neighbour table, no reverse DNS.")
    let network = try TestNetwork()
    defer { network.remove() }
    let lan = try network.add("sw"), scanner = try network.add("scan")
    try network.veth("lan0", in: scanner, addresses: ["10.92.0.1/24"], mac: "02:aa:00:00:00:01", "port0", in: lan)
    var ports = ["port0"]
    var expected: [String: String] = [:]
    for index in 0..<20 {
        let peer = try network.add("p\(index)")
        let mac = String(format: "02:bb:00:00:00:%02x", index + 1)
        let address = "10.92.0.\(10 + index * 12)"
        try network.veth("eth0", in: peer, addresses: ["\(address)/24"], mac: mac, "port\(index + 1)", in: lan)
        ports.append("port\(index + 1)")
        expected[address] = mac
    }
    try network.bridge("br0", in: lan, attach: ports)
    var theirTimes: [Double] = [], ourTimes: [Double] = []
    for round in 1...rounds {
        // Neighbour entries from the previous round would help whichever runs next.
        _ = try? Command.run(["ip", "-n", scanner, "neigh", "flush", "all"])
        let (theirTime, theirOutput) = try timed(["ip", "netns", "exec", scanner, "arp-scan", "-I", "lan0", "--localnet", "-q", "-x"])
        _ = try? Command.run(["ip", "-n", scanner, "neigh", "flush", "all"])
        let (ourTime, ourOutput) = try timed(["ip", "netns", "exec", scanner, netscouter, "discover", "--interface", "lan0", "--json", "--no-save", "--no-dns"])
        var theirs: [String: String] = [:]
        for line in theirOutput.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count >= 2 { theirs[String(fields[0])] = String(fields[1]) }
        }
        let objects = try JSONSerialization.jsonObject(with: Data(ourOutput.standardOutput.utf8)) as? [[String: Any]] ?? []
        var ours: [String: String] = [:]
        for object in objects { if let ip = object["ip"] as? String { ours[ip] = object["mac"] as? String ?? "-" } }
        print("  round \(round): arp-scan \(format(theirTime)) found \(theirs.count), netscouter \(format(ourTime)) found \(ours.count)")
        check(ours == expected, "netscouter found 20/20 with the right MACs")
        check(theirs == expected, "arp-scan found 20/20 with the right MACs (reference)")
        theirTimes.append(theirTime)
        ourTimes.append(ourTime)
    }
    let ratio = median(ourTimes) / median(theirTimes)
    print(String(format: "  median: arp-scan %@, netscouter %@ → ratio %.2f (goal ≤ 1.00)", format(median(theirTimes)), format(median(ourTimes)), ratio))
    check(ratio <= 1.0, "ARP discovery ≤ arp-scan's wall time")
    return ratio
}

guard getuid() == 0 else {
    print("The scanner benchmark creates network namespaces and needs root: run `sudo make bench-scan`.")
    exit(1)
}
guard FileManager.default.isExecutableFile(atPath: netscouter) else {
    print("\(netscouter) is missing: build it first (`swift build -c release --product netscouter`; make bench does).")
    exit(1)
}
do {
    // SCAN_BENCH_ONLY=full runs only the full-range comparison (for quick iterations).
    let onlyFull = ProcessInfo.processInfo.environment["SCAN_BENCH_ONLY"] == "full"
    let full = try fullRangeLoopback()
    let dropped = onlyFull ? .nan : try droppedHost()
    let arp = onlyFull ? .nan : try arpDiscovery()
    print(String(format: "Scanner ratios (netscouter / reference, same run): full range %.2f× nmap, dropped host %.2f× nmap, ARP /24 %.2f× arp-scan", full, dropped, arp))
} catch {
    print("Scanner benchmark failed: \(error)")
    exit(1)
}
if !failures.isEmpty {
    print("Scanner benchmark: \(failures.count) check(s) failed")
    exit(1)
}
