import Dispatch
import GRDB
import Synchronization

/// Performs database writes on its own serial queue so the UI thread never waits on the disk.
///
/// Writes run one at a time, in submission order, each in its own transaction. Completions run
/// on the writer's queue: hop to your own inbox from there (the UI reads its inbox at frame
/// start). On shutdown call `stop()`: it waits for every write already submitted, so quitting
/// never loses one, and refuses later ones with `StoreError.writerStopped`.
public final class StoreWriter: Sendable {
    private struct State {
        var stopped = false
        var pending = 0
    }

    /// The database this writer writes to.
    public let database: NetScouterDatabase
    private let queue: DispatchQueue
    private let state = Mutex(State())

    public init(database: NetScouterDatabase, label: String = "netscouter.store.writer") {
        self.database = database
        // .utility: saving history matters less than drawing frames or capturing packets.
        self.queue = DispatchQueue(label: label, qos: .utility)
    }

    /// Queues `work` to run in a write transaction on the writer queue, then calls
    /// `completion` there with nil, or the error (the transaction was rolled back).
    /// Never blocks the caller.
    public func submit(
        _ work: @escaping @Sendable (Database) throws -> Void,
        completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.pending += 1
            return true
        }
        guard accepted else {
            queue.async { completion(StoreError.writerStopped) }
            return
        }
        queue.async { [database] in
            let failure: (any Error)?
            do {
                try database.write(work)
                failure = nil
            } catch {
                failure = error
            }
            self.state.withLock { $0.pending -= 1 }
            completion(failure)
        }
    }

    /// `submit` for async callers: suspends until the write has committed, returning its value.
    public func perform<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = ResultBox<T>()
        return try await withCheckedThrowingContinuation { continuation in
            submit({ db in
                let value = try work(db)
                result.value.withLock { $0 = value }
            }, completion: { error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    // Set by the work closure: completion(nil) only follows a committed write.
                    continuation.resume(returning: result.value.withLock { $0! })
                }
            })
        }
    }

    /// Number of writes submitted and not yet finished.
    public var pendingCount: Int { state.withLock { $0.pending } }

    /// Blocks until every write submitted before this call has finished and its completion has
    /// run. Must not be called from a completion (that would wait for itself).
    public func flush() {
        dispatchPrecondition(condition: .notOnQueue(queue))
        queue.sync {}
    }

    /// Refuses new writes and waits for those already submitted: call once on shutdown.
    public func stop() {
        state.withLock { $0.stopped = true }
        flush()
    }
}

/// Carries a write's return value from the writer queue to the awaiting task.
private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
