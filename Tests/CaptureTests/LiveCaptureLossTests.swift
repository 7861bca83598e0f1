@testable import Capture
import Foundation
import NetScouterTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Live capture on `lo` with the default options (262,144-byte snap length): traffic only to a
/// listener this test opens on 127.0.0.1, counted exactly through a BPF filter for its port.
final class LiveCaptureLossTests: XCTestCase {
    private func openLoopback(port: UInt16, packetLimit: Int? = nil) throws -> CaptureSession {
        do {
            return try CaptureSession(source: .live(LiveCaptureOptions(interface: "lo")), filter: "udp and dst port \(port)",
                                      packetLimit: packetLimit)
        } catch {
            if case .permissionDenied = error {
                throw XCTSkip("Live capture on lo is not permitted for this user (\(error)). Run the tests as root or grant CAP_NET_RAW.")
            }
            throw error
        }
    }

    /// Drains `session` until `expected` summaries arrived or `seconds` passed; returns the count.
    private func drain(_ session: CaptureSession, until expected: Int, seconds: Double) -> Int {
        var received = 0
        let deadline = monotonicNanoseconds() + Int64(seconds * 1e9)
        while received < expected && monotonicNanoseconds() < deadline {
            received += session.ring.drain { _ in }
            usleep(5_000)
        }
        return received
    }

    /// Bursts of 200 back-to-back datagrams, 100 ms apart: the landed capture (immediate mode,
    /// TPACKET_V2 frames sized by the snap length, ~30 packets of room) kept about a third of
    /// them; every one must arrive, and the kernel must report no drop.
    func testBurstsAtLowRateAreAllCaptured() throws {
        let (listener, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(listener) }
        let session = try openLoopback(port: port)
        session.start()
        defer { session.stop() }
        usleep(100_000)

        let bursts = 10, burstSize = 200
        let sender = LoopbackSockets.UDPSender()
        var payload = [UInt8](repeating: 0, count: 22)
        for burst in 0..<bursts {
            for index in 0..<burstSize {
                payload[0] = UInt8(truncatingIfNeeded: index)
                payload[1] = UInt8(truncatingIfNeeded: burst)
                sender.send(payload, to: port)
            }
            usleep(100_000)
        }
        let expected = bursts * burstSize
        var received = drain(session, until: expected, seconds: 5)
        usleep(200_000)  // anything extra, which would be a bug, arrives now
        session.stop()
        received += session.ring.drain { _ in }

        XCTAssertNil(session.error)
        XCTAssertEqual(received, expected, "every datagram of every burst is captured once")
        let statistics = session.statistics
        XCTAssertEqual(statistics.packetsCaptured, expected)
        XCTAssertEqual(statistics.ringOverflows, 0)
        // Only this test's datagrams pass the filter, and 2,000 of them take well under the 8 MB
        // ring even if the capture thread never ran, so any drop here is a real defect.
        XCTAssertEqual(statistics.kernelDrops, 0)
    }

    /// With the ring delivering in blocks, a lone packet on a quiet link must still reach the
    /// consumer promptly (the block timeout is 50 ms; the dashboard redraws several times a
    /// second), not wait for a block to fill.
    func testALonePacketArrivesWithinAFractionOfASecond() throws {
        let (listener, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(listener) }
        let session = try openLoopback(port: port)
        session.start()
        defer { session.stop() }
        usleep(200_000)

        let sentAt = monotonicNanoseconds()
        LoopbackSockets.UDPSender().send([1, 2, 3], to: port)
        let received = drain(session, until: 1, seconds: 5)
        let delay = Double(monotonicNanoseconds() - sentAt) / 1e9
        XCTAssertEqual(received, 1)
        XCTAssertLessThan(delay, 1.0, "a quiet link's packet took \(delay) s to reach the ring")
    }

    /// `packetLimit` caps a batch read: exactly that many are captured from a larger burst, and
    /// the session ends by itself.
    func testPacketLimitStopsMidBurst() throws {
        let (listener, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(listener) }
        let session = try openLoopback(port: port, packetLimit: 150)
        session.start()
        defer { session.stop() }
        usleep(100_000)
        let sender = LoopbackSockets.UDPSender()
        for _ in 0..<400 { sender.send([7], to: port) }

        let deadline = monotonicNanoseconds() + 5_000_000_000
        while !session.isFinished && monotonicNanoseconds() < deadline { usleep(5_000) }
        XCTAssertTrue(session.isFinished, "the capture ends at its packet limit")
        XCTAssertEqual(session.ring.drain { _ in }, 150)
        XCTAssertEqual(session.statistics.packetsCaptured, 150)
        XCTAssertNil(session.error)
    }

    /// Drop counters are exact: with a ring deliberately too small (immediate mode, so fixed
    /// 262,144-byte frames, in a 1 MB buffer), every datagram the listener received was either
    /// captured or counted as a kernel drop — no more, no fewer. Before loopback's sent copies
    /// were kept out of the kernel ring, drops counted them too and exceeded the packets sent.
    func testKernelDropsAccountExactlyForWhatWasNotCaptured() throws {
        let (listener, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(listener) }
        var receiveBuffer: Int32 = 16 << 20
        guard setsockopt(listener, SOL_SOCKET, SO_RCVBUFFORCE, &receiveBuffer, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw XCTSkip("SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the listener cannot hold the reference count")
        }
        var options = LiveCaptureOptions(interface: "lo")
        options.immediateMode = true
        options.bufferSize = 1 << 20
        let session: CaptureSession
        do {
            session = try CaptureSession(source: .live(options), filter: "udp and dst port \(port)")
        } catch {
            if case .permissionDenied = error { throw XCTSkip("Live capture on lo is not permitted for this user (\(error)).") }
            throw error
        }
        session.start()
        defer { session.stop() }
        usleep(100_000)

        let sender = LoopbackSockets.UDPSender()
        for _ in 0..<5 {
            for _ in 0..<400 { sender.send([9, 9], to: port) }
            usleep(50_000)
        }
        var captured = 0
        let quietBy = monotonicNanoseconds() + 500_000_000
        while monotonicNanoseconds() < quietBy {
            captured += session.ring.drain { _ in }
            usleep(5_000)
        }
        session.stop()
        captured += session.ring.drain { _ in }

        var received = 0
        var buffer = [UInt8](repeating: 0, count: 64)
        while recv(listener, &buffer, buffer.count, Int32(MSG_DONTWAIT)) >= 0 { received += 1 }
        let statistics = session.statistics
        XCTAssertNil(session.error)
        // lo may drop a few datagrams in its backlog before either the capture or the listener sees
        // them; the listener is the reference for what was delivered.
        XCTAssertGreaterThan(received, 1_900, "the listener holds the datagrams (a reference independent of the capture)")
        XCTAssertGreaterThan(statistics.kernelDrops, 0, "a 1 MB ring of 262,144-byte frames must overflow, or this test proves nothing")
        XCTAssertEqual(statistics.ringOverflows, 0)
        XCTAssertEqual(captured + Int(statistics.kernelDrops), received,
                       "captured \(captured) + kernel drops \(statistics.kernelDrops) must equal the \(received) datagrams delivered")
    }

    /// libpcap's statistics are 32-bit running totals; the session's stay exact past a wrap.
    func testKernelCountersWidenAcrossTheThirtyTwoBitWrap() {
        var counter = WideningCounter()
        XCTAssertEqual(counter.update(10), 10)
        XCTAssertEqual(counter.update(UInt32.max - 5), UInt64(UInt32.max - 5))
        XCTAssertEqual(counter.update(4), UInt64(UInt32.max) + 5, "10 more after the wrap")
        XCTAssertEqual(counter.update(4), UInt64(UInt32.max) + 5, "no change, no increase")
    }
}
