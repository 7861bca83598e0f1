import Capture
import Foundation
import Packets
import Synchronization

/// Collects device announcements (ARP, DHCP, mDNS, SSDP) from a running capture: attached to a
/// `CaptureSession` as its frame observer, it parses each frame on the capture thread (frames
/// that announce nothing are rejected in a few byte compares, see `AnnouncementParser`) and keeps
/// the observations until whoever feeds the inventory drains them. The capture side stays free
/// of the UI and of the store; the inventory is fed where the store is.
public final class AnnouncementCollector: CaptureFrameObserver, Sendable {
    /// Observations kept at most between drains; later ones are counted in `dropped` (a LAN
    /// announces far fewer between two drains, but a flood must not grow memory without bound).
    public let capacity: Int
    private let pending = Mutex<[DeviceObservation]>([])
    private let droppedCount = Atomic<Int>(0)
    private let pendingCount = Atomic<Int>(0)

    public init(capacity: Int = 20_000) { self.capacity = capacity }

    public func captured(_ frame: UnsafeRawBufferPointer, linkType: LinkType, timestamp: Int64) {
        let observations = AnnouncementParser.observations(frame, linkType: linkType, time: Date(timeIntervalSince1970: Double(timestamp) / 1e9))
        guard !observations.isEmpty else { return }
        let capacity = capacity
        let dropped = pending.withLock { pending -> Int in
            let room = max(0, capacity - pending.count)
            pending.append(contentsOf: observations.prefix(room))
            pendingCount.store(pending.count, ordering: .relaxed)
            return observations.count - min(room, observations.count)
        }
        if dropped > 0 { droppedCount.add(dropped, ordering: .relaxed) }
    }

    /// The observations collected since the last drain, oldest first.
    public func drain() -> [DeviceObservation] {
        pending.withLock { pending in
            defer {
                pending.removeAll()
                pendingCount.store(0, ordering: .relaxed)
            }
            return pending
        }
    }

    /// Observations waiting to be drained.
    public var count: Int { pendingCount.load(ordering: .relaxed) }
    /// Observations lost because `capacity` was reached between two drains.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
}
