#if canImport(Glibc)
import Glibc
#endif

/// Command-line options. `--quick` is a smoke run; the defaults are the figures the issue asks for.
struct BenchOptions {
    var packets = 5_000_000
    var ringItems = 50_000_000
    var mutexItems = 5_000_000
    var runs = 3
    var ringCapacity = 1 << 16
    var dataDirectory: String?
    var runPipeline = true
    var runRing = true
    /// Live capture loss against tcpdump in a namespace pair (needs root).
    var runLive = true
    var livePackets = 1_000_000
    var liveBurstPackets = 10_000
    var quick = false
    /// Run only the NetScouter pipeline, for a profiler (perf, valgrind).
    var profilePipeline = false
    /// Seconds each timed run may wait for a slow cross-core phase of the VM to pass.
    var quietWait = 20.0

    static let usage = """
        Usage: swift run -c release NetScouterBench [options]

          --quick              smoke run: 500,000 packets, 5,000,000 ring items, 1,000,000 mutex items,
                               live loss with 200,000 datagrams per rate and 2,000 in bursts
          --packets N          packets in the generated pcap (default 5,000,000)
          --ring-items N       items pushed through the SPSC ring (default 50,000,000)
          --mutex-items N      items pushed through the Mutex queue (default 5,000,000)
          --runs N             timed runs of each measurement (default 3; best and median reported)
          --ring-capacity N    ring (and mutex queue) capacity, a power of two (default 65,536,
                               the CaptureSession default)
          --data-dir PATH      where the generated pcap is cached (default <package>/bench-data)
          --only-pipeline      run only the pipeline benchmark
          --only-ring          run only the ring benchmark
          --only-live          run only the live-loss benchmark (`make bench-live`); the --only
                               options combine (--only-ring --only-live runs both)
          --skip-live          everything but the live-loss benchmark
          --live-packets N     datagrams per run at each steady rate (default 1,000,000)
          --live-burst-packets N  datagrams per run of the 200-packet bursts (default 10,000)
          --no-wait            do not wait (up to 20 s per run) for a slow cross-core phase of the
                               machine to pass before each timed run
          --profile-pipeline   run only the NetScouter pipeline (--runs times), e.g. under
                               `perf record -g` or `valgrind --tool=callgrind`
          -h, --help           this text

        Exit status: 0 when the benchmarks ran (targets that fail are printed as FAIL),
        1 when a correctness check failed, 2 for bad arguments.
        """

    static func parse(_ arguments: [String]) -> BenchOptions {
        var options = BenchOptions()
        var explicitPackets: Int?
        var explicitRing: Int?
        var explicitMutex: Int?
        var explicitLive: Int?
        var explicitLiveBurst: Int?
        var only: Set<String> = []
        var index = 0
        func value(_ name: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(name) needs a value") }
            return arguments[index]
        }
        func count(_ name: String) -> Int {
            let text = value(name).replacingUnderscoresAndCommas()
            guard let number = Int(text), number > 0 else { fail("\(name) needs a positive whole number, got \(arguments[index])") }
            return number
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--quick": options.quick = true
            case "--packets": explicitPackets = count(argument)
            case "--ring-items": explicitRing = count(argument)
            case "--mutex-items": explicitMutex = count(argument)
            case "--runs": options.runs = count(argument)
            case "--ring-capacity":
                let capacity = count(argument)
                guard capacity & (capacity - 1) == 0, capacity >= 2 else { fail("--ring-capacity must be a power of two ≥ 2") }
                options.ringCapacity = capacity
            case "--data-dir": options.dataDirectory = value(argument)
            case "--only-pipeline": only.insert("pipeline")
            case "--only-ring": only.insert("ring")
            case "--only-live": only.insert("live")
            case "--skip-live": options.runLive = false
            case "--live-packets": explicitLive = count(argument)
            case "--live-burst-packets": explicitLiveBurst = count(argument)
            case "--profile-pipeline": options.profilePipeline = true
            case "--no-wait": options.quietWait = 0
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                fail("unknown argument \(argument)")
            }
            index += 1
        }
        if !only.isEmpty {
            if only.contains("live") && !options.runLive { fail("--only-live and --skip-live exclude each other") }
            options.runPipeline = only.contains("pipeline")
            options.runRing = only.contains("ring")
            options.runLive = only.contains("live")
        }
        if options.quick {
            options.packets = 500_000
            options.ringItems = 5_000_000
            options.mutexItems = 1_000_000
            options.livePackets = 200_000
            options.liveBurstPackets = 2_000
        }
        if let explicitLive { options.livePackets = explicitLive }
        if let explicitLiveBurst { options.liveBurstPackets = explicitLiveBurst }
        if let explicitPackets { options.packets = explicitPackets }
        if let explicitRing { options.ringItems = explicitRing }
        if let explicitMutex { options.mutexItems = explicitMutex }
        return options
    }

    private static func fail(_ message: String) -> Never {
        print("NetScouterBench: \(message)\n")
        print(usage)
        exit(2)
    }
}

extension String {
    /// "5_000_000" and "5,000,000" parse like "5000000".
    fileprivate func replacingUnderscoresAndCommas() -> String { String(filter { $0 != "_" && $0 != "," }) }
}
