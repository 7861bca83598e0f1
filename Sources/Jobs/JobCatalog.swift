import Foundation
import Schedule
import Store
import Traffic

/// The engines behind each job kind. Kinds whose engine lands in a later release (port scans,
/// LAN discovery, reputation refresh) are left unregistered, so a run of one records a clear
/// "no engine in this build" failure instead of pretending to succeed.
public enum JobCatalog {
    public static func executors(database: NetScouterDatabase?) -> JobExecutorRegistry {
        let registry = JobExecutorRegistry()
        registry.register(.captureWindow) { job, context in
            let options = try CaptureWindowOptions(jobOptions: job.options)
            let result = try CaptureWindowJob.run(options, isCancelled: { context.isCancelled })
            if let database {
                // The latest capture window is what `netscouter export flows|hosts` reads.
                let snapshots = SnapshotStore(database: database)
                let source = "job \(job.id) \"\(job.name)\" on \(options.interface)"
                try snapshots.save(result.flows.map(TrafficReport.Flow.init), kind: .flows, source: source, at: Date())
                try snapshots.save(result.hosts.map(TrafficReport.Host.init), kind: .hosts, source: source, at: Date())
            }
            return result.summary
        }
        return registry
    }

    /// The options each kind understands, for help texts and the Scheduler tab's form.
    public static func optionHelp(_ kind: JobKind) -> String {
        switch kind {
        case .captureWindow: "interface=IF (required), seconds=N (default 60), filter=BPF, pcap-dir=DIR, rotate-mb=N"
        case .portScan: "targets=HOSTS/CIDRS, ports=1-1024 (engine arrives with the Scanner)"
        case .lanDiscovery: "interface=IF (engine arrives with the Scanner)"
        case .reputationRefresh: "(engine arrives with Intel)"
        }
    }
}
