import Capture
import Foundation
import NetScouterTestSupport
import Packets
import Screens
import Store
import UI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Starting and stopping a capture from the window never blocks the UI thread: opening a live
/// interface (`pcap_activate`) and joining the capture thread run on a worker, and their results
/// arrive through the inbox, which only the UI thread drains. Traffic only to a port this test
/// bound on 127.0.0.1.
final class CaptureControlTests: XCTestCase {
    /// Drains `inbox` (as a frame would) until `condition` holds; bounded, never timed.
    private func deliver(_ inbox: UIInbox, _ capture: CaptureController, until condition: () -> Bool) -> Bool {
        for _ in 0..<2000 {
            inbox.drain()
            capture.drain()
            if condition() { return true }
            usleep(2000)
        }
        return condition()
    }

    func testLiveStartAndStopReturnBeforeTheWorkIsDoneAndReportThroughTheInbox() throws {
        let (receiver, port) = try LoopbackSockets.bind(type: Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver) }
        let inbox = UIInbox()
        let capture = CaptureController()
        capture.attach(inbox: inbox)

        XCTAssertTrue(capture.begin(.live(LiveCaptureOptions(interface: "lo")), filter: "udp port \(port)"))
        // Returned before the interface was opened: the session is installed only when the
        // worker's answer is drained from the inbox, on this thread.
        XCTAssertNil(capture.session)
        XCTAssertFalse(capture.isCapturing)
        XCTAssertEqual(capture.transition, .starting("lo"))
        XCTAssertEqual(capture.statusText, "Starting capture on lo…")
        XCTAssertFalse(capture.begin(.live(LiveCaptureOptions(interface: "lo")), filter: nil), "a second Start while one opens is ignored")
        XCTAssertTrue(deliver(inbox, capture) { capture.transition == nil })
        if let error = capture.lastError {
            if error.contains("CAP_NET_RAW") { throw XCTSkip("Live capture is not permitted here: \(error)") }
            return XCTFail(error)
        }
        XCTAssertTrue(capture.isCapturing)
        XCTAssertTrue(capture.statusText.hasPrefix("Capturing from lo"), capture.statusText)

        let sender = LoopbackSockets.UDPSender()
        for _ in 0..<3 { sender.send(Array("ping".utf8), to: port) }
        XCTAssertTrue(deliver(inbox, capture) { capture.traffic.totals.packets == 3 })

        // Stop: the capture thread is told at once and joined on the worker.
        let session = try XCTUnwrap(capture.session)
        capture.requestStop()
        XCTAssertEqual(capture.transition, .stopping("lo"), "the join's result has not been delivered yet")
        XCTAssertTrue(capture.statusText.hasPrefix("Stopping capture on lo…"), capture.statusText)
        XCTAssertTrue(deliver(inbox, capture) { capture.transition == nil })
        XCTAssertTrue(session.isFinished)
        XCTAssertFalse(capture.isCapturing)
        XCTAssertTrue(capture.statusText.hasPrefix("Stopped capture on lo · 3 packets"), capture.statusText)
        XCTAssertEqual(capture.traffic.flowCounts.active, 0, "Stop finished the open flows")
    }

    /// Opening a file while a live capture runs: the live one is joined on the worker first,
    /// then the file is opened there, and nothing is installed until the inbox delivers.
    func testOpeningAFileWhileALiveCaptureRunsStopsItOffTheCallingThread() throws {
        let inbox = UIInbox()
        let capture = CaptureController()
        capture.attach(inbox: inbox)
        XCTAssertTrue(capture.begin(.live(LiveCaptureOptions(interface: "lo")), filter: "udp port 9"))
        XCTAssertTrue(deliver(inbox, capture) { capture.transition == nil })
        if let error = capture.lastError {
            if error.contains("CAP_NET_RAW") { throw XCTSkip("Live capture is not permitted here: \(error)") }
            return XCTFail(error)
        }
        let live = try XCTUnwrap(capture.session)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-control-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeDashboardFixture(in: directory)
        XCTAssertTrue(capture.begin(.file(path: path), filter: nil))
        XCTAssertTrue(capture.session === live, "the file is not installed before the worker answers")
        XCTAssertTrue(deliver(inbox, capture) { capture.transition == nil && capture.finishedReadingFile })
        XCTAssertTrue(live.isFinished)
        XCTAssertFalse(capture.session === live)
        XCTAssertGreaterThan(capture.traffic.totals.packets, 0)
    }

    /// An interface that cannot be opened: the failure comes back through the inbox to the
    /// dashboard's banner, with what to do.
    func testAFailedOpenReachesTheBanner() {
        let inbox = UIInbox()
        let capture = CaptureController()
        capture.attach(inbox: inbox)
        let model = DashboardModel(capture: capture)
        XCTAssertTrue(model.startLive(interface: "nsnope0"))
        XCTAssertNil(model.bannerText, "nothing known yet: the open runs on the worker")
        XCTAssertTrue(deliver(inbox, capture) { capture.transition == nil })
        XCTAssertNil(capture.session)
        let banner = model.bannerText
        XCTAssertNotNil(banner)
        XCTAssertTrue(banner?.contains("nsnope0") == true, banner ?? "")
        XCTAssertEqual(capture.statusText, banner)
    }
}
