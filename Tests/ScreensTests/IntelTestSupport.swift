import Foundation
import Intel
import NetScouterTestSupport
import Packets
import Screens
import Store
import UI
import XCTest

/// Three fake reputation providers on loopback. Each answers with the documented success body,
/// flagging the addresses in `flagged` and clearing the others, unless `override` answers.
final class FakeReputationServers {
    let abuseIPDB: FakeHTTPServer
    let virusTotal: FakeHTTPServer
    let otx: FakeHTTPServer

    static let abuseKey = "abuse-key-Q1w2E3r4T5y6"
    static let virusTotalKey = "vt-key-Z9x8C7v6B5n4"
    static let otxKey = "otx-key-M1n2B3v4C5x6"
    static let allKeys = [abuseKey, virusTotalKey, otxKey]

    typealias Responder = @Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Response?

    init(flagged: Set<String>, delay: Double = 0, abuseIPDB abuseOverride: Responder? = nil, virusTotal virusTotalOverride: Responder? = nil,
         otx otxOverride: Responder? = nil, isp: String = "Example Hosting Ltd") throws {
        abuseIPDB = try FakeHTTPServer { request in
            if let answer = abuseOverride?(request) { return answer }
            let address = ProviderBodies.address(of: request)
            return .init(body: ProviderBodies.abuseIPDB(address: address, score: flagged.contains(address) ? 92 : 0, isp: isp), delay: delay)
        }
        virusTotal = try FakeHTTPServer { request in
            if let answer = virusTotalOverride?(request) { return answer }
            let address = ProviderBodies.address(of: request)
            return .init(body: ProviderBodies.virusTotal(address: address, malicious: flagged.contains(address) ? 7 : 0), delay: delay)
        }
        otx = try FakeHTTPServer { request in
            if let answer = otxOverride?(request) { return answer }
            let address = ProviderBodies.address(of: request)
            return .init(body: ProviderBodies.otx(address: address, pulses: flagged.contains(address) ? ["SSH brute force"] : []), delay: delay)
        }
    }

    deinit {
        abuseIPDB.stop()
        virusTotal.stop()
        otx.stop()
    }

    /// Base URLs, plus the keys that `keys` names as coming from the environment.
    func environment(keys: [ReputationProvider] = ReputationProvider.allCases) -> [String: String] {
        var environment = ["NETSCOUTER_ABUSEIPDB_URL": abuseIPDB.baseURL, "NETSCOUTER_VIRUSTOTAL_URL": virusTotal.baseURL,
                           "NETSCOUTER_OTX_URL": otx.baseURL]
        if keys.contains(.abuseIPDB) { environment["ABUSEIPDB_API_KEY"] = Self.abuseKey }
        if keys.contains(.virusTotal) { environment["VIRUSTOTAL_API_KEY"] = Self.virusTotalKey }
        if keys.contains(.otx) { environment["OTX_API_KEY"] = Self.otxKey }
        return environment
    }

    /// How many requests each server received about `address`.
    func requests(about address: String) -> [Int] {
        [abuseIPDB, virusTotal, otx].map { server in server.requests.filter { ProviderBodies.address(of: $0) == address }.count }
    }

    var allRequests: [FakeHTTPServer.Request] { abuseIPDB.requests + virusTotal.requests + otx.requests }
}

/// A capture file with one TCP conversation per (remote, local) pair, each five packets.
func writeIntelFixture(in directory: URL, conversations: [(remote: IPAddress, local: IPAddress, port: UInt16)]) throws -> String {
    let path = directory.appendingPathComponent("intel-\(UUID().uuidString).pcap").path
    let writer = try PcapFileWriter(path: path, linkType: .ethernet)
    var time: Int64 = 1_700_000_000_000_000_000
    for (index, conversation) in conversations.enumerated() {
        // The remote end starts the conversation (an inbound SSH attempt, say).
        let remote = FrameBuilder.Endpoint(conversation.remote, UInt16(50_000 + index))
        let local = FrameBuilder.Endpoint(conversation.local, conversation.port)
        for (flags, fromRemote) in [(TCPFlags.syn, true), ([.syn, .ack], false), ([.ack], true), ([.ack, .psh], true), ([.fin, .ack], false)] as [(TCPFlags, Bool)] {
            time += 10_000_000
            try writer.write(FrameBuilder.ethernetIP(from: fromRemote ? remote : local, to: fromRemote ? local : remote, transport: .tcp,
                                                     tcpFlags: flags, payload: [UInt8](repeating: 0x41, count: 40)),
                             timestamp: time)
        }
    }
    try writer.close()
    return path
}

extension UIHarness {
    /// The colour of the text `text` drawn inside `rect` in the last frame.
    func textColor(_ text: String, in rect: Rect) -> Color? {
        for command in ui.drawList.commands {
            if case let .text(drawn, point, color, _) = command, drawn == text, rect.insetBy(-1, -1).contains(point) { return color }
        }
        return nil
    }

    /// Every text the last frame recorded or drew: drawn strings, item paths and item values.
    var everyRecordedText: [String] {
        drawnTexts + items.map(\.path) + items.compactMap(\.value)
    }
}
