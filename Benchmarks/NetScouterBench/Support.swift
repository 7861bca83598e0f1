import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: Clock and statistics

/// CLOCK_MONOTONIC in nanoseconds (wall clock, not CPU time).
@inline(__always)
func nowNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Times `body` with the monotonic clock; returns seconds and the body's result.
@inline(never)
func timed<T>(_ body: () throws -> T) rethrows -> (seconds: Double, result: T) {
    let start = nowNanoseconds()
    let result = try body()
    return (Double(nowNanoseconds() - start) / 1e9, result)
}

/// Several timings of the same work on the same item count.
struct Timings {
    var seconds: [Double] = []
    let items: Int

    init(items: Int) { self.items = items }

    mutating func add(_ value: Double) { seconds.append(value) }

    var best: Double { seconds.min() ?? .nan }
    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
    /// Items per second at the best and the median time.
    var bestRate: Double { Double(items) / best }
    var medianRate: Double { Double(items) / median }
}

// MARK: Failing loudly

/// A correctness failure (lost packets, wrong order, a tool that crashed): print and exit 1.
func fatalBench(_ message: String) -> Never {
    print("")
    print("!!! BENCHMARK ERROR: \(message)")
    fflush(nil)
    exit(1)
}

func log(_ text: String) {
    print(text)
    fflush(nil)
}

// MARK: Formatting (no Foundation needed)

/// `value` with exactly `decimals` digits after the point.
func fixed(_ value: Double, _ decimals: Int = 2) -> String {
    guard value.isFinite else { return value.isNaN ? "n/a" : (value < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = (scaled / scale).rounded(.down)
    let fraction = Int(scaled - whole * scale)
    var text = (value < 0 && scaled != 0 ? "-" : "") + grouped(Int(whole))
    if decimals > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return text
}

/// 5000000 → "5,000,000".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
        out.append(character)
    }
    return value < 0 ? "-" + out : out
}

/// A rate in millions per second, e.g. "8.41 M/s".
func millions(_ perSecond: Double) -> String { fixed(perSecond / 1e6, 2) }

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func padLeft(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func formatMegabytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1e6, 1) + " MB" }

// MARK: Threads

private final class ThreadBody: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Starts `body` on a new pthread; join it with `pthread_join`.
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { context in
        Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body()
        return nil
    }, context)
    if status != 0 {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        fatalBench("pthread_create failed (error \(status))")
    }
    return thread
}

func joinThread(_ thread: pthread_t) {
    pthread_join(thread, nil)
}

// MARK: Files and processes

func sizeOfFile(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}

func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

/// The first executable called `name` on PATH (or in the sbin folders, where Debian may put
/// network tools that PATH for non-root users lacks).
func findExecutable(_ name: String) -> String? {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
    for folder in folders where !folder.isEmpty {
        let candidate = folder + "/" + name
        if isExecutable(candidate) { return candidate }
    }
    return nil
}

/// Runs a program with stdin on /dev/null, stdout into `stdoutPath` and stderr into `stderrPath`, waits for it
/// with `waitpid` (posix_spawn: no Foundation run-loop polling in the timing), and returns its
/// exit status (128 + signal when killed).
func runProgram(_ executable: String, _ arguments: [String], stderrPath: String, stdoutPath: String = "/dev/null") -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard status == 0 else { return -1 }
    var waitStatus: Int32 = 0
    while waitpid(pid, &waitStatus, 0) < 0 {
        if errno != EINTR { return -1 }
    }
    let signal = waitStatus & 0x7F
    return signal == 0 ? (waitStatus >> 8) & 0xFF : 128 + signal
}

/// The whole of a small text file ("" when unreadable).
func readTextFile(_ path: String) -> String {
    guard let file = fopen(path, "rb") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Reads a file to the end and throws the bytes away, so every timed reader starts with it in
/// the page cache.
func warmPageCache(_ path: String) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    let size = 1 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    defer { buffer.deallocate() }
    while read(descriptor, buffer, size) > 0 {}
}

/// The folder containing Package.swift, found from this source file's location; the current
/// directory when the sources are not where they were compiled.
func packageRoot() -> String {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    // …/<root>/Benchmarks/NetScouterBench/Support.swift
    if components.count > 3 {
        components.removeLast(3)
        let root = components.joined(separator: "/")
        if access(root + "/Package.swift", F_OK) == 0 { return root }
    }
    var buffer = [CChar](repeating: 0, count: 4096)
    if getcwd(&buffer, buffer.count) != nil {
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return "."
}

// MARK: Machine check


/// Two flags on separate cache lines for the cross-core round-trip probe.
private final class PingPong: Sendable {
    let ping = Atomic<Int>(0)
    private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    let pong = Atomic<Int>(0)
    init() { _ = padding }
}

/// Nanoseconds for one cache-line round trip between two threads (on two cores when the machine
/// is idle). On this kind of VM it reads 110–220 ns when the two vCPUs run undisturbed and
/// 500–2,000 ns in slow phases (vCPUs placed far apart or a busy host); every two-thread figure
/// drops 3–5× in that state.
func crossCoreRoundTripNanoseconds(iterations: Int = 50_000, record: Bool = true) -> Double {
    let flags = PingPong()
    let partner = startThread {
        for round in 1...iterations {
            while flags.ping.load(ordering: .acquiring) != round {}
            flags.pong.store(round, ordering: .releasing)
        }
    }
    let start = nowNanoseconds()
    for round in 1...iterations {
        flags.ping.store(round, ordering: .releasing)
        while flags.pong.load(ordering: .acquiring) != round {}
    }
    let elapsed = nowNanoseconds() - start
    joinThread(partner)
    let nanoseconds = Double(elapsed) / Double(iterations)
    if record { roundTripLog.withLock { $0.append(nanoseconds) } }
    return nanoseconds
}

/// Every round trip measured in this process, for the summary's warning.
let roundTripLog = Mutex<[Double]>([])

/// Above this round trip the machine is not in a state where two-thread figures mean much.
let contendedRoundTripNanoseconds = 350.0

func describeRoundTrip(_ nanoseconds: Double) -> String {
    "\(fixed(nanoseconds, 0)) ns" + (nanoseconds > contendedRoundTripNanoseconds ? " (SLOW)" : "")
}

/// Before a timed run: when the cross-core round trip is slow (the host has put the two vCPUs
/// far apart or is busy; such phases last tens of seconds here), waits up to `maximumSeconds`
/// for it to recover, probing every quarter second. Returns a label for the run's log line.
func waitForQuietMachine(maximumSeconds: Double) -> String {
    var roundTrip = crossCoreRoundTripNanoseconds(record: false)
    guard roundTrip > contendedRoundTripNanoseconds, maximumSeconds > 0 else {
        roundTripLog.withLock { $0.append(roundTrip) }
        return "[round trip \(describeRoundTrip(roundTrip))]"
    }
    let start = nowNanoseconds()
    let deadline = start + Int64(maximumSeconds * 1e9)
    while roundTrip > contendedRoundTripNanoseconds && nowNanoseconds() < deadline {
        usleep(250_000)
        roundTrip = crossCoreRoundTripNanoseconds(iterations: 20_000, record: false)
    }
    roundTripLog.withLock { $0.append(roundTrip) }
    let waited = Double(nowNanoseconds() - start) / 1e9
    return "[round trip \(describeRoundTrip(roundTrip)), waited \(fixed(waited, 1)) s]"
}
