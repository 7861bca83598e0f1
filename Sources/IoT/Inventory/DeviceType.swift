/// What kind of device an inventory entry is. The raw values are what the store, the JSON export
/// and the rules file use.
public enum DeviceType: String, CaseIterable, Codable, Sendable, Comparable {
    case camera
    /// Speakers, TVs, streaming sticks, media players.
    case media
    case printer
    /// Smart-home hubs and bridges (Hue bridge, HomeKit hubs, Zigbee gateways).
    case hub
    /// Thermostats, plugs, sensors and other small appliances.
    case sensor
    case phone
    case computer
    /// Routers, switches, access points, NAS boxes.
    case network
    case unknown

    public var displayName: String {
        switch self {
        case .camera: "camera"
        case .media: "speaker/TV/media"
        case .printer: "printer"
        case .hub: "hub/bridge"
        case .sensor: "thermostat/sensor"
        case .phone: "phone"
        case .computer: "computer"
        case .network: "network gear"
        case .unknown: "unknown"
        }
    }

    /// Devices whose outbound traffic the risk rules watch. Unclassified devices count: a device
    /// that announces nothing must not escape the rules because it stayed quiet.
    public var isIoTClass: Bool {
        switch self {
        case .camera, .media, .printer, .hub, .sensor, .unknown: true
        case .phone, .computer, .network: false
        }
    }

    public static func < (lhs: DeviceType, rhs: DeviceType) -> Bool { lhs.rawValue < rhs.rawValue }
}
