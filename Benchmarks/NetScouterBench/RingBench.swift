import Ring
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A 64-byte element: one cache line, no references.
struct Item64: BitwiseCopyable, Sendable {
    var sequence: UInt64
    var w1: UInt64, w2: UInt64, w3: UInt64, w4: UInt64, w5: UInt64, w6: UInt64
    /// Always `~sequence`: a consumer that sees the first word of one push and the last word of
    /// another (a torn element) notices.
    var check: UInt64

    @inline(__always)
    init(_ sequence: UInt64) {
        self.sequence = sequence
        w1 = sequence &+ 1; w2 = sequence &+ 2; w3 = sequence &+ 3
        w4 = sequence &+ 4; w5 = sequence &+ 5; w6 = sequence &+ 6
        check = ~sequence
    }

    /// Sum of all eight words (the consumer reads the whole line).
    @inline(__always)
    var wordSum: UInt64 { sequence &+ w1 &+ w2 &+ w3 &+ w4 &+ w5 &+ w6 &+ check }
}

/// A bounded FIFO with one `Synchronization.Mutex` around a power-of-two ring buffer (an Array):
/// the classic locked queue, one lock acquisition per item on both sides.
final class MutexQueue<Element: BitwiseCopyable & Sendable>: Sendable {
    private struct Storage {
        var slots: [Element]
        var head = 0
        var count = 0
        let mask: Int
    }

    private let state: Mutex<Storage>

    init(capacity: Int, filler: Element) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        state = Mutex(Storage(slots: [Element](repeating: filler, count: capacity), mask: capacity - 1))
    }

    func tryPush(_ element: Element) -> Bool {
        state.withLock { storage in
            guard storage.count <= storage.mask else { return false }
            storage.slots[(storage.head &+ storage.count) & storage.mask] = element
            storage.count += 1
            return true
        }
    }

    func pop() -> Element? {
        state.withLock { storage -> Element? in
            guard storage.count > 0 else { return nil }
            let element = storage.slots[storage.head]
            storage.head = (storage.head &+ 1) & storage.mask
            storage.count -= 1
            return element
        }
    }
}

struct RingResults {
    var ringItems: Int
    var mutexItems: Int
    var capacity: Int
    var ringBatched: Timings
    var ringUnbatched: Timings
    var mutex: Timings

    var bestRatio: Double { ringBatched.bestRate / mutex.bestRate }
    var medianRatio: Double { ringBatched.medianRate / mutex.medianRate }
    /// Ring drain rate over mutex rate within each run (measured back to back, in the same
    /// machine state), then the median over runs. A Mutex queue can get *faster* when the host
    /// briefly stalls one of the threads (uncontended locks), so its best run is not its
    /// least-disturbed one; the paired median is the figure the target is judged on.
    var pairedRatios: [Double] {
        zip(ringBatched.seconds, mutex.seconds).map { ring, mutex in
            (Double(ringItems) / ring) / (Double(mutexItems) / mutex)
        }
    }
    var pairedMedianRatio: Double {
        let sorted = pairedRatios.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

enum RingBench {
    static func run(options: BenchOptions) -> RingResults {
        precondition(MemoryLayout<Item64>.size == 64, "Item64 must be exactly 64 bytes")
        precondition(MemoryLayout<Item64>.stride == 64, "Item64 must have a 64-byte stride")
        let capacity = options.ringCapacity
        log("")
        log("== 2. SPSC ring vs Mutex queue, 2 threads, 64-byte elements ==")
        log("  Element: Item64, MemoryLayout.size \(MemoryLayout<Item64>.size), stride \(MemoryLayout<Item64>.stride); "
            + "capacity \(grouped(capacity)) (\(formatMegabytes(capacity * 64)))")
        log("  Producer thread: tryPush, spinning while full (nothing dropped). Consumer (main thread): checks order,")
        log("  the first and last word of every element, and the sum of all words.")
        var batched = Timings(items: options.ringItems)
        var unbatched = Timings(items: options.ringItems)
        var mutex = Timings(items: options.mutexItems)
        for run in 1...options.runs {
            let machine = waitForQuietMachine(maximumSeconds: options.quietWait)
            let b = ringRun(items: options.ringItems, capacity: capacity, batched: true)
            batched.add(b)
            let u = ringRun(items: options.ringItems, capacity: capacity, batched: false)
            unbatched.add(u)
            let m = mutexRun(items: options.mutexItems, capacity: capacity)
            mutex.add(m)
            let ratio = (Double(options.ringItems) / b) / (Double(options.mutexItems) / m)
            log("    run \(run) \(machine): ring drain \(millions(Double(options.ringItems) / b)) M/s, "
                + "ring pop \(millions(Double(options.ringItems) / u)) M/s, "
                + "mutex \(millions(Double(options.mutexItems) / m)) M/s, drain/mutex \(fixed(ratio, 1))×")
        }
        func row(_ label: String, _ timings: Timings) {
            log("    " + pad(label, 52) + padLeft(millions(timings.bestRate), 8) + " M/s best, "
                + padLeft(millions(timings.medianRate), 7) + " median   (\(grouped(timings.items)) items)")
        }
        row("SPSCRing, consumer drain (batched)", batched)
        row("SPSCRing, consumer pop (one at a time)", unbatched)
        row("Mutex<ring buffer>, one lock per item each side", mutex)
        let results = RingResults(ringItems: options.ringItems, mutexItems: options.mutexItems, capacity: capacity,
                                  ringBatched: batched, ringUnbatched: unbatched, mutex: mutex)
        log("    ratio ring drain / mutex: \(fixed(results.bestRatio, 1))× best/best, "
            + "\(fixed(results.medianRatio, 1))× median/median, \(fixed(results.pairedMedianRatio, 1))× median of per-run ratios")
        return results
    }

    /// Expected sum of `Item64.wordSum` over sequences 0..<n.
    static func expectedSum(_ n: Int) -> UInt64 {
        // wordSum(s) = (s + s+1 + … + s+6) + ~s = 6·s + 21 + UInt64.max, with wrapping arithmetic.
        let count = UInt64(n)
        let triangle = count % 2 == 0 ? (count / 2) &* (count &- 1) : count &* ((count &- 1) / 2)
        return 6 &* triangle &+ count &* 21 &+ count &* UInt64.max
    }

    static func ringRun(items: Int, capacity: Int, batched: Bool) -> Double {
        let ring = SPSCRing<Item64>(minimumCapacity: capacity)
        let total = UInt64(items)
        let start = nowNanoseconds()
        let producer = startThread {
            var sequence: UInt64 = 0
            while sequence < total {
                let item = Item64(sequence)
                while !ring.tryPush(item) {}
                sequence &+= 1
            }
        }
        var expected: UInt64 = 0
        var sum: UInt64 = 0
        var errors = 0
        if batched {
            while expected < total {
                ring.drain { chunk in
                    for item in chunk {
                        if item.sequence != expected || item.check != ~expected { errors += 1 }
                        sum &+= item.wordSum
                        expected &+= 1
                    }
                }
            }
        } else {
            while expected < total {
                guard let item = ring.pop() else { continue }
                if item.sequence != expected || item.check != ~expected { errors += 1 }
                sum &+= item.wordSum
                expected &+= 1
            }
        }
        joinThread(producer)
        let seconds = Double(nowNanoseconds() - start) / 1e9
        guard errors == 0, sum == expectedSum(items), ring.count == 0 else {
            fatalBench("SPSCRing (\(batched ? "drain" : "pop")) delivered \(errors) out-of-order or torn elements; "
                       + "sum \(sum), expected \(expectedSum(items))")
        }
        return seconds
    }

    static func mutexRun(items: Int, capacity: Int) -> Double {
        let queue = MutexQueue<Item64>(capacity: capacity, filler: Item64(0))
        let total = UInt64(items)
        let start = nowNanoseconds()
        let producer = startThread {
            var sequence: UInt64 = 0
            while sequence < total {
                let item = Item64(sequence)
                while !queue.tryPush(item) {}
                sequence &+= 1
            }
        }
        var expected: UInt64 = 0
        var sum: UInt64 = 0
        var errors = 0
        while expected < total {
            guard let item = queue.pop() else { continue }
            if item.sequence != expected || item.check != ~expected { errors += 1 }
            sum &+= item.wordSum
            expected &+= 1
        }
        joinThread(producer)
        let seconds = Double(nowNanoseconds() - start) / 1e9
        guard errors == 0, sum == expectedSum(items) else {
            fatalBench("MutexQueue delivered \(errors) out-of-order or torn elements; sum \(sum), expected \(expectedSum(items))")
        }
        return seconds
    }
}
