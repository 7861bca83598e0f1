import ArgumentParser
import Foundation
import Jobs
import Packets
import Scan
import Store
#if canImport(Glibc)
import Glibc
#endif

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "TCP connect scan of hosts and ports (nmap's target and port syntax).",
        discussion: """
            TARGETS: addresses (192.168.1.10, 2001:db8::1), host names (every address they resolve to),
            CIDR blocks (10.0.0.0/24), ranges (10.0.0.1-20, 10.0.1-3.1-254, 10.0.0.1-10.0.0.20), separated
            by commas or spaces. PORTS: 22,80,443 or 8000-8100 or mixed, - for all 65,535, or service names.
            Without -p or --top, the 1,000 most common ports (Assets/top-ports.txt).

            Timeout policy: the first attempt at a port waits --timeout; once a host has answered, its wait
            adapts to the measured round-trip time (srtt + 4 rttvar, at least 100 ms, at most --timeout);
            a port with no answer is tried --retries more times, then counts as filtered, as does an ICMP
            unreachable. A reset means closed.

            --json prints one object per port: host, port, state, service, rtt_ms, banner (plus hostname
            when a name was given). Closed and filtered ports are summarised per host, as objects with
            port null and a count, unless --all-states. Results are saved in the database (export scans).
            A connect scan needs no privileges.
            """
    )

    @Argument(help: "Hosts to scan.")
    var targets: [String] = []

    @Option(name: .customLong("targets-file"), help: "Read targets from a file (one or more per line, # comments).")
    var targetsFile: String?

    @Option(name: .shortAndLong, help: "Ports: 22,80,8000-8100, - for all, or names (ssh,https).")
    var ports: String?

    @Option(help: "Scan the N most common ports.")
    var top: Int?

    @Option(help: "Longest wait for an answer per attempt, milliseconds.")
    var timeout: Int = 1000

    @Option(help: "More attempts for a port that does not answer.")
    var retries: Int = 1

    @Option(help: "Connection attempts in flight at once (also bounded by the open-file limit).")
    var concurrency: Int = 2048

    @Option(help: "Scan threads (epoll loops) sharing a scan of 4,096 ports or more: 0 for one per core (at most 8), 1 for a single loop.")
    var workers: Int = 0

    @Option(help: "At most this many new connection attempts per second.")
    var rate: Int?

    @Flag(help: "Read the first bytes open ports send (sanitised).")
    var banners = false

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(name: .customLong("all-states"), help: "List closed and filtered ports one by one (and save them).")
    var allStates = false

    @Flag(name: .customLong("no-save"), help: "Do not save the results in the database.")
    var noSave = false

    @OptionGroup var storage: StorageOptions

    func validate() throws {
        if ports != nil && top != nil { throw ValidationError("Give either -p PORTS or --top N, not both.") }
        if timeout < 1 { throw ValidationError("--timeout \(timeout) is too small: give milliseconds, at least 1 (e.g. --timeout 500).") }
        if retries < 0 || retries > 10 { throw ValidationError("--retries \(retries) is out of range: give 0 to 10.") }
        if concurrency < 1 { throw ValidationError("--concurrency \(concurrency) is too small: give at least 1 (e.g. --concurrency 1000).") }
        if workers < 0 || workers > 8 { throw ValidationError("--workers \(workers) is out of range: give 1 to 8, or 0 for one per core.") }
        if let rate, rate < 1 { throw ValidationError("--rate \(rate) is too small: give attempts per second, at least 1 (e.g. --rate 500).") }
        if targets.isEmpty && targetsFile == nil {
            throw ValidationError("No targets: give hosts (e.g. netscouter scan 192.168.1.0/24) or --targets-file FILE.")
        }
    }

    func run() throws {
        let parser = TargetParser()
        var hosts: [ScanHost] = []
        let portList: [UInt16]
        do {
            if !targets.isEmpty { hosts += try parser.parse(targets.joined(separator: ",")) }
            if let targetsFile { hosts += try parser.parseFile(targetsFile) }
            var seen = Set<IPAddress>()
            hosts = hosts.filter { seen.insert($0.address).inserted }
            portList = try ports.map { try PortParser().parse($0) } ?? PortParser.top(top ?? PortScanJob.defaultTopPorts)
        } catch { throw fail("\(error)") }

        // Every port's result is kept for the summary and the store: bound the total.
        let probeLimit = 1 << 24
        guard hosts.count * portList.count <= probeLimit else {
            throw fail("\(hosts.count) hosts × \(portList.count) ports is more than the \(probeLimit) ports one scan keeps: scan fewer hosts or ports per run (e.g. --top 1000 on a /24).")
        }
        var options = PortScanOptions(timeoutMilliseconds: timeout, retries: retries, concurrency: concurrency,
                                      packetsPerSecond: rate, grabBanners: banners, workers: workers)
        options.minimumTimeoutMilliseconds = min(100, timeout)
        let scanner = ConnectScanner(hosts: hosts, ports: portList, options: options)
        let database = noSave ? nil : try storage.openDatabase()
        let targetText = (targets + (targetsFile.map { ["@\($0)"] } ?? [])).joined(separator: " ")
        let scanID = try database.map { try ScanRecords.begin(kind: ScanRecords.portScanKind, target: targetText, in: $0) }

        // Ctrl-C cancels: the results so far are printed and saved as "cancelled".
        ScanInterrupt.install { scanner.cancel() }
        let showProgress = !json && isatty(STDERR_FILENO) == 1
        let summary: PortScanSummary
        do {
            summary = try scanner.run(onProgress: { progress in
                guard showProgress else { return }
                let eta = progress.secondsRemaining.map { String(format: ", ETA %.0f s", $0) } ?? ""
                FileHandle.standardError.write(Data(String(format: "\r%d/%d ports, %d open, %.0f/s%@   ", progress.done, progress.total,
                                                           progress.open, progress.portsPerSecond, eta).utf8))
            })
        } catch {
            if let database, let scanID { ScanRecords.fail(scanID: scanID, error: error, in: database) }
            throw fail("\(error)")
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if let database, let scanID {
            do { try ScanRecords.finish(scanID: scanID, scan: summary, hosts: hosts.count, allStates: allStates, in: database) } catch { throw fail("\(error)") }
        }
        if json { try printJSON(summary, hosts: hosts) } else { printTable(summary, hosts: hosts) }
        if summary.cancelled { throw ExitCode(130) }
    }

    /// Per host (in target order): the ports to list, sorted, and how many closed and filtered
    /// ports the summary lines count. One pass over the results: a full-range scan has 65,535.
    private func shownPorts(_ summary: PortScanSummary, hosts: [ScanHost]) -> [(shown: [PortResult], closed: Int, filtered: Int)] {
        var hostIndex: [IPAddress: Int] = [:]
        hostIndex.reserveCapacity(hosts.count)
        for (index, host) in hosts.enumerated() where hostIndex[host.address] == nil { hostIndex[host.address] = index }
        var perHost = Array(repeating: (shown: [PortResult](), closed: 0, filtered: 0), count: hosts.count)
        for result in summary.results {
            guard let index = hostIndex[result.host.address] else { continue }
            switch result.state {
            case .open: break
            case .closed: perHost[index].closed += 1
            case .filtered: perHost[index].filtered += 1
            }
            if allStates || result.state == .open { perHost[index].shown.append(result) }
        }
        for index in perHost.indices { perHost[index].shown.sort { $0.port < $1.port } }
        return perHost
    }

    private func printJSON(_ summary: PortScanSummary, hosts: [ScanHost]) throws {
        let services = ServiceNames.system
        var objects: [[String: Any]] = []
        for (host, ports) in zip(hosts, shownPorts(summary, hosts: hosts)) {
            for result in ports.shown {
                var object: [String: Any] = [
                    "host": host.address.description, "port": Int(result.port), "state": result.state.rawValue,
                    "service": services.name(of: result.port) ?? NSNull(),
                    "rtt_ms": result.rttMilliseconds.map { (($0 * 1000).rounded() / 1000) as Any } ?? NSNull(),
                    "banner": result.banner ?? NSNull(),
                ]
                if let name = host.name { object["hostname"] = name }
                objects.append(object)
            }
            if !allStates {
                for (state, count) in [(PortState.closed, ports.closed), (.filtered, ports.filtered)] where count > 0 {
                    var object: [String: Any] = ["host": host.address.description, "port": NSNull(), "state": state.rawValue, "count": count,
                                                 "service": NSNull(), "rtt_ms": NSNull(), "banner": NSNull()]
                    if let name = host.name { object["hostname"] = name }
                    objects.append(object)
                }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    private func printTable(_ summary: PortScanSummary, hosts: [ScanHost]) {
        let services = ServiceNames.system
        for (host, ports) in zip(hosts, shownPorts(summary, hosts: hosts)) {
            print("Host \(host)")
            if !ports.shown.isEmpty {
                print("  PORT       STATE     SERVICE          RTT        BANNER")
                for result in ports.shown {
                    let port = "\(result.port)/tcp".padding(toLength: 10, withPad: " ", startingAt: 0)
                    let state = result.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                    let service = (services.name(of: result.port) ?? "").padding(toLength: 16, withPad: " ", startingAt: 0)
                    let rtt = (result.rttMilliseconds.map { String(format: "%.2f ms", $0) } ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)
                    print("  \(port) \(state) \(service) \(rtt) \(result.banner ?? "")")
                }
            }
            if !allStates && ports.closed + ports.filtered > 0 { print("  Not shown: \(ports.closed) closed, \(ports.filtered) filtered") }
        }
        print(ScanRecords.summary(of: summary, hosts: hosts.count))
    }
}

/// SIGINT → a cancel closure (set once per process; the scan ends and its results are kept).
enum ScanInterrupt {
    nonisolated(unsafe) private static var handler: (() -> Void)?
    nonisolated(unsafe) private static var source: DispatchSourceSignal?

    static func install(_ cancel: @escaping () -> Void) {
        handler = cancel
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { handler?() }
        source.resume()
        self.source = source
    }
}

struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "Every TCP and UDP socket of this machine with its owning process.",
        discussion: """
            Read from /proc/net/{tcp,tcp6,udp,udp6}; owners through /proc/PID/fd. Other users' processes
            show no owner unless NetScouter runs as root or with CAP_SYS_PTRACE
            (sudo setcap cap_sys_ptrace,cap_net_raw,cap_net_admin=eip "$(command -v netscouter)").
            --json prints one object per socket: protocol, state, local_address, local_port,
            remote_address, remote_port, pid, process, executable, command_line, user.
            """
    )

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let entries = SocketTable().read().sorted {
            ($0.transport.rawValue, $0.state, $0.local, $0.localPort) < ($1.transport.rawValue, $1.state, $1.local, $1.localPort)
        }
        let hidden = entries.filter { $0.process == nil && $0.inode != 0 }.count
        if json {
            let objects: [[String: Any]] = entries.map { entry in
                [
                    "protocol": entry.transport.rawValue + (entry.isIPv6 ? "6" : ""), "state": entry.state,
                    "local_address": entry.local.description, "local_port": Int(entry.localPort),
                    "remote_address": entry.remote.description, "remote_port": Int(entry.remotePort),
                    "pid": entry.process.map { Int($0.pid) as Any } ?? NSNull(),
                    "process": entry.process?.name ?? NSNull(),
                    "executable": entry.process?.executable ?? NSNull(),
                    "command_line": entry.process.map { $0.commandLine as Any } ?? NSNull(),
                    "user": entry.process?.user ?? SocketTableUser.name(entry.uid),
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("PROTO  STATE        LOCAL                                   REMOTE                                  PID     PROCESS")
        for entry in entries {
            let local = endpoint(entry.local, entry.localPort).padding(toLength: 39, withPad: " ", startingAt: 0)
            let remote = endpoint(entry.remote, entry.remotePort).padding(toLength: 39, withPad: " ", startingAt: 0)
            let proto = (entry.transport.rawValue + (entry.isIPv6 ? "6" : "")).padding(toLength: 6, withPad: " ", startingAt: 0)
            let state = entry.state.padding(toLength: 12, withPad: " ", startingAt: 0)
            let pid = (entry.process.map { String($0.pid) } ?? "-").padding(toLength: 7, withPad: " ", startingAt: 0)
            let owner = entry.process.map { "\($0.name) (\($0.user))" } ?? "-"
            print("\(proto) \(state) \(local) \(remote) \(pid) \(owner)")
        }
        if hidden > 0 && getuid() != 0 {
            var standardError = StandardError()
            print("\(hidden) sockets belong to other users' processes; run as root or grant CAP_SYS_PTRACE to see their owners.", to: &standardError)
        }
    }

    private func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}

enum SocketTableUser {
    static func name(_ uid: UInt32) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }
}

struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Find the hosts on an interface's IPv4 subnet: ARP sweep, ICMP echo and the neighbour table.",
        discussion: """
            The ARP sweep needs CAP_NET_RAW:
              \(CapabilityHint.setcap())
            Without it, discovery falls back to ICMP echo (ping sockets, allowed by net.ipv4.ping_group_range)
            and the kernel's neighbour table, and says so. Every address gets --tries ARP and echo requests
            at most, sent at --rate frames per second; each round waits --wait ms after its last frame.
            --json prints one object per host: ip, mac, name, rtt_ms, sources. Results are saved in the
            database (export scans).
            """
    )

    @Option(help: "Interface whose IPv4 subnet to sweep (see `netscouter interfaces`).")
    var interface: String

    @Option(help: "Frames per second.")
    var rate: Int = 2000

    @Option(help: "Requests per address at most.")
    var tries: Int = 2

    @Option(help: "Wait after each round's last frame, milliseconds.")
    var wait: Int = 250

    @Flag(name: .customLong("allow-large"), help: "Allow sweeping a subnet larger than a /16.")
    var allowLarge = false

    @Flag(name: .customLong("no-dns"), help: "Skip reverse-DNS names.")
    var noDNS = false

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(name: .customLong("no-save"), help: "Do not save the results in the database.")
    var noSave = false

    @OptionGroup var storage: StorageOptions

    func validate() throws {
        if rate < 1 { throw ValidationError("--rate \(rate) is too small: give frames per second, at least 1 (e.g. --rate 500).") }
        if tries < 1 || tries > 10 { throw ValidationError("--tries \(tries) is out of range: give 1 to 10.") }
        if wait < 0 { throw ValidationError("--wait \(wait) is negative: give milliseconds (e.g. --wait 250).") }
    }

    func run() throws {
        var options = DiscoveryOptions()
        options.framesPerSecond = rate
        options.tries = tries
        options.replyWaitMilliseconds = wait
        options.allowLargerThanSlash16 = allowLarge
        options.reverseDNS = !noDNS
        let discovery = LanDiscovery(interface: interface, options: options)
        let database = noSave ? nil : try storage.openDatabase()
        let scanID = try database.map { try ScanRecords.begin(kind: ScanRecords.discoveryKind, target: interface, in: $0) }
        ScanInterrupt.install { discovery.cancel() }
        let result: DiscoveryResult
        do { result = try discovery.run() } catch {
            if let database, let scanID { ScanRecords.fail(scanID: scanID, error: error, in: database) }
            throw fail("\(error)")
        }
        var standardError = StandardError()
        for warning in result.warnings { print("netscouter: \(warning)", to: &standardError) }
        if let database, let scanID {
            do { try ScanRecords.finish(scanID: scanID, discovery: result, in: database) } catch { throw fail("\(error)") }
        }
        if json {
            let objects: [[String: Any]] = result.hosts.map { host in
                [
                    "ip": host.address.description, "mac": host.mac?.description ?? NSNull(),
                    "name": host.name.flatMap { BannerText.sanitise(Array($0.utf8)) } ?? NSNull(),
                    "rtt_ms": host.rttMilliseconds.map { (($0 * 1000).rounded() / 1000) as Any } ?? NSNull(),
                    "sources": host.sources.sorted().map(\.rawValue),
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("IP               MAC                NAME                            RTT        VIA")
            for host in result.hosts {
                let ip = host.address.description.padding(toLength: 16, withPad: " ", startingAt: 0)
                let mac = (host.mac?.description ?? "-").padding(toLength: 18, withPad: " ", startingAt: 0)
                let name = (host.name.flatMap { BannerText.sanitise(Array($0.utf8)) } ?? "-").padding(toLength: 31, withPad: " ", startingAt: 0)
                let rtt = (host.rttMilliseconds.map { String(format: "%.2f ms", $0) } ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                print("\(ip) \(mac) \(name) \(rtt) \(host.sources.sorted().map(\.rawValue).joined(separator: "+"))")
            }
            print(ScanRecords.summary(of: result))
        }
        if result.hosts.isEmpty && result.warnings.count >= 2 { throw ExitCode(1) }
    }
}
