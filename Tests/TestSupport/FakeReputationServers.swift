import Foundation

/// Three fake reputation providers on loopback. Each answers with the documented success body,
/// flagging the addresses in `flagged` and clearing the others, unless `override` answers.
public final class FakeReputationServers {
    public let abuseIPDB: FakeHTTPServer
    public let virusTotal: FakeHTTPServer
    public let otx: FakeHTTPServer

    public static let abuseKey = "abuse-key-Q1w2E3r4T5y6"
    public static let virusTotalKey = "vt-key-Z9x8C7v6B5n4"
    public static let otxKey = "otx-key-M1n2B3v4C5x6"
    public static let allKeys = [abuseKey, virusTotalKey, otxKey]

    public typealias Responder = @Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Response?

    public init(flagged: Set<String>, delay: Double = 0, abuseIPDB abuseOverride: Responder? = nil, virusTotal virusTotalOverride: Responder? = nil,
         otx otxOverride: Responder? = nil, isp: String = "Example Hosting Ltd") throws {
        abuseIPDB = try FakeHTTPServer { request in
            if let answer = abuseOverride?(request) { return answer }
            let address = ProviderBodies.address(of: request)
            return .init(body: ProviderBodies.abuseIPDB(address: address, score: flagged.contains(address) ? 92 : 0, isp: isp), delay: delay)
        }
        virusTotal = try FakeHTTPServer { request in
            if let answer = virusTotalOverride?(request) { return answer }
            let address = ProviderBodies.address(of: request)
            return .init(body: ProviderBodies.virusTotal(address: address, malicious: flagged.contains(address) ? 7 : 0), delay: delay)
        }
        otx = try FakeHTTPServer { request in
            if let answer = otxOverride?(request) { return answer }
            let address = ProviderBodies.address(of: request)
            return .init(body: ProviderBodies.otx(address: address, pulses: flagged.contains(address) ? ["SSH brute force"] : []), delay: delay)
        }
    }

    deinit {
        abuseIPDB.stop()
        virusTotal.stop()
        otx.stop()
    }

    /// Base URLs, plus the keys named as coming from the environment.
    public func environment(abuseIPDBKey: Bool = true, virusTotalKey: Bool = true, otxKey: Bool = true) -> [String: String] {
        var environment = ["NETSCOUTER_ABUSEIPDB_URL": abuseIPDB.baseURL, "NETSCOUTER_VIRUSTOTAL_URL": virusTotal.baseURL,
                           "NETSCOUTER_OTX_URL": otx.baseURL]
        if abuseIPDBKey { environment["ABUSEIPDB_API_KEY"] = Self.abuseKey }
        if virusTotalKey { environment["VIRUSTOTAL_API_KEY"] = Self.virusTotalKey }
        if otxKey { environment["OTX_API_KEY"] = Self.otxKey }
        return environment
    }

    /// How many requests each server received about `address`.
    public func requests(about address: String) -> [Int] {
        [abuseIPDB, virusTotal, otx].map { server in server.requests.filter { ProviderBodies.address(of: $0) == address }.count }
    }

    public var allRequests: [FakeHTTPServer.Request] { abuseIPDB.requests + virusTotal.requests + otx.requests }
}

