import ArgumentParser
import Foundation
import Intel
import IoT
import Store

struct IoTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iot",
        abstract: "The IoT inventory: LAN devices with their type and reasons, and the anomalies of their outbound traffic.",
        discussion: """
            The inventory is kept in the database, keyed by MAC (by IP while no MAC is known). It is fed by every
            `discover` run and lan-discovery job (a device goes offline only after 3 sweeps in a row missed it), by
            port scans (open ports of known devices), and by ARP, DHCP, mDNS and SSDP packets from a capture file
            (--read) or a live capture (--interface, needs CAP_NET_RAW). Outbound flows of IoT-class devices (from
            --read/--interface, and the stored flow history) are checked against the "iot" section of the risk rules
            (Assets/risk-rules.json; a ~/.config/netscouter/risk-rules.json overrides it). Device types come from
            Assets/iot-device-types.json (override: ~/.config/netscouter/iot-device-types.json).
            Examples:
              netscouter iot devices --read home.pcap
              netscouter iot destinations          # where IoT devices send traffic: country, provider, consensus
              netscouter iot anomalies --json | jq '.[] | select(.severity == "high")'
              netscouter iot set-type 44:47:cc:12:34:56 camera
              netscouter iot export --out iot.json
            """,
        subcommands: [IoTDevicesCommand.self, IoTDestinationsCommand.self, IoTAnomaliesCommand.self, IoTExportCommand.self, IoTSetTypeCommand.self, IoTResetBaselineCommand.self]
    )
}

/// Where packets for the inventory come from, and the database.
struct IoTFeedOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Read ARP/DHCP/mDNS/SSDP announcements and flows from a pcap or pcapng file first.")
    var read: String?

    @Option(name: [.short, .long], help: "Capture live on this interface first (see --seconds; needs CAP_NET_RAW).")
    var interface: String?

    @Option(help: "With --interface: how long to capture, seconds.")
    var seconds: Double = 30

    @Option(help: "A MaxMind-format .mmdb asked before the libloc database for country and provider (default: $NETSCOUTER_MMDB).")
    var mmdb: String?

    @OptionGroup var storage: StorageOptions

    func validate() throws {
        if read != nil && interface != nil { throw ValidationError("Give --read or --interface, not both.") }
        if seconds <= 0 || seconds > 86_400 { throw ValidationError("--seconds \(seconds) is out of range: give 1 to 86400.") }
    }

    /// Opens the store, loads the engine, feeds it from the file or interface and the flow
    /// history, and saves. Exit status 3 is for a file damaged part-way (reported by the caller).
    func run() throws -> (engine: IoTEngine, readError: String?) {
        var standardError = StandardError()
        let database = try storage.openDatabase()
        let typeRules: DeviceTypeRules, riskRules: IoTRiskRules
        do {
            typeRules = try DeviceTypeRules.load().rules
            riskRules = try IoTRiskRules.load().rules
        } catch { throw fail("\(error)") }
        let vendors: MACVendors?
        do { vendors = try MACVendors() } catch {
            print("netscouter: note: \(error)", to: &standardError)
            vendors = nil
        }
        let (location, notices) = LocationSources.open(mmdbPath: mmdb)
        for notice in notices { print("netscouter: note: \(notice)", to: &standardError) }
        let enricher = AddressEnricher(location: location, vendors: vendors)
        // Cached reputation answers only: the inventory never sends addresses anywhere.
        _ = try? enricher.preload(from: ReputationCache(database: database), at: Date())
        let engine: IoTEngine
        do {
            engine = try IoTEngine(database: database, classifier: DeviceClassifier(rules: typeRules), vendors: vendors,
                                   rules: riskRules, enricher: enricher)
        } catch { throw fail("\(error)") }
        var readError: String?
        do {
            if let read {
                readError = try engine.read(file: read).readError
            } else if let interface {
                try engine.capture(interface: interface, seconds: seconds) {
                    print("netscouter: capturing on \(interface) for \(seconds.formatted()) s", to: &standardError)
                }
            }
            try engine.correlateStoredFlows()
            try engine.save()
        } catch { throw fail("\(error)") }
        return (engine, readError)
    }
}

private func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? String(text.prefix(width - 1)) + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
}

struct IoTDevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the inventory: MAC, IP, vendor, host name, type (with --json: type_reasons and every field of the export).")

    @OptionGroup var feed: IoTFeedOptions

    @Flag(help: "Print the devices as JSON (the export's \"devices\" array).")
    var json = false

    func run() throws {
        let (engine, readError) = try feed.run()
        let devices = engine.inventory.sorted
        if json {
            let document = IoTExportDocument(generatedAt: Date(), devices: devices, anomalies: [])
            let data = try document.jsonData()
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            try printJSON(object?["devices"] ?? [])
        } else {
            print("MAC                IP               TYPE               ONLINE  VENDOR                    HOSTNAME")
            for device in devices {
                print(pad(device.mac ?? "-", 19) + pad(device.ip ?? "-", 17) + pad(device.deviceType.displayName, 19)
                      + pad(device.online ? "yes" : "no", 8) + pad(device.vendor ?? (device.randomisedMAC ? "(randomised MAC)" : "-"), 26)
                      + (device.hostname ?? "-"))
                print("    " + device.typeReasons.joined(separator: "; "))
            }
            print("\(devices.count) device\(devices.count == 1 ? "" : "s"), \(devices.filter(\.online).count) online")
        }
        if let readError { throw partialFileExit(readError) }
    }
}

struct IoTDestinationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destinations",
        abstract: "List where IoT-class devices send traffic outside: remote, country, provider, consensus, flows, bytes, risk.")

    @OptionGroup var feed: IoTFeedOptions

    @Flag(help: "Print JSON: one object per device and destination.")
    var json = false

    func run() throws {
        let (engine, readError) = try feed.run()
        let destinations = engine.correlator.sortedDestinations
        let macs = engine.inventory.devices.mapValues(\.mac)
        if json {
            try printJSON(destinations.map { destination -> [String: Any] in
                [
                    "device_mac": (macs[destination.deviceKey] ?? nil) ?? NSNull(), "device_ip": destination.deviceIP ?? NSNull(),
                    "remote_ip": destination.remoteIP, "remote_port": destination.remotePort, "transport": destination.transport,
                    "country": destination.country ?? NSNull(), "provider": destination.provider ?? NSNull(),
                    "consensus": destination.consensus ?? NSNull(), "flows": destination.flows, "bytes": destination.bytes,
                    "first_seen": IoTExportDocument.time(destination.firstSeen), "last_seen": IoTExportDocument.time(destination.lastSeen),
                    "risk": destination.risk?.rawValue ?? NSNull(),
                ]
            })
        } else {
            print("DEVICE             REMOTE                  COUNTRY  PROVIDER                     CONSENSUS  FLOWS  BYTES       RISK")
            for destination in destinations {
                print(pad(destination.deviceIP ?? destination.deviceKey, 19) + pad("\(destination.remoteIP) \(destination.remotePort)/\(destination.transport)", 24)
                      + pad(destination.country ?? "-", 9) + pad(destination.provider ?? "-", 29) + pad(destination.consensus ?? "-", 11)
                      + pad(String(destination.flows), 7) + pad(String(destination.bytes), 12) + (destination.risk?.rawValue ?? "-"))
            }
            print("\(destinations.count) destination\(destinations.count == 1 ? "" : "s")")
        }
        if let readError { throw partialFileExit(readError) }
    }
}

struct IoTAnomaliesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "List the risk-rule hits of IoT devices' outbound flows, highest severity first.")

    @OptionGroup var feed: IoTFeedOptions

    @Flag(help: "Print the anomalies as JSON (the export's \"anomalies\" array).")
    var json = false

    func run() throws {
        let (engine, readError) = try feed.run()
        let anomalies = engine.correlator.sortedAnomalies
        if json {
            let document = IoTExportDocument(generatedAt: Date(), devices: [], anomalies: anomalies)
            let object = try JSONSerialization.jsonObject(with: try document.jsonData()) as? [String: Any]
            try printJSON(object?["anomalies"] ?? [])
        } else {
            print("SEVERITY  DEVICE             REMOTE                  COUNTRY  PROVIDER              RULE               COUNT")
            for anomaly in anomalies {
                print(pad(anomaly.severity.rawValue, 10) + pad(anomaly.deviceIP ?? anomaly.deviceKey, 19)
                      + pad("\(anomaly.remoteIP) \(anomaly.remotePort)/\(anomaly.transport)", 24) + pad(anomaly.country ?? "-", 9)
                      + pad(anomaly.provider ?? "-", 22) + pad(anomaly.rule, 19) + String(anomaly.count))
                print("    " + anomaly.reason)
            }
            print("\(anomalies.count) anomal\(anomalies.count == 1 ? "y" : "ies")")
        }
        if let readError { throw partialFileExit(readError) }
    }
}

struct IoTExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the inventory and the anomalies to a JSON file (schema: README, Assets/iot-export.schema.json).")

    @Option(name: .shortAndLong, help: "The JSON file to write (replaced atomically).")
    var out: String

    @OptionGroup var feed: IoTFeedOptions

    func run() throws {
        let (engine, readError) = try feed.run()
        let document = IoTExportDocument(generatedAt: Date(), devices: engine.inventory.sorted, anomalies: engine.correlator.sortedAnomalies)
        do { try document.write(to: out) } catch { throw fail("\(error)") }
        var standardError = StandardError()
        print("netscouter: wrote \(document.devices.count) devices and \(document.anomalies.count) anomalies to \(out)", to: &standardError)
        if let readError { throw partialFileExit(readError) }
    }
}

struct IoTSetTypeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-type",
        abstract: "Override a device's type (kept in the database); `auto` goes back to the rules.")

    @Argument(help: "The device: its MAC or IP address.")
    var device: String

    @Argument(help: "camera, media, printer, hub, sensor, phone, computer, network, unknown, or auto.")
    var type: String

    @OptionGroup var storage: StorageOptions

    func validate() throws {
        guard type == "auto" || DeviceType(rawValue: type) != nil else {
            throw ValidationError("\"\(type)\" is not a device type: give one of \(DeviceType.allCases.map(\.rawValue).joined(separator: ", ")), or auto.")
        }
    }

    func run() throws {
        let database = try storage.openDatabase()
        do {
            let engine = try IoTEngine(database: database, classifier: DeviceClassifier(rules: try DeviceTypeRules.load().rules), vendors: nil)
            guard engine.inventory.setUserType(DeviceType(rawValue: type), for: device) else {
                throw fail("No device \(device) in the inventory. `netscouter iot devices` lists them (by MAC and IP).")
            }
            try engine.save()
        } catch let error as ExitCode { throw error } catch { throw fail("\(error)") }
    }
}

struct IoTResetBaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-baseline",
        abstract: "Forget the destinations a device (or every device) learnt; it learns again from its next outbound flow.")

    @Argument(help: "The device: its MAC or IP address (default: every device).")
    var device: String?

    @OptionGroup var storage: StorageOptions

    func run() throws {
        let database = try storage.openDatabase()
        do {
            let engine = try IoTEngine(database: database, vendors: nil)
            let keys: [String]
            if let device {
                guard let key = engine.inventory.resolve(device) else {
                    throw fail("No device \(device) in the inventory. `netscouter iot devices` lists them (by MAC and IP).")
                }
                keys = [key]
            } else {
                keys = Array(engine.inventory.devices.keys)
            }
            for key in keys { engine.correlator.resetBaseline(key, inventory: engine.inventory) }
            try engine.save()
        } catch let error as ExitCode { throw error } catch { throw fail("\(error)") }
    }
}
