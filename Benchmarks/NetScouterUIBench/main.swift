// Dashboard frame benchmark (issue #3), release build: `make bench` runs it after the capture
// benchmarks. It loads 100,000 flows and 10,000 hosts, then times
//   1. the UI core alone: beginFrame → AppShell.build → endFrame (widgets → draw list),
//   2. build + software render into an offscreen 1280×800 surface,
// both with the flows table's Country / AS / Consensus columns (issue #8: every server address
// carries a verdict, a seventh of them flagged) and, in the same run, without them;
// reports the process RSS, and measures the real window's CPU use under Xvfb over 10 s: idle, and
// capturing on lo while this process sends 1,000 packets/s to its own 127.0.0.1 port (before =
// the old frame-per-drain policy, after = live pacing; same binary, same run).
import Foundation
import Intel
import Packets
import Synchronization
import Screens
import Traffic
import UI
import UISDL

func nanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))]
}

func milliseconds(_ value: Double) -> String { String(format: "%.3f ms", value * 1000) }

func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kilobytes / 1024
}

/// 100,000 flows between 10,000 hosts, spread over the last minute of packet time.
func loadedAggregator(flows: Int, hosts: Int) -> TrafficAggregator {
    var configuration = TrafficConfiguration()
    configuration.maximumFlows = flows * 2
    configuration.maximumHosts = hosts * 2
    let traffic = TrafficAggregator(configuration: configuration)
    let base: Int64 = 1_700_000_000_000_000_000
    var summary = PacketSummary()
    summary.network = .ipv4
    for index in 0..<flows {
        // index % 5,000 clients × index / 20 servers: every (client, server) pair is distinct.
        let half = hosts / 2
        let client = IPAddress(ipv4: 0x0A00_0000 | UInt32(index % half))
        let server = IPAddress(ipv4: 0xC600_0000 | UInt32(index / max(1, flows / half) % half))
        for packet in 0..<3 {
            let forward = packet != 1
            summary.timestamp = base + Int64(index) * 600_000 + Int64(packet) * 1000
            summary.source = forward ? client : server
            summary.destination = forward ? server : client
            summary.sourcePort = forward ? UInt16(1024 + index % 60000) : 443
            summary.destinationPort = forward ? 443 : UInt16(1024 + index % 60000)
            summary.transport = index % 4 == 0 ? .udp : .tcp
            summary.ipProtocol = index % 4 == 0 ? 17 : 6
            summary.tcpFlags = packet == 0 ? [.syn] : packet == 1 ? [.syn, .ack] : [.ack]
            summary.wireLength = UInt32(60 + index % 1400)
            traffic.ingest(summary)
        }
    }
    return traffic
}

struct FrameFigures {
    var core: [Double]
    var rendered: [Double]
    var rebuild: Double
}

/// Gives every global host of `traffic` a verdict, as lookups would: a seventh flagged by all
/// three providers, the rest clean.
func recordVerdicts(_ traffic: TrafficAggregator, into enricher: AddressEnricher) -> Int {
    var count = 0
    let now = Date()
    traffic.hosts.forEach { host in
        guard AddressScope.of(host.address).isGlobal else { return }
        let flagged = count % 7 == 0
        let verdict = ProviderVerdict(flagged: flagged, score: flagged ? 90 : 0, reasons: [], fields: [:])
        enricher.record(AddressReputation(address: host.address.description, scope: .global,
                                          answers: Dictionary(uniqueKeysWithValues: ReputationProvider.allCases.map {
                                              ($0, ProviderAnswer.answered(verdict, fetchedAt: now, fromCache: true))
                                          })))
        count += 1
    }
    return count
}

func benchmarkFrames() -> (withIntel: FrameFigures, withoutIntel: FrameFigures, verdicts: Int, rss: Double, flows: Int, hosts: Int) {
    let traffic = loadedAggregator(flows: 100_000, hosts: 10_000)
    let canvas: OffscreenCanvas
    do { canvas = try OffscreenCanvas(width: 1280, height: 800) } catch { fatalError("\(error)") }
    defer { canvas.destroy() }
    let ui = UIContext(theme: .dark, measurer: canvas.measurer)
    let capture = CaptureController()
    capture.load(traffic)
    // No API keys: lookups answer "no key" at once, so nothing leaves the machine.
    for variable in ["ABUSEIPDB_API_KEY", "VIRUSTOTAL_API_KEY", "VT_API_KEY", "OTX_API_KEY"] { unsetenv(variable) }
    let shell = AppShell(capture: capture)
    shell.wallClock = { 1_700_000_060_000_000_000 }
    var time = 0.0
    func frame(render: Bool) -> Double {
        var input = InputSnapshot()
        input.mousePosition = Point(400, 600)  // over the flows table, so hover paths run too
        input.time = time
        time += 1.0 / 60
        let start = nanoseconds()
        ui.beginFrame(input: input, viewport: canvas.viewport)
        shell.build(ui)
        ui.endFrame()
        if render { canvas.render(ui) }
        return Double(nanoseconds() - start) / 1e9
    }
    // The lookups of the capture's addresses (queued by the first frames) finish first; then
    // every server gets a verdict, as a cache would give them.
    _ = frame(render: false)
    for _ in 0..<100_000 where shell.intel.pendingCount > 0 { _ = frame(render: false); usleep(100) }
    let verdicts = recordVerdicts(traffic, into: shell.intel.enricher)
    func measure() -> FrameFigures {
        // The first frame sorts 100,000 flows into the table's row cache (then once a second at
        // most while data arrives): reported on its own.
        shell.dashboard.flowTable.invalidate()
        let rebuild = frame(render: false)
        for _ in 0..<30 { _ = frame(render: true) }  // warm the text-texture cache
        let core = (0..<300).map { _ in frame(render: false) }
        let rendered = (0..<300).map { _ in frame(render: true) }
        return FrameFigures(core: core, rendered: rendered, rebuild: rebuild)
    }
    let withIntel = measure()
    let intelTitles: Set<String> = [IntelColumns.consensusTitle, IntelColumns.countryTitle, IntelColumns.asTitle]
    shell.dashboard.flowTable.columns.removeAll { intelTitles.contains($0.title) }
    let withoutIntel = measure()
    return (withIntel, withoutIntel, verdicts, residentMegabytes(), traffic.flows.count, traffic.hosts.count)
}

/// CPU time (user + system, seconds) of a process, from /proc/PID/stat.
func cpuSeconds(pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Sends UDP datagrams to `port` on 127.0.0.1 at `rate` per second until stopped (loopback only).
final class LoopbackSender: @unchecked Sendable {
    private let socketDescriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    private let stopped = Mutex(false)
    private let sentCount = Mutex(0)
    private var thread: Thread?

    func start(port: UInt16, rate: Double) {
        let payload = [UInt8](repeating: 0x5A, count: 64)
        let descriptor = socketDescriptor
        let thread = Thread { [self] in
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let start = nanoseconds()
            var sent = 0
            while !stopped.withLock({ $0 }) {
                // Paced by the clock, not by sleeps, so the rate holds whatever a sleep overshoots.
                let due = start + Int64(Double(sent) / rate * 1e9)
                let wait = due - nanoseconds()
                if wait > 0 { usleep(UInt32(min(wait / 1000, 10_000))); continue }
                _ = withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                sent += 1
                sentCount.withLock { $0 = sent }
            }
        }
        self.thread = thread
        thread.start()
    }

    var sent: Int { sentCount.withLock { $0 } }

    func stop() {
        stopped.withLock { $0 = true }
        while thread?.isFinished == false { usleep(1000) }
        close(socketDescriptor)
    }
}

/// A UDP socket bound to 127.0.0.1 on a free port (so the sender's datagrams are received, not
/// answered with ICMP errors).
func boundLoopbackReceiver() -> (descriptor: Int32, port: UInt16)? {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard descriptor >= 0, bound == 0, named == 0 else { close(descriptor); return nil }
    return (descriptor, UInt16(bigEndian: address.sin_port))
}

/// A virtual X display for the window measurements (stopped by `stop`).
struct VirtualDisplay {
    let name = ":87"
    let process = Process()

    static func start() -> (VirtualDisplay?, String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") else { return (nil, "Xvfb missing: apt-get install xvfb") }
        let display = VirtualDisplay()
        display.process.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        display.process.arguments = [display.name, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
        display.process.standardError = FileHandle.nullDevice
        do { try display.process.run() } catch { return (nil, "Xvfb failed: \(error)") }
        usleep(1_000_000)
        return (display, "")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// The real `netscouter` window on `display` with `arguments`: its CPU use (percent of a core)
/// over `seconds`, after two seconds to open the window and settle.
func windowCPU(display: VirtualDisplay, arguments: [String] = [], environment extra: [String: String] = [:],
               seconds: Double) -> (percent: Double?, note: String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("netscouter")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else { return (nil, "netscouter not built at \(binary.path)") }
    let configuration = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-window-\(getpid())-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: configuration) }
    let app = Process()
    app.executableURL = binary
    app.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["DISPLAY"] = display.name
    environment["SDL_VIDEODRIVER"] = "x11"
    environment["XDG_CONFIG_HOME"] = configuration.path
    environment["XDG_DATA_HOME"] = configuration.path
    environment.merge(extra) { $1 }
    app.environment = environment
    app.standardError = FileHandle.nullDevice
    do { try app.run() } catch { return (nil, "netscouter failed to start: \(error)") }
    defer { if app.isRunning { app.interrupt(); app.waitUntilExit() } }
    usleep(2_000_000)  // let it open the window and settle
    guard let before = cpuSeconds(pid: app.processIdentifier) else { return (nil, "cannot read /proc stat") }
    let start = nanoseconds()
    usleep(UInt32(seconds * 1_000_000))
    guard let after = cpuSeconds(pid: app.processIdentifier), app.isRunning else { return (nil, "netscouter exited early") }
    let wall = Double(nanoseconds() - start) / 1e9
    return ((after - before) / wall * 100, "over \(String(format: "%.1f", wall)) s")
}

/// The window capturing on lo while this process sends `rate` UDP datagrams a second to its own
/// 127.0.0.1 port, with the live redraw interval `redrawSeconds` (0: a frame for every drain, the
/// policy before live pacing).
func liveWindowCPU(display: VirtualDisplay, rate: Double, redrawSeconds: Double, seconds: Double) -> (percent: Double?, note: String) {
    guard let receiver = boundLoopbackReceiver() else { return (nil, "cannot bind a UDP socket on 127.0.0.1") }
    defer { close(receiver.descriptor) }
    // Read the datagrams so the receive buffer never fills (its drops would not matter, but
    // the kernel's work should look like a real listener's).
    let drainer = Thread {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while recv(receiver.descriptor, &buffer, buffer.count, 0) >= 0 {}
    }
    drainer.start()
    let sender = LoopbackSender()
    sender.start(port: receiver.port, rate: rate)
    defer { sender.stop(); shutdown(receiver.descriptor, Int32(SHUT_RDWR)) }
    let sentBefore = sender.sent
    let start = nanoseconds()
    let result = windowCPU(display: display, arguments: ["--interface", "lo", "--filter", "udp port \(receiver.port)"],
                           environment: ["NETSCOUTER_LIVE_REDRAW_SECONDS": String(redrawSeconds)], seconds: seconds)
    let sentRate = Double(sender.sent - sentBefore) / (Double(nanoseconds() - start) / 1e9)
    return (result.percent, result.note + String(format: ", %.0f pkt/s sent", sentRate))
}

print("NetScouterUIBench — dashboard frame at 1280×800 with 100,000 flows and 10,000 hosts")
#if DEBUG
print("!!! DEBUG build: figures are meaningless. Run `swift run -c release NetScouterUIBench`.")
#endif
let result = benchmarkFrames()
let windowSeconds: Double = CommandLine.arguments.contains("--quick") ? 3 : 10
// --frames-only: only the frame figures (no Xvfb window runs), for a quick check.
let (display, displayProblem) = CommandLine.arguments.contains("--frames-only") ? (nil, "(skipped: --frames-only)") : VirtualDisplay.start()
let unavailable: (percent: Double?, note: String) = (nil, displayProblem)
let idle = display.map { windowCPU(display: $0, seconds: windowSeconds) } ?? unavailable
// Before and after live pacing, in this run: the same binary with the old policy switched on.
let liveBefore = display.map { liveWindowCPU(display: $0, rate: 1000, redrawSeconds: 0, seconds: windowSeconds) } ?? unavailable
let liveAfter = display.map { liveWindowCPU(display: $0, rate: 1000, redrawSeconds: 0.25, seconds: windowSeconds) } ?? unavailable
display?.stop()
func cpuFigure(_ measured: (percent: Double?, note: String)) -> String {
    measured.percent.map { String(format: "%.2f %% of a core", $0) } ?? "n/a"
}
let figures = result.withIntel, plain = result.withoutIntel
let coreMedian = percentile(figures.core, 0.5), renderedMedian = percentile(figures.rendered, 0.5)
let rows: [(String, String, String, Bool?)] = [
    ("flows / hosts loaded; server addresses with a verdict", "\(result.flows) / \(result.hosts); \(result.verdicts)", "", nil),
    ("UI core: widgets → draw list, with Country/AS/Consensus (median)", milliseconds(coreMedian), "≤ 1.5 ms", coreMedian <= 0.0015),
    ("UI core (p95)", milliseconds(percentile(figures.core, 0.95)), "", nil),
    ("build + software render offscreen, with the columns (median)", milliseconds(renderedMedian), "≤ 8 ms", renderedMedian <= 0.008),
    ("build + render (p95)", milliseconds(percentile(figures.rendered, 0.95)), "", nil),
    ("row-cache rebuild frame (sort 100k flows)", milliseconds(figures.rebuild), "info", nil),
    ("same run without the three columns: UI core (median)", milliseconds(percentile(plain.core, 0.5)), "info", nil),
    ("same run without the three columns: build + render (median)", milliseconds(percentile(plain.rendered, 0.5)), "info", nil),
    ("RSS after the runs", String(format: "%.0f MB", result.rss), "≤ 200 MB", result.rss <= 200),
    ("idle window CPU (Xvfb, no capture) \(idle.note)", cpuFigure(idle), "< 2 %", idle.percent.map { $0 < 2 }),
    ("window capturing lo, before: a frame per drain \(liveBefore.note)", cpuFigure(liveBefore), "info", nil),
    ("window capturing lo, live pacing 0.25 s \(liveAfter.note)", cpuFigure(liveAfter), "≤ 10 %", liveAfter.percent.map { $0 <= 10 }),
]
for (name, value, target, pass) in rows {
    let verdict = pass.map { $0 ? "PASS" : "FAIL" } ?? ""
    print(name.padding(toLength: 86, withPad: " ", startingAt: 0) + value.padding(toLength: 22, withPad: " ", startingAt: 0)
          + target.padding(toLength: 12, withPad: " ", startingAt: 0) + verdict)
}
