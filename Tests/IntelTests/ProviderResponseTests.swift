import Export
import Foundation
import Intel
import Jobs
import NetScouterTestSupport
import Store
import XCTest

/// Real HTTP over libcurl to fake providers on loopback: each documented success and error
/// gives the right per-provider state and message, and the key is never in any of them.
final class ProviderResponseTests: XCTestCase {
    typealias Response = FakeHTTPServer.Response
    let address = "8.8.4.4"

    /// Serves `abuse`, `vt` and `otx` for every request.
    private func run(abuse: Response, vt: Response, otx: Response, timeout: Double = 5,
                     file: StaticString = #filePath, line: UInt = #line) throws -> (AddressReputation, FakeProviders, [String]) {
        let providers = try FakeProviders(abuseIPDB: { _ in abuse }, virusTotal: { _ in vt }, otx: { _ in otx })
        let log = LogLines()
        let result = providers.service(timeout: timeout, log: log.sink).lookup(address)
        let report = IntelReport.json([IntelReport.jsonObject(result)]) + IntelReport.text(result)
        for key in [FakeProviders.keys.abuseIPDB!, FakeProviders.keys.virusTotal!, FakeProviders.keys.otx!] {
            XCTAssertFalse(report.contains(key), "a key leaked into the report", file: file, line: line)
            XCTAssertFalse(log.lines.joined(separator: "\n").contains(key), "a key leaked into the log", file: file, line: line)
        }
        return (result, providers, log.lines)
    }

    private func failure(_ answer: ProviderAnswer?, file: StaticString = #filePath, line: UInt = #line) -> ProviderFailure? {
        guard case let .failed(failure) = answer else {
            XCTFail("expected a failure, got \(String(describing: answer))", file: file, line: line)
            return nil
        }
        return failure
    }

    func testDocumentedSuccessBodiesGiveVerdictsAndTheRequestsAreShapedAsDocumented() throws {
        let (result, providers, _) = try run(
            abuse: Response(headers: [("Content-Type", "application/json"), ("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "987")],
                            body: ProviderBodies.abuseIPDB(address: address, score: 87, isTor: true)),
            vt: Response(body: ProviderBodies.virusTotal(address: address, malicious: 1, suspicious: 2)),
            otx: Response(body: ProviderBodies.otx(address: address, pulses: ["SSH brute force", "Mirai scanners"])))
        XCTAssertEqual(result.consensus, Consensus(flagged: 3, answered: 3))
        XCTAssertEqual(result.consensus.text, "3/3")

        let abuse = try XCTUnwrap(result.answers[.abuseIPDB]?.verdict)
        XCTAssertEqual(abuse.score, 87)
        XCTAssertEqual(abuse.fields["isp"], "Example Hosting Ltd")
        XCTAssertEqual(abuse.fields["totalReports"], "42")
        XCTAssertEqual(abuse.fields["isTor"], "true")
        XCTAssertEqual(abuse.fields["lastReportedAt"], "2026-11-29T21:04:11+00:00")
        XCTAssertEqual(abuse.country, "NL")
        XCTAssertTrue(abuse.reasons[0].contains("87 ≥ 50"), abuse.reasons[0])

        let vt = try XCTUnwrap(result.answers[.virusTotal]?.verdict)
        XCTAssertTrue(vt.flagged, "1 malicious + 2 suspicious reaches the default 3")
        XCTAssertEqual(vt.asn, 64_500)
        XCTAssertEqual(vt.asName, "EXAMPLE-AS")
        XCTAssertEqual(vt.fields["network"], "8.8.4.4/24")
        XCTAssertEqual(vt.fields["reputation"], "-12")

        let otx = try XCTUnwrap(result.answers[.otx]?.verdict)
        XCTAssertEqual(otx.score, 2)
        XCTAssertEqual(otx.fields["pulses"], "SSH brute force; Mirai scanners")
        XCTAssertEqual(otx.asn, 64_500)
        XCTAssertEqual(otx.asName, "example networks")

        let abuseRequest = try XCTUnwrap(providers.abuseIPDB.requests.first)
        XCTAssertEqual(abuseRequest.method, "GET")
        XCTAssertEqual(abuseRequest.target, "/api/v2/check?ipAddress=8.8.4.4&maxAgeInDays=90")
        XCTAssertEqual(abuseRequest.headers["key"], FakeProviders.keys.abuseIPDB)
        XCTAssertEqual(abuseRequest.headers["accept"], "application/json")
        let vtRequest = try XCTUnwrap(providers.virusTotal.requests.first)
        XCTAssertEqual(vtRequest.target, "/api/v3/ip_addresses/8.8.4.4")
        XCTAssertEqual(vtRequest.headers["x-apikey"], FakeProviders.keys.virusTotal)
        let otxRequest = try XCTUnwrap(providers.otx.requests.first)
        XCTAssertEqual(otxRequest.target, "/api/v1/indicators/IPv4/8.8.4.4/general")
        XCTAssertEqual(otxRequest.headers["x-otx-api-key"], FakeProviders.keys.otx)

        let quota = providers.service().quota()
        XCTAssertEqual(quota.map(\.provider), [.abuseIPDB, .virusTotal, .otx])
    }

    func testIPv6UsesTheIPv6SectionAndAnEncodedQuery() throws {
        let providers = try FakeProviders(
            abuseIPDB: { _ in Response(body: ProviderBodies.abuseIPDB(address: "2a00:1450::1", score: 0)) },
            virusTotal: { _ in Response(body: ProviderBodies.virusTotal(address: "2a00:1450::1", malicious: 0)) },
            otx: { _ in Response(body: ProviderBodies.otx(address: "2a00:1450::1", pulses: [])) })
        let result = providers.service().lookup("2a00:1450:0:0::1")
        XCTAssertEqual(result.address, "2a00:1450::1")
        XCTAssertEqual(result.consensus, Consensus(flagged: 0, answered: 3))
        XCTAssertEqual(providers.abuseIPDB.requests.first?.target, "/api/v2/check?ipAddress=2a00%3A1450%3A%3A1&maxAgeInDays=90")
        XCTAssertEqual(providers.otx.requests.first?.target, "/api/v1/indicators/IPv6/2a00:1450::1/general")
    }

    func testWrongKey401() throws {
        let (result, _, log) = try run(abuse: Response(status: 401, body: ProviderBodies.abuseIPDB401),
                                       vt: Response(status: 401, body: ProviderBodies.virusTotal401),
                                       otx: Response(status: 403, body: ProviderBodies.otx403))
        XCTAssertEqual(result.consensus, Consensus(flagged: 0, answered: 0))
        for provider in ReputationProvider.allCases {
            let failure = try XCTUnwrap(self.failure(result.answers[provider]))
            XCTAssertEqual(failure.kind, .unauthorized, "\(provider)")
        }
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.message,
                       "AbuseIPDB refused the API key (HTTP 401 (Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.)). Check ABUSEIPDB_API_KEY or the key in Settings.")
        XCTAssertEqual(failure(result.answers[.virusTotal])?.message,
                       "VirusTotal refused the API key (HTTP 401 (WrongCredentialsError: Wrong API key)). Check VIRUSTOTAL_API_KEY or VT_API_KEY or the key in Settings.")
        XCTAssertTrue(log.contains { $0.contains("OTX refused the API key (HTTP 403") }, "\(log)")
    }

    func testNotFound404IsNoAnswer() throws {
        let (result, _, _) = try run(abuse: Response(status: 404, body: ProviderBodies.abuseIPDB404),
                                     vt: Response(status: 404, body: ProviderBodies.virusTotal404),
                                     otx: Response(status: 404, body: ProviderBodies.otx404))
        XCTAssertEqual(result.consensus.answered, 0)
        XCTAssertEqual(failure(result.answers[.virusTotal])?.kind, .notFound)
        XCTAssertEqual(failure(result.answers[.virusTotal])?.message, "VirusTotal has no record of 8.8.4.4 (HTTP 404 (NotFoundError: Resource not found.)).")
        XCTAssertEqual(failure(result.answers[.otx])?.message, "OTX has no record of 8.8.4.4 (HTTP 404 (Not found.)).")
    }

    func testBadAddress422And400() throws {
        let (result, _, _) = try run(abuse: Response(status: 422, body: ProviderBodies.abuseIPDB422),
                                     vt: Response(status: 400, body: ProviderBodies.virusTotal400),
                                     otx: Response(status: 400, body: ProviderBodies.otx400))
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.kind, .badAddress)
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.status, 422)
        XCTAssertTrue(failure(result.answers[.abuseIPDB])?.message.hasPrefix("AbuseIPDB refused 8.8.4.4 as a lookup (HTTP 422 (The ip address must be a valid") ?? false)
        XCTAssertEqual(failure(result.answers[.virusTotal])?.message, "VirusTotal refused 8.8.4.4 as a lookup (HTTP 400 (InvalidArgumentError: Invalid IP address)).")
        XCTAssertEqual(failure(result.answers[.otx])?.kind, .badAddress)
    }

    func testTooManyRequests429HonoursRetryAfterAndQuotaExceededError() throws {
        let clock = ManualIntelClock()
        let providers = try FakeProviders(
            abuseIPDB: { _ in Response(status: 429, headers: [("Content-Type", "application/json"), ("Retry-After", "29"), ("X-RateLimit-Limit", "1000"), ("X-RateLimit-Remaining", "0")],
                                        body: ProviderBodies.abuseIPDB429) },
            virusTotal: { _ in Response(status: 429, body: ProviderBodies.virusTotal429) },
            otx: { _ in Response(status: 429, headers: [("Retry-After", "30")], body: ProviderBodies.otx429) })
        let service = providers.service(clock: clock, maximumSlotWait: 0)
        let start = clock.now()
        let result = service.lookup(address)
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.kind, .quotaExhausted, "AbuseIPDB's 429 body says the daily limit")
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.retryAt, start.addingTimeInterval(29))
        XCTAssertEqual(failure(result.answers[.virusTotal])?.kind, .quotaExhausted)
        XCTAssertTrue(failure(result.answers[.virusTotal])?.message.hasPrefix("VirusTotal says the quota is used up (HTTP 429 (QuotaExceededError: Quota exceeded)).") ?? false)
        XCTAssertEqual(failure(result.answers[.virusTotal])?.retryAt, start.addingTimeInterval(60), "no Retry-After: wait a minute")
        XCTAssertEqual(failure(result.answers[.otx])?.kind, .rateLimited)
        XCTAssertEqual(service.quota().first { $0.provider == .abuseIPDB }?.providerRemaining, 0)
        XCTAssertEqual(service.quota().first { $0.provider == .otx }?.blockedUntil, start.addingTimeInterval(30))

        // Until Retry-After has passed nothing is sent, not even for another address.
        clock.advance(by: 20)
        let held = service.lookup("9.9.9.9")
        XCTAssertEqual(providers.totalRequests, 3)
        XCTAssertEqual(failure(held.answers[.abuseIPDB])?.kind, .rateLimited)
        clock.advance(by: 45)
        _ = service.lookup("9.9.9.9")
        XCTAssertEqual(providers.totalRequests, 6, "after Retry-After every provider is asked again")
    }

    func testSlowerThanTheTimeoutIsTimedOut() throws {
        let (result, _, _) = try run(abuse: Response(body: ProviderBodies.abuseIPDB(address: address, score: 90), delay: 2.5),
                                     vt: Response(body: ProviderBodies.virusTotal(address: address, malicious: 5)),
                                     otx: Response(body: ProviderBodies.otx(address: address, pulses: []), delay: 2.5),
                                     timeout: 1)
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.kind, .timedOut)
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.message, "AbuseIPDB did not answer within 1 s. NetScouter will ask again later.")
        XCTAssertEqual(result.consensus, Consensus(flagged: 1, answered: 1), "the timed-out providers are no answer, not clean")
    }

    func testInvalidJSONAndServerErrors() throws {
        let (result, _, _) = try run(abuse: Response(body: "{\"data\": [1, 2"),
                                     vt: Response(status: 503, headers: [("Content-Type", "text/html")], body: "<html>Service Unavailable</html>"),
                                     otx: Response(headers: [("Content-Type", "text/html")], body: "<html>Captive portal: log in</html>"))
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.kind, .invalidResponse)
        XCTAssertEqual(failure(result.answers[.abuseIPDB])?.message,
                       "AbuseIPDB answered with something other than its documented JSON (HTTP 200, 14 bytes: the body is not a JSON object). Check the base URL — a proxy or captive portal may be answering.")
        XCTAssertEqual(failure(result.answers[.virusTotal])?.kind, .serverError)
        XCTAssertEqual(failure(result.answers[.virusTotal])?.message, "VirusTotal had a server error (HTTP 503). NetScouter will ask again later.")
        XCTAssertEqual(failure(result.answers[.otx])?.kind, .invalidResponse)
        XCTAssertEqual(result.consensus.answered, 0)
    }

    func testWellFormedJSONWithoutTheDocumentedFieldsIsInvalid() throws {
        let (result, _, _) = try run(abuse: Response(body: #"{"data":{"ipAddress":"8.8.4.4"}}"#),
                                     vt: Response(body: #"{"data":{"attributes":{}}}"#),
                                     otx: Response(body: #"{"indicator":"8.8.4.4"}"#))
        XCTAssertTrue(failure(result.answers[.abuseIPDB])?.message.contains("no data.abuseConfidenceScore") ?? false)
        XCTAssertTrue(failure(result.answers[.virusTotal])?.message.contains("no data.attributes.last_analysis_stats") ?? false)
        XCTAssertTrue(failure(result.answers[.otx])?.message.contains("no pulse_info.count") ?? false)
    }

    func testAServerThatEchoesTheKeyCannotPutItInMessagesLogsOrExports() throws {
        // A misbehaving proxy copies the request headers into its error body.
        let echo: @Sendable (FakeHTTPServer.Request) -> Response = { request in
            let seen = request.headers["key"] ?? request.headers["x-apikey"] ?? request.headers["x-otx-api-key"] ?? ""
            return Response(status: 401, body: #"{"errors":[{"detail":"bad key \#(seen)","status":401}],"error":{"code":"WrongCredentialsError","message":"bad key \#(seen)"},"detail":"bad key \#(seen)"}"#)
        }
        let providers = try FakeProviders(abuseIPDB: echo, virusTotal: echo, otx: echo)
        let log = LogLines()
        let result = providers.service(log: log.sink).lookup(address)
        let everything = IntelReport.json([IntelReport.jsonObject(result)]) + IntelReport.text(result) + log.lines.joined()
            + String(describing: result) + String(describing: FakeProviders.keys)
        for key in [FakeProviders.keys.abuseIPDB!, FakeProviders.keys.virusTotal!, FakeProviders.keys.otx!] {
            XCTAssertFalse(everything.contains(key))
        }
        XCTAssertTrue(failure(result.answers[.abuseIPDB])?.message.contains("bad key [redacted]") ?? false)
        XCTAssertEqual(providers.abuseIPDB.requests.first.map { $0.target.contains("key") }, false, "the key travels in a header, never the URL")
    }

    func testMissingKeyIsNoAnswerNeverClean() throws {
        let providers = try FakeProviders(
            abuseIPDB: { _ in Response(body: ProviderBodies.abuseIPDB(address: "8.8.4.4", score: 100)) },
            virusTotal: { _ in Response(body: ProviderBodies.virusTotal(address: "8.8.4.4", malicious: 9)) },
            otx: { _ in Response(body: ProviderBodies.otx(address: "8.8.4.4", pulses: ["x"])) })
        let result = providers.service(keys: APIKeys(abuseIPDB: FakeProviders.keys.abuseIPDB)).lookup(address)
        XCTAssertEqual(result.consensus, Consensus(flagged: 1, answered: 1))
        XCTAssertEqual(result.answers[.virusTotal], .noKey)
        XCTAssertEqual(providers.virusTotal.requestCount + providers.otx.requestCount, 0)
        let json = IntelReport.jsonObject(result)
        XCTAssertEqual(json["consensus"] as? String, "1/3")
        XCTAssertEqual(json["answered"] as? Int, 1)
        XCTAssertEqual((json["otx"] as? [String: Any])?["state"] as? String, "no-key")
    }

    func testProviderTextWithControlAndBidiCharactersIsSanitised() throws {
        let hostile = "Evil\u{202E}moc.elgoog\u{202C} Hosting\r\nInjected: line\u{0007}"
        let (result, _, _) = try run(
            abuse: Response(body: ProviderBodies.abuseIPDB(address: address, score: 10, isp: hostile, domain: "x\u{2066}.example\u{2069}\u{0000}")),
            vt: Response(body: ProviderBodies.virusTotal(address: address, malicious: 0, owner: "AS\u{200F}Owner\tName")),
            otx: Response(body: ProviderBodies.otx(address: address, pulses: ["Pulse\u{202D} one\n", "two\u{001B}[31m"])))
        XCTAssertEqual(result.answers[.abuseIPDB]?.verdict?.fields["isp"], "Evilmoc.elgoog Hosting Injected: line")
        XCTAssertEqual(result.answers[.abuseIPDB]?.verdict?.fields["domain"], "x.example")
        XCTAssertEqual(result.answers[.virusTotal]?.verdict?.asName, "ASOwner Name")
        XCTAssertEqual(result.answers[.otx]?.verdict?.fields["pulses"], "Pulse one; two[31m")
        let exported = IntelReport.json([IntelReport.jsonObject(result)]) + IntelReport.text(result)
        for scalar in exported.unicodeScalars where scalar != "\n" {
            XCTAssertFalse(TextSanitizer.isRemoved(scalar), "U+\(String(scalar.value, radix: 16)) reached the output")
        }
    }

    func testTheThreatsExportOfHostileProviderTextIsSanitisedAndKeyFree() throws {
        let hostile = "Bad\u{202E}txt.exe\u{202C} ISP\r\n=cmd|' /C calc'!A0"
        let providers = try FakeProviders(
            abuseIPDB: { _ in Response(body: ProviderBodies.abuseIPDB(address: "8.8.4.4", score: 95, isp: hostile, domain: "evil\u{2067}.example")) },
            virusTotal: { _ in Response(body: ProviderBodies.virusTotal(address: "8.8.4.4", malicious: 4, owner: "Owner\u{0008}\u{001B}]0;title\u{0007}")) },
            otx: { _ in Response(body: ProviderBodies.otx(address: "8.8.4.4", pulses: ["Pulse\u{202E}eman"])) })
        XCTAssertEqual(providers.service().lookup(address).consensus, Consensus(flagged: 3, answered: 3))
        let (table, _) = try StoredExports.table(.threats, database: providers.database)
        XCTAssertEqual(table.rows.count, 3)
        let csv = CSVWriter().string(for: table)
        for scalar in csv.unicodeScalars where scalar != "\r" && scalar != "\n" {
            XCTAssertFalse(TextSanitizer.isRemoved(scalar), "U+\(String(scalar.value, radix: 16)) reached the threats export")
        }
        XCTAssertTrue(csv.contains("Badtxt.exe ISP =cmd"), csv)
        XCTAssertEqual(csv.split(whereSeparator: \.isNewline).count, 4, "one header and three records: no line was forged")
        for key in [FakeProviders.keys.abuseIPDB!, FakeProviders.keys.virusTotal!, FakeProviders.keys.otx!] { XCTAssertFalse(csv.contains(key)) }
    }

    func testARedirectIsNotFollowedSoTheKeyNeverReachesAnotherHost() throws {
        let elsewhere = try FakeHTTPServer { _ in Response(body: ProviderBodies.virusTotal(address: "8.8.4.4", malicious: 0)) }
        defer { elsewhere.stop() }
        let redirect: @Sendable (FakeHTTPServer.Request) -> Response = { request in
            Response(status: 302, reason: "Found", headers: [("Location", elsewhere.baseURL + request.target)], body: "")
        }
        let providers = try FakeProviders(abuseIPDB: redirect, virusTotal: redirect, otx: redirect)
        let result = providers.service().lookup(address)
        XCTAssertEqual(elsewhere.requestCount, 0, "no request, and so no key, went to the redirect's host")
        guard case let .failed(failure) = result.answers[.virusTotal]! else { return XCTFail("a redirect is no answer") }
        XCTAssertEqual(failure.kind, .httpError)
        XCTAssertEqual(failure.message, "VirusTotal answered HTTP 302. Check the VirusTotal base URL in Settings or NETSCOUTER_VIRUSTOTAL_URL.")
    }
}
