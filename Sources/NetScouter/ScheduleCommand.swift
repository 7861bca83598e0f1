import ArgumentParser
import Dispatch
import Foundation
import Jobs
import Schedule
import Store

struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Define, list, remove and run scheduled jobs (they run in `netscouter daemon` or the open window).",
        subcommands: [Add.self, List.self, Remove.self, Run.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a job.",
            discussion: """
                Kinds: capture-window, port-scan, lan-discovery, reputation-refresh.
                capture-window options: \(JobCatalog.optionHelp(.captureWindow))
                Examples:
                  netscouter schedule add --kind capture-window --every 30m --interface eth0 --seconds 60
                  netscouter schedule add --kind capture-window --cron "0 3 * * 1-5" --tz Europe/Berlin --option interface=eth0
                """
        )

        @Option(help: "capture-window, port-scan, lan-discovery or reputation-refresh.")
        var kind: String

        @Option(parsing: .unconditional, help: "Run every N minutes or hours: 30m, 2h, 1d (bare numbers are minutes).")
        var every: String?

        @Option(help: "Run by a 5-field cron expression, e.g. \"*/15 * * * *\".")
        var cron: String?

        @Option(help: "Time zone for --cron (default: local), e.g. UTC or Europe/Berlin.")
        var tz: String?

        @Option(help: "A name to show in lists.")
        var name: String?

        @Option(help: "capture-window: interface to capture on.")
        var interface: String?

        @Option(parsing: .unconditional, help: "capture-window: seconds to capture (1 to 86400).",
                transform: { try NumericOption.decimal($0, option: "--seconds", range: 1...86_400, unit: "seconds", note: "(1 day)") })
        var seconds: Double?

        @Option(help: "capture-window: BPF filter.")
        var filter: String?

        @Option(help: "capture-window: save packets as pcap files in this folder.")
        var pcapDir: String?

        @Option(parsing: .singleValue, help: "Any job option as key=value (repeatable).")
        var option: [String] = []

        @Flag(help: "Add it disabled.")
        var disabled = false

        @OptionGroup var storage: StorageOptions

        func run() throws {
            guard let jobKind = JobKind(rawValue: kind) else {
                throw fail("Unknown job kind \"\(kind)\": choose \(JobKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            var options: [String: String] = [:]
            for pair in option {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw fail("--option takes key=value (got \"\(pair)\").")
                }
                options[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            if let interface { options["interface"] = interface }
            if let seconds { options["seconds"] = String(seconds) }
            if let filter { options["filter"] = filter }
            if let pcapDir { options["pcap-dir"] = (pcapDir as NSString).standardizingPath }
            let service = ScheduleService(database: try storage.openDatabase())
            do {
                let trigger = try ScheduleService.trigger(every: every, cron: cron, timeZone: tz)
                let job = try service.add(name: name, kind: jobKind, trigger: trigger, options: options, enabled: !disabled)
                let next = trigger.nextRun(after: Date()).map(localTime) ?? "never"
                print("Added job \(job.id): \(job.name) — \(trigger)\(disabled ? " (disabled)" : ", next run \(next)")")
            } catch {
                throw fail(String(describing: error))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs with their next run and last outcome.")

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var storage: StorageOptions

        func run() throws {
            let service = ScheduleService(database: try storage.openDatabase())
            let jobs: [(job: ScheduledJob, lastRun: JobRunRecord?)]
            do { jobs = try service.list() } catch { throw fail(String(describing: error)) }
            if json {
                let rows: [[String: Any]] = jobs.map { entry in
                    let next: Date? = entry.job.enabled ? (entry.job.nextRunAt ?? entry.job.trigger.nextRun(after: Date())) : nil
                    var row: [String: Any] = [
                        "id": entry.job.id, "name": entry.job.name, "kind": entry.job.kind.rawValue, "trigger": entry.job.trigger.storageText,
                        "timeZone": entry.job.trigger.timeZoneIdentifier as Any? ?? NSNull(), "enabled": entry.job.enabled,
                        "options": entry.job.options, "nextRun": next.map(isoTime) as Any? ?? NSNull(),
                    ]
                    if let last = entry.lastRun {
                        row["lastRun"] = ["startedAt": isoTime(last.startedAt), "finishedAt": last.finishedAt.map(isoTime) as Any? ?? NSNull(),
                                          "outcome": last.outcome.rawValue, "summary": last.summary]
                    } else {
                        row["lastRun"] = NSNull()
                    }
                    return row
                }
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if jobs.isEmpty { print("No jobs. Add one with `netscouter schedule add --kind capture-window --every 30m --interface IF`.") }
            for (job, last) in jobs {
                let next = job.enabled ? (job.nextRunAt ?? job.trigger.nextRun(after: Date())).map(localTime) ?? "never" : "disabled"
                let lastText = last.map { "\($0.outcome.rawValue) \(localTime($0.startedAt)): \($0.summary)" } ?? "never run"
                print("\(job.id)\t\(job.name)\t\(job.kind.rawValue)\t\(job.trigger)\tnext: \(next)\tlast: \(lastText)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a job and its run history.")
        @Argument(help: "Job id (see `netscouter schedule list`).") var id: Int64
        @OptionGroup var storage: StorageOptions

        func run() throws {
            do { try ScheduleService(database: try storage.openDatabase()).remove(id: id) } catch { throw fail(String(describing: error)) }
            print("Removed job \(id).")
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a job now, in the foreground, and record the run.",
            discussion: """
                Refused while another NetScouter (the daemon, the window, another `schedule run`) runs the same job.
                SIGTERM or Ctrl+C stops the run early: it is recorded as stopped, with what it captured so far.
                """)
        @Argument(help: "Job id (see `netscouter schedule list`).") var id: Int64
        @OptionGroup var storage: StorageOptions

        func run() throws {
            // SIGTERM or Ctrl+C stops the run early; it is recorded as stopped with what it did so far.
            let cancellation = JobCancellation()
            var signalSources: [DispatchSourceSignal] = []
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    cancellation.cancel()
                    signal(number, SIG_DFL)  // a second one ends the process at once
                }
                source.resume()
                signalSources.append(source)
            }
            defer { signalSources.forEach { $0.cancel() } }
            let result: (outcome: Schedule.JobOutcome, summary: String)
            do {
                result = try ScheduleService(database: try storage.openDatabase()).runNow(id: id, cancellation: cancellation)
            } catch {
                throw fail(String(describing: error))
            }
            guard result.outcome == .succeeded else {
                var standardError = StandardError()
                print("netscouter: job \(id) \(result.outcome.rawValue): \(result.summary)", to: &standardError)
                throw ExitCode(1)
            }
            print("Job \(id) \(result.outcome.rawValue): \(result.summary)")
        }
    }
}

func localTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm zzz"
    return formatter.string(from: date)
}

func isoTime(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}
