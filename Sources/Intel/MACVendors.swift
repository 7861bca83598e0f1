import Foundation
import Packets

/// What a MAC address says about its maker.
public enum MACVendorAnswer: Equatable, Sendable {
    /// Registered to `organization`; `registry` is MA-L (24-bit prefix), MA-M (28), MA-S or
    /// IAB (36); `prefix` is the assignment as the IEEE writes it ("B827EB").
    case vendor(organization: String, registry: String, prefix: String)
    /// The locally administered bit is set: the address was made up by its device (Android,
    /// iOS and Windows randomise Wi-Fi MACs per network), by a VM or a container — no vendor.
    case locallyAdministered
    /// A group (multicast or broadcast) address: no single device.
    case group
    /// Universally administered but in no registry file we have.
    case unknown

    public var text: String {
        switch self {
        case let .vendor(organization, _, _): organization
        case .locallyAdministered: "locally administered (randomised)"
        case .group: "multicast / broadcast"
        case .unknown: "unknown vendor"
        }
    }
}

/// MAC vendor lookup from the IEEE registry files Debian's `ieee-data` installs in
/// `/usr/share/ieee-data`: `oui.csv` (MA-L), `mam.csv` (MA-M), `oui36.csv` (MA-S) and `iab.csv`
/// (the older IAB blocks, also 36 bits). The longest matching prefix wins: a block the IEEE
/// sold as MA-M or MA-S inside an MA-L it keeps ("IEEE Registration Authority") names the buyer.
public final class MACVendors: Sendable {
    public static let standardDirectory = "/usr/share/ieee-data"

    private let bits24: [UInt64: String]
    private let bits28: [UInt64: String]
    private let bits36: [UInt64: (String, String)]
    public let entryCount: Int

    /// Loads every registry file found in `directory`.
    /// - Throws: `LocationDatabaseError` (a notice) when none is there.
    public init(directory: String = standardDirectory) throws {
        var bits24: [UInt64: String] = [:], bits28: [UInt64: String] = [:], bits36: [UInt64: (String, String)] = [:]
        var found = false
        for (file, expectedDigits) in [("oui.csv", 6), ("mam.csv", 7), ("oui36.csv", 9), ("iab.csv", 9)] {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(file)") else { continue }
            found = true
            for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).dropFirst() {
                let fields = Self.csvFields(line, count: 3)
                guard fields.count == 3, fields[1].count == expectedDigits, let value = UInt64(fields[1], radix: 16) else { continue }
                let organization = TextSanitizer.clean(fields[2])
                switch expectedDigits {
                case 6: bits24[value] = organization
                case 7: bits28[value] = organization
                default: bits36[value] = (organization, fields[0])
                }
            }
        }
        guard found else {
            throw LocationDatabaseError(message: "No IEEE registry files in \(directory): MAC vendors stay unknown. Install them with `sudo apt-get install ieee-data`.")
        }
        self.bits24 = bits24
        self.bits28 = bits28
        self.bits36 = bits36
        entryCount = bits24.count + bits28.count + bits36.count
    }

    public func lookup(_ mac: MACAddress) -> MACVendorAnswer {
        if mac.isMulticast { return .group }
        if mac.value >> 40 & 0x02 != 0 { return .locallyAdministered }
        let v = mac.value
        if let (organization, registry) = bits36[v >> 12] { return .vendor(organization: organization, registry: registry, prefix: Self.hex(v >> 12, digits: 9)) }
        if let organization = bits28[v >> 20] { return .vendor(organization: organization, registry: "MA-M", prefix: Self.hex(v >> 20, digits: 7)) }
        if let organization = bits24[v >> 24] { return .vendor(organization: organization, registry: "MA-L", prefix: Self.hex(v >> 24, digits: 6)) }
        return .unknown
    }

    /// Accepts aa:bb:cc:dd:ee:ff, aa-bb-…, aabb.ccdd.eeff (Cisco) and 12 bare hex digits.
    public static func parse(_ text: String) -> MACAddress? {
        if let mac = MACAddress(text) { return mac }
        let digits = text.filter { $0 != "." && $0 != ":" && $0 != "-" }
        guard digits.count == 12, digits.allSatisfy(\.isHexDigit), let value = UInt64(digits, radix: 16) else { return nil }
        return MACAddress(value: value)
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The first `count` fields of a CSV line (RFC 4180 quoting).
    static func csvFields(_ line: Substring, count: Int) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        var pending: Character? = iterator.next()
        while let character = pending, fields.count < count {
            pending = iterator.next()
            if quoted {
                if character == "\"" {
                    if pending == "\"" { current.append("\""); pending = iterator.next() } else { quoted = false }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if fields.count < count { fields.append(current) }
        return fields
    }
}
