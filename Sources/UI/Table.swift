/// A table column: its title, starting width and how its cells align.
public struct TableColumn: Sendable {
    public var title: String
    public var width: Float
    public var minimumWidth: Float
    public var alignment: TextAlignment
    public var sortable: Bool

    public init(_ title: String, width: Float, minimumWidth: Float = 40, alignment: TextAlignment = .left, sortable: Bool = true) {
        self.title = title
        self.width = width
        self.minimumWidth = minimumWidth
        self.alignment = alignment
        self.sortable = sortable
    }
}

/// Which column the rows are sorted by. The table only reports clicks on headers; the caller
/// sorts its data (it knows the types), so the table stays generic and allocation-free.
public struct TableSort: Equatable, Sendable {
    public var column: Int
    public var ascending: Bool
    public init(column: Int, ascending: Bool) {
        self.column = column
        self.ascending = ascending
    }
}

struct TableState: PersistentWidgetState {
    var widths: [Float]
    var scroll: Float = 0
    /// How far the columns are scrolled left when they are wider than the table.
    var scrollX: Float = 0
    /// Set once the user drags a column edge: from then on the widths are theirs, and only the
    /// last column takes up the slack.
    var resized = false
    var resizingColumn: Int?
    var resizeStartX: Float = 0
    var resizeStartWidth: Float = 0
    var scrollDrag = ScrollState()
}

/// One visible row, handed to the row closure: draws cells into the row's column rectangles.
public struct TableRow {
    public let index: Int
    public let rect: Rect
    public let isSelected: Bool
    /// The table has the keyboard (clicked last): row shortcuts act on its selected row only.
    public let isInFocusedTable: Bool
    let ui: UIContext
    let cellRects: [Rect]
    let alignments: [TextAlignment]

    /// Text in column `column`.
    /// A cell too narrow for its text shows the whole text as a tooltip; an endpoint such as
    /// "[2001:db8::1]:443" is shortened in the address, so its port stays visible.
    public func text(_ column: Int, _ value: String, color: Color? = nil, role: FontRole = .body) {
        guard cellRects.indices.contains(column) else { return }
        let cell = cellRects[column].insetBy(ui.theme.padding / 2, 0)
        var shown = value
        if ui.textSize(value, role).width > cell.width {
            if value.hasPrefix("["), let close = value.lastIndex(of: "]"), value[close...].hasPrefix("]:") {
                shown = ui.truncated(value, toWidth: cell.width, role: role, keepingLast: value.distance(from: close, to: value.endIndex))
            }
            if ui.mouseOver(cellRects[column]) { ui.showTooltip(value) }
        }
        ui.drawText(shown, in: cell, color: color ?? ui.theme.text, role: role, alignment: alignments[column])
    }

    /// Column `column`'s cell in this row (for per-cell hover texts and test records).
    public func cellRect(_ column: Int) -> Rect? {
        cellRects.indices.contains(column) ? cellRects[column] : nil
    }

    /// A button filling column `column` (e.g. "Block##203.0.113.9"); true when clicked.
    @discardableResult
    public func button(_ column: Int, _ label: String, style: ButtonStyle = .normal, enabled: Bool = true) -> Bool {
        guard cellRects.indices.contains(column) else { return false }
        return ui.button(label, style: style, enabled: enabled, rect: cellRects[column].insetBy(2, 2)).contains(.pressed)
    }

    /// A small filled bar (0…1) in a column, e.g. share of bytes.
    public func bar(_ column: Int, fraction: Double, color: Color) {
        guard cellRects.indices.contains(column) else { return }
        let cell = cellRects[column].insetBy(ui.theme.padding / 2, 6)
        ui.draw(.fillRect(Rect(x: cell.x, y: cell.y, width: cell.width * Float(min(1, max(0, fraction))), height: cell.height), color, cornerRadius: 2))
    }
}

extension UIContext {
    /// A virtualized table: only the rows in view are passed to `row`, so 100,000 rows cost what
    /// the visible ones cost. Click a header to sort (again to reverse), drag a header edge to
    /// resize, click a row to select; with the table focused, arrows / Page Up / Page Down /
    /// Home / End move the selection and Enter activates (`.submitted`, as does a double click).
    @discardableResult
    public func table(_ label: String, columns: [TableColumn], rowCount: Int, sort: inout TableSort?, selection: inout Int?,
                      rect explicitRect: Rect? = nil, row drawRow: (TableRow) -> Void) -> Interaction {
        let id = id(label)
        let rect = explicitRect ?? nextRect()
        var result: Interaction = []
        itemAdd(rect, id: id, label: label, kind: "table")
        var state = self.state(id, default: TableState(widths: columns.map(\.width)))
        if state.widths.count != columns.count { state.widths = columns.map(\.width) }

        let headerHeight = theme.rowHeight
        let rowHeight = theme.rowHeight - 2
        let body = Rect(x: rect.x, y: rect.y + headerHeight, width: rect.width, height: max(0, rect.height - headerHeight))
        let contentHeight = Float(rowCount) * rowHeight
        let hasScrollbar = contentHeight > body.height
        let usableWidth = rect.width - (hasScrollbar ? theme.scrollbarWidth + 2 : 0)

        // Column rectangles. A table wider than its columns widens every column by the same
        // factor (a 1920 px window shows more of each cell, not one huge last column) until the
        // user resizes one; then the last column takes up the slack. Columns wider than the
        // table keep their widths and scroll sideways (wheel sideways or Shift+wheel, or Left /
        // Right with the table focused).
        var xs: [Float] = []
        var widths = state.widths
        let declaredTotal = widths.reduce(0, +)
        if let last = widths.indices.last {
            if !state.resized, declaredTotal > 0, declaredTotal < usableWidth {
                let factor = usableWidth / declaredTotal
                widths = widths.map { ($0 * factor).rounded(.down) }
                widths[last] += usableWidth - widths.reduce(0, +)
            } else {
                let used = widths.dropLast().reduce(0, +)
                widths[last] = max(columns[last].minimumWidth, usableWidth - used, used + widths[last] > usableWidth ? widths[last] : 0)
            }
        }
        let contentWidth = widths.reduce(0, +)
        let maxScrollX = max(0, contentWidth - usableWidth)
        if mouseOver(rect) {
            let sideways = input.wheel.x != 0 ? input.wheel.x : input.modifiers.contains(.shift) ? input.wheel.y : 0
            state.scrollX -= sideways * Self.wheelStep
        }
        state.scrollX = min(max(0, state.scrollX), maxScrollX)
        var x = rect.x - state.scrollX
        for width in widths { xs.append(x); x += width }

        draw(.fillRect(rect, theme.panel, cornerRadius: 0))
        withID(label) {
            // Header: sort on click, resize by dragging the right edge.
            withClip(Rect(x: rect.x, y: rect.y, width: usableWidth, height: headerHeight)) {
                draw(.fillRect(Rect(x: rect.x, y: rect.y, width: rect.width, height: headerHeight), theme.tableHeader, cornerRadius: 0))
                for (index, column) in columns.enumerated() {
                    let cell = Rect(x: xs[index], y: rect.y, width: widths[index], height: headerHeight)
                    let headerID = self.id("header:" + column.title)
                    itemAdd(cell, id: headerID, label: "header:" + column.title, kind: "header")
                    let handle = Rect(x: cell.maxX - 4, y: cell.y, width: 8, height: cell.height)
                    let handleID = self.id("resize:" + column.title)
                    itemAdd(handle, id: handleID, label: "resize:" + column.title, kind: "resize")
                    let resize = index < columns.count - 1 ? buttonBehavior(handle, id: handleID) : []
                    if isActive(handleID) {
                        if input.mousePressed[0] {
                            // The widths shown become the user's, so the edge stays under the mouse.
                            if !state.resized {
                                state.widths = widths
                                state.resized = true
                            }
                            state.resizingColumn = index
                            state.resizeStartX = input.mousePosition.x
                            state.resizeStartWidth = state.widths[index]
                        } else if state.resizingColumn == index {
                            state.widths[index] = max(column.minimumWidth, state.resizeStartWidth + input.mousePosition.x - state.resizeStartX)
                        }
                    }
                    let header = isActive(handleID) || resize.contains(.hovered) ? [] : buttonBehavior(cell, id: headerID)
                    if header.contains(.pressed) && column.sortable {
                        if sort?.column == index { sort?.ascending.toggle() } else { sort = TableSort(column: index, ascending: true) }
                    }
                    if header.contains(.hovered) { draw(.fillRect(cell, theme.controlHovered, cornerRadius: 0)) }
                    var title = column.title
                    if let sort, sort.column == index { title += sort.ascending ? " ▲" : " ▼" }
                    drawText(title, in: cell.insetBy(theme.padding / 2, 0), color: theme.mutedText, role: .small, alignment: column.alignment)
                    if index < columns.count - 1 {
                        draw(.line(from: Point(cell.maxX, cell.y + 5), to: Point(cell.maxX, cell.maxY - 5),
                                   resize.contains(.hovered) || isActive(handleID) ? theme.accent : theme.gridLine, thickness: 1))
                    }
                }
            }

            // Scrolling: wheel, scrollbar, and keeping the selection in view.
            let tableID = self.id("rows")
            let bodyRect = Rect(x: body.x, y: body.y, width: usableWidth, height: body.height)
            let bodyHovered = mouseOver(bodyRect) && (activeID == 0 || activeID == tableID)
            keepFocus(tableID)
            if mouseOver(body), input.wheel.y != 0, !input.modifiers.contains(.shift) { state.scroll -= input.wheel.y * Self.wheelStep }
            if isFocused(tableID), maxScrollX > 0 {
                for key in input.keysPressed {
                    if key == .left { state.scrollX = max(0, state.scrollX - Self.wheelStep) }
                    if key == .right { state.scrollX = min(maxScrollX, state.scrollX + Self.wheelStep) }
                }
            }
            let visibleRows = max(1, Int(body.height / rowHeight))
            // Escape hands the keyboard back (to the screen's shortcuts).
            if isFocused(tableID), input.keysPressed.contains(.escape) { clearFocus() }
            if isFocused(tableID), rowCount > 0 {
                var moved: Int?
                let current = selection ?? -1
                for key in input.keysPressed {
                    switch key {
                    case .down: moved = min(rowCount - 1, (moved ?? current) + 1)
                    case .up: moved = max(0, (moved ?? max(current, 1)) - 1)
                    case .pageDown: moved = min(rowCount - 1, (moved ?? current) + visibleRows)
                    case .pageUp: moved = max(0, (moved ?? current) - visibleRows)
                    case .home: moved = 0
                    case .end: moved = rowCount - 1
                    case .enter: if selection != nil { result.insert(.submitted) }
                    default: break
                    }
                }
                if let moved {
                    if selection != moved { result.insert(.changed) }
                    selection = moved
                    let top = Float(moved) * rowHeight
                    if top < state.scroll { state.scroll = top }
                    if top + rowHeight > state.scroll + body.height { state.scroll = top + rowHeight - body.height }
                }
            }
            state.scrollDrag.offset = state.scroll
            state.scrollDrag.contentHeight = contentHeight
            state.scrollDrag = scrollbar(id: childID(of: tableID, "scroll"), track: Rect(x: rect.maxX - theme.scrollbarWidth, y: body.y, width: theme.scrollbarWidth, height: body.height),
                                         state: state.scrollDrag, viewHeight: body.height)
            state.scroll = min(max(0, state.scrollDrag.offset), max(0, contentHeight - body.height))

            // Rows: only the visible range is built.
            let first = max(0, Int(state.scroll / rowHeight))
            let last = min(rowCount, first + Int(body.height / rowHeight) + 2)
            withClip(Rect(x: body.x, y: body.y, width: usableWidth, height: body.height)) {
                guard first < last else {
                    if rowCount == 0 { drawText("No rows", in: body, color: theme.mutedText, alignment: .center) }
                    return
                }
                for index in first..<last {
                    let y = body.y + Float(index) * rowHeight - state.scroll
                    let rowRect = Rect(x: body.x, y: y, width: usableWidth, height: rowHeight)
                    let isSelected = selection == index
                    if isSelected {
                        draw(.fillRect(rowRect, theme.selection, cornerRadius: 0))
                    } else if index % 2 == 1 {
                        draw(.fillRect(rowRect, theme.tableRowAlternate, cornerRadius: 0))
                    }
                    if bodyHovered, rowRect.contains(input.mousePosition) {
                        if !isSelected { draw(.fillRect(rowRect, theme.controlHovered.withAlpha(110), cornerRadius: 0)) }
                        if input.mousePressed[0] {
                            if selection != index { result.insert(.changed) }
                            selection = index
                            if input.doubleClicked { result.insert(.submitted) }
                        }
                    }
                    let cells = (0..<columns.count).map { Rect(x: xs[$0], y: y, width: widths[$0], height: rowHeight) }
                    withID("\(index)") {
                        drawRow(TableRow(index: index, rect: rowRect, isSelected: isSelected, isInFocusedTable: isFocused(tableID), ui: self, cellRects: cells,
                                         alignments: columns.map(\.alignment)))
                    }
                }
            }
            // After the rows, so a per-row button pressed this frame keeps the mouse.
            _ = buttonBehavior(bodyRect, id: tableID, focusOnPress: true)
            if isFocused(tableID) {
                draw(.strokeRect(rect, theme.accent.withAlpha(160), thickness: 1))
            } else {
                draw(.strokeRect(rect, theme.panelBorder, thickness: 1))
            }
        }
        setState(id, state)
        return result
    }
}
