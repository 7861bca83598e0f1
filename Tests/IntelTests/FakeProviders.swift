import Foundation
import Intel
import NetScouterTestSupport
import Store
import XCTest

/// Bodies in the shapes the providers document (AbuseIPDB APIv2 docs, VirusTotal API v3
/// reference, OTX DirectConnect API), written for these tests.
enum ProviderBodies {
    static func abuseIPDB(address: String, score: Int, whitelisted: Bool = false, isp: String = "Example Hosting Ltd",
                          domain: String = "example.net", country: String = "NL", isTor: Bool = false) -> String {
        """
        {"data":{"ipAddress":"\(address)","isPublic":true,"ipVersion":4,"isWhitelisted":\(whitelisted),\
        "abuseConfidenceScore":\(score),"countryCode":"\(country)","usageType":"Data Center/Web Hosting/Transit",\
        "isp":\(json(isp)),"domain":\(json(domain)),"hostnames":[],"isTor":\(isTor),"totalReports":\(score > 0 ? 42 : 0),\
        "numDistinctUsers":\(score > 0 ? 17 : 0),"lastReportedAt":\(score > 0 ? "\"2026-11-29T21:04:11+00:00\"" : "null")}}
        """
    }
    static let abuseIPDB401 = #"{"errors":[{"detail":"Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.","status":401}]}"#
    static let abuseIPDB404 = #"{"errors":[{"detail":"The requested resource could not be found.","status":404}]}"#
    static let abuseIPDB422 = #"{"errors":[{"detail":"The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).","source":{"parameter":"ipAddress"},"status":422}]}"#
    static let abuseIPDB429 = #"{"errors":[{"detail":"Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.","status":429}]}"#

    static func virusTotal(address: String, malicious: Int, suspicious: Int = 0, owner: String = "EXAMPLE-AS", asn: Int = 64_500,
                           country: String = "DE") -> String {
        """
        {"data":{"attributes":{"as_owner":\(json(owner)),"asn":\(asn),"continent":"EU","country":"\(country)",\
        "last_analysis_date":1764460800,"last_analysis_results":{},"last_analysis_stats":{"harmless":\(60 - malicious),\
        "malicious":\(malicious),"suspicious":\(suspicious),"timeout":0,"undetected":27},"network":"\(address)/24",\
        "regional_internet_registry":"RIPE NCC","reputation":\(malicious > 0 ? -12 : 0),"tags":[],"total_votes":{"harmless":0,"malicious":\(malicious)},\
        "whois":"NetRange: …"},"id":"\(address)","links":{"self":"https://www.virustotal.com/api/v3/ip_addresses/\(address)"},"type":"ip_address"}}
        """
    }
    static let virusTotal401 = #"{"error":{"code":"WrongCredentialsError","message":"Wrong API key"}}"#
    static let virusTotal404 = #"{"error":{"code":"NotFoundError","message":"Resource not found."}}"#
    static let virusTotal400 = #"{"error":{"code":"InvalidArgumentError","message":"Invalid IP address"}}"#
    static let virusTotal429 = #"{"error":{"code":"QuotaExceededError","message":"Quota exceeded"}}"#

    static func otx(address: String, pulses: [String], validation: [String] = [], asn: String = "AS64500 example networks",
                    country: String = "FR") -> String {
        let pulseObjects = pulses.enumerated().map { index, name in
            #"{"id":"65a0c0ffee\#(index)","name":\#(json(name)),"description":"","tags":["scanner"],"modified":"2026-11-01T10:00:00.000000","TLP":"white"}"#
        }.joined(separator: ",")
        let validations = validation.map { #"{"source":"whitelist","message":\#(json($0)),"name":"Whitelisted IP"}"# }.joined(separator: ",")
        return """
        {"whois":"http://whois.domaintools.com/\(address)","reputation":0,"indicator":"\(address)","type":"IPv4","type_title":"IPv4",\
        "base_indicator":{},"pulse_info":{"count":\(pulses.count),"pulses":[\(pulseObjects)],"references":[],"related":{"alienvault":{"adversary":[],"malware_families":[],"industries":[]},"other":{"adversary":[],"malware_families":[],"industries":[]}}},\
        "false_positive":[],"validation":[\(validations)],"asn":\(json(asn)),"city_data":true,"city":null,"region":null,\
        "continent_code":"EU","country_code3":"FRA","country_code2":"\(country)","subdivision":null,"latitude":48.8,"postal_code":null,\
        "longitude":2.3,"accuracy_radius":1000,"country_code":"\(country)","country_name":"France","dma_code":0,"charset":0,"area_code":0,\
        "flag_url":"/assets/images/flags/fr.png","flag_title":"France","sections":["general","geo","reputation","url_list","passive_dns","malware","nids_list","http_scans"]}
        """
    }
    static let otx403 = #"{"detail":"Authentication credentials were not provided."}"#
    static let otx404 = #"{"detail":"Not found."}"#
    static let otx400 = #"{"detail":"Invalid IP address"}"#
    static let otx429 = #"{"detail":"Request was throttled. Expected available in 30 seconds."}"#

    static func json(_ string: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [string], options: [.withoutEscapingSlashes])
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }
}

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
    static func address(of request: FakeHTTPServer.Request) -> String {
        if let range = request.target.range(of: "ipAddress=") {
            return String(request.target[range.upperBound...].prefix { $0 != "&" }).removingPercentEncoding ?? ""
        }
        let parts = request.target.split(separator: "/")
        if let index = parts.firstIndex(of: "ip_addresses") { return String(parts[index + 1]) }
        if let index = parts.firstIndex(where: { $0 == "IPv4" || $0 == "IPv6" }) { return String(parts[index + 1]) }
        return ""
    }
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
