import Foundation

/// TCP service names from /etc/services (`netbase` on Debian): port → name for results, name or
/// alias → port for the port parser.
public struct ServiceNames: Sendable {
    public private(set) var namesByPort: [UInt16: String] = [:]
    public private(set) var portsByName: [String: UInt16] = [:]

    /// /etc/services as read once; empty when the file is missing (results then show no names).
    public static let system = ServiceNames(path: "/etc/services")

    public init(path: String) {
        self.init(text: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    /// Parses the services(5) format: `name port/protocol [aliases…] [# comment]`.
    public init(text: String) {
        for line in text.split(separator: "\n") {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { continue }
            let portProtocol = fields[1].split(separator: "/")
            guard portProtocol.count == 2, portProtocol[1] == "tcp", let port = UInt16(portProtocol[0]) else { continue }
            let name = String(fields[0])
            if namesByPort[port] == nil { namesByPort[port] = name }
            for alias in [name] + fields.dropFirst(2).map(String.init) where portsByName[alias.lowercased()] == nil {
                portsByName[alias.lowercased()] = port
            }
        }
    }

    public func name(of port: UInt16) -> String? { namesByPort[port] }
    public func port(named name: String) -> UInt16? { portsByName[name.lowercased()] }
}
