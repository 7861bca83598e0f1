import Capture
import Firewall
import Packets
import Foundation
import Intel
import Scan
import Schedule
import Store
import Traffic

/// The engines behind each job kind: capture windows, port scans, LAN discovery and reputation
/// refreshes. A kind without an engine would record a clear
/// "no engine in this build" failure instead of pretending to succeed.
public enum JobCatalog {
    /// - Parameter onReputation: sees every reputation result of refresh jobs (auto-block).
    public static func executors(database: NetScouterDatabase?,
                                 onReputation: (@Sendable (AddressReputation) -> Void)? = nil) -> JobExecutorRegistry {
        let registry = JobExecutorRegistry()
        registry.register(.captureWindow) { job, context in
            let options = try CaptureWindowOptions(jobOptions: job.options)
            let result = try CaptureWindowJob.run(options, isCancelled: { context.isCancelled })
            if let database {
                // The latest capture window is what `netscouter export flows|hosts` reads; a
                // window stopped early is saved too: it holds what was captured.
                let snapshots = SnapshotStore(database: database)
                let source = "job \(job.id) \"\(job.name)\" on \(options.interface)"
                try snapshots.save(result.flows.map(TrafficReport.Flow.init), kind: .flows, source: source, at: Date())
                try snapshots.save(result.hosts.map(TrafficReport.Host.init), kind: .hosts, source: source, at: Date())
            }
            if result.stoppedEarly { throw JobStoppedError(summary: result.summary) }
            return result.summary
        }
        registry.register(.reputationRefresh) { _, context in
            guard let database else {
                throw ReputationRefreshError(message: "Reputation refresh needs NetScouter's database; start the scheduler with a data directory.")
            }
            let settings = try SettingsStore(database: database).load()
            let configuration = try ReputationConfiguration.load(settings: settings)
            let location = LocationSources.open().source
            let service = ReputationService(configuration: configuration, cache: ReputationCache(database: database), location: location)
            return try ReputationRefreshJob.run(service: service, database: database, isCancelled: { context.isCancelled },
                                                onResult: { onReputation?($0) }).summary
        }
        registry.register(.blocklistImport) { job, _ in
            guard let database else {
                throw BlocklistImportJob.Failure(message: "A blocklist import needs NetScouter's database; start the scheduler with a data directory.")
            }
            return try BlocklistImportJob.run(jobName: job.name, options: job.options, database: database)
        }
        registry.register(.portScan) { job, context in
            try PortScanJob.run(options: job.options, database: database, isCancelled: { context.isCancelled })
        }
        registry.register(.lanDiscovery) { job, context in
            try LanDiscoveryJob.run(options: job.options, database: database, isCancelled: { context.isCancelled })
        }
        return registry
    }

    /// The option keys each kind reads; anything else is refused when a job is added or edited.
    public static func optionKeys(_ kind: JobKind) -> [String] {
        switch kind {
        case .captureWindow: CaptureWindowOptions.keys
        case .portScan: ["targets", "ports"]
        case .lanDiscovery: ["interface"]
        case .reputationRefresh: []
        case .blocklistImport: BlocklistImportJob.keys
        }
    }

    /// Checks a job's options as it is added or edited: every key known to its kind, and for a
    /// capture window every value readable and the BPF filter compilable — so a typo fails now,
    /// with a message, rather than at the job's first run.
    /// - Parameter keptKeys: keys a stored job already had (editing keeps them as they were, so a
    ///   job saved before this check can still be edited).
    public static func validate(kind: JobKind, options: [String: String], keptKeys: Set<String> = []) throws {
        let known = optionKeys(kind)
        for key in options.keys.sorted() where !known.contains(key) && !keptKeys.contains(key) {
            let list = known.isEmpty ? "\(kind.rawValue) jobs take no options" : "\(kind.rawValue) jobs take \(known.joined(separator: ", "))"
            let suggestion = closest(to: key, in: known).map { " Did you mean \($0)?" } ?? ""
            throw ScheduleService.ServiceError.invalid("Unknown option \"\(key)\": \(list).\(suggestion)")
        }
        let required: [(key: String, example: String)] = switch kind {
        case .portScan: [("targets", "targets=192.168.1.0/24")]
        case .lanDiscovery: [("interface", "interface=eth0")]
        case .blocklistImport: [("file", "file=/etc/netscouter/drop.txt")]
        default: []
        }
        for (key, example) in required where (options[key] ?? "").isEmpty && !keptKeys.contains(key) {
            throw ScheduleService.ServiceError.invalid("The job needs the option \(key) (for example \(example)).")
        }
        if kind == .portScan {
            // Addresses and ranges are checked now; names are resolved only when the job runs.
            let offline = TargetParser(resolve: { _ in [IPAddress(ipv4: 0)] })
            do {
                if let targets = options["targets"] { _ = try offline.parse(targets) }
                if let ports = options["ports"] { _ = try PortParser().parse(ports) }
            } catch { throw ScheduleService.ServiceError.invalid("\(error)") }
        }
        if kind == .blocklistImport {
            do { try BlocklistImportJob.validate(options) } catch { throw ScheduleService.ServiceError.invalid("\(error)") }
        }
        guard kind == .captureWindow else { return }
        let window = try CaptureWindowOptions(jobOptions: options)
        if let filter = window.filter {
            do { try PcapHandle.validateFilter(filter) } catch { throw ScheduleService.ServiceError.invalid(error.description) }
        }
    }

    /// The known key a typo most likely meant: one sharing a prefix with it, or within two edits.
    static func closest(to key: String, in known: [String]) -> String? {
        let typed = key.lowercased()
        if let prefixed = known.first(where: { $0.hasPrefix(typed) || typed.hasPrefix($0) }) { return prefixed }
        return known.map { ($0, editDistance(typed, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The options each kind understands, for help texts and the Scheduler tab's form.
    public static func optionHelp(_ kind: JobKind) -> String {
        switch kind {
        case .captureWindow: "interface=IF (required), seconds=N (default 60), filter=BPF, pcap-dir=DIR, rotate-mb=N"
        case .portScan: "targets=HOSTS/CIDRS/RANGES (required), ports=22,80,8000-8100 (default: the 1,000 most common)"
        case .lanDiscovery: "interface=IF (required): ARP, ICMP echo and neighbour table of its IPv4 subnet"
        case .reputationRefresh: "no options: renews cached answers about to expire, then looks up the latest capture window's hosts"
        case .blocklistImport: "file=LIST (required; FireHOL / Spamhaus DROP), for=7d (default: permanent; renewed each run), reason=TEXT"
        }
    }
}
