import Foundation

/// The work list of addresses to look up, drained by one worker thread.
///
/// - Deduplicated: an address waiting or being looked up is not added twice, however many flows,
///   hosts and scan results mention it.
/// - Prioritised: `.visible` addresses (rows on screen, the Intel tab's lookup box) go before
///   `.background` ones; re-adding a waiting background address as visible moves it forward.
/// - A refresh (`refresh: true`) of the address being looked up queues it once more, so the user
///   gets a lookup that started after they asked.
/// - Results arrive through `deliver` on the worker thread; the UI posts them to its inbox.
public final class ReputationLookupQueue: @unchecked Sendable {
    public enum Priority: Int, Sendable { case background = 0, visible = 1 }

    private let service: ReputationService
    private let deliver: @Sendable (AddressReputation) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var visible: [String] = []
    /// Taken from `backgroundHead` on (a capture can queue tens of thousands of addresses at
    /// once; `removeFirst` on each would move all the others every time).
    private var background: [String] = []
    private var backgroundHead = 0
    private var waiting: Set<String> = []
    private var refresh: Set<String> = []
    private var inFlight: String?
    private var stopped = false
    private var thread: Thread?

    public init(service: ReputationService, deliver: @escaping @Sendable (AddressReputation) -> Void) {
        self.service = service
        self.deliver = deliver
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "netscouter-intel"
        self.thread = thread
        thread.start()
    }

    /// Adds `addresses` (canonicalised by the service); returns how many were new.
    @discardableResult
    public func enqueue(_ addresses: [String], priority: Priority = .background, refresh forceRefresh: Bool = false) -> Int {
        condition.lock()
        defer { condition.unlock() }
        var added = 0
        for address in addresses {
            if forceRefresh { refresh.insert(address) }
            // The lookup in progress may have started before the user asked to refresh (its
            // answer may come from the cache, or predate what the user knows): a refresh queues
            // the address again, past the cache; anything else shares the answer on its way.
            if address == inFlight && !forceRefresh { continue }
            if waiting.contains(address) {
                if priority == .visible, let index = background[backgroundHead...].firstIndex(of: address) {
                    background.remove(at: index)
                    visible.append(address)
                }
                continue
            }
            waiting.insert(address)
            if priority == .visible { visible.append(address) } else { background.append(address) }
            added += 1
        }
        if added > 0 { condition.signal() }
        return added
    }

    /// Addresses waiting (not counting the one being looked up).
    public var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return visible.count + background.count - backgroundHead
    }

    /// Whether `address` waits for a (further) lookup: a delivery for it is not the last one.
    public func isWaiting(_ address: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return waiting.contains(address)
    }

    private var isEmpty: Bool { visible.isEmpty && backgroundHead == background.count }

    /// Ends the worker after the lookup in progress.
    public func stop() {
        condition.lock()
        stopped = true
        visible.removeAll()
        background.removeAll()
        backgroundHead = 0
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until nothing is waiting or in flight (tests, the refresh job).
    public func waitUntilIdle(timeout: TimeInterval = 600) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !(isEmpty && inFlight == nil) {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// The oldest background address; compacts the array once half of it is taken.
    private func popBackground() -> String {
        let address = background[backgroundHead]
        backgroundHead += 1
        if backgroundHead == background.count {
            background.removeAll(keepingCapacity: true)
            backgroundHead = 0
        } else if backgroundHead >= 1024 && backgroundHead * 2 >= background.count {
            background.removeFirst(backgroundHead)
            backgroundHead = 0
        }
        return address
    }

    private func run() {
        while true {
            condition.lock()
            while isEmpty && !stopped { condition.wait() }
            if stopped { condition.unlock(); return }
            let address = visible.isEmpty ? popBackground() : visible.removeFirst()
            waiting.remove(address)
            let force = refresh.remove(address) != nil
            inFlight = address
            condition.unlock()

            let result = service.lookup(address, refresh: force)
            deliver(result)

            condition.lock()
            inFlight = nil
            condition.broadcast()
            condition.unlock()
        }
    }
}
