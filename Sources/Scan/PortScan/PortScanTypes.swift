import Packets

/// What a connect attempt found.
public enum PortState: String, Codable, Sendable, CaseIterable {
    /// The handshake completed.
    case open
    /// The host answered with a reset.
    case closed
    /// No answer within the timeout (after retries), or an ICMP unreachable.
    case filtered
}

/// One scanned port.
public struct PortResult: Hashable, Sendable {
    public var host: ScanHost
    public var port: UInt16
    public var state: PortState
    /// Time from SYN to the answer, milliseconds; nil for filtered ports.
    public var rttMilliseconds: Double?
    /// The first bytes an open port sent, sanitised (`BannerText`); nil when none arrived or
    /// banners were not asked for.
    public var banner: String?
    /// Why the state was given: "syn-ack", "reset", "timeout", "host-unreachable", …
    public var reason: String

    public init(host: ScanHost, port: UInt16, state: PortState, rttMilliseconds: Double?, banner: String?, reason: String) {
        self.host = host
        self.port = port
        self.state = state
        self.rttMilliseconds = rttMilliseconds
        self.banner = banner
        self.reason = reason
    }
}

/// How a port scan runs. The timeout policy: the first attempt at each port waits
/// `timeoutMilliseconds`; once a host has answered, its wait becomes srtt + 4·rttvar (RFC 6298)
/// clamped to [`minimumTimeoutMilliseconds`, `timeoutMilliseconds`]; a port that gets no answer is
/// tried `retries` more times before it counts as filtered.
public struct PortScanOptions: Sendable, Equatable {
    public var timeoutMilliseconds: Int = 1000
    public var minimumTimeoutMilliseconds: Int = 100
    public var retries: Int = 1
    /// Connection attempts in flight at once; further bounded by RLIMIT_NOFILE.
    public var concurrency: Int = 2048
    /// New connection attempts per second; nil for as fast as the concurrency allows.
    public var packetsPerSecond: Int?
    public var grabBanners: Bool = false
    public var bannerTimeoutMilliseconds: Int = 1500
    public var bannerBytes: Int = 512
    /// Epoll loops (threads) sharing a large scan: 0 for one per core (at most 8); 1 for a single loop.
    /// Rate-limited scans and scans of fewer than 4,096 ports always use one.
    public var workers: Int = 0

    public init(timeoutMilliseconds: Int = 1000, retries: Int = 1, concurrency: Int = 2048,
                packetsPerSecond: Int? = nil, grabBanners: Bool = false, workers: Int = 0) {
        self.workers = workers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.retries = retries
        self.concurrency = concurrency
        self.packetsPerSecond = packetsPerSecond
        self.grabBanners = grabBanners
    }
}

/// A progress report while a scan runs.
public struct ScanProgress: Sendable, Equatable {
    public var done: Int
    public var total: Int
    public var open: Int
    /// Ports finished per second so far.
    public var portsPerSecond: Double
    /// Seconds left at the current rate; nil before the rate is known.
    public var secondsRemaining: Double?
    public var fraction: Double { total == 0 ? 1 : Double(done) / Double(total) }

    public init(done: Int, total: Int, open: Int, portsPerSecond: Double, secondsRemaining: Double?) {
        self.done = done
        self.total = total
        self.open = open
        self.portsPerSecond = portsPerSecond
        self.secondsRemaining = secondsRemaining
    }
}

/// How a scan ended.
public struct PortScanSummary: Sendable {
    public var results: [PortResult]
    public var cancelled: Bool
    public var elapsedSeconds: Double
    /// The concurrency actually used (the setting, bounded by RLIMIT_NOFILE).
    public var concurrency: Int

    public func count(_ state: PortState) -> Int { results.reduce(0) { $0 + ($1.state == state ? 1 : 0) } }
}

/// A scan that cannot start; `description` says why and what to do.
public struct ScanError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
