import Ring
import XCTest

final class SPSCRingTests: XCTestCase {
    func testCapacityRoundsUpToPowerOfTwo() {
        XCTAssertEqual(SPSCRing<Int>(minimumCapacity: 1).capacity, 1)
        XCTAssertEqual(SPSCRing<Int>(minimumCapacity: 5).capacity, 8)
        XCTAssertEqual(SPSCRing<Int>(minimumCapacity: 1024).capacity, 1024)
    }

    func testFIFOAndFullAndEmpty() {
        let ring = SPSCRing<Int>(minimumCapacity: 4)
        XCTAssertNil(ring.pop())
        for value in 1...4 { XCTAssertTrue(ring.push(value)) }
        XCTAssertFalse(ring.push(5), "a full ring refuses the element")
        XCTAssertFalse(ring.tryPush(6))
        XCTAssertEqual(ring.overflowCount, 1, "push counts the loss, tryPush does not")
        XCTAssertEqual(ring.count, 4)
        XCTAssertEqual(ring.pop(), 1)
        XCTAssertTrue(ring.push(7))
        XCTAssertEqual([ring.pop(), ring.pop(), ring.pop(), ring.pop()], [2, 3, 4, 7])
        XCTAssertNil(ring.pop())
    }

    func testDrainDeliversTwoChunksAcrossTheWrapInOrder() {
        let ring = SPSCRing<Int>(minimumCapacity: 8)
        for value in 0..<6 { ring.push(value) }
        for _ in 0..<6 { _ = ring.pop() }
        for value in 6..<14 { XCTAssertTrue(ring.push(value)) }  // indices 6..13 wrap at 8
        var chunks: [[Int]] = []
        let drained = ring.drain { chunks.append(Array($0)) }
        XCTAssertEqual(drained, 8)
        XCTAssertEqual(chunks, [[6, 7], [8, 9, 10, 11, 12, 13]])
        XCTAssertEqual(ring.drain { _ in XCTFail("empty ring must not call body") }, 0)
    }

    func testDrainLimitLeavesTheRest() {
        let ring = SPSCRing<Int>(minimumCapacity: 16)
        for value in 0..<10 { ring.push(value) }
        var seen: [Int] = []
        XCTAssertEqual(ring.drain(limit: 4) { seen += $0 }, 4)
        XCTAssertEqual(seen, [0, 1, 2, 3])
        XCTAssertEqual(ring.count, 6)
    }

    func testFreeRunningIndicesWrapAroundIntMax() {
        // Start just below Int.max so the indices overflow (wrapping) during the test.
        let ring = SPSCRing<Int>(minimumCapacity: 8, startingIndex: Int.max - 20)
        var expected = 0
        var next = 0
        for _ in 0..<50 {
            for _ in 0..<5 { XCTAssertTrue(ring.push(next)); next += 1 }
            XCTAssertEqual(ring.count, 5)
            ring.drain { chunk in
                for value in chunk { XCTAssertEqual(value, expected); expected += 1 }
            }
            XCTAssertEqual(ring.count, 0)
        }
        XCTAssertEqual(expected, 250)
        // And a full/empty check right across the wrap.
        let edge = SPSCRing<Int>(minimumCapacity: 4, startingIndex: Int.max - 1)
        for value in 0..<4 { XCTAssertTrue(edge.push(value)) }
        XCTAssertFalse(edge.push(99))
        XCTAssertEqual([edge.pop(), edge.pop(), edge.pop(), edge.pop(), edge.pop()], [0, 1, 2, 3, nil])
    }

    /// Two threads, 10 million items through a small ring: order and sum must survive.
    func testTwoThreadsTenMillionItemsKeepOrderAndSum() {
        let total = 10_000_000
        let ring = SPSCRing<UInt64>(minimumCapacity: 1024)
        let producer = Thread {
            var value: UInt64 = 0
            while value < UInt64(total) {
                if ring.tryPush(value) { value += 1 }
            }
        }
        producer.start()
        var expected: UInt64 = 0
        var sum: UInt64 = 0
        var outOfOrder = 0
        while expected < UInt64(total) {
            ring.drain { chunk in
                for value in chunk {
                    if value != expected { outOfOrder += 1 }
                    sum &+= value
                    expected += 1
                }
            }
        }
        XCTAssertEqual(outOfOrder, 0)
        XCTAssertEqual(sum, UInt64(total) * UInt64(total - 1) / 2)
        XCTAssertEqual(ring.overflowCount, 0)
        XCTAssertNil(ring.pop())
    }

    /// A producer that never waits loses items when the consumer is slow, and counts every loss.
    func testOverflowsAreCountedExactlyUnderContention() {
        let total = 1_000_000
        let ring = SPSCRing<UInt32>(minimumCapacity: 64)
        let done = DispatchSemaphore(value: 0)
        let producer = Thread {
            for value in 0..<UInt32(total) { ring.push(value) }
            done.signal()
        }
        producer.start()
        var received = 0
        var last: Int64 = -1
        var finished = false
        while true {
            ring.drain { chunk in
                for value in chunk {
                    XCTAssertGreaterThan(Int64(value), last, "items stay in order even when some are dropped")
                    last = Int64(value)
                    received += 1
                }
            }
            if finished { break }
            if done.wait(timeout: .now()) == .success { finished = true }
        }
        XCTAssertEqual(received + ring.overflowCount, total)
    }
}
