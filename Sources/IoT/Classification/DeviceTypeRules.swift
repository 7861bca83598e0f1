import Foundation

/// The readable rules that turn evidence into a device type: `Assets/iot-device-types.json`,
/// compiled into the binary. A file at `$XDG_CONFIG_HOME/netscouter/iot-device-types.json`
/// (default `~/.config/netscouter/`) replaces them.
public struct DeviceTypeRules: Codable, Equatable, Sendable {
    public struct Weights: Codable, Equatable, Sendable {
        public var mdns: Int
        public var ssdp: Int
        public var dhcpVendorClass: Int
        public var hostname: Int
        public var port: Int
        public var vendor: Int

        enum CodingKeys: String, CodingKey {
            case mdns, ssdp, hostname, port, vendor
            case dhcpVendorClass = "dhcp_vendor_class"
        }
    }

    public struct TypeRule: Codable, Equatable, Sendable {
        public var type: DeviceType
        public var vendors: [String]
        public var mdns: [String]
        public var ssdp: [String]
        public var dhcpVendorClass: [String]
        public var hostnames: [String]
        public var ports: [Int]

        enum CodingKeys: String, CodingKey {
            case type, vendors, mdns, ssdp, hostnames, ports
            case dhcpVendorClass = "dhcp_vendor_class"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(DeviceType.self, forKey: .type)
            vendors = try container.decodeIfPresent([String].self, forKey: .vendors) ?? []
            mdns = try container.decodeIfPresent([String].self, forKey: .mdns) ?? []
            ssdp = try container.decodeIfPresent([String].self, forKey: .ssdp) ?? []
            dhcpVendorClass = try container.decodeIfPresent([String].self, forKey: .dhcpVendorClass) ?? []
            hostnames = try container.decodeIfPresent([String].self, forKey: .hostnames) ?? []
            ports = try container.decodeIfPresent([Int].self, forKey: .ports) ?? []
        }
    }

    public var version: Int
    public var about: String?
    public var weights: Weights
    public var types: [TypeRule]

    public static let fileName = "iot-device-types.json"

    /// The built-in rules (Assets/iot-device-types.json).
    public static var builtIn: DeviceTypeRules {
        // Compiled in from the asset; DeviceTypeRulesTests decodes it, so this cannot fail.
        try! JSONDecoder().decode(DeviceTypeRules.self, from: Data(PackageResources.iot_device_types_json))
    }

    /// The user's file when there is one, else the built-in rules. A broken user file is an error
    /// naming the file: the user edited it to be used.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (rules: DeviceTypeRules, source: String) {
        guard let path = IoTConfiguration.userFilePath(fileName, environment: environment),
              FileManager.default.fileExists(atPath: path) else { return (builtIn, "built-in device type rules") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IoTError("Cannot read the device type rules file \(path). Check its permissions, or delete it to use the built-in rules.")
        }
        do {
            return (try JSONDecoder().decode(DeviceTypeRules.self, from: data), path)
        } catch {
            throw IoTError("The device type rules file \(path) is not valid JSON in the expected shape (\(error)). Fix it (start from Assets/iot-device-types.json) or delete it to use the built-in rules.")
        }
    }
}

/// An error a user sees: what happened and what to do.
public struct IoTError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

enum IoTConfiguration {
    /// `$XDG_CONFIG_HOME/netscouter/NAME`, else `~/.config/netscouter/NAME`.
    static func userFilePath(_ name: String, environment: [String: String]) -> String? {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/netscouter/" + name }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.config/netscouter/" + name }
        return nil
    }
}

/// Lower-cased runs of letters and digits: whole-word matching is comparing these.
enum Words {
    static func of(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// Whether `phrase`'s words appear consecutively in `text`'s words.
    static func contains(_ text: [String], phrase: String) -> Bool {
        let wanted = of(phrase)
        guard !wanted.isEmpty, wanted.count <= text.count else { return false }
        return (0...(text.count - wanted.count)).contains { Array(text[$0..<($0 + wanted.count)]) == wanted }
    }
}
