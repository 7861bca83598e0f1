import Foundation
import IoT
import Jobs
import NetScouterTestSupport
import Packets
import Scan
import Store
import XCTest

/// The issue's acceptance network, in namespaces this test creates and deletes: a gateway (the
/// capture, on its LAN bridge) routing to a "remote" namespace that stands for the internet, and
/// three devices with chosen MACs: a camera-vendor OUI, one announcing _googlecast over mDNS, and
/// a printer announcing itself over SSDP. The camera talks to the remote on port 2323.
final class IoTNetworkTests: XCTestCase {
    private var network: TestNetwork!
    private var directory: URL!

    override func setUpWithError() throws {
        do { network = try TestNetwork() } catch { throw XCTSkip("\(error)") }
        directory = try makeTemporaryDirectory()
    }

    override func tearDown() {
        network?.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    static let camera = (mac: "44:47:cc:77:00:01", ip: "192.168.77.11")   // Hikvision
    static let cast = (mac: "58:cb:52:77:00:02", ip: "192.168.77.12")     // Google
    static let printer = (mac: "00:80:77:77:00:03", ip: "192.168.77.13")  // Brother
    /// A global address, but only inside the "remote" namespace.
    static let remote = "45.33.32.156"

    private func netscouter() throws -> String {
        let executable = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("netscouter is not built at \(executable); run `swift build` (make test does).")
        }
        return executable
    }

    private static func python(_ script: String, in namespace: String) -> [String] {
        ["ip", "netns", "exec", namespace, "python3", "-c", script]
    }

    func testDevicesAreInventoriedAndSuspiciousPortIsAnAnomaly() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/ieee-data/oui.csv") else { throw XCTSkip("ieee-data is not installed (make deps installs it)") }
        let executable = try netscouter()
        let gateway = try network.add("gw")
        let remote = try network.add("rm")
        try network.veth("up0", in: gateway, addresses: ["45.33.32.1/24"], "wan0", in: remote, addresses: ["\(Self.remote)/24"])
        try Command.check(["ip", "-n", remote, "route", "add", "192.168.77.0/24", "via", "45.33.32.1"])
        try Command.check(["ip", "netns", "exec", gateway, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        var ports: [String] = []
        var namespaces: [String: String] = [:]
        for (index, device) in [Self.camera, Self.cast, Self.printer].enumerated() {
            let namespace = try network.add("d\(index)")
            try network.veth("eth0", in: namespace, addresses: ["\(device.ip)/24"], mac: device.mac, "port\(index)", in: gateway)
            try Command.check(["ip", "-n", namespace, "route", "add", "default", "via", "192.168.77.1"])
            // mDNS and SSDP go to multicast groups on the LAN interface.
            try Command.check(["ip", "-n", namespace, "route", "add", "224.0.0.0/4", "dev", "eth0"])
            ports.append("port\(index)")
            namespaces[device.mac] = namespace
        }
        try network.bridge("br0", in: gateway, attach: ports)
        try Command.check(["ip", "-n", gateway, "address", "add", "192.168.77.1/24", "dev", "br0"])

        // The remote accepts one connection on 2323 (the camera's) and one on 443 (the cast's).
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: try Command.locate("ip"))
        listener.arguments = Array(Self.python("""
            import socket, threading
            def serve(s, answer):
                c, _ = s.accept(); c.recv(100); c.sendall(answer); c.close()
            threads = []
            for port, answer in ((2323, b"login: "), (443, b"hello")):
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("\(Self.remote)", port)); s.listen(1); s.settimeout(20)
                threads.append(threading.Thread(target=serve, args=(s, answer)))
            print("listening", flush=True)
            for t in threads: t.start()
            for t in threads: t.join()
            """, in: remote).dropFirst())
        let listenerOutput = Pipe()
        listener.standardOutput = listenerOutput
        try listener.run()
        defer { if listener.isRunning { listener.terminate() } }
        XCTAssertTrue(String(decoding: listenerOutput.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("listening"))

        // The capture: the gateway's live LAN bridge for a few seconds.
        let dataDirectory = directory.appendingPathComponent("data").path
        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: try Command.locate("ip"))
        capture.arguments = ["netns", "exec", gateway, executable, "iot", "anomalies", "--interface", "br0", "--seconds", "5", "--json",
                             "--data-dir", dataDirectory]
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory.appendingPathComponent("config").path
        capture.environment = environment
        let output = Pipe(), errors = Pipe()
        capture.standardOutput = output
        capture.standardError = errors
        try capture.run()
        // Traffic starts once the capture says it is open.
        let opened = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        final class Collected: @unchecked Sendable { var data = Data() }
        let errorData = Collected()
        Thread {
            let handle = errors.fileHandleForReading
            var signalled = false
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                errorData.data += chunk
                if !signalled, String(decoding: errorData.data, as: UTF8.self).contains("capturing on br0") { signalled = true; opened.signal() }
            }
            if !signalled { opened.signal() }
            done.signal()
        }.start()
        XCTAssertEqual(opened.wait(timeout: .now() + 30), .success)

        let castAnnouncement = AnnouncementFrames.mdnsMessage(service: "_googlecast._tcp", instance: Array("Lounge TV".utf8),
                                                              host: [Array("Chromecast-Lounge".utf8)], ip: IPAddress(Self.cast.ip)!)
        try Command.check(Self.python("""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
            s.bind(("\(Self.cast.ip)", 5353)); s.sendto(bytes.fromhex("\(castAnnouncement.map { String(format: "%02x", $0) }.joined())"), ("224.0.0.251", 5353))
            """, in: namespaces[Self.cast.mac]!))
        try Command.check(Self.python("""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("\(Self.printer.ip)", 1900))
            s.sendto(b"NOTIFY * HTTP/1.1\\r\\nHOST: 239.255.255.250:1900\\r\\nNT: urn:schemas-upnp-org:device:Printer:1\\r\\nNTS: ssdp:alive\\r\\nSERVER: Linux/4.4 UPnP/1.0 Brother-MFC/1.0\\r\\nUSN: uuid:e3248000-80ce-11db-8000-008077770003\\r\\n\\r\\n", ("239.255.255.250", 1900))
            """, in: namespaces[Self.printer.mac]!))
        try Command.check(Self.python("""
            import socket
            c = socket.create_connection(("\(Self.remote)", 2323), timeout=5); c.sendall(b"hello"); c.recv(100); c.close()
            """, in: namespaces[Self.camera.mac]!))
        // Ordinary traffic: the cast's HTTPS-port connection is learnt, not reported.
        try Command.check(Self.python("""
            import socket
            c = socket.create_connection(("\(Self.remote)", 443), timeout=5); c.sendall(b"hello"); c.recv(100); c.close()
            """, in: namespaces[Self.cast.mac]!))

        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        capture.waitUntilExit()
        let standardError = String(decoding: errorData.data, as: UTF8.self)
        XCTAssertEqual(capture.terminationStatus, 0, standardError)

        let anomalies = try XCTUnwrap(try JSONSerialization.jsonObject(with: outputData) as? [[String: Any]], String(decoding: outputData, as: UTF8.self))
        XCTAssertEqual(anomalies.count, 1, "\(anomalies)")
        let anomaly = try XCTUnwrap(anomalies.first)
        XCTAssertEqual(anomaly["device_mac"] as? String, Self.camera.mac)
        XCTAssertEqual(anomaly["device_ip"] as? String, Self.camera.ip)
        XCTAssertEqual(anomaly["remote_ip"] as? String, Self.remote)
        XCTAssertEqual(anomaly["remote_port"] as? Int, 2323)
        XCTAssertEqual(anomaly["rule"] as? String, "port:2323")
        XCTAssertEqual(anomaly["severity"] as? String, "high")
        XCTAssertEqual(anomaly["reason"] as? String, IoTRiskRules.builtIn.ports.first { $0.port == 2323 }?.reason)

        let database = try NetScouterDatabase(directory: URL(fileURLWithPath: dataDirectory))
        let devices = Dictionary(uniqueKeysWithValues: try IoTStore(database: database).devices().compactMap { device in device.mac.map { ($0, device) } })
        XCTAssertEqual(devices[Self.camera.mac]?.deviceType, .camera)
        XCTAssertEqual(devices[Self.camera.mac]?.typeReasons, ["MAC vendor \"Hangzhou Hikvision Digital Technology Co.,Ltd.\" makes camera devices"])
        XCTAssertEqual(devices[Self.cast.mac]?.deviceType, .media)
        XCTAssertEqual(devices[Self.cast.mac]?.typeReasons.first, "mDNS service _googlecast._tcp suggests speaker/TV/media")
        XCTAssertEqual(devices[Self.cast.mac]?.hostname, "Chromecast-Lounge")
        XCTAssertEqual(devices[Self.printer.mac]?.deviceType, .printer)
        XCTAssertEqual(devices[Self.printer.mac]?.typeReasons, [
            "SSDP \"urn:schemas-upnp-org:device:Printer:1\" contains \"printer\": printer",
            "MAC vendor \"Brother industries, LTD.\" makes printer devices",
        ])
        for mac in [Self.camera.mac, Self.cast.mac, Self.printer.mac] { XCTAssertEqual(devices[mac]?.online, true) }
        XCTAssertEqual(try IoTStore(database: database).baseline().destinations[Self.cast.mac], [Self.remote], "learnt during its window")
    }

    /// Active feeding: every discovery is a sweep; a device that stops answering goes offline only
    /// after three sweeps in a row missed it.
    func testDiscoveryRunsFeedTheInventoryWithDebounce() throws {
        let lan = try network.add("sw")
        let scanner = try network.add("scan")
        try network.veth("lan0", in: scanner, addresses: ["10.82.0.1/24"], mac: "02:aa:00:00:00:01", "port0", in: lan)
        let peers = [("44:47:cc:82:00:01", "10.82.0.10"), ("00:80:77:82:00:02", "10.82.0.11")]
        var ports = ["port0"]
        var peerNamespaces: [String] = []
        for (index, peer) in peers.enumerated() {
            let namespace = try network.add("p\(index)")
            try network.veth("eth0", in: namespace, addresses: ["\(peer.1)/24"], mac: peer.0, "port\(index + 1)", in: lan)
            ports.append("port\(index + 1)")
            peerNamespaces.append(namespace)
        }
        try network.bridge("br0", in: lan, attach: ports)
        let database = try NetScouterDatabase(directory: directory)

        func discover() throws {
            var options = DiscoveryOptions()
            options.reverseDNS = false
            options.neighbourTable = false
            options.replyWaitMilliseconds = 150
            let discovery = LanDiscovery(interface: "lan0", options: options)
            let result = try NetworkNamespace.run(in: scanner) { try discovery.run() }
            // What `discover` and the lan-discovery job do after a run.
            let scanID = try ScanRecords.begin(kind: ScanRecords.discoveryKind, target: "lan0", in: database)
            try ScanRecords.finish(scanID: scanID, discovery: result, in: database)
        }
        func online() throws -> [String: Bool] {
            Dictionary(uniqueKeysWithValues: try IoTStore(database: database).devices().map { ($0.key, $0.online) })
        }
        try discover()
        XCTAssertEqual(try online(), [peers[0].0: true, peers[1].0: true])
        XCTAssertEqual(try IoTStore(database: database).devices().first { $0.key == peers[0].0 }?.deviceType, .camera)

        // The printer's link goes down: it stops answering.
        try Command.check(["ip", "-n", peerNamespaces[1], "link", "set", "eth0", "down"])
        try discover()
        XCTAssertEqual(try online()[peers[1].0], true, "one missed sweep")
        try discover()
        XCTAssertEqual(try online()[peers[1].0], true, "two missed sweeps")
        try discover()
        XCTAssertEqual(try online(), [peers[0].0: true, peers[1].0: false], "three missed sweeps")
        try Command.check(["ip", "-n", peerNamespaces[1], "link", "set", "eth0", "up"])
        try discover()
        XCTAssertEqual(try online()[peers[1].0], true, "back at the next sweep that sees it")
    }
}
