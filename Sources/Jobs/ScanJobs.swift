import Foundation
import Packets
import Scan
import Schedule
import Store

/// Saving scans in the store (the `scans` and `scan_results` tables) and the engines behind the
/// `port-scan` and `lan-discovery` job kinds. The command line uses the same functions, so a
/// scheduled scan and `netscouter scan` store the same rows.
public enum ScanRecords {
    public static let portScanKind = "ports"
    public static let discoveryKind = "discovery"

    /// Starts a scan row (status "running") so an interrupted scan still shows up.
    public static func begin(kind: String, target: String, in database: NetScouterDatabase, at time: Date = Date()) throws -> Int64 {
        let record = try ScanStore(database: database).insert(ScanRecord(kind: kind, target: target, startedAt: time, status: "running"))
        return record.id ?? 0
    }

    /// The rows a port scan keeps: open ports always, closed and filtered ones only when asked
    /// (a full-range scan would otherwise store 65,000 closed rows per host). The banner is the
    /// detail, already sanitised by the scanner.
    public static func rows(_ results: [PortResult], allStates: Bool, services: ServiceNames = .system) -> [ScanResultRecord] {
        results.filter { allStates || $0.state == .open }
            .sorted { ($0.host.address, $0.port) < ($1.host.address, $1.port) }
            .map { result in
                ScanResultRecord(address: result.host.address.description, port: Int(result.port), protocol: "tcp",
                                 state: result.state.rawValue, service: services.name(of: result.port), detail: result.banner)
            }
    }

    public static func rows(_ hosts: [DiscoveredHost]) -> [ScanResultRecord] {
        hosts.map { host in
            var detail: [String] = []
            if let mac = host.mac { detail.append("mac \(mac)") }
            if let name = host.name { detail.append("name \(BannerText.sanitise(Array(name.utf8)) ?? "")") }
            if let rtt = host.rttMilliseconds { detail.append(String(format: "rtt %.2f ms", rtt)) }
            detail.append("via " + host.sources.sorted().map(\.rawValue).joined(separator: "+"))
            return ScanResultRecord(address: host.address.description, port: nil,
                                    protocol: host.sources.contains(.arp) ? "arp" : host.sources.contains(.icmp) ? "icmp" : "arp",
                                    state: "up", service: nil, detail: detail.joined(separator: ", "))
        }
    }

    public static func summary(of scan: PortScanSummary, hosts: Int) -> String {
        let prefix = scan.cancelled ? "Cancelled: " : ""
        return prefix + "\(hosts) host\(hosts == 1 ? "" : "s"), \(scan.results.count) ports: \(scan.count(.open)) open, "
            + "\(scan.count(.closed)) closed, \(scan.count(.filtered)) filtered in \(String(format: "%.2f", scan.elapsedSeconds)) s"
    }

    public static func summary(of discovery: DiscoveryResult) -> String {
        "\(discovery.hosts.count) host\(discovery.hosts.count == 1 ? "" : "s") up on \(discovery.interface.name) "
            + "(\(discovery.interface.address)/\(discovery.interface.prefixLength)) in \(String(format: "%.2f", discovery.elapsedSeconds)) s"
    }

    /// Saves a finished port scan: results and the closing status in one transaction.
    public static func finish(scanID: Int64, scan: PortScanSummary, hosts: Int, allStates: Bool, in database: NetScouterDatabase) throws {
        let rows = rows(scan.results, allStates: allStates)
        try database.write { db in
            try ScanStore.appendResults(rows, toScan: scanID, in: db)
            try ScanStore.finish(scanID: scanID, status: scan.cancelled ? "cancelled" : "finished",
                                 summary: summary(of: scan, hosts: hosts), at: Date(), in: db)
        }
        try IoTInventoryFeed.record(scan, in: database)
    }

    public static func finish(scanID: Int64, discovery: DiscoveryResult, in database: NetScouterDatabase) throws {
        let rows = rows(discovery.hosts)
        try database.write { db in
            try ScanStore.appendResults(rows, toScan: scanID, in: db)
            try ScanStore.finish(scanID: scanID, status: "finished", summary: summary(of: discovery), at: Date(), in: db)
        }
        // Every discovery is a sweep for the IoT inventory's online/offline state.
        try IoTInventoryFeed.record(discovery, in: database)
    }

    public static func fail(scanID: Int64, error: Error, in database: NetScouterDatabase) {
        try? ScanStore(database: database).finish(scanID: scanID, status: "failed", summary: "\(error)", at: Date())
    }
}

/// The `port-scan` job: options `targets` (required) and `ports` (nmap syntax; default the 1,000
/// most common ports).
public enum PortScanJob {
    public static let defaultTopPorts = 1000

    public static func run(options: [String: String], database: NetScouterDatabase?, isCancelled: @escaping @Sendable () -> Bool) throws -> String {
        guard let targetText = options["targets"], !targetText.isEmpty else {
            throw ScheduleService.ServiceError.invalid("A port-scan job needs targets=HOSTS (addresses, names, CIDR blocks or ranges).")
        }
        let hosts = try TargetParser().parse(targetText)
        let ports = try options["ports"].map { try PortParser().parse($0) } ?? PortParser.top(defaultTopPorts)
        let scanner = ConnectScanner(hosts: hosts, ports: ports)
        let scanID = try database.map { try ScanRecords.begin(kind: ScanRecords.portScanKind, target: targetText, in: $0) }
        do {
            let result = try scanner.run(onProgress: { _ in if isCancelled() { scanner.cancel() } })
            if let database, let scanID { try ScanRecords.finish(scanID: scanID, scan: result, hosts: hosts.count, allStates: false, in: database) }
            let summary = ScanRecords.summary(of: result, hosts: hosts.count)
            if result.cancelled { throw JobStoppedError(summary: summary) }
            return summary
        } catch let error as JobStoppedError {
            throw error
        } catch {
            if let database, let scanID { ScanRecords.fail(scanID: scanID, error: error, in: database) }
            throw error
        }
    }
}

/// The `lan-discovery` job: option `interface` (required).
public enum LanDiscoveryJob {
    public static func run(options: [String: String], database: NetScouterDatabase?, isCancelled: @escaping @Sendable () -> Bool) throws -> String {
        guard let interface = options["interface"], !interface.isEmpty else {
            throw ScheduleService.ServiceError.invalid("A lan-discovery job needs interface=IF (`netscouter interfaces` lists them).")
        }
        let discovery = LanDiscovery(interface: interface)
        let scanID = try database.map { try ScanRecords.begin(kind: ScanRecords.discoveryKind, target: interface, in: $0) }
        do {
            let watcher = Thread { while !Thread.current.isCancelled { if isCancelled() { discovery.cancel(); return }; usleep(50_000) } }
            watcher.start()
            defer { watcher.cancel() }
            let result = try discovery.run()
            if let database, let scanID { try ScanRecords.finish(scanID: scanID, discovery: result, in: database) }
            return ([ScanRecords.summary(of: result)] + result.warnings).joined(separator: " ")
        } catch {
            if let database, let scanID { ScanRecords.fail(scanID: scanID, error: error, in: database) }
            throw error
        }
    }
}
