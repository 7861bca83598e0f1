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
            // Bytes, not Characters: 46,000 lines load in milliseconds instead of most of a second.
            let bytes = [UInt8](data)
            var lineStart = 0
            var isHeader = true
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                if isHeader { isHeader = false; continue }
                let fields = Self.csvFields(bytes[lineStart..<lineEnd], count: 3)
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

    /// The first `count` fields of a CSV line (RFC 4180 quoting), as UTF-8 text.
    static func csvFields(_ line: ArraySlice<UInt8>, count: Int) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex, fields.count < count {
            let byte = line[index]
            index += 1
            if quoted {
                if byte == 0x22 {
                    if index < line.endIndex && line[index] == 0x22 { current.append(0x22); index += 1 } else { quoted = false }
                } else {
                    current.append(byte)
                }
            } else if byte == 0x22 {
                quoted = true
            } else if byte == 0x2C {
                fields.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else if byte != 0x0D {
                current.append(byte)
            }
        }
        if fields.count < count { fields.append(String(decoding: current, as: UTF8.self)) }
        return fields
    }
}
