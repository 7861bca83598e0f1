import Foundation
import Packets

/// Multicast DNS responses (RFC 6762/6763): service types from PTR and SRV owners
/// ("_googlecast._tcp.local"), host names from A/AAAA owners and SRV targets ("Living-Room.local").
/// Queries are ignored: they say what the sender looks for (a phone asking for printers), not
/// what it is.
enum MDNSParser {
    /// At most this many records per message are read; a real announcement has a handful.
    static let maximumRecords = 128
    /// Compression pointers followed per name; a loop of pointers stops here.
    static let maximumJumps = 16
    /// Wire-format bytes of one name (RFC 1035: 255).
    static let maximumNameLength = 255

    static func observation(_ bytes: ByteView, payload: Range<Int>, source: IPAddress, mac: MACAddress?, time: Date) -> DeviceObservation? {
        let message = payload.lowerBound
        guard payload.count >= 12, let flags = bytes.u16(message + 2), flags & 0x8000 != 0,
              let questions = bytes.u16(message + 4), let answers = bytes.u16(message + 6),
              let authorities = bytes.u16(message + 8), let additionals = bytes.u16(message + 10) else { return nil }
        let reader = NameReader(bytes: bytes, message: message, end: payload.upperBound)
        var offset = message + 12
        for _ in 0..<min(Int(questions), maximumRecords) {
            guard let (_, next) = reader.name(at: offset) else { return nil }
            offset = next + 4
        }
        var services: [String] = []
        var hostname: String?
        let records = min(Int(answers) + Int(authorities) + Int(additionals), maximumRecords)
        for _ in 0..<records {
            guard let (owner, next) = reader.name(at: offset), let type = bytes.u16(next),
                  let length = bytes.u16(next + 8), next + 10 + Int(length) <= payload.upperBound else { break }
            let data = next + 10
            offset = data + Int(length)
            switch type {
            case 12:  // PTR: "_services._dns-sd._udp.local → _ipp._tcp.local", or "_ipp._tcp.local → Office._ipp._tcp.local"
                if let service = serviceType(owner) { add(service, to: &services) }
                if let (target, _) = reader.name(at: data), let service = serviceType(target) { add(service, to: &services) }
            case 33:  // SRV: owner "Instance._service._tcp.local", target host at data + 6
                if let service = serviceType(owner) { add(service, to: &services) }
                if hostname == nil, let (target, _) = reader.name(at: data + 6) { hostname = hostName(target) }
            case 1, 28:  // A, AAAA
                if hostname == nil { hostname = hostName(owner) }
            default:
                break
            }
        }
        guard hostname != nil || !services.isEmpty else { return nil }
        return DeviceObservation(source: .mdns, time: time, mac: mac, ip: source.isUnspecified ? nil : source,
                                 hostname: hostname, services: services)
    }

    private static func add(_ service: String, to services: inout [String]) {
        if !services.contains(service), services.count < DeviceEvidence.maximumPerKind { services.append(service) }
    }

    /// "_googlecast._tcp" from any name whose labels contain `_x._tcp` or `_x._udp`, except the
    /// DNS-SD meta service itself. Labels are cleaned text.
    static func serviceType(_ labels: [String]) -> String? {
        guard let index = labels.lastIndex(where: { $0.lowercased() == "_tcp" || $0.lowercased() == "_udp" }), index > 0 else { return nil }
        let name = labels[index - 1].lowercased()
        guard name.hasPrefix("_"), name != "_services", name != "_dns-sd", name.count <= 64 else { return nil }
        return name + "." + labels[index].lowercased()
    }

    /// "Living-Room" from "Living-Room.local"; reverse-lookup names and service names are not hosts.
    static func hostName(_ labels: [String]) -> String? {
        guard labels.count >= 2, labels.last?.lowercased() == "local", !labels.contains(where: { $0.hasPrefix("_") }) else { return nil }
        return AnnouncementText.clean(labels.dropLast().joined(separator: "."))
    }

    struct NameReader {
        let bytes: ByteView
        let message: Int
        let end: Int

        /// The name's labels (each cleaned) and the offset after the name where it started.
        func name(at start: Int) -> ([String], Int)? {
            var labels: [String] = []
            var offset = start
            var after: Int?
            var jumps = 0
            var total = 0
            while true {
                guard offset < end, let length = bytes.u8(offset) else { return nil }
                if length == 0 {
                    return (labels, after ?? offset + 1)
                }
                if length & 0xC0 == 0xC0 {
                    guard let pointer = bytes.u16(offset), jumps < MDNSParser.maximumJumps else { return nil }
                    if after == nil { after = offset + 2 }
                    jumps += 1
                    offset = message + Int(pointer & 0x3FFF)
                    continue
                }
                guard length & 0xC0 == 0 else { return nil }
                total += Int(length) + 1
                guard total <= MDNSParser.maximumNameLength, offset + 1 + Int(length) <= end else { return nil }
                labels.append(AnnouncementText.clean(bytes.slice((offset + 1)..<(offset + 1 + Int(length)))) ?? "")
                offset += 1 + Int(length)
            }
        }
    }
}
