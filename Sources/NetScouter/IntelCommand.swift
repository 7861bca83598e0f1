import ArgumentParser
import Foundation
import Intel
import Packets
import Store

struct IntelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intel",
        abstract: "Reputation of addresses: AbuseIPDB, VirusTotal and OTX, with the offline country and AS.",
        discussion: """
            Keys come from ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY (or VT_API_KEY) and OTX_API_KEY, else from the
            secrets file the Settings tab writes. A provider without a key, or one that fails, is "no answer" —
            never counted as clean. Answers are cached in the database for the reputation cache time (default
            24 h); --refresh asks again. Free-tier rate limits apply (VirusTotal 4 per minute: a fifth address
            waits for the next slot). Private, loopback, link-local, multicast and reserved addresses are never
            sent anywhere. Base URLs: NETSCOUTER_ABUSEIPDB_URL, NETSCOUTER_VIRUSTOTAL_URL, NETSCOUTER_OTX_URL
            (scheme + host (+ port); the API path is appended).
            Examples:
              netscouter intel 185.220.101.4
              netscouter intel 8.8.8.8 2606:4700::1111 --json | jq '.[] | {address, consensus, answered}'
            """
    )

    @Argument(help: "IPv4 or IPv6 addresses.")
    var addresses: [String] = []

    @Flag(help: "One JSON object per address: address, consensus (\"2/3\"), flagged, answered, country, asn, as_name, and each provider's result or error.")
    var json = false

    @Flag(help: "Ask the providers even when the cache has a fresh answer.")
    var refresh = false

    @Flag(help: "Print each provider's remaining quota.")
    var quota = false

    @Option(help: "Seconds to wait for each provider's answer.")
    var timeout: Double = 15

    @Option(help: "A MaxMind-format .mmdb (GeoLite2 Country/ASN, DB-IP Lite) asked before the libloc database (default: $NETSCOUTER_MMDB).")
    var mmdb: String?

    @Flag(help: "Log each request on standard error (keys are never logged).")
    var verbose = false

    @OptionGroup var storage: StorageOptions

    func validate() throws {
        if addresses.isEmpty && !quota { throw ValidationError("Give at least one address, e.g. `netscouter intel 8.8.8.8`.") }
        for address in addresses where IPAddress(address) == nil {
            throw ValidationError("\"\(address)\" is not an IPv4 or IPv6 address.")
        }
        guard timeout > 0 && timeout <= 300 else { throw ValidationError("--timeout must be between 0 and 300 seconds.") }
    }

    func run() throws {
        let database = try storage.openDatabase()
        let settings: AppSettings
        do { settings = try SettingsStore(database: database).load() } catch { throw fail(error.localizedDescription) }
        var configuration: ReputationConfiguration
        do { configuration = try ReputationConfiguration.load(settings: settings) } catch { throw fail(error.localizedDescription) }
        configuration.timeoutSeconds = timeout
        var standardError = StandardError()
        let (location, notices) = LocationSources.open(mmdbPath: mmdb)
        for notice in notices { print("netscouter: note: \(notice)", to: &standardError) }
        let rules: RiskRules
        do { rules = try RiskRules.load().rules } catch { throw fail("\(error)") }
        var log: (@Sendable (String) -> Void)?
        if verbose {
            log = { line in
                FileHandle.standardError.write(Data("netscouter: \(line)\n".utf8))
            }
        }
        let service = ReputationService(configuration: configuration, cache: ReputationCache(database: database),
                                        location: location, log: log)
        if !APIKeyProvider.allCases.contains(where: { configuration.keys.key(for: $0) != nil }) && !addresses.isEmpty {
            print("netscouter: note: no API key is set (ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY, OTX_API_KEY or Settings): only cached answers and offline facts are shown.",
                  to: &standardError)
        }

        var objects: [[String: Any]] = []
        for address in addresses {
            let reputation = service.lookup(address, refresh: refresh)
            var subject = reputation.riskSubject
            subject.ports = []
            let hits = rules.evaluate(subject)
            if json {
                objects.append(IntelReport.jsonObject(reputation, risk: hits))
            } else {
                print(IntelReport.text(reputation, risk: hits))
            }
        }
        if json && !addresses.isEmpty { print(IntelReport.json(objects)) }
        if quota {
            let lines = service.quota().map { status in
                let today = status.remainingToday.map { "\($0) of \(status.limit.perDay!) left today" } ?? "no daily limit"
                let minute = status.limit.perMinute.map { ", \(status.usedLastMinute) of \($0) used this minute" } ?? ""
                let provider = status.providerRemaining.map { " (the provider reports \($0) left)" } ?? ""
                let blocked = status.blockedUntil.map { "; waiting until \($0)" } ?? ""
                return "\(status.provider.displayName): \(today)\(minute)\(provider)\(blocked)"
            }
            if json && addresses.isEmpty {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(service.quota()), as: UTF8.self))
            } else {
                for line in lines { print(line, to: &standardError) }
            }
        }
    }
}

struct LookupMACCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup-mac",
        abstract: "The vendor of a MAC address, from the IEEE registries (Debian ieee-data).",
        discussion: """
            Accepts aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff and aabbccddeeff. The longest registered
            prefix wins (MA-S 36 bits, MA-M 28, MA-L 24). Locally administered addresses (randomised Wi-Fi MACs,
            virtual machines, containers) have no vendor and are reported as such.
            """
    )

    @Argument(help: "MAC addresses.")
    var macs: [String]

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        for mac in macs where MACVendors.parse(mac) == nil {
            throw ValidationError("\"\(mac)\" is not a MAC address (expected six hex octets such as b8:27:eb:12:34:56).")
        }
    }

    func run() throws {
        let vendors: MACVendors
        do { vendors = try MACVendors() } catch { throw fail("\(error)") }
        var objects: [[String: Any]] = []
        for text in macs {
            let mac = MACVendors.parse(text)!
            let answer = vendors.lookup(mac)
            var object: [String: Any] = ["mac": mac.description, "vendor": NSNull(), "locally_administered": answer == .locallyAdministered,
                                         "group": answer == .group]
            var line = "\(mac)  \(answer.text)"
            if case let .vendor(organization, registry, prefix) = answer {
                object["vendor"] = organization
                object["registry"] = registry
                object["prefix"] = prefix
                line += " (\(registry) \(prefix))"
            }
            if json { objects.append(object) } else { print(line) }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
