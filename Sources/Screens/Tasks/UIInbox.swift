import Synchronization

/// Results posted by workers (settings saved, export written, job finished) for the UI thread,
/// which runs them at the start of the next frame. Workers never touch UI state directly.
public final class UIInbox: Sendable {
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let posted = Atomic<Int>(0)
    private let wakeHandler = Mutex<(@Sendable () -> Void)?>(nil)

    public init() {}

    /// Callable from any thread.
    public func post(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        posted.add(1, ordering: .releasing)
        wakeHandler.withLock { $0 }?()
    }

    /// Called (on the posting thread) after every `post`, so an idle frame loop sleeping in
    /// `SDL_WaitEventTimeout` can be woken at once, e.g. by pushing an SDL user event
    /// (`SDL_PushEvent` is thread-safe). Without one, results still arrive at the next frame;
    /// `AppShell` also asks for frames every 50 ms while it waits for work it started.
    public func setWakeHandler(_ handler: (@Sendable () -> Void)?) {
        wakeHandler.withLock { $0 = handler }
    }

    /// Runs everything posted so far, on the caller's (UI) thread. Returns how many ran.
    @discardableResult
    public func drain() -> Int {
        let work = pending.withLock { queue -> [@Sendable () -> Void] in
            defer { queue.removeAll() }
            return queue
        }
        for item in work { item() }
        return work.count
    }

    /// Total posts so far: lets a frame loop notice new results without locking.
    public var postCount: Int { posted.load(ordering: .acquiring) }
}

/// Carries a UI-thread object through a worker's completion and back into the inbox. Only the
/// inbox's `drain` (on the UI thread) opens it, which is what makes the unchecked Sendable sound.
public struct UIThreadReference<Object: AnyObject>: @unchecked Sendable {
    public weak var object: Object?
    public init(_ object: Object) { self.object = object }
}
