import Foundation
import Packets

/// SSDP (UPnP discovery, UDP 1900): a device's `NOTIFY * HTTP/1.1` announcements and its
/// `HTTP/1.1 200 OK` answers to searches carry SERVER ("Linux/3.14 UPnP/1.0 IpBridge/1.26") and
/// NT/ST (the device or service type). M-SEARCH requests say what the sender looks for, not what
/// it is, and are ignored.
enum SSDPParser {
    static let maximumLines = 64

    static func observation(_ bytes: ByteView, payload: Range<Int>, source: IPAddress, mac: MACAddress?, time: Date) -> DeviceObservation? {
        let text = bytes.slice(payload)
        guard let firstLineEnd = text.firstIndex(of: 0x0A) ?? (text.isEmpty ? nil : text.endIndex) else { return nil }
        let firstLine = String(decoding: text[text.startIndex..<firstLineEnd].prefix(64), as: UTF8.self).uppercased()
        guard firstLine.hasPrefix("NOTIFY ") || firstLine.hasPrefix("HTTP/1.1 200") || firstLine.hasPrefix("HTTP/1.0 200") else { return nil }

        var server: String?
        var types: [String] = []
        var lineStart = firstLineEnd == text.endIndex ? text.endIndex : firstLineEnd + 1
        var lines = 0
        while lineStart < text.endIndex, lines < maximumLines {
            lines += 1
            let lineEnd = text[lineStart...].firstIndex(of: 0x0A) ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            lineStart = lineEnd == text.endIndex ? text.endIndex : lineEnd + 1
            guard let colon = line.firstIndex(of: 0x3A) else {
                if line.allSatisfy({ $0 == 0x0D }) { break }  // the blank line ends the headers
                continue
            }
            let name = String(decoding: line[line.startIndex..<colon].prefix(32), as: UTF8.self)
                .trimmingCharacters(in: .whitespaces).uppercased()
            let value = line[(colon + 1)...]
            switch name {
            case "SERVER":
                if server == nil { server = AnnouncementText.clean(value) }
            case "NT", "ST":
                // "uuid:…" and "upnp:rootdevice" name no kind of device.
                if let type = AnnouncementText.clean(value), type.lowercased().hasPrefix("urn:"), !types.contains(type), types.count < 8 {
                    types.append(type)
                }
            default:
                break
            }
        }
        guard server != nil || !types.isEmpty else { return nil }
        return DeviceObservation(source: .ssdp, time: time, mac: mac, ip: source.isUnspecified ? nil : source,
                                 ssdpServer: server, ssdpTypes: types)
    }
}
