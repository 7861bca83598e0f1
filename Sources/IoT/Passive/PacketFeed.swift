import Capture
import Foundation
import Packets
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// Feeds captured packets to the inventory (announcements, via `AnnouncementParser`) and to a
/// flow table (for the outbound-flow correlation): from a capture file, or live from an
/// interface for a while. Uses its own pcap handle, so the dashboard's capture path is untouched.
public final class PacketFeed {
    public struct Summary: Sendable {
        public var packets = 0
        public var observations = 0
        /// Flows the capture saw, in the correlation's terms.
        public var flows: [OutboundFlow] = []
        /// Set when a file could not be read to its end: everything before the damage counts.
        public var readError: String?
    }

    public let inventory: DeviceInventory
    private let traffic = TrafficAggregator(configuration: .unboundedHistory)
    private var summary = Summary()

    public init(inventory: DeviceInventory) { self.inventory = inventory }

    /// One frame.
    public func feed(_ frame: UnsafeRawBufferPointer, linkType: LinkType, timestamp: Int64, wireLength: Int) {
        summary.packets += 1
        let time = Date(timeIntervalSince1970: Double(timestamp) / 1e9)
        for observation in AnnouncementParser.observations(frame, linkType: linkType, time: time) {
            inventory.ingest(observation)
            summary.observations += 1
        }
        let decoded = PacketDecoder.decode(frame, linkType: linkType, timestamp: timestamp, wireLength: wireLength)
        traffic.ingest(decoded)
    }

    /// Ends the capture: every flow is final.
    public func finish() -> Summary {
        traffic.finishCapture()
        summary.flows = traffic.flows.allIncludingFinished.compactMap(OutboundFlow.init)
        return summary
    }

    /// Reads a whole pcap or pcapng file. A file damaged part-way is not an error: what was read
    /// counts, and `readError` says where reading stopped.
    public static func readFile(_ path: String, into inventory: DeviceInventory) throws -> Summary {
        let handle: PcapHandle
        do { handle = try PcapHandle.openFile(path) } catch { throw IoTError("\(error)") }
        let feed = PacketFeed(inventory: inventory)
        var readError: String?
        reading: while true {
            do {
                switch try handle.next() {
                case let .packet(bytes, timestamp, wireLength):
                    feed.feed(bytes, linkType: handle.linkType, timestamp: timestamp, wireLength: wireLength)
                case .none: continue
                case .endOfStream: break reading
                }
            } catch {
                readError = "\(error)"
                break reading
            }
        }
        var summary = feed.finish()
        summary.readError = readError
        return summary
    }

    /// Captures on `interface` for `seconds` (needs CAP_NET_RAW, like any live capture).
    /// Non-blocking reads with `poll()`: on an idle interface libpcap's own timeout may never
    /// fire (see PLATFORM-NOTES), and the deadline must hold.
    /// `started` runs once the capture is open (packets from then on are seen).
    public static func capture(interface: String, seconds: Double, into inventory: DeviceInventory,
                               isCancelled: () -> Bool = { false }, started: () -> Void = {}) throws -> Summary {
        var options = LiveCaptureOptions(interface: interface)
        options.immediateMode = true
        options.snapLength = 2048
        let handle: PcapHandle
        do {
            handle = try PcapHandle.openLive(options)
            try handle.setNonBlocking(true)
        } catch {
            throw IoTError("\(error)")
        }
        let feed = PacketFeed(inventory: inventory)
        let deadline = Date().addingTimeInterval(seconds)
        started()
        var descriptor = pollfd(fd: handle.selectableDescriptor, events: Int16(POLLIN), revents: 0)
        while Date() < deadline, !isCancelled() {
            let wait = max(0, min(100, Int32(deadline.timeIntervalSinceNow * 1000)))
            _ = poll(&descriptor, 1, wait)
            do {
                reading: while true {
                    switch try handle.next() {
                    case let .packet(bytes, timestamp, wireLength):
                        feed.feed(bytes, linkType: handle.linkType, timestamp: timestamp, wireLength: wireLength)
                    case .none, .endOfStream: break reading
                    }
                }
            } catch {
                throw IoTError("Capturing on \(interface) failed: \(error)")
            }
        }
        return feed.finish()
    }
}
