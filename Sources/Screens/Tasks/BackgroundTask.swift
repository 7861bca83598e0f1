import Dispatch
import Synchronization

/// What a running task's work sees: whether it was cancelled, and a way to report progress.
/// Callable from the worker thread only.
public final class TaskContext<Progress: Sendable>: Sendable {
    private let cancelled = Atomic<Bool>(false)
    private let cancelHandlers = Mutex<[@Sendable () -> Void]>([])
    private let reportProgress: @Sendable (Progress) -> Void

    init(reportProgress: @escaping @Sendable (Progress) -> Void) {
        self.reportProgress = reportProgress
    }

    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Throws `TaskCancelled` once the task was cancelled: call it between steps.
    public func checkCancellation() throws(TaskCancelled) {
        if isCancelled { throw TaskCancelled() }
    }

    /// Hands `progress` to the UI thread (through the inbox, so reports arrive in order).
    public func report(_ progress: Progress) {
        reportProgress(progress)
    }

    /// Runs `handler` once when the task is cancelled (at once if it already was): for work that
    /// blocks in a call of its own (a sweep waiting in poll) and has its own way to stop.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = cancelHandlers.withLock { handlers in
            if isCancelled { return true }
            handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    func cancel() {
        let handlers = cancelHandlers.withLock { handlers in
            cancelled.store(true, ordering: .releasing)
            defer { handlers.removeAll() }
            return handlers
        }
        for handler in handlers { handler() }
    }
}

/// Work off the UI thread, with its results back on it: the one way screens run slow work
/// (store reads and writes, exports, interface enumeration, job actions).
///
/// - `start(request)` runs `work(request)` on the task's queue. What a `start` does while a run is
///   in flight is the task's `Policy`: coalesce (one follow-up run with the latest request,
///   however many came in: a list refresh), run every request in order (job actions), or ignore
///   it (a Save button pressed twice).
/// - The work reports progress through its `TaskContext`; reports and the result are posted to the
///   `UIInbox`, so they run on the UI thread, in the order they were made, when a frame drains it.
/// - `cancel()` flags the running work (it stops at its next `checkCancellation`) and drops
///   requests still waiting. A cancelled run ends as `.cancelled`, which is never shown.
/// - A failure reaches the user: the request's own handler gets it, and when a `ToastCenter` is
///   given the task posts it there too (the one toast path) unless the handler says it showed it
///   itself (inline in a form).
///
/// UI thread only, except `work`, which runs on the queue.
public final class BackgroundTask<Request: Sendable, Progress: Sendable, Output: Sendable> {
    public enum Policy: Sendable {
        /// While a run is in flight, later requests collapse into one follow-up run of the latest.
        case coalesce
        /// Every request runs, one after the other, each with its own completion.
        case serial
        /// Requests while a run is in flight are dropped (`start` returns false).
        case ignoreWhileRunning
    }

    /// How a completion handler saw a failure: `.shown` when it presented it itself (inline),
    /// `.unhandled` to let the task post it to the toasts.
    public enum FailureHandling { case shown, unhandled }

    public typealias Work = @Sendable (Request, TaskContext<Progress>) throws -> Output
    public typealias Completion = (TaskOutcome<Output>) -> FailureHandling

    public let name: String
    public let policy: Policy
    let queue: DispatchQueue
    let inbox: UIInbox
    let toasts: ToastCenter?
    let work: Work

    /// True from `start` until the last result is delivered on the UI thread.
    public var isRunning: Bool { running != nil }
    /// The latest progress reported by the running work (nil when none yet or idle).
    public private(set) var progress: Progress?
    /// Called on the UI thread with every progress report, in order.
    public var onProgress: ((Progress) -> Void)?
    /// Requests waiting for the run in flight.
    public var waitingCount: Int { waiting.count }
    /// How many times the work actually ran (tests, diagnostics).
    public private(set) var runCount = 0

    private var running: (context: TaskContext<Progress>, generation: Int)?
    private var waiting: [(Request, Completion?)] = []
    private var generation = 0

    /// `queue` is where the work runs (tasks that must not overlap, like every call to one
    /// service, share one serial queue); by default each task has its own serial queue.
    public init(_ name: String, policy: Policy = .coalesce, queue: DispatchQueue? = nil, inbox: UIInbox, toasts: ToastCenter? = nil,
                work: @escaping Work) {
        self.name = name
        self.policy = policy
        self.queue = queue ?? DispatchQueue(label: "netscouter.task.\(name)", qos: .userInitiated)
        self.inbox = inbox
        self.toasts = toasts
        self.work = work
    }

    /// Starts (or queues, or coalesces) a run with `request`; `completion` runs on the UI thread.
    /// Returns false when the request was dropped (`.ignoreWhileRunning` and a run in flight).
    @discardableResult
    public func start(_ request: Request, completion: Completion? = nil) -> Bool {
        if running != nil {
            switch policy {
            case .ignoreWhileRunning: return false
            case .serial: waiting.append((request, completion))
            case .coalesce:
                // The follow-up run answers every caller that asked in the meantime.
                let earlier = waiting.compactMap(\.1)
                let merged: Completion? = earlier.isEmpty && completion == nil ? nil : { result in
                    var handling = FailureHandling.unhandled
                    for handler in earlier { if handler(result) == .shown { handling = .shown } }
                    if let completion, completion(result) == .shown { handling = .shown }
                    return handling
                }
                waiting = [(request, merged)]
            }
            return true
        }
        run(request, completion)
        return true
    }

    /// Stops the running work at its next cancellation check and drops waiting requests.
    public func cancel() {
        let dropped = waiting
        waiting.removeAll()
        running?.context.cancel()
        for (_, completion) in dropped { _ = completion?(.cancelled) }
    }

    private func run(_ request: Request, _ completion: Completion?) {
        generation += 1
        let generation = generation
        let inbox = inbox, work = work, task = UIThreadReference(self)
        let context = TaskContext<Progress>(reportProgress: { progress in
            inbox.post { task.object?.deliverProgress(progress, generation: generation) }
        })
        running = (context, generation)
        progress = nil
        runCount += 1
        let completionBox = UIThreadValue(completion)
        queue.async {
            let result: Result<Output, any Error>
            do { result = .success(try work(request, context)) } catch { result = .failure(error) }
            let cancelled = context.isCancelled
            let delivered = UIThreadValue(result)
            inbox.post { task.object?.finish(delivered.value, cancelled: cancelled, completion: completionBox.value, generation: generation) }
        }
    }

    private func deliverProgress(_ value: Progress, generation: Int) {
        guard running?.generation == generation else { return }
        progress = value
        onProgress?(value)
    }

    private func finish(_ result: Result<Output, any Error>, cancelled: Bool, completion: Completion?, generation: Int) {
        running = nil
        progress = nil
        let outcome: TaskOutcome<Output>
        switch result {
        case let .success(output): outcome = cancelled ? .cancelled : .success(output)
        case let .failure(error): outcome = error is TaskCancelled || cancelled ? .cancelled : .failure(UserError.from(error))
        }
        let handling = completion?(outcome) ?? .unhandled
        if case let .failure(error) = outcome, handling == .unhandled { toasts?.post(error) }
        if !waiting.isEmpty {
            let (request, next) = waiting.removeFirst()
            run(request, next)
        }
    }
}

/// How a run of a `BackgroundTask` ended, as its completion sees it on the UI thread.
public enum TaskOutcome<Output> {
    case success(Output)
    case failure(UserError)
    /// Cancelled before it finished: nothing to show.
    case cancelled

    public var value: Output? {
        if case let .success(output) = self { return output }
        return nil
    }

    public var error: UserError? {
        if case let .failure(error) = self { return error }
        return nil
    }
}

/// Carries a non-Sendable value from the UI thread through a worker back to the UI thread (the
/// worker only holds it). Only the inbox's `drain` opens it.
struct UIThreadValue<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
