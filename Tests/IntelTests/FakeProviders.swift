import Foundation
import Intel
import NetScouterTestSupport
import Store
import XCTest

/// Three fake providers on loopback plus a reputation service wired to them.
final class FakeProviders {
    let abuseIPDB: FakeHTTPServer
    let virusTotal: FakeHTTPServer
    let otx: FakeHTTPServer
    let database: NetScouterDatabase
    let directory: URL

    static let keys = APIKeys(abuseIPDB: "abuse-key-Q1w2E3r4T5y6", virusTotal: "vt-key-Z9x8C7v6B5n4", otx: "otx-key-M1n2B3v4C5x6")

    init(abuseIPDB: @escaping @Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Response,
         virusTotal: @escaping @Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Response,
         otx: @escaping @Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Response) throws {
        self.abuseIPDB = try FakeHTTPServer(respond: abuseIPDB)
        self.virusTotal = try FakeHTTPServer(respond: virusTotal)
        self.otx = try FakeHTTPServer(respond: otx)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-intel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try NetScouterDatabase(directory: directory)
    }

    deinit {
        abuseIPDB.stop()
        virusTotal.stop()
        otx.stop()
        try? database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    var environment: [String: String] {
        ["NETSCOUTER_ABUSEIPDB_URL": abuseIPDB.baseURL, "NETSCOUTER_VIRUSTOTAL_URL": virusTotal.baseURL, "NETSCOUTER_OTX_URL": otx.baseURL]
    }

    func configuration(keys: APIKeys = FakeProviders.keys, timeout: Double = 5, maximumSlotWait: TimeInterval = 65,
                       limits: [ReputationProvider: RateLimit]? = nil) -> ReputationConfiguration {
        var configuration = ReputationConfiguration(keys: keys, endpoints: ProviderEndpoints(settings: .defaults, environment: environment),
                                                    timeoutSeconds: timeout, maximumSlotWait: maximumSlotWait)
        if let limits { configuration.limits = limits }
        return configuration
    }

    func service(keys: APIKeys = FakeProviders.keys, clock: any IntelClock = ManualIntelClock(), timeout: Double = 5,
                 maximumSlotWait: TimeInterval = 65, limits: [ReputationProvider: RateLimit]? = nil,
                 log: (@Sendable (String) -> Void)? = nil) -> ReputationService {
        ReputationService(configuration: configuration(keys: keys, timeout: timeout, maximumSlotWait: maximumSlotWait, limits: limits),
                          cache: ReputationCache(database: database), clock: clock, log: log)
    }

    var totalRequests: Int { abuseIPDB.requestCount + virusTotal.requestCount + otx.requestCount }

    /// The address a provider request is about.
    static func address(of request: FakeHTTPServer.Request) -> String { ProviderBodies.address(of: request) }
}

/// Collects log lines from the service's worker threads.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
    lazy var sink: @Sendable (String) -> Void = { [unowned self] line in
        self.lock.lock(); self.storage.append(line); self.lock.unlock()
    }
}
