import Foundation
import Intel
import Packets

/// Per device: the destinations it contacted while its baseline was learning. Frozen once the
/// learning window (from the device's first outbound flow) has passed, until reset.
public struct DestinationBaseline: Equatable, Sendable {
    public var destinations: [String: Set<String>] = [:]
    public init(destinations: [String: Set<String>] = [:]) { self.destinations = destinations }
}

/// Correlates IoT-class devices with their outbound flows and applies the IoT risk rules.
/// Anomalies accumulate in `anomalies` (one per device, remote address, port and rule), counting
/// flows: callers feed each flow once (`IoTStore` remembers the flow history rows and capture
/// files already correlated).
public final class OutboundCorrelator {
    public let rules: IoTRiskRules
    public let enricher: AddressEnricher
    public private(set) var anomalies: [String: IoTAnomaly]
    public private(set) var baseline: DestinationBaseline
    /// Baseline entries learnt since the last `takeNewBaselineEntries()`, for saving.
    private var newBaselineEntries: [(device: String, remote: String, at: Date)] = []
    /// Where IoT-class devices send traffic outside, one entry per device, remote address, port
    /// and transport.
    public private(set) var destinations: [String: DeviceDestination]

    public init(rules: IoTRiskRules, enricher: AddressEnricher, anomalies: [IoTAnomaly] = [], baseline: DestinationBaseline = DestinationBaseline(),
                destinations: [DeviceDestination] = []) {
        self.rules = rules
        self.enricher = enricher
        self.anomalies = Dictionary(anomalies.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        self.baseline = baseline
        self.destinations = Dictionary(destinations.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Most traffic first.
    public var sortedDestinations: [DeviceDestination] {
        destinations.values.sorted { ($0.bytes, $0.identity) > ($1.bytes, $1.identity) }
    }

    public func takeNewBaselineEntries() -> [(device: String, remote: String, at: Date)] {
        defer { newBaselineEntries.removeAll() }
        return newBaselineEntries
    }

    /// Feeds flows (any order); returns the anomalies they touched. Flows opened from an address
    /// in `excluding` (this machine's own, for flows it captured itself) are not a LAN device's.
    @discardableResult
    public func correlate(_ flows: [OutboundFlow], inventory: DeviceInventory, excluding: Set<IPAddress> = []) -> [IoTAnomaly] {
        var touched: Set<String> = []
        let owners = inventory.addressIndex()
        for flow in flows.sorted(by: { $0.firstSeen < $1.firstSeen }) {
            // Established flows only for TCP: an unanswered SYN did not reach anything.
            guard flow.isExternal, flow.transport != "tcp" || flow.answered, !excluding.contains(flow.deviceIP),
                  let key = owners[flow.deviceIP], let device = inventory.devices[key], device.deviceType.isIoTClass else { continue }
            let remote = flow.remoteIP.description
            let enrichment = enricher.enrich(flow.remoteIP)
            let country = enrichment.location?.countryCode.flatMap { AnnouncementText.clean($0) }
            let provider = enrichment.location?.asName.flatMap { AnnouncementText.clean($0) }
            let consensus = enrichment.consensus.map { "\($0.flagged)/\($0.answered)" }
            var hits: [(rule: String, severity: Severity, reason: String)] = []

            let subject = RiskRules.Subject(countryCode: country, names: provider.map { [$0] } ?? [], ports: [Int(flow.remotePort)])
            for hit in rules.matcher.evaluate(subject) {
                hits.append((hit.rule, rules.severity(ofRule: hit.rule), hit.reason))
            }

            inventory.noteBaselineStart(device.key, at: flow.firstSeen)
            let start = inventory.devices[device.key]?.baselineStartedAt ?? flow.firstSeen
            var known = baseline.destinations[device.key] ?? []
            if flow.firstSeen < start.addingTimeInterval(rules.learningWindow) {
                if known.insert(remote).inserted {
                    baseline.destinations[device.key] = known
                    newBaselineEntries.append((device.key, remote, flow.firstSeen))
                }
            } else if !known.contains(remote) {
                hits.append(("new-destination", rules.newDestination.severity, rules.newDestination.reason))
            }

            if let consensus = enrichment.consensus, consensus.flagged >= max(1, rules.consensus.minimumFlagged) {
                hits.append(("consensus", rules.consensus.severity,
                             "\(rules.consensus.reason) (\(consensus.flagged) of \(consensus.answered) answering providers)"))
            }

            var destination = DeviceDestination(
                deviceKey: device.key, deviceIP: flow.deviceIP.description, remoteIP: remote, remotePort: Int(flow.remotePort),
                transport: flow.transport, country: country, provider: enrichment.location?.asn.map { asn in
                    "AS\(asn)" + (provider.map { " \($0)" } ?? "")
                } ?? provider, consensus: consensus, flows: 1, bytes: flow.bytes,
                firstSeen: flow.firstSeen, lastSeen: flow.lastSeen, risk: hits.map(\.severity).max())
            if let known = destinations[destination.identity] {
                destination.flows += known.flows
                destination.bytes &+= known.bytes
                destination.firstSeen = min(destination.firstSeen, known.firstSeen)
                destination.lastSeen = max(destination.lastSeen, known.lastSeen)
                destination.risk = [destination.risk, known.risk].compactMap { $0 }.max()
                destination.country = destination.country ?? known.country
                destination.provider = destination.provider ?? known.provider
                destination.consensus = destination.consensus ?? known.consensus
            }
            destinations[destination.identity] = destination

            for hit in hits {
                let candidate = IoTAnomaly(deviceKey: device.key, deviceMAC: device.mac, deviceIP: flow.deviceIP.description,
                                           remoteIP: remote, remotePort: Int(flow.remotePort), transport: flow.transport,
                                           country: country, provider: provider, rule: hit.rule, severity: hit.severity,
                                           reason: hit.reason, firstSeen: flow.firstSeen, lastSeen: flow.lastSeen, count: 1)
                if var existing = anomalies[candidate.identity] {
                    existing.count += 1
                    existing.firstSeen = min(existing.firstSeen, flow.firstSeen)
                    existing.lastSeen = max(existing.lastSeen, flow.lastSeen)
                    existing.deviceIP = candidate.deviceIP
                    existing.country = country ?? existing.country
                    existing.provider = provider ?? existing.provider
                    existing.severity = hit.severity
                    existing.reason = hit.reason
                    anomalies[candidate.identity] = existing
                } else {
                    anomalies[candidate.identity] = candidate
                }
                touched.insert(candidate.identity)
            }
        }
        return touched.compactMap { anomalies[$0] }
    }

    /// Forgets a device's baseline: it learns again from its next outbound flow.
    public func resetBaseline(_ key: String, inventory: DeviceInventory) {
        baseline.destinations[key] = nil
        inventory.resetBaseline(key)
    }

    /// Highest severity first, then most recent.
    public var sortedAnomalies: [IoTAnomaly] {
        anomalies.values.sorted { ($0.severity, $0.lastSeen, $0.identity) > ($1.severity, $1.lastSeen, $1.identity) }
    }
}
