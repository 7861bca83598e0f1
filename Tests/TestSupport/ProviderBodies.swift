import Foundation

/// Bodies in the shapes the providers document (AbuseIPDB APIv2 docs, VirusTotal API v3
/// reference, OTX DirectConnect API), written for these tests.
public enum ProviderBodies {
    public static func abuseIPDB(address: String, score: Int, whitelisted: Bool = false, isp: String = "Example Hosting Ltd",
                          domain: String = "example.net", country: String = "NL", isTor: Bool = false) -> String {
        """
        {"data":{"ipAddress":"\(address)","isPublic":true,"ipVersion":4,"isWhitelisted":\(whitelisted),\
        "abuseConfidenceScore":\(score),"countryCode":"\(country)","usageType":"Data Center/Web Hosting/Transit",\
        "isp":\(json(isp)),"domain":\(json(domain)),"hostnames":[],"isTor":\(isTor),"totalReports":\(score > 0 ? 42 : 0),\
        "numDistinctUsers":\(score > 0 ? 17 : 0),"lastReportedAt":\(score > 0 ? "\"2026-11-29T21:04:11+00:00\"" : "null")}}
        """
    }
    public static let abuseIPDB401 = #"{"errors":[{"detail":"Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.","status":401}]}"#
    public static let abuseIPDB404 = #"{"errors":[{"detail":"The requested resource could not be found.","status":404}]}"#
    public static let abuseIPDB422 = #"{"errors":[{"detail":"The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).","source":{"parameter":"ipAddress"},"status":422}]}"#
    public static let abuseIPDB429 = #"{"errors":[{"detail":"Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.","status":429}]}"#

    public static func virusTotal(address: String, malicious: Int, suspicious: Int = 0, owner: String = "EXAMPLE-AS", asn: Int = 64_500,
                           country: String = "DE") -> String {
        """
        {"data":{"attributes":{"as_owner":\(json(owner)),"asn":\(asn),"continent":"EU","country":"\(country)",\
        "last_analysis_date":1764460800,"last_analysis_results":{},"last_analysis_stats":{"harmless":\(60 - malicious),\
        "malicious":\(malicious),"suspicious":\(suspicious),"timeout":0,"undetected":27},"network":"\(address)/24",\
        "regional_internet_registry":"RIPE NCC","reputation":\(malicious > 0 ? -12 : 0),"tags":[],"total_votes":{"harmless":0,"malicious":\(malicious)},\
        "whois":"NetRange: …"},"id":"\(address)","links":{"self":"https://www.virustotal.com/api/v3/ip_addresses/\(address)"},"type":"ip_address"}}
        """
    }
    public static let virusTotal401 = #"{"error":{"code":"WrongCredentialsError","message":"Wrong API key"}}"#
    public static let virusTotal404 = #"{"error":{"code":"NotFoundError","message":"Resource not found."}}"#
    public static let virusTotal400 = #"{"error":{"code":"InvalidArgumentError","message":"Invalid IP address"}}"#
    public static let virusTotal429 = #"{"error":{"code":"QuotaExceededError","message":"Quota exceeded"}}"#

    public static func otx(address: String, pulses: [String], validation: [String] = [], asn: String = "AS64500 example networks",
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
    public static let otx403 = #"{"detail":"Authentication credentials were not provided."}"#
    public static let otx404 = #"{"detail":"Not found."}"#
    public static let otx400 = #"{"detail":"Invalid IP address"}"#
    public static let otx429 = #"{"detail":"Request was throttled. Expected available in 30 seconds."}"#

    public static func json(_ string: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [string], options: [.withoutEscapingSlashes])
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }

    /// The address a provider request is about (query parameter or path segment).
    public static func address(of request: FakeHTTPServer.Request) -> String {
        if let range = request.target.range(of: "ipAddress=") {
            return String(request.target[range.upperBound...].prefix { $0 != "&" }).removingPercentEncoding ?? ""
        }
        let parts = request.target.split(separator: "/")
        if let index = parts.firstIndex(of: "ip_addresses") { return String(parts[index + 1]) }
        if let index = parts.firstIndex(where: { $0 == "IPv4" || $0 == "IPv6" }) { return String(parts[index + 1]) }
        return ""
    }
}
