import Foundation
import Intel
import NetScouterTestSupport
import Packets
import Screens
import Store
import UI
import XCTest

extension FakeReputationServers {
    /// Base URLs, plus the keys that `keys` names as coming from the environment.
    func environment(keys: [ReputationProvider]) -> [String: String] {
        environment(abuseIPDBKey: keys.contains(.abuseIPDB), virusTotalKey: keys.contains(.virusTotal), otxKey: keys.contains(.otx))
    }
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
