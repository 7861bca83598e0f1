import Foundation
import Intel
import IoT
import NetScouterTestSupport
import Packets
import XCTest

/// A real capture (pathspider's real.pcap: a VirtualBox lab network with ARP, DHCP and SSDP)
/// read into the inventory, checked against what tshark dissects from the same file.
final class CorpusInventoryTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/corpus").standardizedFileURL

    func testRealCaptureMatchesTshark() throws {
        let path = Self.corpus.appendingPathComponent("pathspider/real.pcap").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("The capture corpus is not present at \(Self.corpus.path) (it lives next to the package in the development checkout).")
        }
        let tshark = try ExternalTools.require("tshark", package: "tshark")
        func fields(_ filter: String, _ names: [String]) throws -> [[String]] {
            let result = try ExternalTools.run(tshark, ["-r", path, "-Y", filter, "-T", "fields", "-E", "separator=/t"] + names.flatMap { ["-e", $0] })
            XCTAssertEqual(result.status, 0, result.standardError)
            return result.standardOutput.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        }
        var expectedAddresses: [String: Set<String>] = [:]
        var expectedNames: [String: String] = [:]
        var ssdpMethods: [String] = []
        // One tshark run (its start-up is most of the cost).
        for row in try fields("arp or dhcp or ssdp", ["arp.src.hw_mac", "arp.src.proto_ipv4", "dhcp.hw.mac_addr", "dhcp.option.hostname",
                                                      "http.request.method"]) where row.count == 5 {
            if !row[0].isEmpty { expectedAddresses[row[0], default: []].formUnion(row[1] == "0.0.0.0" ? [] : [row[1]]) }
            // tshark lists the client MAC twice (the chaddr field and its own MAC-address view).
            if !row[3].isEmpty { expectedNames[String(row[2].split(separator: ",").first ?? "")] = row[3] }
            if !row[4].isEmpty { ssdpMethods.append(row[4]) }
        }
        XCTAssertEqual(expectedNames.count, 5)

        let inventory = DeviceInventory(vendors: try? MACVendors())
        let summary = try PacketFeed.readFile(path, into: inventory)
        XCTAssertNil(summary.readError)
        XCTAssertEqual(Set(inventory.devices.keys), Set(expectedAddresses.keys).union(expectedNames.keys))
        for (mac, addresses) in expectedAddresses {
            XCTAssertTrue(addresses.isSubset(of: Set(inventory.devices[mac]?.ips ?? [])), "\(mac): \(addresses) vs \(inventory.devices[mac]?.ips ?? [])")
        }
        for (mac, name) in expectedNames {
            XCTAssertEqual(inventory.devices[mac]?.hostname, name)
            XCTAssertEqual(inventory.devices[mac]?.hostnameSource, "dhcp")
            XCTAssertEqual(inventory.devices[mac]?.deviceType, .computer, "DHCP vendor class MSFT 5.0")
        }
        // The SSDP packets in this file are M-SEARCH requests: what the hosts look for, not what they are.
        XCTAssertTrue(inventory.devices.values.allSatisfy { $0.evidence.ssdpServers.isEmpty && $0.evidence.ssdpTypes.isEmpty })
        XCTAssertEqual(Set(ssdpMethods), ["M-SEARCH"])
    }
}
