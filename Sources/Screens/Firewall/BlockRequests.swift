import Packets
import UI

/// "Block this address", asked from anywhere in the window: a row's Block button or `B`, the IoT
/// map's Block. The shell answers every request with the one confirm-block dialog, so screens
/// know nothing of the firewall. Without a handler (no store, no firewall in this session) no
/// Block action is offered. UI thread only.
public final class BlockRequests {
    /// Set by the shell: opens the confirm-block dialog.
    public var handler: ((BlockRequest) -> Void)?

    public init() {}

    public var isAvailable: Bool { handler != nil }

    /// The status bar's hint on tabs whose rows offer Block.
    public static let hint = "B block selected"

    /// Asks to block `address`; `place` says where it was asked ("Dashboard flows"), for the
    /// audit log's reason.
    public func request(_ address: String, from place: String) {
        handler?(BlockRequest(address: address, place: place))
    }

    /// The Block action of a table row showing a remote address: a "Block" button at the row's
    /// right end while it is selected (`rightInset` leaves room for other row buttons), and `B`
    /// on the selected row of the focused table. Rows without a blockable remote end (`address` nil) offer nothing.
    public func rowAction(_ ui: UIContext, _ row: TableRow, address: IPAddress?, place: String, rightInset: Float = 0) {
        guard row.isSelected, isAvailable, let address else { return }
        let rect = Rect(x: row.rect.maxX - rightInset - 62, y: row.rect.y + 1, width: 60, height: row.rect.height - 2)
        let button = ui.button("Block##\(address)", style: .danger, rect: rect)
        if button.contains(.hovered) { ui.showTooltip("Block \(address) in the firewall (B)") }
        // `B` acts on the table that has the keyboard: with two tables on screen (flows and
        // hosts), only the one the user worked in last.
        if button.contains(.pressed) || (row.isInFocusedTable && Self.blockKeyPressed(ui)) { request(address.description, from: place) }
    }

    /// `B` without Ctrl, while no text field has the keyboard.
    static func blockKeyPressed(_ ui: UIContext) -> Bool {
        guard !ui.isEditingText else { return false }
        return ui.input.pressed(.character("b")) || ui.input.text == "b" || ui.input.text == "B"
    }
}

/// One request to block an address.
public struct BlockRequest: Equatable, Sendable {
    public let address: String
    public let place: String

    public init(address: String, place: String) {
        self.address = address
        self.place = place
    }
}
