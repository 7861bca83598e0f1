import Foundation
import Intel
import Packets
import Store
import Traffic

/// A flow a LAN device opened towards another address, as the correlation needs it: from the
/// live flow table (`FlowStats`) or from the stored flow history (`StoredFlow`).
public struct OutboundFlow: Equatable, Sendable {
    public var deviceIP: IPAddress
    public var remoteIP: IPAddress
    public var remotePort: UInt16
    /// "tcp", "udp" or another protocol name.
    public var transport: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var bytes: UInt64
    /// The remote side answered (TCP: it sent packets back, so the connection was made).
    public var answered: Bool

    public init(deviceIP: IPAddress, remoteIP: IPAddress, remotePort: UInt16, transport: String, firstSeen: Date, lastSeen: Date,
                bytes: UInt64, answered: Bool) {
        self.deviceIP = deviceIP
        self.remoteIP = remoteIP
        self.remotePort = remotePort
        self.transport = transport
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.bytes = bytes
        self.answered = answered
    }

    public init?(_ flow: FlowStats) {
        guard flow.transport == .tcp || flow.transport == .udp else { return nil }
        self.init(deviceIP: flow.initiator, remoteIP: flow.responder, remotePort: flow.responderPort,
                  transport: flow.transport == .tcp ? "tcp" : "udp",
                  firstSeen: Date(timeIntervalSince1970: Double(flow.firstSeen) / 1e9),
                  lastSeen: Date(timeIntervalSince1970: Double(flow.lastSeen) / 1e9),
                  bytes: flow.totalBytes, answered: flow.packetsReverse > 0)
    }

    public init?(_ flow: StoredFlow) {
        guard let device = IPAddress(flow.initiator), let remote = IPAddress(flow.responder),
              let port = UInt16(exactly: flow.responderPort) else { return nil }
        let transport = flow.protocol.lowercased()
        guard transport == "tcp" || transport == "udp" else { return nil }
        self.init(deviceIP: device, remoteIP: remote, remotePort: port, transport: transport,
                  firstSeen: Date(timeIntervalSince1970: flow.firstSeen), lastSeen: Date(timeIntervalSince1970: flow.lastSeen),
                  bytes: UInt64(max(0, flow.bytesForward)) + UInt64(max(0, flow.bytesReverse)), answered: flow.packetsReverse > 0)
    }

    /// Outbound means towards a global unicast address: private, link-local, multicast and the
    /// special ranges stay on the LAN or go nowhere.
    public var isExternal: Bool { AddressScope.of(remoteIP).isGlobal }
}

/// One risk-rule hit on an IoT device's outbound traffic, aggregated over its flows.
public struct IoTAnomaly: Equatable, Sendable {
    public var deviceKey: String
    public var deviceMAC: String?
    public var deviceIP: String?
    public var remoteIP: String
    public var remotePort: Int
    public var transport: String
    public var country: String?
    public var provider: String?
    /// "port:23", "country:KP", "keyword:tor", "new-destination", "consensus".
    public var rule: String
    public var severity: Severity
    public var reason: String
    public var firstSeen: Date
    public var lastSeen: Date
    /// Flows that hit the rule.
    public var count: Int

    public var identity: String { "\(deviceKey)|\(remoteIP)|\(remotePort)|\(rule)" }

    public init(deviceKey: String, deviceMAC: String?, deviceIP: String?, remoteIP: String, remotePort: Int, transport: String,
                country: String?, provider: String?, rule: String, severity: Severity, reason: String,
                firstSeen: Date, lastSeen: Date, count: Int) {
        self.deviceKey = deviceKey
        self.deviceMAC = deviceMAC
        self.deviceIP = deviceIP
        self.remoteIP = remoteIP
        self.remotePort = remotePort
        self.transport = transport
        self.country = country
        self.provider = provider
        self.rule = rule
        self.severity = severity
        self.reason = reason
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
    }
}

/// An IoT-class device's outbound traffic to one remote address and port, summed over its flows,
/// with what the offline database and the reputation cache say about the remote: the edges of
/// the IoT map, and `netscouter iot destinations`.
public struct DeviceDestination: Equatable, Sendable {
    public var deviceKey: String
    public var deviceIP: String?
    public var remoteIP: String
    public var remotePort: Int
    public var transport: String
    public var country: String?
    /// AS number and name, e.g. "AS15169 GOOGLE".
    public var provider: String?
    /// "flagged/answered" from cached reputation answers ("1/2"), nil when none is cached.
    public var consensus: String?
    public var flows: Int
    public var bytes: UInt64
    public var firstSeen: Date
    public var lastSeen: Date
    /// The highest severity of the anomalies on this destination, nil when none.
    public var risk: Severity?

    public var identity: String { "\(deviceKey)|\(remoteIP)|\(remotePort)|\(transport)" }

    public init(deviceKey: String, deviceIP: String?, remoteIP: String, remotePort: Int, transport: String, country: String?,
                provider: String?, consensus: String?, flows: Int, bytes: UInt64, firstSeen: Date, lastSeen: Date, risk: Severity?) {
        self.deviceKey = deviceKey
        self.deviceIP = deviceIP
        self.remoteIP = remoteIP
        self.remotePort = remotePort
        self.transport = transport
        self.country = country
        self.provider = provider
        self.consensus = consensus
        self.flows = flows
        self.bytes = bytes
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.risk = risk
    }
}
