import Foundation
import Intel
import NetScouterTestSupport
import XCTest

/// The real `netscouter iot …` commands, run as a user would.
final class IoTCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func netscouter(_ arguments: [String]) throws -> ExternalTools.Result {
        // On Linux the test bundle is an executable in the build products folder, beside netscouter.
        let executable = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("netscouter is not built at \(executable); run `swift build` (make test does).")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory.appendingPathComponent("config").path
        environment["NETSCOUTER_MMDB"] = nil
        return try ExternalTools.run(executable, arguments + ["--data-dir", directory.appendingPathComponent("data").path], environment: environment)
    }

    private func json(_ result: ExternalTools.Result, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        XCTAssertEqual(result.status, 0, result.standardError, file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]], file: file, line: line)
    }

    func testDevicesAnomaliesSetTypeAndExport() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/ieee-data/oui.csv") else { throw XCTSkip("ieee-data is not installed (make deps installs it)") }
        let capture = directory.appendingPathComponent("home.pcap").path
        try HomeNetwork.write(to: capture)

        let devices = try json(try netscouter(["iot", "devices", "--read", capture, "--json"]))
        let types = Dictionary(uniqueKeysWithValues: devices.map { ($0["mac"] as? String ?? "", $0["device_type"] as? String ?? "") })
        XCTAssertEqual(types, [
            HomeNetwork.camera.description: "camera", HomeNetwork.chromecast.description: "media", HomeNetwork.bridge.description: "hub",
            HomeNetwork.phone.description: "phone", HomeNetwork.printer.description: "printer",
        ])
        let camera = try XCTUnwrap(devices.first { $0["mac"] as? String == HomeNetwork.camera.description })
        XCTAssertEqual(camera["type_reasons"] as? [String], ["MAC vendor \"Hangzhou Hikvision Digital Technology Co.,Ltd.\" makes camera devices"])
        XCTAssertEqual(camera["online"] as? Bool, true)

        // Later commands read the store: no --read needed.
        let anomalies = try json(try netscouter(["iot", "anomalies", "--json"]))
        XCTAssertEqual(anomalies.count, 1)
        XCTAssertEqual(anomalies.first?["rule"] as? String, "port:23")
        XCTAssertEqual(anomalies.first?["remote_ip"] as? String, HomeNetwork.telnetHost.description)
        XCTAssertEqual(anomalies.first?["device_mac"] as? String, HomeNetwork.camera.description)
        let text = try netscouter(["iot", "anomalies"])
        XCTAssertTrue(text.standardOutput.contains("Telnet (23) from an IoT device"), text.standardOutput)

        let destinations = try json(try netscouter(["iot", "destinations", "--json"]))
        XCTAssertEqual(destinations.map { "\($0["remote_ip"] as? String ?? "") \($0["remote_port"] as? Int ?? 0) \($0["risk"] as? String ?? "-")" }.sorted(),
                       ["142.250.74.78 443 -", "45.33.32.156 23 high"])
        XCTAssertTrue(destinations.allSatisfy { $0["device_mac"] as? String == HomeNetwork.camera.description })

        XCTAssertEqual(try netscouter(["iot", "set-type", HomeNetwork.bridgeIP.description, "sensor"]).status, 0)
        let unknown = try netscouter(["iot", "set-type", "10.99.0.1", "camera"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.standardError.contains("No device 10.99.0.1 in the inventory"), unknown.standardError)
        XCTAssertEqual(try netscouter(["iot", "set-type", HomeNetwork.bridgeIP.description, "toaster"]).status, 64)
        let bridge = try XCTUnwrap(try json(try netscouter(["iot", "devices", "--json"])).first { $0["mac"] as? String == HomeNetwork.bridge.description })
        XCTAssertEqual(bridge["device_type"] as? String, "sensor")
        XCTAssertEqual(bridge["user_type"] as? String, "sensor")

        let out = directory.appendingPathComponent("iot.json").path
        let export = try netscouter(["iot", "export", "--out", out])
        XCTAssertEqual(export.status, 0, export.standardError)
        XCTAssertTrue(export.standardError.contains("wrote 5 devices and 1 anomalies"), export.standardError)
        let validation = try IoTExportTests.validate(out)
        XCTAssertEqual(validation.status, 0, validation.standardError)

        let table = try netscouter(["iot", "devices"])
        XCTAssertTrue(table.standardOutput.contains("mDNS service _googlecast._tcp suggests speaker/TV/media"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("5 devices, 5 online"), table.standardOutput)

        XCTAssertEqual(try netscouter(["iot", "reset-baseline"]).status, 0)
    }

    func testHostileNamesAreShownSanitised() throws {
        let capture = directory.appendingPathComponent("hostile.pcap").path
        try HomeNetwork.write(to: capture, frames: HostileAnnouncementTests.hostileFrames())
        let result = try netscouter(["iot", "devices", "--read", capture])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("evilgpj.exe INJECTED\u{FFFD}"), result.standardOutput)
        let lines = result.standardOutput.split(separator: "\n")
        for line in lines {
            XCTAssertFalse(line.unicodeScalars.contains(where: TextSanitizer.isRemoved), String(line.prefix(60)))
            XCTAssertFalse(line.hasPrefix("INJECTED"), "a name cannot start a line of its own")
        }
        XCTAssertTrue(lines.allSatisfy { $0.count < 1_400 }, "names are capped at 255 characters")
    }

    func testDamagedFileExitsThreeAfterTheOutput() throws {
        let capture = directory.appendingPathComponent("cut.pcap").path
        try HomeNetwork.write(to: capture)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: capture))
        try handle.truncate(atOffset: try handle.seekToEnd() - 30)
        try handle.close()
        let result = try netscouter(["iot", "devices", "--read", capture, "--json"])
        XCTAssertEqual(result.status, 3, result.standardError)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [Any])?.count, 5)
        let missing = try netscouter(["iot", "devices", "--read", directory.appendingPathComponent("nope.pcap").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.standardError.contains("nope.pcap"), missing.standardError)
    }
}
