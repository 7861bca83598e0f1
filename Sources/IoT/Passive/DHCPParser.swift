import Foundation
import Packets

/// DHCP (RFC 2131) from clients and servers. A client's DISCOVER/REQUEST/INFORM names its MAC
/// (chaddr), often its host name (option 12) and vendor class (option 60, "android-dhcp-13",
/// "MSFT 5.0"), and the address it wants (option 50) or has (ciaddr). A server's ACK ties the
/// client's MAC to the address it was given (yiaddr).
enum DHCPParser {
    static let magicCookie: UInt32 = 0x6382_5363
    /// Options are walked at most this far (a 1,500-byte datagram has fewer than 750).
    static let maximumOptions = 512

    static func observation(_ bytes: ByteView, payload: Range<Int>, time: Date) -> DeviceObservation? {
        let start = payload.lowerBound
        guard payload.count >= 240, let operation = bytes.u8(start), operation == 1 || operation == 2,
              bytes.u8(start + 1) == 1, bytes.u8(start + 2) == 6,
              let clientAddress = bytes.u32(start + 12), let yourAddress = bytes.u32(start + 16),
              let mac = bytes.mac(start + 28), !mac.isMulticast, mac != .zero,
              bytes.u32(start + 236) == magicCookie else { return nil }

        var messageType: UInt8?
        var requested: UInt32?
        // RFC 3396: an option repeated is one long option, its parts concatenated.
        var hostnameBytes: [UInt8] = []
        var vendorClassBytes: [UInt8] = []
        var offset = start + 240
        var seen = 0
        while offset < payload.upperBound, seen < maximumOptions {
            seen += 1
            guard let code = bytes.u8(offset) else { break }
            if code == 0 { offset += 1; continue }
            if code == 255 { break }
            guard let length = bytes.u8(offset + 1) else { break }
            let value = (offset + 2)..<min(offset + 2 + Int(length), payload.upperBound)
            switch code {
            case 53: messageType = bytes.u8(value.lowerBound)
            case 50: if value.count == 4 { requested = bytes.u32(value.lowerBound) }
            case 12: if hostnameBytes.count < 16_384 { hostnameBytes += bytes.slice(value) }
            case 60: if vendorClassBytes.count < 16_384 { vendorClassBytes += bytes.slice(value) }
            default: break
            }
            offset += 2 + Int(length)
        }

        var address: UInt32?
        if operation == 1 {
            address = clientAddress != 0 ? clientAddress : requested
        } else {
            // Only an ACK means the client now has the address; an OFFER may be declined.
            guard messageType == 5 else { return nil }
            address = yourAddress != 0 ? yourAddress : clientAddress
        }
        // Names in a server's reply are what the server thinks; only the client's own count.
        let ownWords = operation == 1
        return DeviceObservation(
            source: .dhcp, time: time, mac: mac,
            ip: address.flatMap { $0 == 0 ? nil : IPAddress(ipv4: $0) },
            hostname: ownWords && !hostnameBytes.isEmpty ? AnnouncementText.clean(hostnameBytes) : nil,
            vendorClass: ownWords && !vendorClassBytes.isEmpty ? AnnouncementText.clean(vendorClassBytes) : nil)
    }
}
