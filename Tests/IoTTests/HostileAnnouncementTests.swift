import Foundation
import Intel
import IoT
import NetScouterTestSupport
import Packets
import Store
import XCTest

/// Names from the network are shown, stored and exported sanitised; malformed announcements
/// never crash the parser.
final class HostileAnnouncementTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Control characters, a bidi override, invalid UTF-8 and 10 kB of padding.
    static let hostile: [UInt8] = Array("evil\u{202E}gpj.exe\u{0007}\r\nINJECTED\u{2066}".utf8) + [0xFF, 0xFE, 0xC3] + Array(repeating: UInt8(ascii: "A"), count: 10_240)

    /// SSDP is line-based: a CR LF ends the header (so it cannot inject another); a tab and the
    /// rest stay on the line.
    static let hostileLine: [UInt8] = Array("evil\u{202E}gpj.exe\u{0007}\tINJECTED\u{2066}".utf8) + [0xFF, 0xFE, 0xC3] + Array(repeating: UInt8(ascii: "A"), count: 10_240)

    static func assertClean(_ text: String?, file: StaticString = #filePath, line: UInt = #line) {
        guard let text else { return XCTFail("no text", file: file, line: line) }
        XCTAssertLessThanOrEqual(text.count, 255, file: file, line: line)
        for scalar in text.unicodeScalars {
            XCTAssertFalse(TextSanitizer.isRemoved(scalar), "U+\(String(scalar.value, radix: 16)) left in \(text.prefix(40))", file: file, line: line)
        }
        XCTAssertTrue(text.hasPrefix("evilgpj.exe INJECTED\u{FFFD}"), "\(text.prefix(40).unicodeScalars.map { String($0.value, radix: 16) })", file: file, line: line)
    }

    static let dhcpMAC = MACAddress("00:80:77:00:00:01")!
    static let mdnsMAC = MACAddress("58:cb:52:00:00:02")!
    static let ssdpMAC = MACAddress("c4:29:96:00:00:03")!

    static func hostileFrames() -> [[UInt8]] {
        [
            AnnouncementFrames.dhcpRequest(mac: dhcpMAC, requested: IPAddress(192, 168, 1, 31), hostname: hostile, vendorClass: hostile),
            // DNS labels hold at most 63 bytes: the hostile bytes go in two labels.
            AnnouncementFrames.mdnsAnnouncement(mac: mdnsMAC, ip: IPAddress(192, 168, 1, 32), service: "_googlecast._tcp",
                                                instance: Array(hostile.prefix(40)), host: [Array(hostile.prefix(40)), Array(repeating: UInt8(ascii: "B"), count: 63)]),
            AnnouncementFrames.ssdpNotify(mac: ssdpMAC, ip: IPAddress(192, 168, 1, 33), server: hostileLine, notificationType: "urn:schemas-upnp-org:device:MediaRenderer:1"),
        ]
    }

    func testHostileNamesAreSanitisedInInventoryStoreAndExport() throws {
        let path = directory.appendingPathComponent("hostile.pcap").path
        try HomeNetwork.write(to: path, frames: Self.hostileFrames())
        let database = try NetScouterDatabase(directory: directory)
        let engine = try IoTEngine(database: database, vendors: nil)
        XCTAssertEqual(try engine.read(file: path).observations, 3)
        try engine.save()

        for devices in [engine.inventory.sorted, try IoTStore(database: database).devices()] {
            let byKey = Dictionary(uniqueKeysWithValues: devices.map { ($0.key, $0) })
            let dhcp = try XCTUnwrap(byKey[Self.dhcpMAC.description])
            Self.assertClean(dhcp.hostname)
            Self.assertClean(dhcp.evidence.vendorClasses.first)
            let mdns = try XCTUnwrap(byKey[Self.mdnsMAC.description])
            XCTAssertEqual(mdns.deviceType, .media)
            Self.assertClean(mdns.hostname)
            let ssdp = try XCTUnwrap(byKey[Self.ssdpMAC.description])
            Self.assertClean(ssdp.evidence.ssdpServers.first)
            for device in devices { for reason in device.typeReasons { XCTAssertFalse(reason.unicodeScalars.contains(where: TextSanitizer.isRemoved), reason) } }
        }
        // The raw column text in SQLite, not only what the decoder gives back.
        let stored = try database.read { db in try String.fetchAll(db, sql: "SELECT hostname || evidence || type_reasons FROM iot_devices WHERE hostname IS NOT NULL") }
        XCTAssertEqual(stored.count, 2)
        for text in stored { XCTAssertFalse(text.unicodeScalars.contains(where: TextSanitizer.isRemoved)) }

        let out = directory.appendingPathComponent("iot.json").path
        try IoTExportDocument(generatedAt: Date(), devices: engine.inventory.sorted, anomalies: []).write(to: out)
        let exported = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertFalse(exported.unicodeScalars.contains { TextSanitizer.isRemoved($0) && $0 != "\n" })
        XCTAssertFalse(exported.contains("\\u0007") || exported.contains("\\r") || exported.contains("\\u202e"))
        let document = try IoTExportDocument.decode(Data(exported.utf8))
        Self.assertClean(document.devices.first { $0.mac == Self.dhcpMAC.description }?.hostname)
    }

    func testTruncatedAndGarbledAnnouncementsNeverCrash() {
        let time = Date(timeIntervalSince1970: 0)
        var seeds = HomeNetwork.frames().filter { AnnouncementParser.observations($0, linkType: .ethernet, time: time).count == 1 }
        XCTAssertEqual(seeds.count, 5)
        seeds += Self.hostileFrames()
        // Every truncation inside the headers and the first records; every 61st further on
        // (the hostile frames are 10 kB long).
        for frame in seeds {
            for length in Array(0..<min(frame.count, 600)) + Array(stride(from: 600, to: frame.count, by: 61)) {
                let observations = AnnouncementParser.observations(Array(frame.prefix(length)), linkType: .ethernet, time: time)
                XCTAssertLessThanOrEqual(observations.count, 1)
            }
        }
        // Random byte flips (a fixed seed, so a failure can be replayed).
        var generator = SplitMix64(seed: 0x10_7_5EED)
        var parsed = 0
        for round in 0..<4_000 {
            var frame = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(generator.next() % 8)) {
                let index = 14 + Int(generator.next() % UInt64(frame.count - 14))
                frame[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            parsed += AnnouncementParser.observations(frame, linkType: .ethernet, time: time).count
            // The same bytes as other link types.
            for linkType in [LinkType.linuxSLL, .linuxSLL2, .raw] { _ = AnnouncementParser.observations(frame, linkType: linkType, time: time) }
        }
        XCTAssertGreaterThan(parsed, 0, "flips outside the checked fields still parse")
    }

    func testCompressionPointerLoopsAndOverlongNamesAreRejected() {
        let time = Date(timeIntervalSince1970: 0)
        let mac = MACAddress("58:cb:52:00:00:09")!
        // An answer whose owner name is a pointer to itself (offset 12).
        var loop: [UInt8] = [0, 0, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 12]
        loop += [0, 12, 0, 1, 0, 0, 0, 0, 0, 0]
        let frame = AnnouncementFrames.udpFrame(mac: mac, source: IPAddress(192, 168, 1, 40), destination: IPAddress(224, 0, 0, 251), port: 5353, payload: loop)
        XCTAssertEqual(AnnouncementParser.observations(frame, linkType: .ethernet, time: time), [])

        // Five 63-byte labels make a 320-byte name: over RFC 1035's 255.
        let long = AnnouncementFrames.name(Array(repeating: Array(repeating: UInt8(ascii: "x"), count: 63), count: 5) + [Array("local".utf8)])
        var message: [UInt8] = [0, 0, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0]
        message += AnnouncementFrames.record(long, type: 1, data: [192, 168, 1, 41])
        let longFrame = AnnouncementFrames.udpFrame(mac: mac, source: IPAddress(192, 168, 1, 41), destination: IPAddress(224, 0, 0, 251), port: 5353, payload: message)
        XCTAssertEqual(AnnouncementParser.observations(longFrame, linkType: .ethernet, time: time), [])

        // mDNS queries say what the sender looks for, not what it is.
        var query: [UInt8] = [0, 0, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        query += AnnouncementFrames.name("_googlecast._tcp.local") + [0, 12, 0, 1]
        let queryFrame = AnnouncementFrames.udpFrame(mac: mac, source: IPAddress(192, 168, 1, 42), destination: IPAddress(224, 0, 0, 251), port: 5353, payload: query)
        XCTAssertEqual(AnnouncementParser.observations(queryFrame, linkType: .ethernet, time: time), [])
    }

    func testCaptureFileDamagedPartWayKeepsWhatCameBefore() throws {
        let path = directory.appendingPathComponent("cut.pcap").path
        try HomeNetwork.write(to: path)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 30)
        try handle.close()
        let inventory = DeviceInventory()
        let summary = try PacketFeed.readFile(path, into: inventory)
        XCTAssertNotNil(summary.readError)
        XCTAssertEqual(inventory.devices.count, 5)
    }
}
