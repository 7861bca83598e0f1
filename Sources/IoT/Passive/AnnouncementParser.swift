import Foundation
import Packets

/// A light parser over raw captured frames for the few protocols that announce devices: ARP,
/// DHCP (UDP 67/68), mDNS (UDP 5353) and SSDP (UDP 1900). It is separate from `PacketDecoder` so
/// the capture hot path stays as it is; everything else is rejected after a few byte compares.
///
/// Every read is bounds-checked: truncated, garbage or hostile frames yield no (or partial)
/// observations, never a crash, and loops are bounded (DNS compression pointers, record counts,
/// DHCP options, SSDP header lines).
public enum AnnouncementParser {
    public static func observations(_ frame: UnsafeRawBufferPointer, linkType: LinkType, time: Date) -> [DeviceObservation] {
        observations(ByteView(frame), linkType: linkType, time: time)
    }

    public static func observations(_ frame: [UInt8], linkType: LinkType, time: Date) -> [DeviceObservation] {
        frame.withUnsafeBytes { observations(ByteView($0), linkType: linkType, time: time) }
    }

    static func observations(_ bytes: ByteView, linkType: LinkType, time: Date) -> [DeviceObservation] {
        var sourceMAC: MACAddress?
        var etherType: UInt16
        var offset: Int
        switch linkType {
        case .ethernet:
            guard let type = bytes.u16(12), let mac = bytes.mac(6) else { return [] }
            sourceMAC = mac
            etherType = type
            offset = 14
            var tags = 0
            while (etherType == 0x8100 || etherType == 0x88A8) && tags < 4 {
                guard let inner = bytes.u16(offset + 2) else { return [] }
                etherType = inner
                offset += 4
                tags += 1
            }
        case .linuxSLL:
            guard let type = bytes.u16(14), let length = bytes.u16(4) else { return [] }
            if length == 6 { sourceMAC = bytes.mac(6) }
            etherType = type
            offset = 16
        case .linuxSLL2:
            guard let type = bytes.u16(0), let length = bytes.u8(11) else { return [] }
            if length == 6 { sourceMAC = bytes.mac(12) }
            etherType = type
            offset = 20
        case .raw, .rawOpenBSD, .rawLinktype, .ipv4, .ipv6:
            guard let first = bytes.u8(0) else { return [] }
            etherType = first >> 4 == 6 ? 0x86DD : 0x0800
            offset = 0
        default:
            return []
        }
        if let mac = sourceMAC, mac.isMulticast || mac == .zero { sourceMAC = nil }
        switch etherType {
        case 0x0806:
            return arp(bytes, at: offset, time: time).map { [$0] } ?? []
        case 0x0800, 0x86DD:
            guard let (source, sourcePort, destinationPort, payload) = udp(bytes, at: offset, isIPv6: etherType == 0x86DD) else { return [] }
            let ports = (sourcePort, destinationPort)
            if ports == (68, 67) || ports == (67, 68) {
                return DHCPParser.observation(bytes, payload: payload, time: time).map { [$0] } ?? []
            }
            if sourcePort == 5353 || destinationPort == 5353 {
                return MDNSParser.observation(bytes, payload: payload, source: source, mac: sourceMAC, time: time).map { [$0] } ?? []
            }
            if sourcePort == 1900 || destinationPort == 1900 {
                return SSDPParser.observation(bytes, payload: payload, source: source, mac: sourceMAC, time: time).map { [$0] } ?? []
            }
            return []
        default:
            return []
        }
    }

    /// The sender of an ARP request or reply (Ethernet/IPv4 only). ARP probes (sender 0.0.0.0)
    /// still tell that the MAC is present.
    static func arp(_ bytes: ByteView, at offset: Int, time: Date) -> DeviceObservation? {
        guard bytes.u16(offset) == 1, bytes.u16(offset + 2) == 0x0800, bytes.u8(offset + 4) == 6, bytes.u8(offset + 5) == 4,
              let operation = bytes.u16(offset + 6), operation == 1 || operation == 2,
              let mac = bytes.mac(offset + 8), let ip = bytes.u32(offset + 14),
              !mac.isMulticast, mac != .zero else { return nil }
        let address = IPAddress(ipv4: ip)
        return DeviceObservation(source: .arp, time: time, mac: mac, ip: ip == 0 ? nil : address)
    }

    /// The IP source address, UDP ports and payload range of a UDP datagram; nil otherwise.
    /// Non-first IPv4 fragments and IPv6 extension headers are skipped (announcements are small).
    static func udp(_ bytes: ByteView, at offset: Int, isIPv6: Bool) -> (IPAddress, UInt16, UInt16, Range<Int>)? {
        var udpOffset: Int
        var end: Int
        let source: IPAddress
        if isIPv6 {
            guard bytes.u8(offset).map({ $0 >> 4 }) == 6, bytes.u8(offset + 6) == 17,
                  let payloadLength = bytes.u16(offset + 4), let high = bytes.u64(offset + 8), let low = bytes.u64(offset + 16) else { return nil }
            source = IPAddress(high: high, low: low)
            udpOffset = offset + 40
            end = min(bytes.count, udpOffset + Int(payloadLength))
        } else {
            guard let versionAndLength = bytes.u8(offset), versionAndLength >> 4 == 4, bytes.u8(offset + 9) == 17,
                  let totalLength = bytes.u16(offset + 2), let fragment = bytes.u16(offset + 6), fragment & 0x1FFF == 0,
                  let sourceValue = bytes.u32(offset + 12) else { return nil }
            let headerLength = Int(versionAndLength & 0x0F) * 4
            guard headerLength >= 20 else { return nil }
            source = IPAddress(ipv4: sourceValue)
            udpOffset = offset + headerLength
            end = min(bytes.count, offset + Int(totalLength))
        }
        guard let sourcePort = bytes.u16(udpOffset), let destinationPort = bytes.u16(udpOffset + 2),
              let udpLength = bytes.u16(udpOffset + 4), udpLength >= 8 else { return nil }
        end = min(end, udpOffset + Int(udpLength))
        let start = udpOffset + 8
        guard start <= end else { return nil }
        return (source, sourcePort, destinationPort, start..<end)
    }
}

/// Bounds-checked big-endian reads over a frame: every accessor returns nil past the end.
struct ByteView {
    let base: UnsafeRawBufferPointer
    init(_ base: UnsafeRawBufferPointer) { self.base = base }
    var count: Int { base.count }

    func u8(_ at: Int) -> UInt8? { at >= 0 && at < base.count ? base[at] : nil }
    func u16(_ at: Int) -> UInt16? {
        guard at >= 0, at + 2 <= base.count else { return nil }
        return UInt16(base[at]) << 8 | UInt16(base[at + 1])
    }
    func u32(_ at: Int) -> UInt32? {
        guard let high = u16(at), let low = u16(at + 2) else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }
    func u64(_ at: Int) -> UInt64? {
        guard let high = u32(at), let low = u32(at + 4) else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }
    func mac(_ at: Int) -> MACAddress? {
        guard at >= 0, at + 6 <= base.count else { return nil }
        var value: UInt64 = 0
        for index in at..<(at + 6) { value = value << 8 | UInt64(base[index]) }
        return MACAddress(value: value)
    }
    /// The bytes in `range` clamped to the frame.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer.SubSequence {
        let lower = max(0, min(range.lowerBound, base.count)), upper = max(lower, min(range.upperBound, base.count))
        return base[lower..<upper]
    }
}
