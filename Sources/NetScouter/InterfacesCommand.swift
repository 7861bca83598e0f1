import ArgumentParser
import Capture
import Foundation

struct InterfacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfaces",
        abstract: "List the interfaces NetScouter can capture on, with their addresses."
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let devices: [CaptureDevice]
        do { devices = try PcapHandle.devices() } catch { throw fail(error) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(devices), as: UTF8.self))
            return
        }
        if devices.isEmpty {
            print("No capture interfaces found. Live capture may need CAP_NET_RAW: see `netscouter --help`.")
        }
        for device in devices {
            var state: [String] = [device.isUp ? "up" : "down"]
            if device.isRunning { state.append("running") }
            if device.isLoopback { state.append("loopback") }
            if device.isWireless { state.append("wireless") }
            let name = device.name.padding(toLength: max(16, device.name.count + 1), withPad: " ", startingAt: 0)
            print("\(name)\(state.joined(separator: ","))  \(device.addresses.joined(separator: " "))"
                + (device.description.map { "  (\($0))" } ?? ""))
        }
    }
}
