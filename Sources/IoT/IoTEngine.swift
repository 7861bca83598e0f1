import Capture
import Foundation
import GRDB
import Intel
import Packets
import Store

/// The inventory and the outbound-flow correlation together, loaded from the store (when there
/// is one) and saved back: what the `iot` commands, the discovery hook and later the IoT tab use.
public final class IoTEngine {
    public let store: IoTStore?
    public let inventory: DeviceInventory
    public let correlator: OutboundCorrelator
    private var state: [String: String] = [:]

    public init(database: NetScouterDatabase?, classifier: DeviceClassifier = DeviceClassifier(), vendors: MACVendors?,
                rules: IoTRiskRules = .builtIn, enricher: AddressEnricher = AddressEnricher(location: nil)) throws {
        if let database {
            let store = IoTStore(database: database)
            (inventory, correlator) = try store.load(classifier: classifier, vendors: vendors, rules: rules, enricher: enricher)
            self.store = store
        } else {
            store = nil
            inventory = DeviceInventory(classifier: classifier, vendors: vendors)
            correlator = OutboundCorrelator(rules: rules, enricher: enricher)
        }
    }

    /// Reads a capture file: announcements fill the inventory, then its flows are correlated.
    /// A file already correlated (same path, size and modification time) is not counted again.
    @discardableResult
    public func read(file path: String) throws -> PacketFeed.Summary {
        let summary = try PacketFeed.readFile(path, into: inventory)
        let signature = Self.fileSignature(path)
        let stateKey = signature.map { "read-file:" + $0 }
        if let stateKey, try store?.state(stateKey) != nil {
            return summary
        }
        correlator.correlate(summary.flows, inventory: inventory)
        if let stateKey, summary.readError == nil { state[stateKey] = ISO8601DateFormatter().string(from: Date()) }
        return summary
    }

    /// Captures live on `interface` for `seconds`, then correlates what it saw.
    @discardableResult
    public func capture(interface: String, seconds: Double, started: () -> Void = {}) throws -> PacketFeed.Summary {
        let summary = try PacketFeed.capture(interface: interface, seconds: seconds, into: inventory, started: started)
        correlator.correlate(summary.flows, inventory: inventory, excluding: Self.thisHostsAddresses())
        return summary
    }

    /// This machine's own addresses: its traffic, captured here, is not an IoT device's.
    /// (Capture files may come from elsewhere, so `read(file:)` does not apply this.)
    public static func thisHostsAddresses() -> Set<IPAddress> {
        guard let devices = try? PcapHandle.devices() else { return [] }
        return Set(devices.flatMap(\.addresses).compactMap { text in
            IPAddress(String(text.split(separator: "%", maxSplits: 1).first ?? Substring(text)))
        })
    }

    /// Correlates the flow history rows (live captures, the daemon, capture-window jobs) not
    /// correlated before. Returns how many rows were read.
    @discardableResult
    public func correlateStoredFlows(limit: Int = 500_000) throws -> Int {
        guard let store else { return 0 }
        let lastID = Int64(try store.state("flow-history-last-id") ?? "0") ?? 0
        let rows = try store.database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, protocol, initiator, initiator_port, responder, responder_port, state, end_reason, packets_forward,
                       packets_reverse, bytes_forward, bytes_reverse, first_seen, last_seen
                FROM flow_history WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [lastID, limit])
        }
        guard let last = rows.last else { return 0 }
        let flows = rows.compactMap { row in
            OutboundFlow(StoredFlow(protocol: row["protocol"], initiator: row["initiator"], initiatorPort: row["initiator_port"],
                                    responder: row["responder"], responderPort: row["responder_port"], state: row["state"],
                                    endReason: row["end_reason"], packetsForward: row["packets_forward"], packetsReverse: row["packets_reverse"],
                                    bytesForward: row["bytes_forward"], bytesReverse: row["bytes_reverse"],
                                    firstSeen: row["first_seen"], lastSeen: row["last_seen"]))
        }
        correlator.correlate(flows, inventory: inventory, excluding: Self.thisHostsAddresses())
        state["flow-history-last-id"] = String(last["id"] as Int64)
        return rows.count
    }

    /// Writes every change to the store (nothing without one).
    public func save() throws {
        try store?.save(inventory, correlator, state: state)
        state.removeAll()
    }

    static func fileSignature(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date else { return nil }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "\(absolute):\(size.int64Value):\(Int64(modified.timeIntervalSince1970 * 1000))"
    }
}
