/// Every colour and metric the widgets use, in one place. Screens never hard-code colours.
public struct Theme: Sendable {
    public var name: String
    public var background: Color
    public var panel: Color
    public var panelBorder: Color
    public var text: Color
    public var mutedText: Color
    public var accent: Color
    public var accentText: Color
    public var control: Color
    public var controlHovered: Color
    public var controlActive: Color
    public var fieldBackground: Color
    public var selection: Color
    public var danger: Color
    public var warning: Color
    public var success: Color
    public var tableHeader: Color
    public var tableRowAlternate: Color
    public var gridLine: Color
    public var overlayShade: Color
    /// Series colours for TCP, UDP, ICMP, ARP, Other (the rate graph and legends).
    public var series: [Color]

    // Metrics, in logical pixels.
    public var padding: Float = 8
    public var spacing: Float = 6
    public var rowHeight: Float = 26
    public var cornerRadius: Float = 4
    public var scrollbarWidth: Float = 10

    public static let dark = Theme(
        name: "dark",
        background: Color(hex: 0x15181D), panel: Color(hex: 0x1C2027), panelBorder: Color(hex: 0x2C323C),
        text: Color(hex: 0xE6E9EF), mutedText: Color(hex: 0x8E96A3), accent: Color(hex: 0x3D8BFD), accentText: Color(hex: 0xFFFFFF),
        control: Color(hex: 0x2A303A), controlHovered: Color(hex: 0x343B47), controlActive: Color(hex: 0x3F4856),
        fieldBackground: Color(hex: 0x11141A), selection: Color(hex: 0x2F5FA8), danger: Color(hex: 0xE5534B),
        warning: Color(hex: 0xD29922), success: Color(hex: 0x3FB950), tableHeader: Color(hex: 0x232831),
        tableRowAlternate: Color(hex: 0x1F242B), gridLine: Color(hex: 0x2C323C), overlayShade: Color(0, 0, 0, 150),
        series: [Color(hex: 0x3D8BFD), Color(hex: 0x3FB950), Color(hex: 0xD29922), Color(hex: 0xBC8CFF), Color(hex: 0x8E96A3)]
    )

    public static let light = Theme(
        name: "light",
        background: Color(hex: 0xF4F6F8), panel: Color(hex: 0xFFFFFF), panelBorder: Color(hex: 0xD0D7DE),
        text: Color(hex: 0x1F2328), mutedText: Color(hex: 0x656D76), accent: Color(hex: 0x0969DA), accentText: Color(hex: 0xFFFFFF),
        control: Color(hex: 0xEAEEF2), controlHovered: Color(hex: 0xDDE3E9), controlActive: Color(hex: 0xCFD7DF),
        fieldBackground: Color(hex: 0xFFFFFF), selection: Color(hex: 0xB6D4FB), danger: Color(hex: 0xCF222E),
        warning: Color(hex: 0x9A6700), success: Color(hex: 0x1A7F37), tableHeader: Color(hex: 0xF0F3F6),
        tableRowAlternate: Color(hex: 0xF8FAFC), gridLine: Color(hex: 0xE1E6EB), overlayShade: Color(0, 0, 0, 90),
        series: [Color(hex: 0x0969DA), Color(hex: 0x1A7F37), Color(hex: 0x9A6700), Color(hex: 0x8250DF), Color(hex: 0x656D76)]
    )
}

/// Measures text for layout. The SDL backend measures with SDL_ttf; tests use a fixed-width
/// measurer so layouts are deterministic.
public protocol TextMeasuring: AnyObject {
    func size(of text: String, role: FontRole) -> Size
    func lineHeight(_ role: FontRole) -> Float
}

/// Every character `advance` wide: deterministic layouts for tests and golden snapshots.
public final class FixedWidthTextMeasurer: TextMeasuring {
    public let advance: Float
    public let height: Float
    public init(advance: Float = 7, height: Float = 14) {
        self.advance = advance
        self.height = height
    }
    public func size(of text: String, role: FontRole) -> Size {
        Size(Float(text.count) * advance * factor(role), height * factor(role))
    }
    public func lineHeight(_ role: FontRole) -> Float { height * factor(role) }
    private func factor(_ role: FontRole) -> Float {
        switch role {
        case .small: 0.85
        case .heading: 1.3
        case .display: 2.4
        case .body, .monospace: 1
        }
    }
}
