import Foundation
import HTTP
import Intel
import NetScouterTestSupport
import Store
import Synchronization
import XCTest

/// The cache and the rate limiters with an injected clock: quotas are spent only on addresses
/// the cache does not know, and no provider is asked faster than its limit allows.
final class QuotaAndCacheTests: XCTestCase {
    typealias Response = FakeHTTPServer.Response

    private func cleanProviders() throws -> FakeProviders {
        try FakeProviders(
            abuseIPDB: { Response(body: ProviderBodies.abuseIPDB(address: FakeProviders.address(of: $0), score: 0)) },
            virusTotal: { Response(body: ProviderBodies.virusTotal(address: FakeProviders.address(of: $0), malicious: 0)) },
            otx: { Response(body: ProviderBodies.otx(address: FakeProviders.address(of: $0), pulses: [])) })
    }

    static let tenAddresses = (1...10).map { "45.33.\($0).\(100 + $0)" }

    func testHundredLookupsOfTenAddressesCostTenCallsPerProvider() throws {
        let providers = try cleanProviders()
        let clock = ManualIntelClock()
        let service = providers.service(clock: clock)
        for round in 0..<10 {
            for address in Self.tenAddresses {
                let result = service.lookup(address)
                XCTAssertEqual(result.consensus.answered, 3, "\(address) round \(round)")
                if round > 0 {
                    XCTAssertTrue(ReputationProvider.allCases.allSatisfy {
                        if case .answered(_, _, true) = result.answers[$0]! { return true } else { return false }
                    }, "round \(round) comes from the cache")
                }
            }
            clock.advance(by: 60)
        }
        XCTAssertEqual(providers.abuseIPDB.requestCount, 10)
        XCTAssertEqual(providers.virusTotal.requestCount, 10)
        XCTAssertEqual(providers.otx.requestCount, 10)
        XCTAssertEqual(Set(providers.virusTotal.requests.map(FakeProviders.address)), Set(Self.tenAddresses))
    }

    func testCacheExpiresAfterItsLifetimeAndRefreshForcesALookup() throws {
        let providers = try cleanProviders()
        let clock = ManualIntelClock()
        let service = providers.service(clock: clock)
        _ = service.lookup("45.33.1.1")
        clock.advance(by: 23 * 3600)
        _ = service.lookup("45.33.1.1")
        XCTAssertEqual(providers.otx.requestCount, 1, "within 24 h the cache answers")
        _ = service.lookup("45.33.1.1", refresh: true)
        XCTAssertEqual(providers.otx.requestCount, 2, "refresh asks again")
        clock.advance(by: 24 * 3600 + 1)
        let result = service.lookup("45.33.1.1")
        XCTAssertEqual(providers.otx.requestCount, 3, "an expired answer is asked again")
        if case .answered(_, let fetchedAt, false) = result.answers[.otx]! { XCTAssertEqual(fetchedAt, clock.now()) } else { XCTFail("fresh answer expected") }

        // The cache lives in the store: a new service on the same database still knows it.
        let second = providers.service(clock: clock)
        XCTAssertEqual(second.cached("45.33.1.1")?.consensus.answered, 3)
        _ = second.lookup("45.33.1.1")
        XCTAssertEqual(providers.otx.requestCount, 3)
    }

    func testErrorsAreNotCached() throws {
        let failing = Atomic(true)
        let providers = try FakeProviders(
            abuseIPDB: { _ in Response(status: 503, body: "{}") },
            virusTotal: { request in
                failing.load(ordering: .relaxed) ? Response(status: 500, body: "{}")
                    : Response(body: ProviderBodies.virusTotal(address: FakeProviders.address(of: request), malicious: 3)) },
            otx: { _ in Response(status: 500, body: "{}") })
        let service = providers.service()
        XCTAssertEqual(service.lookup("45.33.2.2").consensus.answered, 0)
        failing.store(false, ordering: .relaxed)
        XCTAssertEqual(service.lookup("45.33.2.2").consensus, Consensus(flagged: 1, answered: 1))
        XCTAssertEqual(providers.virusTotal.requestCount, 2)
    }

    func testVirusTotalNeverExceedsFourCallsInAnySixtySeconds() throws {
        let clock = ManualIntelClock()
        let providers = try FakeProviders(
            abuseIPDB: { _ in Response(status: 500, body: "{}") },
            virusTotal: { request in Response(body: ProviderBodies.virusTotal(address: FakeProviders.address(of: request), malicious: 0)) },
            otx: { _ in Response(status: 500, body: "{}") })
        // Only VirusTotal has a key, so only its limiter moves the clock.
        let service = providers.service(keys: APIKeys(virusTotal: FakeProviders.keys.virusTotal), clock: clock)
        let addresses = (1...13).map { "45.34.0.\($0)" }
        var times: [Double] = []
        for address in addresses {
            let result = service.lookup(address)
            XCTAssertEqual(result.consensus.answered, 1, address)
            if case let .answered(_, fetchedAt, _) = result.answers[.virusTotal]! { times.append(fetchedAt.timeIntervalSince1970) }
        }
        XCTAssertEqual(providers.virusTotal.requestCount, 13)
        for start in times {
            let inWindow = times.filter { $0 >= start && $0 < start + 60 }.count
            XCTAssertLessThanOrEqual(inWindow, 4, "window from \(start)")
        }
        // 13 calls at 4 per minute need at least three full minutes.
        XCTAssertGreaterThanOrEqual(times.last! - times.first!, 180)
        XCTAssertEqual(service.quota()[1].usedToday, 13)
        XCTAssertEqual(service.quota()[1].remainingToday, 487)
    }

    func testWithoutTimeToWaitTheLimiterAnswersRateLimitedWithoutSending() throws {
        let providers = try cleanProviders()
        let clock = ManualIntelClock()
        let service = providers.service(keys: APIKeys(virusTotal: FakeProviders.keys.virusTotal), clock: clock, maximumSlotWait: 5)
        for index in 1...4 { XCTAssertEqual(service.lookup("45.35.0.\(index)").consensus.answered, 1) }
        let fifth = service.lookup("45.35.0.5")
        guard case let .failed(failure) = fifth.answers[.virusTotal]! else { return XCTFail("expected rate limited") }
        XCTAssertEqual(failure.kind, .rateLimited)
        XCTAssertTrue(failure.message.hasPrefix("VirusTotal's rate limit is reached (4 per minute, 500 per day); the next request can go out after "), failure.message)
        XCTAssertEqual(providers.virusTotal.requestCount, 4)
    }

    func testServicesSharingADatabaseShareOneBudget() throws {
        // The window, the daemon and `netscouter intel` each build their own service on the same
        // database: together they still send VirusTotal at most 4 requests a minute.
        let providers = try cleanProviders()
        let clock = ManualIntelClock()
        let keys = APIKeys(virusTotal: FakeProviders.keys.virusTotal)
        let window = providers.service(keys: keys, clock: clock, maximumSlotWait: 0)
        let command = providers.service(keys: keys, clock: clock, maximumSlotWait: 0)
        for index in 1...3 { XCTAssertEqual(window.lookup("45.36.0.\(index)").consensus.answered, 1) }
        XCTAssertEqual(command.lookup("45.36.1.1").consensus.answered, 1)
        guard case let .failed(failure) = command.lookup("45.36.1.2").answers[.virusTotal]! else { return XCTFail("the fifth call in a minute must wait") }
        XCTAssertEqual(failure.kind, .rateLimited)
        XCTAssertEqual(providers.virusTotal.requestCount, 4)
        XCTAssertEqual(window.quota()[1].usedToday, 4)
        XCTAssertEqual(window.quota()[1].remainingToday, 496)
        clock.advance(by: 60)
        XCTAssertEqual(window.lookup("45.36.0.9").consensus.answered, 1)
    }

    func testDailyQuotaRenewsAtUTCMidnight() {
        // 2027-01-15 23:00:00 UTC
        let start = Date(timeIntervalSince1970: 1_800_054_000 - 1_800_054_000.truncatingRemainder(dividingBy: 86_400) + 23 * 3600)
        let limiter = ProviderRateLimiter(provider: .abuseIPDB, limit: .freeTier(.abuseIPDB))
        var now = start
        for _ in 0..<1_000 {
            XCTAssertEqual(limiter.acquire(at: now), .granted)
            now = now.addingTimeInterval(1)
        }
        let midnight = start.addingTimeInterval(3600)
        XCTAssertEqual(limiter.acquire(at: now), .exhausted(until: midnight))
        XCTAssertEqual(limiter.status(at: now).remainingToday, 0)
        XCTAssertEqual(limiter.acquire(at: midnight), .granted)
        XCTAssertEqual(limiter.status(at: midnight).remainingToday, 999)
    }

    func testFreeTierDefaults() {
        XCTAssertEqual(RateLimit.freeTier(.virusTotal), RateLimit(perMinute: 4, perDay: 500))
        XCTAssertEqual(RateLimit.freeTier(.abuseIPDB), RateLimit(perMinute: nil, perDay: 1_000))
        XCTAssertEqual(RateLimit.freeTier(.otx), RateLimit(perMinute: 10, perDay: 1_000))
    }

    func testPrivateLoopbackLinkLocalMulticastAndReservedAddressesAreNeverSent() throws {
        let providers = try cleanProviders()
        let service = providers.service()
        let never = ["10.1.2.3", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.10.20", "100.64.0.1", "0.1.2.3", "224.0.0.251",
                     "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.7", "198.51.100.7", "203.0.113.7", "198.18.0.1",
                     "::1", "::", "fe80::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "::ffff:10.0.0.1", "fec0::1", "100::1"]
        for address in never {
            let result = service.lookup(address)
            XCTAssertFalse(result.scope.isGlobal, address)
            XCTAssertEqual(result.consensus, Consensus(flagged: 0, answered: 0), address)
            guard case .notSent = result.answers[.virusTotal]! else { return XCTFail("\(address) should not be sent") }
        }
        XCTAssertEqual(providers.totalRequests, 0)
        XCTAssertEqual(AddressScope.of("8.8.8.8"), .global)
        XCTAssertEqual(AddressScope.of("2a00:1450:4001::200e"), .global)
        XCTAssertEqual(AddressScope.of("192.168.0.1"), .local("private (RFC 1918)"))

        let notAnAddress = service.lookup("8.8.8.8; rm -rf /")
        guard case let .failed(failure) = notAnAddress.answers[.otx]! else { return XCTFail() }
        XCTAssertEqual(failure.message, "\"8.8.8.8; rm -rf /\" is not an IPv4 or IPv6 address.")
        XCTAssertEqual(providers.totalRequests, 0)
    }

    func testBaseURLsTakeTheEnvironmentFirstAndAppendTheAPIPathOnce() {
        let defaults = ProviderEndpoints(settings: .defaults, environment: [:])
        XCTAssertEqual(defaults.apiRoot(.abuseIPDB), "https://api.abuseipdb.com/api/v2")
        XCTAssertEqual(defaults.apiRoot(.virusTotal), "https://www.virustotal.com/api/v3")
        XCTAssertEqual(defaults.apiRoot(.otx), "https://otx.alienvault.com/api/v1")
        var settings = AppSettings.defaults
        settings.virusTotalBaseURL = "https://vt-mirror.example:8443/"
        settings.otxBaseURL = "https://proxy.example/otx"
        let custom = ProviderEndpoints(settings: settings, environment: ["NETSCOUTER_ABUSEIPDB_URL": "http://127.0.0.1:8080"])
        XCTAssertEqual(custom.apiRoot(.abuseIPDB), "http://127.0.0.1:8080/api/v2")
        XCTAssertEqual(custom.apiRoot(.virusTotal), "https://vt-mirror.example:8443/api/v3")
        XCTAssertEqual(custom.apiRoot(.otx), "https://proxy.example/otx/api/v1")
    }

    func testConfigurableFlagRules() throws {
        let protocolHandler = ProviderProtocol(.abuseIPDB, rules: FlagRules(abuseIPDBMinimumScore: 90))
        let body = Array(ProviderBodies.abuseIPDB(address: "45.33.1.1", score: 87).utf8)
        let verdict = try protocolHandler.interpret(.init(status: 200, headers: [:], body: body), address: "45.33.1.1", now: Date()).get()
        XCTAssertFalse(verdict.flagged)
        XCTAssertEqual(verdict.reasons, ["abuse confidence 87 < 90"])
        let whitelisted = Array(ProviderBodies.abuseIPDB(address: "45.33.1.1", score: 100, whitelisted: true).utf8)
        XCTAssertFalse(try ProviderProtocol(.abuseIPDB).interpret(.init(status: 200, headers: [:], body: whitelisted), address: "x", now: Date()).get().flagged)
        let validated = Array(ProviderBodies.otx(address: "8.8.8.8", pulses: ["DNS"], validation: ["Known DNS resolver"]).utf8)
        let otx = try ProviderProtocol(.otx).interpret(.init(status: 200, headers: [:], body: validated), address: "8.8.8.8", now: Date()).get()
        XCTAssertFalse(otx.flagged)
        XCTAssertEqual(otx.reasons, ["in 1 pulses but validated as known infrastructure: Known DNS resolver"])
        let vt = Array(ProviderBodies.virusTotal(address: "45.33.1.1", malicious: 2).utf8)
        XCTAssertTrue(try ProviderProtocol(.virusTotal).interpret(.init(status: 200, headers: [:], body: vt), address: "x", now: Date()).get().flagged)
        XCTAssertFalse(try ProviderProtocol(.virusTotal, rules: FlagRules(virusTotalMinimumMalicious: 3, virusTotalMinimumMaliciousPlusSuspicious: 4))
            .interpret(.init(status: 200, headers: [:], body: vt), address: "x", now: Date()).get().flagged)
    }

    func testRetryAfterAsHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertEqual(ProviderProtocol.retryAt(["retry-after": "Fri, 15 Jan 2027 08:00:30 GMT"], now: now), Date(timeIntervalSince1970: 1_800_000_030))
        XCTAssertEqual(ProviderProtocol.retryAt(["retry-after": "120"], now: now), now.addingTimeInterval(120))
        XCTAssertNil(ProviderProtocol.retryAt([:], now: now))
    }
}
