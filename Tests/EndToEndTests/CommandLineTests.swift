import Foundation
import Packets
import XCTest

/// Runs the real `netscouter` binary built next to the tests.
struct CommandRun {
    var status: Int32
    var standardOutput: String
    var standardError: String

    static var executable: URL {
        // On Linux the test bundle is an executable in the build products folder, beside netscouter.
        Bundle.main.bundleURL.appendingPathComponent("netscouter")
    }

    static func netscouter(_ arguments: [String], environment: [String: String]? = nil) throws -> CommandRun {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw XCTSkip("netscouter is not built at \(executable.path); run `swift build` (make test does).")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes concurrently so a full stderr pipe cannot block the child.
        final class Collected: @unchecked Sendable { var data = Data() }
        let errorData = Collected()
        let errorReader = Thread { errorData.data = error.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorReader.isFinished { usleep(1000) }
        return CommandRun(status: process.terminationStatus,
                          standardOutput: String(decoding: outputData, as: UTF8.self),
                          standardError: String(decoding: errorData.data, as: UTF8.self))
    }
}

final class CaptureCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A small capture whose every total is known by construction:
    /// - one TCP connection 10.0.0.1:40000 → 10.0.0.2:80 (SYN, SYN+ACK, ACK, 2×data, FIN, FIN) = 7 packets
    /// - 4 DNS datagrams 10.0.0.1:5353 → 10.0.0.3:53 and 4 replies = 8 packets
    /// - 2 ICMP echo 10.0.0.1 → 10.0.0.2
    /// - 1 ARP request from 10.0.0.1
    /// - 2 IPv6 UDP datagrams 2001:db8::1 → 2001:db8::2:443
    private func writeKnownCapture() throws -> (path: String, packets: Int, bytes: Int, byProtocol: [String: (Int, Int)]) {
        let path = directory.appendingPathComponent("known.pcap").path
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        var time: Int64 = 1_700_000_000_000_000_000
        var packets = 0, bytes = 0
        var byProtocol: [String: (Int, Int)] = [:]
        func add(_ frame: [UInt8], _ protocolName: String) throws {
            try writer.write(frame, timestamp: time)
            time += 1_000_000
            packets += 1
            bytes += frame.count
            byProtocol[protocolName, default: (0, 0)].0 += 1
            byProtocol[protocolName, default: (0, 0)].1 += frame.count
        }
        let client = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 1), 40000)
        let web = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 2), 80)
        try add(FrameBuilder.ethernetIP(from: client, to: web, transport: .tcp, tcpFlags: [.syn]), "TCP")
        try add(FrameBuilder.ethernetIP(from: web, to: client, transport: .tcp, tcpFlags: [.syn, .ack]), "TCP")
        try add(FrameBuilder.ethernetIP(from: client, to: web, transport: .tcp, tcpFlags: [.ack]), "TCP")
        try add(FrameBuilder.ethernetIP(from: client, to: web, transport: .tcp, tcpFlags: [.ack, .psh], payload: Array("GET / HTTP/1.1\r\n\r\n".utf8)), "TCP")
        try add(FrameBuilder.ethernetIP(from: web, to: client, transport: .tcp, tcpFlags: [.ack, .psh], payload: [UInt8](repeating: 0x41, count: 1200)), "TCP")
        try add(FrameBuilder.ethernetIP(from: client, to: web, transport: .tcp, tcpFlags: [.fin, .ack]), "TCP")
        try add(FrameBuilder.ethernetIP(from: web, to: client, transport: .tcp, tcpFlags: [.fin, .ack]), "TCP")
        let resolver = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 3), 53)
        let dnsClient = FrameBuilder.Endpoint(IPAddress(10, 0, 0, 1), 5353)
        for _ in 0..<4 {
            try add(FrameBuilder.ethernetIP(from: dnsClient, to: resolver, transport: .udp, payload: [UInt8](repeating: 1, count: 30)), "UDP")
            try add(FrameBuilder.ethernetIP(from: resolver, to: dnsClient, transport: .udp, payload: [UInt8](repeating: 2, count: 90)), "UDP")
        }
        for _ in 0..<2 {
            try add(FrameBuilder.ethernetIP(from: .init(IPAddress(10, 0, 0, 1), 0), to: .init(IPAddress(10, 0, 0, 2), 0), transport: .icmp), "ICMP")
        }
        let arp = FrameBuilder.arp(operation: 1, senderMAC: MACAddress(value: 0x02_00_00_00_00_01), senderIP: IPAddress(10, 0, 0, 1),
                                   targetMAC: .zero, targetIP: IPAddress(10, 0, 0, 9))
        try add(FrameBuilder.ethernet(source: MACAddress(value: 0x02_00_00_00_00_01), destination: .broadcast, etherType: 0x0806, payload: arp), "ARP")
        for _ in 0..<2 {
            try add(FrameBuilder.ethernetIP(from: .init(IPAddress("2001:db8::1")!, 50000), to: .init(IPAddress("2001:db8::2")!, 443),
                                            transport: .udp, payload: [UInt8](repeating: 3, count: 50)), "UDP")
        }
        try writer.close()
        return (path, packets, bytes, byProtocol)
    }

    func testReadPrintsTheExpectedJSON() throws {
        let known = try writeKnownCapture()
        let run = try CommandRun.netscouter(["capture", "--read", known.path, "--json", "--top", "3"])
        XCTAssertEqual(run.status, 0, run.standardError)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])

        XCTAssertEqual(json["packets"] as? Int, known.packets)
        XCTAssertEqual(json["packets"] as? Int, 20)
        XCTAssertEqual(json["bytes"] as? Int, known.bytes)
        XCTAssertEqual(json["malformed"] as? Int, 0)
        XCTAssertEqual(json["linkType"] as? String, "Ethernet")
        let protocols = try XCTUnwrap(json["protocols"] as? [String: [String: Int]])
        for (name, (count, size)) in known.byProtocol {
            XCTAssertEqual(protocols[name]?["packets"], count, name)
            XCTAssertEqual(protocols[name]?["bytes"], size, name)
        }
        XCTAssertEqual(protocols["Other"]?["packets"], 0)
        // Hosts: 10.0.0.1/.2/.3 and the two IPv6 hosts (the ARP target is not a host).
        XCTAssertEqual(json["hostCount"] as? Int, 5)
        // Flows: TCP, DNS, ICMP, IPv6 UDP.
        XCTAssertEqual(json["flowCount"] as? Int, 4)

        let hosts = try XCTUnwrap(json["topHosts"] as? [[String: Any]])
        XCTAssertEqual(hosts.count, 3)
        XCTAssertEqual(hosts.first?["address"] as? String, "10.0.0.1", "the client took part in everything")
        XCTAssertEqual(hosts.first?["mac"] as? String, "02:00:00:00:00:01")

        let flows = try XCTUnwrap(json["topFlows"] as? [[String: Any]])
        let web = try XCTUnwrap(flows.first)
        XCTAssertEqual(web["protocol"] as? String, "TCP")
        XCTAssertEqual(web["initiator"] as? String, "10.0.0.1")
        XCTAssertEqual(web["initiatorPort"] as? Int, 40000)
        XCTAssertEqual(web["responder"] as? String, "10.0.0.2")
        XCTAssertEqual(web["responderPort"] as? Int, 80)
        XCTAssertEqual(web["packetsForward"] as? Int, 4)
        XCTAssertEqual(web["packetsReverse"] as? Int, 3)
        XCTAssertEqual(web["state"] as? String, "CLOSED")
        let dns = try XCTUnwrap(flows.dropFirst().first)
        XCTAssertEqual(dns["protocol"] as? String, "UDP")
        XCTAssertEqual(dns["responderPort"] as? Int, 53)
        XCTAssertEqual(dns["packetsForward"] as? Int, 4)
        XCTAssertEqual(dns["bytesReverse"] as? Int, 4 * (14 + 20 + 8 + 90))
    }

    func testTableOutputAndFilter() throws {
        let known = try writeKnownCapture()
        let run = try CommandRun.netscouter(["capture", "--read", known.path, "--filter", "udp port 53"])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.contains("Packets:  8 "), run.standardOutput)
        XCTAssertTrue(run.standardOutput.contains("(filter: udp port 53)"), run.standardOutput)
        XCTAssertTrue(run.standardOutput.contains("10.0.0.1:5353"), run.standardOutput)
    }

    func testErrorsGoToStandardErrorWithAFix() throws {
        let missing = try CommandRun.netscouter(["capture", "--read", "/nonexistent.pcap"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.standardError.contains("Cannot open capture file /nonexistent.pcap"), missing.standardError)
        XCTAssertEqual(missing.standardOutput, "")

        let known = try writeKnownCapture()
        let badFilter = try CommandRun.netscouter(["capture", "--read", known.path, "--filter", "port eighty"])
        XCTAssertEqual(badFilter.status, 1)
        XCTAssertTrue(badFilter.standardError.contains("not valid BPF syntax"), badFilter.standardError)

        let both = try CommandRun.netscouter(["capture", "--read", known.path, "--interface", "lo"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.standardError.contains("exactly one of --interface"), both.standardError)
    }

    func testNoSubcommandOpensTheWindowOrSaysWhyItCannot() throws {
        // Without a display the default (GUI) command explains itself instead of hanging.
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = nil
        environment["WAYLAND_DISPLAY"] = nil
        environment["SDL_VIDEODRIVER"] = nil
        let run = try CommandRun.netscouter([], environment: environment)
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.standardError.contains("No display"), run.standardError)
        XCTAssertTrue(run.standardError.contains("netscouter screenshot"), run.standardError)
        let help = try CommandRun.netscouter(["--help"])
        for subcommand in ["gui", "capture", "interfaces", "screenshot"] {
            XCTAssertTrue(help.standardOutput.contains(subcommand), help.standardOutput)
        }
    }

    func testInterfacesListsLoopback() throws {
        let run = try CommandRun.netscouter(["interfaces", "--json"])
        XCTAssertEqual(run.status, 0, run.standardError)
        let devices = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertTrue(devices.contains { $0["name"] as? String == "lo" && $0["isLoopback"] as? Bool == true })
    }
}

final class ScreenshotCommandTests: XCTestCase {
    func testScreenshotWritesAPNGOfTheRequestedSize() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-shot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("shot.png").path
        let run = try CommandRun.netscouter(["screenshot", "--out", out, "--size", "800x600", "--tab", "Scanner",
                                             "--data-dir", directory.appendingPathComponent("data").path])
        XCTAssertEqual(run.status, 0, run.standardError)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height, big-endian, at bytes 16–23.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual([width, height], [800, 600])

        let bad = try CommandRun.netscouter(["screenshot", "--out", out, "--tab", "Nowhere"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("Unknown tab"), bad.standardError)
    }
}

final class PermissionTests: XCTestCase {
    /// As an unprivileged user, live capture fails with the exact fix (setcap or sudo).
    func testUnprivilegedCaptureNamesTheFix() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("Needs root and setpriv (util-linux) to run netscouter as the unprivileged user nobody.")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", CommandRun.executable.path,
                             "capture", "--interface", "lo", "--count", "1"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard !text.contains("Permission denied") || text.contains("CAP_NET_RAW") else {
            throw XCTSkip("nobody cannot execute the build folder's binary here: \(text)")
        }
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertTrue(text.contains("needs the CAP_NET_RAW capability"), text)
        XCTAssertTrue(text.contains("sudo setcap cap_net_raw,cap_net_admin=eip \(CommandRun.executable.resolvingSymlinksInPath().path)")
                      || text.contains("sudo setcap cap_net_raw,cap_net_admin=eip"), text)
        XCTAssertTrue(text.contains("or start NetScouter with sudo"), text)
    }
}
