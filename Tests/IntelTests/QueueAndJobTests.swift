import Foundation
import Intel
import Jobs
import NetScouterTestSupport
import Packets
import Schedule
import Store
import Synchronization
import XCTest

final class LookupQueueTests: XCTestCase {
    typealias Response = FakeHTTPServer.Response

    /// A lookup queue on AbuseIPDB alone (the other providers fail), whose first answer is held
    /// 0.6 s so a test can queue more behind it; `delivered` lists answered addresses in order.
    private func queueWithFirstAnswerHeld() throws -> (FakeProviders, ReputationLookupQueue, AnsweredAddresses) {
        let first = Atomic(true)
        let providers = try FakeProviders(
            abuseIPDB: { request in
                let delay = first.exchange(false, ordering: .relaxed) ? 0.6 : 0
                return Response(body: ProviderBodies.abuseIPDB(address: FakeProviders.address(of: request), score: 0), delay: delay)
            },
            virusTotal: { _ in Response(status: 500, body: "{}") }, otx: { _ in Response(status: 500, body: "{}") })
        let service = providers.service(keys: APIKeys(abuseIPDB: FakeProviders.keys.abuseIPDB))
        let delivered = AnsweredAddresses()
        let queue = ReputationLookupQueue(service: service) { result in delivered.withLock { $0.append(result.address) } }
        return (providers, queue, delivered)
    }

    func testDeduplicatesAndPutsVisibleAddressesFirst() throws {
        // The first request is held long enough for the test to queue everything else behind it.
        let (providers, queue, delivered) = try queueWithFirstAnswerHeld()
        defer { queue.stop() }

        XCTAssertEqual(queue.enqueue(["45.1.0.1"]), 1)
        usleep(200_000)  // 45.1.0.1 is now in flight
        XCTAssertEqual(queue.enqueue(["45.1.0.2", "45.1.0.3", "45.1.0.4", "45.1.0.2", "45.1.0.1"], priority: .background), 3,
                       "duplicates and the address in flight are not queued again")
        XCTAssertEqual(queue.enqueue(["45.1.0.4", "45.1.0.5"], priority: .visible), 1, "45.1.0.4 moves forward, 45.1.0.5 is new")
        XCTAssertEqual(queue.pendingCount, 4)
        XCTAssertTrue(queue.waitUntilIdle(timeout: 20))
        XCTAssertEqual(delivered.withLock { $0 }, ["45.1.0.1", "45.1.0.4", "45.1.0.5", "45.1.0.2", "45.1.0.3"])
        XCTAssertEqual(providers.abuseIPDB.requestCount, 5)
    }

    /// Refresh pressed while the same address is being looked up: the answer on its way may
    /// predate the request (or come from the cache), so the address is looked up once more, past
    /// the cache; a plain lookup of it meanwhile still shares the answer in flight.
    func testARefreshWhileTheAddressIsInFlightAsksTheProvidersAgain() throws {
        let (providers, queue, delivered) = try queueWithFirstAnswerHeld()
        defer { queue.stop() }

        XCTAssertEqual(queue.enqueue(["45.1.0.1"]), 1)
        for _ in 0..<2000 where providers.abuseIPDB.requestCount == 0 { usleep(1000) }
        XCTAssertEqual(providers.abuseIPDB.requestCount, 1, "45.1.0.1 is in flight")
        XCTAssertFalse(queue.isWaiting("45.1.0.1"))
        XCTAssertEqual(queue.enqueue(["45.1.0.1"], priority: .visible), 0, "a plain lookup shares the answer in flight")
        XCTAssertEqual(queue.enqueue(["45.1.0.1"], priority: .visible, refresh: true), 1, "a refresh queues it again")
        XCTAssertTrue(queue.isWaiting("45.1.0.1"))
        XCTAssertEqual(queue.enqueue(["45.1.0.1"], priority: .visible, refresh: true), 0, "once")
        XCTAssertTrue(queue.waitUntilIdle(timeout: 20))
        XCTAssertEqual(delivered.withLock { $0 }, ["45.1.0.1", "45.1.0.1"])
        XCTAssertEqual(providers.abuseIPDB.requestCount, 2, "the second lookup went past the cache the first one filled")

        // Without a refresh, the cache answers.
        XCTAssertEqual(queue.enqueue(["45.1.0.1"]), 1)
        XCTAssertTrue(queue.waitUntilIdle(timeout: 20))
        XCTAssertEqual(providers.abuseIPDB.requestCount, 2)
    }

    /// A big capture queues tens of thousands of addresses at once: each is looked up once, in
    /// order, and a visible one still jumps the queue.
    func testAQueueOfTwentyThousandAddressesDrainsInOrderOnce() throws {
        // No key: every lookup answers "no answer" at once, without a network call. The first
        // delivery holds the worker until everything is queued.
        let service = ReputationService(configuration: ReputationConfiguration(keys: APIKeys()), cache: nil)
        let delivered = Mutex<[String]>([])
        let gate = DispatchSemaphore(value: 0)
        let queue = ReputationLookupQueue(service: service) { result in
            let isFirst = delivered.withLock { list -> Bool in list.append(result.address); return list.count == 1 }
            if isFirst { gate.wait() }
        }
        defer { queue.stop() }
        XCTAssertEqual(queue.enqueue(["45.2.255.255"]), 1)
        for _ in 0..<2000 where delivered.withLock({ $0.isEmpty }) { usleep(1000) }
        let addresses = (0..<20_000).map { "45.3.\($0 / 256).\($0 % 256)" }
        XCTAssertEqual(queue.enqueue(addresses), addresses.count)
        XCTAssertEqual(queue.enqueue(Array(addresses.prefix(5_000))), 0, "nothing twice while waiting")
        XCTAssertEqual(queue.enqueue([addresses[19_999]], priority: .visible), 0, "already waiting: moved forward, not added")
        XCTAssertEqual(queue.pendingCount, addresses.count)
        gate.signal()
        XCTAssertTrue(queue.waitUntilIdle(timeout: 60))
        let order = delivered.withLock { $0 }
        XCTAssertEqual(order.count, addresses.count + 1)
        XCTAssertEqual(Array(order.prefix(2)), ["45.2.255.255", addresses[19_999]], "the visible address came next")
        XCTAssertTrue(Array(order.dropFirst(2)) == Array(addresses.dropLast()), "background addresses in the order they came, each once")
        XCTAssertEqual(queue.pendingCount, 0)
    }
}

final class ReputationRefreshJobTests: XCTestCase {
    typealias Response = FakeHTTPServer.Response

    func testRenewsExpiringAnswersAndLooksUpNewHostsOfTheLatestCaptureWindow() throws {
        let providers = try FakeProviders(
            abuseIPDB: { Response(body: ProviderBodies.abuseIPDB(address: FakeProviders.address(of: $0), score: FakeProviders.address(of: $0) == "45.2.0.3" ? 99 : 0)) },
            virusTotal: { Response(body: ProviderBodies.virusTotal(address: FakeProviders.address(of: $0), malicious: 0)) },
            otx: { Response(body: ProviderBodies.otx(address: FakeProviders.address(of: $0), pulses: [])) })
        let clock = ManualIntelClock()
        let service = providers.service(clock: clock)
        _ = service.lookup("45.2.0.1")          // cached now, expires in 24 h
        _ = service.lookup("45.2.0.2")
        clock.advance(by: 23.5 * 3600)          // both expire within the next hour
        _ = service.lookup("45.2.0.9", refresh: true)  // fresh for another day: left alone
        struct Host: Encodable { var address: String }
        try SnapshotStore(database: providers.database).save(
            [Host(address: "45.2.0.3"), Host(address: "192.168.1.10"), Host(address: "45.2.0.1"), Host(address: "45.2.0.9")],
            kind: .hosts, source: "test", at: clock.now())
        let before = providers.otx.requestCount

        let result = try ReputationRefreshJob.run(service: service, database: providers.database)
        XCTAssertEqual(result, ReputationRefreshJob.Result(lookedUp: 4, refreshed: 2, flagged: 1, skippedForQuota: 0))
        XCTAssertEqual(result.summary, "Looked up 4 addresses (2 expiring cache entries renewed), 1 flagged by at least one provider.")
        XCTAssertEqual(providers.otx.requestCount - before, 3, "45.2.0.1, 45.2.0.2 renewed, 45.2.0.3 new; 45.2.0.9 from the cache; 192.168.1.10 never")
        XCTAssertFalse(providers.otx.requests.contains { $0.target.contains("192.168") })
    }

    func testWithoutAnyKeyTheRunFailsWithAMessage() throws {
        let providers = try FakeProviders(abuseIPDB: { _ in Response(body: "{}") }, virusTotal: { _ in Response(body: "{}") }, otx: { _ in Response(body: "{}") })
        XCTAssertThrowsError(try ReputationRefreshJob.run(service: providers.service(keys: APIKeys()), database: providers.database)) { error in
            XCTAssertTrue("\(error)".hasPrefix("No reputation API key is set"), "\(error)")
        }
    }

    func testTheCatalogHasAnEngineForReputationRefresh() {
        XCTAssertTrue(JobCatalog.executors(database: nil).registeredKinds.contains(.reputationRefresh))
        let outcome = JobCatalog.executors(database: nil).run(ScheduledJob(id: 1, name: "intel", kind: .reputationRefresh, trigger: .interval(seconds: 3600)),
                                                              context: JobContext(runID: 1, startedAt: Date()))
        XCTAssertEqual(outcome.outcome, .failed)
        XCTAssertEqual(outcome.summary, "Reputation refresh needs NetScouter's database; start the scheduler with a data directory.")
    }
}

final class ConfigurationAndEnrichmentTests: XCTestCase {
    func testIntelJSONOverridesFlagRulesAndLimitsAndTheKeysComeFromTheEnvironment() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-intelcfg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: config) }
        try FileManager.default.createDirectory(at: config.appendingPathComponent("netscouter"), withIntermediateDirectories: true)
        let environment = ["XDG_CONFIG_HOME": config.path, "HOME": config.path, "VT_API_KEY": " vt-from-env \n",
                           "NETSCOUTER_OTX_URL": "http://127.0.0.1:9"]
        var configuration = try ReputationConfiguration.load(settings: .defaults, environment: environment)
        XCTAssertEqual(configuration.rules, .defaults)
        XCTAssertEqual(configuration.limits[.virusTotal], RateLimit(perMinute: 4, perDay: 500))
        XCTAssertEqual(configuration.keys.virusTotal, "vt-from-env")
        XCTAssertEqual(configuration.keys.source(for: .virusTotal), .environment("VT_API_KEY"))
        XCTAssertNil(configuration.keys.abuseIPDB)
        XCTAssertEqual(configuration.endpoints.apiRoot(.otx), "http://127.0.0.1:9/api/v1")
        XCTAssertEqual(configuration.cacheLifetime, 24 * 3600)

        try Data(#"{"flagRules":{"abuseIPDBMinimumScore":75},"limits":{"virustotal":{"perMinute":1000,"perDay":20000}}}"#.utf8)
            .write(to: config.appendingPathComponent("netscouter/intel.json"))
        configuration = try ReputationConfiguration.load(settings: .defaults, environment: environment)
        XCTAssertEqual(configuration.rules.abuseIPDBMinimumScore, 75)
        XCTAssertEqual(configuration.rules.virusTotalMinimumMalicious, 2, "unset keys keep their defaults")
        XCTAssertEqual(configuration.limits[.virusTotal], RateLimit(perMinute: 1000, perDay: 20000))
        XCTAssertEqual(configuration.limits[.abuseIPDB], RateLimit(perMinute: nil, perDay: 1000))

        try Data(#"{"limits":{"shodan":{"perDay":1}}}"#.utf8).write(to: config.appendingPathComponent("netscouter/intel.json"))
        XCTAssertThrowsError(try ReputationConfiguration.load(settings: .defaults, environment: environment)) { error in
            XCTAssertTrue("\(error)".hasSuffix("sets limits for \"shodan\"; the providers are abuseipdb, virustotal and otx."), "\(error)")
        }
    }

    func testEnricherCombinesOfflineFactsWithKnownConsensus() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-enrich-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try NetScouterDatabase(directory: directory)
        let cache = ReputationCache(database: database)
        let now = Date()
        for (provider, flagged) in [("abuseipdb", true), ("virustotal", true), ("otx", false)] {
            try cache.put(ReputationEntry(address: "8.8.8.8", provider: provider, flagged: flagged, fetchedAt: now, expiresAt: now.addingTimeInterval(60)))
        }
        try cache.put(ReputationEntry(address: "1.1.1.1", provider: "otx", flagged: true, fetchedAt: now.addingTimeInterval(-100), expiresAt: now.addingTimeInterval(-1)))
        let location = try? LocationDatabase.openDefault(environment: [:]).get()
        let enricher = AddressEnricher(location: location)
        XCTAssertEqual(try enricher.preload(from: cache, at: now), 1, "the expired answer is not loaded")
        let google = enricher.enrich(IPAddress("8.8.8.8")!)
        XCTAssertEqual(google.consensus, Consensus(flagged: 2, answered: 3))
        XCTAssertNil(enricher.enrich(IPAddress("1.1.1.1")!).consensus)
        XCTAssertEqual(enricher.enrich(IPAddress("10.0.0.1")!).countryText, "local")
        if location != nil {
            XCTAssertEqual(google.countryText, "US")
            XCTAssertTrue(google.asText.hasPrefix("AS15169"), google.asText)
        }
        enricher.record(AddressReputation(address: "1.1.1.1", scope: .global, answers: [.otx: .answered(
            ProviderVerdict(flagged: true, score: 1, reasons: [], fields: [:]), fetchedAt: now, fromCache: false)]))
        XCTAssertEqual(enricher.enrich(IPAddress("1.1.1.1")!).consensus, Consensus(flagged: 1, answered: 1))
        XCTAssertEqual(enricher.vendor(MACAddress("06:00:00:00:00:01")!), .locallyAdministered)
        try database.close()
    }
}

/// Addresses a lookup queue answered, in order (a class, so a helper can hand it out).
final class AnsweredAddresses: Sendable {
    private let list = Mutex<[String]>([])

    func withLock<Result: Sendable>(_ body: (inout [String]) -> Result) -> Result {
        list.withLock { body(&$0) }
    }
}
