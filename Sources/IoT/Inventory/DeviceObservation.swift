import Foundation
import Packets

/// One piece of evidence about a device: an ARP frame, a DHCP request, an mDNS or SSDP
/// announcement, a discovery sweep's answer or a scan's open ports. Every text field is already
/// sanitised (see `AnnouncementText`).
public struct DeviceObservation: Equatable, Sendable {
    public enum Source: String, Codable, Sendable, Comparable, CaseIterable {
        case arp, dhcp, mdns, ssdp, discovery, scan
        public static func < (lhs: Source, rhs: Source) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var source: Source
    public var time: Date
    public var mac: MACAddress?
    public var ip: IPAddress?
    public var hostname: String?
    /// DHCP option 60, e.g. "android-dhcp-13", "MSFT 5.0".
    public var vendorClass: String?
    /// mDNS service types, e.g. "_googlecast._tcp".
    public var services: [String]
    /// SSDP SERVER header.
    public var ssdpServer: String?
    /// SSDP NT / ST values, e.g. "urn:schemas-upnp-org:device:MediaRenderer:1".
    public var ssdpTypes: [String]
    public var openPorts: [UInt16]

    public init(source: Source, time: Date, mac: MACAddress? = nil, ip: IPAddress? = nil, hostname: String? = nil,
                vendorClass: String? = nil, services: [String] = [], ssdpServer: String? = nil, ssdpTypes: [String] = [],
                openPorts: [UInt16] = []) {
        self.source = source
        self.time = time
        self.mac = mac
        self.ip = ip
        self.hostname = hostname
        self.vendorClass = vendorClass
        self.services = services
        self.ssdpServer = ssdpServer
        self.ssdpTypes = ssdpTypes
        self.openPorts = openPorts
    }
}
