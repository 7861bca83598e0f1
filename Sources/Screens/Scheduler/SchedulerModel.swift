import Dispatch
import Foundation
import Jobs
import Schedule
import UI

/// The Scheduler tab's state and intents, without any UI: the jobs list (re-read after every
/// action and whenever the scheduler reports a run), the Add/Edit form, and Run now, Enable /
/// Disable and Delete.
///
/// Nothing here touches SQLite on the UI thread: every backend call runs through
/// `BackgroundTask`s that share one serial queue (so they happen in the order asked), and their
/// results come back through the inbox. UI thread only.
public final class SchedulerModel {
    public let backend: SchedulerBackend
    let toasts: ToastCenter
    /// Where every store call runs, in order.
    let queue = DispatchQueue(label: "netscouter.scheduler-model", qos: .userInitiated)

    /// The jobs as last read, in store order (by name). The view's table sorts, filters and
    /// selects them (by job ID).
    public private(set) var entries: [JobListEntry] = []
    /// Bumps with every list read, so the table knows its rows are stale.
    public private(set) var listGeneration = 0
    public private(set) var hasLoaded = false
    /// Why the list could not be read, or a problem the scheduler reported.
    public private(set) var problem: UserError?

    public var form = JobForm()
    /// Why the last Add / Save was refused, shown in the form.
    public private(set) var formError: UserError?
    /// Runs started here without a scheduler (one task per job: runs of different jobs overlap).
    private var manualRuns: [Int64: BackgroundTask<Int64, Never, (outcome: String, summary: String)>] = [:]
    /// Jobs whose Run now went to the scheduler: their finished run gets a toast.
    private var awaitingRuns: Set<Int64> = []

    private let loader: BackgroundTask<Void, Never, [JobListEntry]>
    private let submitter: BackgroundTask<JobForm, Never, (message: String, reloadProblem: UserError?)>
    private let actions: BackgroundTask<Action, Never, UserError?>
    private let runRequests: BackgroundTask<Int64, Never, Bool>
    private let inbox: UIInbox

    /// A change to one job, run on the queue; its result is a problem reloading the scheduler.
    struct Action: Sendable {
        let success: String
        let toast: Bool
        let work: @Sendable (SchedulerBackend) throws -> Void
    }

    public init(backend: SchedulerBackend, inbox: UIInbox, toasts: ToastCenter) {
        self.backend = backend
        self.inbox = inbox
        self.toasts = toasts
        loader = BackgroundTask("scheduler-list", policy: .coalesce, queue: queue, inbox: inbox, toasts: nil) { _, _ in
            do { return try backend.listJobs() } catch { throw UserError(Self.readFailure, underlying: error) }
        }
        submitter = BackgroundTask("scheduler-submit", policy: .ignoreWhileRunning, queue: queue, inbox: inbox, toasts: toasts) { form, _ in
            let trigger = try form.trigger()
            let options = try form.options()
            let name = form.name.trimmingCharacters(in: .whitespaces)
            let message: String
            if let id = form.editingJobID {
                let saved = name.isEmpty ? "\(form.kind.title) \(trigger)" : name
                try backend.update(id: id, name: saved, trigger: trigger, options: options)
                message = "Saved “\(saved)” (\(trigger))"
            } else {
                let job = try backend.add(name: name.isEmpty ? nil : name, kind: form.kind, trigger: trigger, options: options)
                message = "Added “\(job.name)” (\(job.trigger))"
            }
            return (message, Self.reload(backend))
        }
        actions = BackgroundTask("scheduler-action", policy: .serial, queue: queue, inbox: inbox, toasts: toasts) { action, _ in
            try action.work(backend)
            return Self.reload(backend)
        }
        runRequests = BackgroundTask("scheduler-run", policy: .serial, queue: queue, inbox: inbox, toasts: toasts) { id, _ in
            guard !backend.requestRun(jobID: id) else { return true }
            return false
        }
        let model = UIThreadReference(self)
        backend.observe { event in inbox.post { model.object?.handle(event) } }
        refresh()
    }

    static let readFailure = "The scheduled jobs could not be read"

    /// Tells the scheduler about a change; a failure is the user's to see (the change is saved,
    /// but scheduled runs follow the old jobs until the next periodic reload). It is shown above
    /// the form; the scheduler's own `.problem` event has already toasted it once.
    static func reload(_ backend: SchedulerBackend) -> UserError? {
        do {
            try backend.reloadScheduler()
            return nil
        } catch {
            return UserError("The change is saved, but the running scheduler could not reload the jobs", underlying: error,
                             remedy: "It tries again every 15 seconds; if this persists, restart NetScouter.")
        }
    }

    /// True while a list refresh or an action started here has not reported back.
    public var hasPendingWork: Bool { loader.isRunning || submitter.isRunning || actions.isRunning || runRequests.isRunning }
    public var isRefreshing: Bool { loader.isRunning }
    public var isSubmitting: Bool { submitter.isRunning }
    /// True while a run started with Run now has not finished.
    public var hasRunsInFlight: Bool { !manualRuns.isEmpty || !awaitingRuns.isEmpty }
    public var enginesAvailable: Set<JobKind> { backend.enginesAvailable }

    // MARK: Loading

    /// Re-reads the jobs; refreshes asked for while one runs collapse into one more.
    public func refresh() {
        loader.start(()) { [weak self] outcome in
            guard let self else { return .shown }
            switch outcome {
            case let .success(list):
                entries = list
                listGeneration += 1
                hasLoaded = true
                // A read that works again clears the read's problem, not other ones.
                if problem?.message.hasPrefix(Self.readFailure) == true { problem = nil }
            case let .failure(error):
                problem = error
            case .cancelled: break
            }
            return .shown  // shown above the form
        }
    }

    /// Clears the shown problem and reads the list again (the Reload button).
    public func reload() {
        problem = nil
        refresh()
    }

    func handle(_ event: SchedulerEvent) {
        switch event {
        case .runStarted:
            break
        case let .runFinished(jobID, _, outcome, summary):
            if awaitingRuns.remove(jobID) != nil { announce(jobID: jobID, outcome: outcome.rawValue, summary: summary) }
        case let .runSkipped(jobID, _, reason):
            if awaitingRuns.remove(jobID) != nil { toasts.post("\(jobName(jobID)): \(reason)", kind: .info) }
        case let .problem(message):
            // A broken database reports on every tick: say it once.
            if problem?.message != message { toasts.post(UserError(message)) }
            problem = UserError(message)
        }
        refresh()
    }

    private func jobName(_ id: Int64) -> String {
        entries.first { $0.job.id == id }.map { "“\($0.job.name)”" } ?? "Job \(id)"
    }

    private func announce(jobID: Int64, outcome: String, summary: String) {
        let kind: ToastKind = outcome == "succeeded" ? .success : outcome == "failed" || outcome == "interrupted" ? .error : .info
        toasts.post("\(jobName(jobID)) \(outcome): \(summary)", kind: kind)
    }

    // MARK: Actions

    /// Adds the job in the form, or saves the job being edited. A refusal goes to `formError`.
    public func submitForm() {
        formError = nil
        let submitted = form
        submitter.start(submitted) { [weak self] outcome in
            guard let self else { return .shown }
            refresh()
            switch outcome {
            case let .success((message, reloadProblem)):
                let kind = form.kind
                form = JobForm()
                form.kind = kind
                toasts.post(message, kind: .success)
                if let reloadProblem { problem = reloadProblem }
            case let .failure(error):
                formError = error
            case .cancelled: break
            }
            return .shown
        }
    }

    public func startEditing(_ job: ScheduledJob) {
        form = JobForm(editing: job)
        formError = nil
    }

    public func cancelEditing() {
        let kind = form.kind
        form = JobForm()
        form.kind = kind
        formError = nil
    }

    public func dismissFormError() { formError = nil }

    /// Runs a job now: through the scheduler when there is one (no overlap with its scheduled
    /// runs), otherwise here on a worker. A toast reports the outcome when the run finishes.
    public func runNow(_ job: ScheduledJob) {
        let id = job.id, name = job.name
        if backend.hasScheduler {
            guard !awaitingRuns.contains(id) else { return }
            awaitingRuns.insert(id)
            runRequests.start(id) { [weak self] outcome in
                guard let self, outcome.value == false else { return .unhandled }
                awaitingRuns.remove(id)
                let busy = backend.runState(jobID: id) != .idle
                if busy {
                    toasts.post("“\(name)” is already running; it was not started again.", kind: .info)
                } else {
                    toasts.post(UserError("“\(name)” could not be started: the scheduler is stopped or the job no longer exists.",
                                          remedy: "Press Reload to see the current jobs."))
                }
                refresh()
                return .shown
            }
        } else {
            guard manualRuns[id] == nil else { return }
            // Not the store queue: a capture window runs for minutes and must not hold up edits.
            let backend = backend
            let task = BackgroundTask<Int64, Never, (outcome: String, summary: String)>(
                "scheduler-run-\(id)", policy: .ignoreWhileRunning, queue: .global(qos: .utility), inbox: inbox, toasts: nil) { id, _ in
                    try backend.runManually(id: id)
                }
            manualRuns[id] = task
            task.start(id) { [weak self] outcome in
                guard let self else { return .shown }
                manualRuns[id] = nil
                switch outcome {
                case let .success(result): announce(jobID: id, outcome: result.outcome, summary: result.summary)
                case let .failure(error): announce(jobID: id, outcome: "failed", summary: error.userText)
                case .cancelled: break
                }
                refresh()
                return .shown
            }
        }
        refresh()
    }

    public func setEnabled(_ job: ScheduledJob, _ enabled: Bool) {
        let id = job.id, name = job.name
        perform(Action(success: enabled ? "Enabled “\(name)”" : "Disabled “\(name)”", toast: false) { try $0.setEnabled(id: id, enabled) })
    }

    /// Deletes without asking (the table's Delete button asks first).
    public func delete(_ job: ScheduledJob) {
        let id = job.id, name = job.name
        if form.editingJobID == id { cancelEditing() }
        perform(Action(success: "Deleted “\(name)”", toast: true) { try $0.remove(id: id) })
    }

    /// Runs `action` on the queue (after the ones before it), then re-reads the list.
    private func perform(_ action: Action) {
        actions.start(action) { [weak self] outcome in
            guard let self else { return .unhandled }
            refresh()
            switch outcome {
            case let .success(reloadProblem):
                if let reloadProblem { problem = reloadProblem } else if action.toast { toasts.post(action.success, kind: .success) }
                return .shown
            case .failure, .cancelled:
                return .unhandled  // the task's toast
            }
        }
    }

    // MARK: Display

    public enum Status: Equatable, Sendable {
        case none, queued, running, succeeded, failed, skipped, stopped, interrupted

        public var text: String {
            switch self {
            case .none: "—"
            case .queued: "queued…"
            case .running: "running…"
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .skipped: "skipped"
            case .stopped: "stopped"
            case .interrupted: "interrupted"
            }
        }
    }

    /// What the "Last outcome" column shows for a job.
    public func status(of entry: JobListEntry) -> Status {
        let id = entry.job.id
        if manualRuns[id] != nil { return .running }
        switch backend.runState(jobID: id) {
        case .running: return .running
        case .queued: return .queued
        default: break
        }
        switch entry.lastRun?.outcome {
        case nil: return .none
        case .running?: return .running
        case .succeeded?: return .succeeded
        case .failed?: return .failed
        case .skipped?: return .skipped
        case .stopped?: return .stopped
        case .interrupted?: return .interrupted
        }
    }

    /// What the line under the table says about the selected job (nil: none selected).
    public func detailText(selected: JobListEntry?, localTime: (Date?) -> String) -> String {
        guard let entry = selected else {
            return entries.isEmpty ? "No jobs yet: add one above." : "Select a job to see its last run's result."
        }
        guard let run = entry.lastRun else { return "“\(entry.job.name)” has not run yet." }
        let summary = run.summary.isEmpty ? "" : ": " + run.summary
        return "Last run of “\(entry.job.name)” at \(localTime(run.startedAt)) \(run.outcome.rawValue)\(summary)"
    }
}
