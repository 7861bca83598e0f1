import Foundation
import Packets

/// One device of the inventory. Keyed by its MAC, or by its IP address while no MAC is known
/// (a host behind a router, or one seen only in routed traffic).
public struct IoTDevice: Equatable, Sendable {
    /// "aa:bb:cc:dd:ee:ff" or, without a MAC, "ip:10.0.0.7".
    public var key: String
    public var mac: String?
    /// Every address seen for the device, most recent first.
    public var ips: [String]
    public var vendor: String?
    /// The locally administered bit is set: a randomised (private Wi-Fi) or virtual MAC, so
    /// the same physical device may appear under other keys, and the OUI names no maker.
    public var randomisedMAC: Bool
    public var hostname: String?
    /// Where the host name came from: "dhcp", "mdns" or "discovery" (reverse DNS).
    public var hostnameSource: String?
    public var evidence: DeviceEvidence
    /// What the rules conclude.
    public var detectedType: DeviceType
    public var detectedReasons: [String]
    /// The user's choice, which wins over the rules until cleared.
    public var userType: DeviceType?
    public var sources: [DeviceObservation.Source]
    public var firstSeen: Date
    public var lastSeen: Date
    public var online: Bool
    /// Discovery sweeps in a row that did not see the device.
    public var missedSweeps: Int
    /// When the device's destination baseline started learning (its first outbound flow).
    public var baselineStartedAt: Date?

    /// The most recent IPv4 address, else the most recent one (an mDNS announcement from an IPv6
    /// link-local address should not hide the address the device is reached at).
    public var ip: String? { ips.first { !$0.contains(":") } ?? ips.first }
    public var deviceType: DeviceType { userType ?? detectedType }
    public var typeReasons: [String] {
        guard let userType else { return detectedReasons }
        return ["set by the user to \(userType.displayName) (the rules say \(detectedType.displayName))"]
    }

    public static func key(mac: MACAddress?, ip: IPAddress?) -> String? {
        if let mac { return mac.description }
        if let ip { return "ip:" + ip.description }
        return nil
    }

    public init(key: String, mac: String?, firstSeen: Date) {
        self.key = key
        self.mac = mac
        ips = []
        randomisedMAC = false
        evidence = DeviceEvidence()
        detectedType = .unknown
        detectedReasons = ["no evidence matched a device type rule"]
        sources = []
        self.firstSeen = firstSeen
        lastSeen = firstSeen
        online = true
        missedSweeps = 0
    }
}
