import Foundation
import Packets

/// Well-formed (and deliberately hostile) announcement frames for the tests, built byte by byte
/// from the RFCs: DHCP (RFC 2131/2132), mDNS (RFC 1035/6762), SSDP (UPnP 1.1), ARP.
enum AnnouncementFrames {
    static let broadcast = MACAddress.broadcast

    static func arp(mac: MACAddress, ip: IPAddress, operation: UInt16 = 1, target: IPAddress = IPAddress(10, 0, 0, 1)) -> [UInt8] {
        FrameBuilder.ethernet(source: mac, destination: broadcast, etherType: 0x0806,
                              payload: FrameBuilder.arp(operation: operation, senderMAC: mac, senderIP: ip, targetMAC: .zero, targetIP: target))
    }

    /// A DHCPREQUEST from `mac` asking for `requested`, with option 12 (host name, split over
    /// several options when longer than 255 bytes, RFC 3396) and option 60 (vendor class).
    static func dhcpRequest(mac: MACAddress, requested: IPAddress, hostname: [UInt8]?, vendorClass: [UInt8]?) -> [UInt8] {
        var bootp = [UInt8](repeating: 0, count: 236)
        bootp[0] = 1; bootp[1] = 1; bootp[2] = 6
        bootp[4] = 0x12; bootp[5] = 0x34; bootp[6] = 0x56; bootp[7] = 0x78
        for index in 0..<6 { bootp[28 + index] = UInt8(truncatingIfNeeded: mac.value >> (40 - 8 * UInt64(index))) }
        bootp += [0x63, 0x82, 0x53, 0x63]
        bootp += [53, 1, 3]
        bootp += [50, 4] + requested.bytes.suffix(4)
        func option(_ code: UInt8, _ value: [UInt8]) {
            var rest = value[...]
            repeat {
                let part = rest.prefix(255)
                bootp += [code, UInt8(part.count)] + part
                rest = rest.dropFirst(part.count)
            } while !rest.isEmpty
        }
        if let hostname { option(12, hostname) }
        if let vendorClass { option(60, vendorClass) }
        bootp.append(255)
        let udp = FrameBuilder.udp(sourcePort: 68, destinationPort: 67, payload: bootp)
        let ip = FrameBuilder.ipv4(source: IPAddress(0, 0, 0, 0), destination: IPAddress(255, 255, 255, 255), protocol: 17, payload: udp)
        return FrameBuilder.ethernet(source: mac, destination: broadcast, etherType: 0x0800, payload: ip)
    }

    /// A DNS name in wire format from raw label bytes.
    static func name(_ labels: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in labels { bytes.append(UInt8(label.count)); bytes += label }
        return bytes + [0]
    }

    static func name(_ text: String) -> [UInt8] { name(text.split(separator: ".").map { Array($0.utf8) }) }

    static func record(_ owner: [UInt8], type: UInt16, data: [UInt8]) -> [UInt8] {
        owner + [UInt8(type >> 8), UInt8(type & 0xFF), 0x80, 0x01, 0, 0, 0x11, 0x94, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
    }

    /// An mDNS response announcing `service` ("_googlecast._tcp") for instance `instance` on host
    /// `host` (labels, so tests can put hostile bytes in them) with address `ip`.
    static func mdnsAnnouncement(mac: MACAddress, ip: IPAddress, service: String, instance: [UInt8], host: [[UInt8]]) -> [UInt8] {
        udpFrame(mac: mac, source: ip, destination: IPAddress(224, 0, 0, 251), port: 5353,
                 payload: mdnsMessage(service: service, instance: instance, host: host, ip: ip))
    }

    /// The DNS message of `mdnsAnnouncement` (for sending from a real socket).
    static func mdnsMessage(service: String, instance: [UInt8], host: [[UInt8]], ip: IPAddress) -> [UInt8] {
        let serviceName = name(service + ".local")
        let instanceName = name([instance] + service.split(separator: ".").map { Array($0.utf8) } + [Array("local".utf8)])
        let hostName = name(host + [Array("local".utf8)])
        var message: [UInt8] = [0, 0, 0x84, 0x00, 0, 0, 0, 3, 0, 0, 0, 0]
        message += record(serviceName, type: 12, data: instanceName)
        message += record(instanceName, type: 33, data: [0, 0, 0, 0, 0x1F, 0x49] + hostName)
        message += record(hostName, type: 1, data: ip.bytes.suffix(4))
        return message
    }

    static func ssdpNotify(mac: MACAddress, ip: IPAddress, server: [UInt8], notificationType: String) -> [UInt8] {
        var text = Array("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=100\r\nLOCATION: http://\(ip)/description.xml\r\n".utf8)
        text += Array("SERVER: ".utf8) + server + Array("\r\nNTS: ssdp:alive\r\nNT: \(notificationType)\r\nUSN: uuid:2f402f80-da50-11e1-9b23-001788255acc\r\n\r\n".utf8)
        return udpFrame(mac: mac, source: ip, destination: IPAddress(239, 255, 255, 250), port: 1900, payload: text)
    }

    static func udpFrame(mac: MACAddress, source: IPAddress, destination: IPAddress, port: UInt16, payload: [UInt8]) -> [UInt8] {
        let udp = FrameBuilder.udp(sourcePort: port, destinationPort: port, payload: payload)
        let ip = FrameBuilder.ipv4(source: source, destination: destination, protocol: 17, payload: udp)
        return FrameBuilder.ethernet(source: mac, destination: MACAddress(value: 0x01_00_5E_00_00_FB), etherType: 0x0800, payload: ip)
    }

    /// A TCP connection's handshake and one data packet each way: an established flow.
    static func tcpConnection(mac: MACAddress, from device: IPAddress, port localPort: UInt16, to remote: IPAddress, port: UInt16,
                              gateway: MACAddress = MACAddress(value: 0x02_00_00_00_00_FE)) -> [[UInt8]] {
        let local = FrameBuilder.Endpoint(device, localPort), far = FrameBuilder.Endpoint(remote, port)
        return [
            FrameBuilder.ethernetIP(from: local, to: far, transport: .tcp, tcpFlags: [.syn], sourceMAC: mac, destinationMAC: gateway),
            FrameBuilder.ethernetIP(from: far, to: local, transport: .tcp, tcpFlags: [.syn, .ack], sourceMAC: gateway, destinationMAC: mac),
            FrameBuilder.ethernetIP(from: local, to: far, transport: .tcp, tcpFlags: [.ack, .psh], payload: Array("hello".utf8), sourceMAC: mac, destinationMAC: gateway),
            FrameBuilder.ethernetIP(from: far, to: local, transport: .tcp, tcpFlags: [.ack], sourceMAC: gateway, destinationMAC: mac),
        ]
    }
}

/// The home network the replay tests write to a pcap file.
enum HomeNetwork {
    static let camera = MACAddress("44:47:cc:10:20:30")!         // Hangzhou Hikvision (MA-L 4447CC)
    static let cameraIP = IPAddress(192, 168, 1, 20)
    static let chromecast = MACAddress("58:cb:52:aa:bb:cc")!     // Google, Inc.
    static let chromecastIP = IPAddress(192, 168, 1, 21)
    static let bridge = MACAddress("c4:29:96:01:02:03")!         // Signify B.V. (Philips Hue)
    static let bridgeIP = IPAddress(192, 168, 1, 22)
    static let phone = MACAddress("da:a1:19:5c:3f:01")!          // locally administered: a randomised Wi-Fi MAC
    static let phoneIP = IPAddress(192, 168, 1, 23)
    static let printer = MACAddress("00:80:77:44:55:66")!         // Brother Industries
    static let printerIP = IPAddress(192, 168, 1, 24)
    /// A global address standing for a botnet's telnet host (only ever written into files).
    static let telnetHost = IPAddress(45, 33, 32, 156)
    static let cloud = IPAddress(142, 250, 74, 78)
    static let start: Int64 = 1_764_000_000 * 1_000_000_000

    static func frames() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        frames.append(AnnouncementFrames.arp(mac: camera, ip: cameraIP))
        frames.append(AnnouncementFrames.mdnsAnnouncement(mac: chromecast, ip: chromecastIP, service: "_googlecast._tcp",
                                                          instance: Array("Living Room TV".utf8), host: [Array("Chromecast-Ultra".utf8)]))
        frames.append(AnnouncementFrames.ssdpNotify(mac: bridge, ip: bridgeIP, server: Array("Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0".utf8),
                                                    notificationType: "urn:schemas-upnp-org:device:basic:1"))
        frames.append(AnnouncementFrames.dhcpRequest(mac: phone, requested: phoneIP, hostname: Array("Pixel-7".utf8), vendorClass: Array("android-dhcp-13".utf8)))
        frames.append(AnnouncementFrames.mdnsAnnouncement(mac: printer, ip: printerIP, service: "_ipp._tcp",
                                                          instance: Array("Office".utf8), host: [Array("office-printer".utf8)]))
        // The camera learns its cloud, then talks telnet to an outside host; the phone does too
        // (a phone is not IoT-class: no anomaly for it).
        frames += AnnouncementFrames.tcpConnection(mac: camera, from: cameraIP, port: 40_000, to: cloud, port: 443)
        frames += AnnouncementFrames.tcpConnection(mac: camera, from: cameraIP, port: 40_001, to: telnetHost, port: 23)
        frames += AnnouncementFrames.tcpConnection(mac: phone, from: phoneIP, port: 40_002, to: telnetHost, port: 23)
        return frames
    }

    static func write(to path: String, frames: [[UInt8]] = frames()) throws {
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        for (index, frame) in frames.enumerated() {
            try writer.write(frame, timestamp: start + Int64(index) * 1_000_000)
        }
        try writer.close()
    }
}
