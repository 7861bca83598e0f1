import Foundation

/// A job as stored: what to run, when, and with which options.
public struct ScheduledJob: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var name: String
    public var kind: JobKind
    public var trigger: Trigger
    /// Kind-specific settings for the executor (target, ports, interface, seconds, …).
    public var options: [String: String]
    public var enabled: Bool
    /// When the job is next due. Nil means "not computed yet" (the scheduler fills it in after
    /// now, without running) and is what a disabled job has. Set it to nil after changing the
    /// trigger so the next run follows the new trigger.
    public var nextRunAt: Date?
    /// When the latest run started.
    public var lastRunAt: Date?

    public init(
        id: Int64 = 0, name: String, kind: JobKind, trigger: Trigger,
        options: [String: String] = [:], enabled: Bool = true,
        nextRunAt: Date? = nil, lastRunAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.trigger = trigger
        self.options = options
        self.enabled = enabled
        self.nextRunAt = nextRunAt
        self.lastRunAt = lastRunAt
    }
}
