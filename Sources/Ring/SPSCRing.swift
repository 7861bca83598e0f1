import Synchronization

/// A bounded, lock-free, single-producer single-consumer ring buffer.
///
/// Modelled on rigtorp's SPSCQueue: capacity is a power of two, the indices run freely (wrapping
/// Int arithmetic) and are masked on access, and each side keeps a cached copy of the other side's
/// index, reloading it with acquire ordering only when the cache says full (producer) or empty
/// (consumer). Each side publishes its own index with release ordering. There are no locks and no
/// fences beyond that, so the capture thread never waits on the UI thread.
///
/// Elements are `BitwiseCopyable`, so pushing and popping never retains or releases anything.
/// The producer never blocks: when the ring is full the element is dropped and counted in
/// `overflowCount`, which the UI shows.
///
/// Exactly one thread may call the producer methods (`push`) and exactly one thread the consumer
/// methods (`pop`, `drain`) at any time.
///
/// The hot methods are `@inlinable` so other modules get them specialised for their element type
/// (the capture thread pushes `PacketSummary`): called generically, every element went through a
/// type-erased copy and the ring ran at half speed. Each cached index is touched by one thread
/// only, which is why they skip Swift's dynamic exclusivity checks.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Element>

    // Producer-owned cache line: the write index it publishes and its cached view of `readIndex`.
    @usableFromInline let writeIndex = Atomic<Int>(0)
    @usableFromInline @exclusivity(unchecked) var cachedReadIndex = 0
    @usableFromInline let overflows = Atomic<Int>(0)
    // Padding keeps the producer's and consumer's hot fields on different cache lines so the two
    // threads do not invalidate each other's line on every operation (false sharing).
    private var padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    // Consumer-owned cache line.
    @usableFromInline let readIndex = Atomic<Int>(0)
    @usableFromInline @exclusivity(unchecked) var cachedWriteIndex = 0

    /// Creates a ring holding at least `minimumCapacity` elements (rounded up to a power of two).
    public init(minimumCapacity: Int) {
        precondition(minimumCapacity > 0, "SPSCRing capacity must be positive")
        var size = 1
        while size < minimumCapacity { size <<= 1 }
        capacity = size
        mask = size - 1
        slots = UnsafeMutablePointer<Element>.allocate(capacity: size)
        _ = padding
    }

    /// Test hook: starts both indices at `index` so wrap-around of the free-running counters can
    /// be exercised without pushing 2^63 elements first.
    public convenience init(minimumCapacity: Int, startingIndex index: Int) {
        self.init(minimumCapacity: minimumCapacity)
        writeIndex.store(index, ordering: .relaxed)
        readIndex.store(index, ordering: .relaxed)
        cachedReadIndex = index
        cachedWriteIndex = index
    }

    deinit {
        slots.deallocate()
    }

    // MARK: Producer side

    /// Appends `element`, or counts an overflow and returns false when the ring is full.
    /// Live capture uses this: the producer must never wait on the consumer.
    @inlinable @discardableResult
    public func push(_ element: Element) -> Bool {
        if tryPush(element) { return true }
        // Only the producer writes this counter, so a relaxed load-and-store suffices.
        overflows.store(overflows.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        return false
    }

    /// Appends `element` if there is room; when full returns false without counting an overflow,
    /// so a producer with a replayable source (a file) can retry instead of losing data.
    @inlinable
    public func tryPush(_ element: Element) -> Bool {
        let write = writeIndex.load(ordering: .relaxed)
        if write &- cachedReadIndex == capacity {
            cachedReadIndex = readIndex.load(ordering: .acquiring)
            if write &- cachedReadIndex == capacity { return false }
        }
        (slots + (write & mask)).initialize(to: element)
        writeIndex.store(write &+ 1, ordering: .releasing)
        return true
    }

    /// Elements dropped because the ring was full. Safe to read from any thread.
    public var overflowCount: Int { overflows.load(ordering: .relaxed) }

    // MARK: Consumer side

    /// Removes and returns the oldest element, or nil when the ring is empty.
    @inlinable
    public func pop() -> Element? {
        let read = readIndex.load(ordering: .relaxed)
        if read == cachedWriteIndex {
            cachedWriteIndex = writeIndex.load(ordering: .acquiring)
            if read == cachedWriteIndex { return nil }
        }
        let element = (slots + (read & mask)).pointee
        readIndex.store(read &+ 1, ordering: .releasing)
        return element
    }

    /// Hands every element available now to `body` in order, as at most two contiguous chunks
    /// (before and after the wrap), then releases them all with a single index store. Returns the
    /// number of elements drained. At most `limit` elements are taken, so one frame's drain stays
    /// bounded even when the producer is faster than the consumer.
    @inlinable @discardableResult
    public func drain(limit: Int = .max, _ body: (UnsafeBufferPointer<Element>) throws -> Void) rethrows -> Int {
        let read = readIndex.load(ordering: .relaxed)
        cachedWriteIndex = writeIndex.load(ordering: .acquiring)
        let available = min(cachedWriteIndex &- read, limit)
        if available <= 0 { return 0 }
        let start = read & mask
        let firstCount = min(available, capacity - start)
        try body(UnsafeBufferPointer(start: slots + start, count: firstCount))
        if firstCount < available {
            try body(UnsafeBufferPointer(start: slots, count: available - firstCount))
        }
        readIndex.store(read &+ available, ordering: .releasing)
        return available
    }

    /// Number of elements currently queued (a snapshot; exact only when both sides are idle).
    public var count: Int {
        writeIndex.load(ordering: .acquiring) &- readIndex.load(ordering: .acquiring)
    }
}
