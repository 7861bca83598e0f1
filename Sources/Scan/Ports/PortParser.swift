/// A port list the user typed that cannot be scanned; `description` says what is wrong and how to
/// write it.
public struct PortError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// nmap's port syntax: `22`, `22,80,443`, `8000-8100`, mixed (`22,80,8000-8100`), open-ended
/// (`-1024`, `60000-`), `-` for all 65,535, and service names from /etc/services (`ssh,http`).
public struct PortParser: Sendable {
    public var services: ServiceNames

    public init(services: ServiceNames = .system) {
        self.services = services
    }

    /// The ports in the order written, each once.
    public func parse(_ text: String) throws -> [UInt16] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw PortError("No ports given: write ports like 22,80,443, a range like 8000-8100, - for all 65,535, or use --top N.")
        }
        if trimmed == "-" { return Array(1...65535) }
        var ports: [UInt16] = []
        var seen = [Bool](repeating: false, count: 65536)
        for rawItem in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else {
                throw PortError("Empty item in the port list \"\(trimmed)\": separate ports with one comma, e.g. 22,80,443.")
            }
            for port in try expand(item) where !seen[Int(port)] {
                seen[Int(port)] = true
                ports.append(port)
            }
        }
        return ports
    }

    private func expand(_ item: String) throws -> ClosedRange<UInt16> {
        if item == "-" { return 1...65535 }
        if item.contains("-") {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2 else {
                throw PortError("\"\(item)\" is not a port range: write it as FIRST-LAST, e.g. 8000-8100.")
            }
            let low = ends[0].isEmpty ? 1 : try number(String(ends[0]), in: item)
            let high = ends[1].isEmpty ? 65535 : try number(String(ends[1]), in: item)
            guard low <= high else {
                throw PortError("The port range \(item) runs backwards: write the lower port first (\(high)-\(low)).")
            }
            return low...high
        }
        if item.allSatisfy(\.isNumber) {
            let port = try number(item, in: item)
            return port...port
        }
        if let port = services.port(named: item) { return port...port }
        throw PortError("\"\(item)\" is neither a port number nor a TCP service name in /etc/services: write a number 1–65535 (e.g. 443) or a name such as https.")
    }

    private func number(_ text: String, in item: String) throws -> UInt16 {
        guard !text.isEmpty, text.allSatisfy(\.isNumber) else {
            throw PortError("\"\(text)\" in \"\(item)\" is not a port number: ports are whole numbers 1–65535.")
        }
        guard let value = Int(text), value <= 65535 else {
            throw PortError("Port \(text) is out of range: ports are 1–65535.")
        }
        guard value != 0 else {
            throw PortError("Port 0 cannot be scanned (it is reserved): ports are 1–65535.")
        }
        return UInt16(value)
    }

    /// The `count` ports most often found open: the ranked list in Assets/top-ports.txt, then
    /// every other port in ascending order once the list runs out.
    public static func top(_ count: Int) throws -> [UInt16] {
        guard (1...65535).contains(count) else {
            throw PortError("--top \(count) is out of range: give a count from 1 to 65535 (e.g. --top 100 or --top 1000).")
        }
        let ranked = TopPorts.ranked
        if count <= ranked.count { return Array(ranked.prefix(count)) }
        var seen = [Bool](repeating: false, count: 65536)
        for port in ranked { seen[Int(port)] = true }
        var ports = ranked
        var next = 1
        while ports.count < count {
            if !seen[next] { ports.append(UInt16(next)) }
            next += 1
        }
        return ports
    }
}

import Foundation
