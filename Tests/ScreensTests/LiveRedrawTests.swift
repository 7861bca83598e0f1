import Capture
import Foundation
import NetScouterTestSupport
import Screens
import UI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// While packets arrive and nobody touches the window, frames come at the pacing interval, not
/// at the frame-rate cap (issue 8: the window drew at ~55 % of a core capturing 500 packets/s).
final class LiveRedrawTests: XCTestCase {
    func testASteadyRateIsDrawnFourTimesASecond() {
        var pacing = LiveRedrawPacing(interval: 0.25)
        // 1,000 packets/s drained every 0.25 s: the next frame is 0.25 s later, each time.
        XCTAssertEqual(pacing.nextFrame(drained: 10, now: 1.0, ringCount: 0, ringCapacity: 1 << 17), 1.25)
        for step in 1...8 {
            let now = 1.0 + Double(step) * 0.25
            XCTAssertEqual(pacing.nextFrame(drained: 250, now: now, ringCount: 0, ringCapacity: 1 << 17)!, now + 0.25, accuracy: 1e-9)
        }
    }

    func testAFastRateIsDrainedBeforeTheRingIsAQuarterFull() throws {
        var pacing = LiveRedrawPacing(interval: 0.25)
        _ = pacing.nextFrame(drained: 1, now: 0, ringCount: 0, ringCapacity: 1 << 17)
        // 1,000,000 packets/s: a quarter of 131,072 slots fills in 32.8 ms.
        let due = try XCTUnwrap(pacing.nextFrame(drained: 100_000, now: 0.1, ringCount: 0, ringCapacity: 1 << 17))
        XCTAssertEqual(due - 0.1, 32_768.0 / 1_000_000, accuracy: 1e-9)
        // Packets left behind (the per-frame drain limit was hit): the next frame at once.
        XCTAssertNil(pacing.nextFrame(drained: 500_000, now: 0.2, ringCount: 7, ringCapacity: 1 << 17))
        // Interval 0 is the old policy: every frame that drained asks for the next at once.
        var old = LiveRedrawPacing(interval: 0)
        XCTAssertNil(old.nextFrame(drained: 5, now: 0, ringCount: 0, ringCapacity: 1 << 17))
        XCTAssertNil(old.nextFrame(drained: 5, now: 1, ringCount: 0, ringCapacity: 1 << 17))
    }

    /// A real capture on lo (UDP to a port this test bound on 127.0.0.1): frames that drained
    /// packets ask for no frame at the cap, only a wake a quarter second later.
    func testALiveCaptureOnLoopbackDoesNotAskForFramesAtTheCap() throws {
        for interval in [0.25, 0] {
            let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
            defer { close(receiver) }
            let shell = AppShell(capture: CaptureController())
            shell.livePacing = LiveRedrawPacing(interval: interval)
            let harness = UIHarness { ui in shell.build(ui) }
            harness.frame()
            XCTAssertTrue(runFrames(harness) { shell.capture.devicesLoaded })
            guard shell.capture.start(.live(LiveCaptureOptions(interface: "lo")), filter: "udp port \(port)") else {
                let error = shell.capture.lastError ?? "no reason"
                if error.contains("CAP_NET_RAW") { throw XCTSkip("Live capture is not permitted here: \(error)") }
                return XCTFail(error)
            }
            defer { shell.capture.stop() }
            let sender = LoopbackSockets.UDPSender()
            var drawnWithPackets = 0
            for _ in 0..<400 where drawnWithPackets < 5 {
                for _ in 0..<3 { sender.send(Array("tick".utf8), to: port) }
                usleep(20_000)
                let before = shell.capture.traffic.totals.packets
                let frameTime = harness.time
                harness.frame()
                guard shell.capture.traffic.totals.packets > before else { continue }
                drawnWithPackets += 1
                if interval > 0 {
                    XCTAssertFalse(harness.ui.wantsAnotherFrame, "new packets alone do not ask for a frame at the cap")
                    let wake = try XCTUnwrap(harness.ui.nextWakeTime, "the next frame is scheduled")
                    XCTAssertEqual(wake - frameTime, 0.25, accuracy: 1e-6, "a quarter second later")
                } else {
                    XCTAssertTrue(harness.ui.wantsAnotherFrame, "interval 0 draws at the cap, as before")
                }
            }
            XCTAssertEqual(drawnWithPackets, 5, "packets sent to lo were captured")
        }
    }
}
