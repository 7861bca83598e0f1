import Foundation

/// A blocklist file: one address or CIDR per line, `#` comments (FireHOL `.netset`/`.ipset`),
/// `;` comments (Spamhaus DROP text: `1.10.16.0/20 ; SBL256894`), or Spamhaus's JSON lines
/// (`{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}`, metadata lines skipped).
/// Entries stay text here: the ban service parses and checks each one.
public struct Blocklist: Sendable {
    public var entries: [String]
    /// Lines that are neither comments nor an entry, as `line N: text`.
    public var unreadable: [String]

    /// Files larger than this are refused (the biggest public lists are a few megabytes).
    public static let maximumBytes = 64 << 20

    public init(text: String) {
        entries = []
        unreadable = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = BlockTarget.trimmed(String(rawLine.last == "\r" ? rawLine.dropLast() : rawLine))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("{") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                    if let cidr = object["cidr"] as? String { entries.append(cidr) }
                    // {"type":"metadata",...} lines carry no entry.
                    continue
                }
                unreadable.append("line \(index + 1): \(FirewallError.clean(String(line)))")
                continue
            }
            let content = line.split(whereSeparator: { $0 == "#" || $0 == ";" }).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 1 else {
                unreadable.append("line \(index + 1): \(FirewallError.clean(String(line)))")
                continue
            }
            entries.append(String(words[0]))
        }
    }

    public static func read(path: String) throws -> Blocklist {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maximumBytes {
            throw FirewallError.other("\(path) is \(size >> 20) MB; blocklists larger than \(maximumBytes >> 20) MB are refused.")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FirewallError.other("Cannot read the blocklist \(path): it does not exist or is not readable.")
        }
        return Blocklist(text: String(decoding: data, as: UTF8.self))
    }
}

extension FirewallService {
    /// Imports a blocklist file as one batch (one backend transaction for all its entries).
    public func importBlocklist(path: String, duration: BanDuration, reason: String? = nil, origin: BanOrigin? = nil,
                                dryRun: Bool = false) throws -> (list: Blocklist, outcome: BlockOutcome) {
        let list = try Blocklist.read(path: path)
        let name = URL(fileURLWithPath: path).lastPathComponent
        let outcome = try block(list.entries, duration: duration, reason: reason ?? "blocklist \(name)",
                                origin: origin ?? .imported(list: name), dryRun: dryRun)
        return (list, outcome)
    }
}
