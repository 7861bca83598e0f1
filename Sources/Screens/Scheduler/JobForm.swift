import Foundation
import Jobs
import Schedule
import Store

/// One job as the Scheduler tab lists it.
public struct JobListEntry: Sendable, Equatable {
    public var job: ScheduledJob
    /// The latest run, finished or not.
    public var lastRun: JobRunRecord?
    /// When it runs next; nil when disabled (or a cron expression that never fires again).
    public var nextRun: Date?

    public init(job: ScheduledJob, lastRun: JobRunRecord?, nextRun: Date?) {
        self.job = job
        self.lastRun = lastRun
        self.nextRun = nextRun
    }
}

/// The "Add job" / "Edit job" form's fields, as typed.
public struct JobForm: Sendable, Equatable {
    public enum TriggerMode: String, Sendable { case every, cron }

    public var name = ""
    public var kind: JobKind = .captureWindow
    public var mode: TriggerMode = .every
    public var every = "30m"
    public var cron = "*/15 * * * *"
    public var timeZone = TimeZone.current.identifier
    // Capture-window options.
    public var interface = ""
    public var seconds = "60"
    public var filter = ""
    public var pcapFolder = ""
    /// Other kinds: "key=value key=value".
    public var otherOptions = ""
    /// The job being edited, or nil when adding.
    public var editingJobID: Int64?
    /// Options of the edited job that the form has no field for (kept on save).
    var keptOptions: [String: String] = [:]

    public init() {}

    /// The form filled with `job`, for editing.
    public init(editing job: ScheduledJob) {
        name = job.name
        kind = job.kind
        editingJobID = job.id
        switch job.trigger {
        case let .interval(seconds):
            mode = .every
            every = Self.intervalText(seconds)
        case let .cron(expression, zone):
            mode = .cron
            cron = expression.text
            timeZone = zone.identifier
        }
        var options = job.options
        if kind == .captureWindow {
            interface = options.removeValue(forKey: "interface") ?? ""
            seconds = options.removeValue(forKey: "seconds") ?? ""
            filter = options.removeValue(forKey: "filter") ?? ""
            pcapFolder = options.removeValue(forKey: "pcap-dir") ?? ""
            keptOptions = options
        } else {
            otherOptions = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    /// "30m", "2h", "1d", "90s": how an interval reads back in the field.
    static func intervalText(_ seconds: Int) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Parses the trigger fields (the service's messages on error).
    public func trigger() throws -> Trigger {
        switch mode {
        case .every: try ScheduleService.trigger(every: every, cron: nil, timeZone: nil)
        case .cron: try ScheduleService.trigger(every: nil, cron: cron, timeZone: timeZone.trimmingCharacters(in: " "))
        }
    }

    /// The job options from the fields.
    public func options() throws -> [String: String] {
        func trimmed(_ text: String) -> String { text.trimmingCharacters(in: " ") }
        if kind == .captureWindow {
            var options = keptOptions
            options["interface"] = trimmed(interface)
            for (key, value) in [("seconds", seconds), ("filter", filter), ("pcap-dir", pcapFolder)] {
                options[key] = trimmed(value).isEmpty ? nil : trimmed(value)
            }
            return options
        }
        var options: [String: String] = [:]
        for token in otherOptions.split(separator: " ", omittingEmptySubsequences: true) {
            guard let equals = token.firstIndex(of: "="), equals != token.startIndex else {
                throw ScheduleService.ServiceError.invalid(
                    "Options are key=value pairs separated by spaces (\"\(token)\" is not); \(kind.title) jobs take: \(JobCatalog.optionHelp(kind)).")
            }
            options[String(token[..<equals])] = String(token[token.index(after: equals)...])
        }
        return options
    }
}
