import Foundation
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// One address to scan, with the name it came from when the user typed a host name.
public struct ScanHost: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var name: String?

    public init(address: IPAddress, name: String? = nil) {
        self.address = address
        self.name = name
    }

    public var description: String { name.map { "\($0) (\(address))" } ?? address.description }
}

/// A target list the user typed that cannot be scanned; `description` says what is wrong and how
/// to write it.
public struct TargetError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// nmap's target syntax: addresses (IPv4, IPv6), host names (every address they resolve to),
/// CIDR blocks, dash ranges (`10.0.0.1-20`, `10.0.1-3.1-20`, `10.0.0.1-10.0.0.20`) and comma or
/// whitespace separated lists of any of them.
public struct TargetParser: Sendable {
    /// More hosts than this in one scan is almost certainly a typo (a /8 instead of a /24).
    public static let defaultHostLimit = 1 << 20
    public var hostLimit: Int
    /// Host name → addresses. `systemResolver` by default; tests give a fixed table.
    public var resolve: @Sendable (String) throws -> [IPAddress]

    public init(hostLimit: Int = TargetParser.defaultHostLimit,
                resolve: @escaping @Sendable (String) throws -> [IPAddress] = TargetParser.systemResolver) {
        self.hostLimit = hostLimit
        self.resolve = resolve
    }

    /// Expands `text` into hosts, in the order written, each address once.
    public func parse(_ text: String) throws -> [ScanHost] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw TargetError("No targets given: write an address, host name, CIDR block or range, e.g. 192.168.1.10, example.org, 10.0.0.0/24 or 10.0.0.1-20.")
        }
        var specs: [String] = []
        for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let words = item.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            guard !words.isEmpty else {
                throw TargetError("Empty item in the target list \"\(trimmed)\": separate targets with one comma, e.g. 10.0.0.1,10.0.0.2.")
            }
            specs += words.map(String.init)
        }
        var hosts: [ScanHost] = []
        var seen = Set<IPAddress>()
        for spec in specs {
            for host in try expand(spec) where seen.insert(host.address).inserted {
                hosts.append(host)
                if hosts.count > hostLimit {
                    throw TargetError("The targets hold more than \(hostLimit) hosts: scan a smaller block (e.g. a /24) or split the list.")
                }
            }
        }
        return hosts
    }

    /// Targets from a file: one or more per line, `#` starts a comment.
    public func parseFile(_ path: String) throws -> [ScanHost] {
        let contents: String
        do { contents = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TargetError("Cannot read the targets file \(path): \(error.localizedDescription). Give a readable text file with one target per line.")
        }
        let lines = contents.split(separator: "\n").map { line in
            String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        let text = lines.joined(separator: " ").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw TargetError("The targets file \(path) lists no targets: write one address, name, CIDR block or range per line.") }
        return try parse(text)
    }

    private func expand(_ spec: String) throws -> [ScanHost] {
        if let slash = spec.firstIndex(of: "/") { return try expandCIDR(spec, slash: slash) }
        if let address = IPAddress(spec) { return [ScanHost(address: address)] }
        if let bracketed = unbracketed(spec), let address = IPAddress(bracketed), !address.isIPv4 { return [ScanHost(address: address)] }
        if spec.contains(":") {
            if spec.contains("-") {
                throw TargetError("\"\(spec)\": dash ranges work for IPv4 only; for IPv6 write a CIDR block, e.g. 2001:db8::/120.")
            }
            throw TargetError("\"\(spec)\" is not a valid IPv6 address: write it like 2001:db8::1 or fe80::1.")
        }
        if spec.contains("-"), spec.first?.isNumber == true, spec.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) {
            return try expandRange(spec)
        }
        if spec.allSatisfy({ $0.isNumber || $0 == "." }) {
            throw TargetError("\"\(spec)\" is not a valid IPv4 address: write four numbers 0–255 separated by dots, e.g. 192.168.1.10.")
        }
        return try resolveName(spec)
    }

    private func unbracketed(_ spec: String) -> String? {
        guard spec.hasPrefix("["), spec.hasSuffix("]"), spec.count > 2 else { return nil }
        return String(spec.dropFirst().dropLast())
    }

    private func expandCIDR(_ spec: String, slash: String.Index) throws -> [ScanHost] {
        let base = String(spec[..<slash])
        let prefixText = String(spec[spec.index(after: slash)...])
        guard let address = IPAddress(base) else {
            throw TargetError("\"\(spec)\": a CIDR block needs an IP address before the slash, e.g. 10.0.0.0/24 or 2001:db8::/120.")
        }
        let bits = address.isIPv4 ? 32 : 128
        guard let prefix = Int(prefixText), prefixText.allSatisfy(\.isNumber), (0...bits).contains(prefix) else {
            throw TargetError("\"\(spec)\": the prefix length after the slash must be a number from 0 to \(bits) for \(address.isIPv4 ? "IPv4" : "IPv6"), e.g. \(address.isIPv4 ? "10.0.0.0/24" : "2001:db8::/120").")
        }
        let hostBits = bits - prefix
        if hostBits > 20 || (1 << hostBits) > hostLimit {
            throw TargetError("\"\(spec)\" holds 2^\(hostBits) addresses, more than the \(hostLimit) a scan accepts: use a longer prefix (e.g. /\(bits - min(hostBits, 16) + 8)) or split the block.")
        }
        let count = UInt64(1) << UInt64(hostBits)
        if address.isIPv4 {
            let network = hostBits == 32 ? 0 : address.ipv4Value & ~UInt32((UInt64(1) << UInt64(hostBits)) - 1)
            return (0..<count).map { ScanHost(address: IPAddress(ipv4: network &+ UInt32($0))) }
        }
        let network = address.low & ~(count - 1)
        return (0..<count).map { ScanHost(address: IPAddress(high: address.high, low: network | $0)) }
    }

    /// `a.b.c.d-e` ranges per octet (nmap style) or `a.b.c.d-w.x.y.z` between two addresses.
    private func expandRange(_ spec: String) throws -> [ScanHost] {
        let halves = spec.split(separator: "-", omittingEmptySubsequences: false)
        if halves.count == 2, let first = IPAddress(String(halves[0])), let last = IPAddress(String(halves[1])), first.isIPv4, last.isIPv4 {
            guard first.ipv4Value <= last.ipv4Value else {
                throw TargetError("\"\(spec)\" runs backwards: write the lower address first, e.g. \(last)-\(first).")
            }
            let count = Int(last.ipv4Value - first.ipv4Value) + 1
            guard count <= hostLimit else {
                throw TargetError("\"\(spec)\" holds \(count) addresses, more than the \(hostLimit) a scan accepts: narrow the range.")
            }
            return (first.ipv4Value...last.ipv4Value).map { ScanHost(address: IPAddress(ipv4: $0)) }
        }
        let octets = spec.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else {
            throw TargetError("\"\(spec)\" is not a valid IPv4 range: write it like 10.0.0.1-20 (last octet), 10.0.1-3.1-254 (per octet) or 10.0.0.1-10.0.0.20.")
        }
        var ranges: [ClosedRange<UInt32>] = []
        for octet in octets {
            let ends = octet.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), ends.allSatisfy({ !$0.isEmpty }) else {
                throw TargetError("\"\(spec)\": \"\(octet)\" is not an octet or octet range: write a number 0–255 or a range like 1-20.")
            }
            var values: [UInt32] = []
            for end in ends {
                guard let value = UInt32(end), value <= 255 else {
                    throw TargetError("\"\(spec)\": \(end) is out of range: each octet is a number 0–255.")
                }
                values.append(value)
            }
            guard values.first! <= values.last! else {
                throw TargetError("\"\(spec)\": the range \(octet) runs backwards: write the lower end first (\(values.last!)-\(values.first!)).")
            }
            ranges.append(values.first!...values.last!)
        }
        let total = ranges.reduce(1) { $0 * $1.count }
        guard total <= hostLimit else {
            throw TargetError("\"\(spec)\" holds \(total) addresses, more than the \(hostLimit) a scan accepts: narrow the range.")
        }
        var hosts: [ScanHost] = []
        hosts.reserveCapacity(total)
        for a in ranges[0] { for b in ranges[1] { for c in ranges[2] { for d in ranges[3] {
            hosts.append(ScanHost(address: IPAddress(ipv4: a << 24 | b << 16 | c << 8 | d)))
        } } } }
        return hosts
    }

    private func resolveName(_ spec: String) throws -> [ScanHost] {
        let labels = spec.split(separator: ".", omittingEmptySubsequences: false)
        let validLabel: (Substring) -> Bool = { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        guard spec.count <= 253, labels.allSatisfy(validLabel) || (labels.last?.isEmpty == true && labels.dropLast().allSatisfy(validLabel)) else {
            throw TargetError("\"\(spec)\" is not an address, CIDR block, range or host name: write e.g. 192.168.1.10, 10.0.0.0/24, 10.0.0.1-20, 2001:db8::1 or example.org.")
        }
        let addresses = try resolve(spec)
        guard !addresses.isEmpty else {
            throw TargetError("The host name \"\(spec)\" has no addresses: check the spelling or give an IP address.")
        }
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }.map { ScanHost(address: $0, name: spec) }
    }

    /// getaddrinfo: every IPv4 and IPv6 address of `name`, in the resolver's order.
    public static let systemResolver: @Sendable (String) throws -> [IPAddress] = { name in
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else {
            throw TargetError("Cannot resolve the host name \"\(name)\": \(String(cString: gai_strerror(status))). Check the spelling and the DNS settings, or give an IP address.")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry {
            if let address = SocketAddress.ipAddress(current.pointee.ai_addr) { addresses.append(address) }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}
