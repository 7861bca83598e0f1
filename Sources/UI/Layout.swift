/// How wide (or tall) a layout cell is.
public enum SizeSpec: Equatable, Sendable {
    /// Exactly this many logical pixels.
    case fixed(Float)
    /// A share of the space left after fixed cells and spacing, by weight.
    case flex(Float)
    /// Shorthand for `.flex(1)`.
    public static let fill = SizeSpec.flex(1)
}

/// Row-based layout in the manner of microui: a row declares its cell widths and height, and each
/// widget takes the next cell; when the cells run out a new row starts with the same widths.
struct Layout {
    var bounds: Rect
    var cursorY: Float
    var rowWidths: [Float] = []
    var rowHeight: Float = 0
    var cellIndex = 0
    var rowX: Float = 0
    var rowTop: Float = 0
    /// The lowest point anything reached, for scroll areas measuring their content.
    var contentBottom: Float

    init(bounds: Rect) {
        self.bounds = bounds
        cursorY = bounds.y
        contentBottom = bounds.y
    }
}

extension UIContext {
    func pushLayout(bounds: Rect) { layoutStack.append(Layout(bounds: bounds)) }

    var layout: Layout {
        get { layoutStack[layoutStack.count - 1] }
        set { layoutStack[layoutStack.count - 1] = newValue }
    }

    /// The rectangle the current layout has left, from the cursor down.
    public var remainingRect: Rect {
        let current = layout
        return Rect(x: current.bounds.x, y: current.cursorY, width: current.bounds.width,
                    height: max(0, current.bounds.maxY - current.cursorY))
    }

    /// Starts a row of cells. Flexible heights take what is left of the layout's height.
    public func row(_ widths: [SizeSpec], height: SizeSpec = .fixed(0)) {
        var current = layout
        if current.cellIndex > 0 { current.cursorY = current.rowTop + current.rowHeight + theme.spacing }
        let available = current.bounds.width - theme.spacing * Float(max(0, widths.count - 1))
        let fixedTotal = widths.reduce(Float(0)) { if case let .fixed(value) = $1 { return $0 + value }; return $0 }
        let weightTotal = widths.reduce(Float(0)) { if case let .flex(weight) = $1 { return $0 + weight }; return $0 }
        let flexible = max(0, available - fixedTotal)
        current.rowWidths = widths.map { spec in
            switch spec {
            case let .fixed(value): value
            case let .flex(weight): weightTotal > 0 ? (flexible * weight / weightTotal).rounded(.down) : 0
            }
        }
        switch height {
        case let .fixed(value): current.rowHeight = value > 0 ? value : theme.rowHeight
        case .flex: current.rowHeight = max(0, current.bounds.maxY - current.cursorY)
        }
        current.cellIndex = 0
        current.rowX = current.bounds.x
        current.rowTop = current.cursorY
        layout = current
    }

    /// Shorthand: one full-width cell of the given height.
    public func row(height: SizeSpec = .fixed(0)) { row([.fill], height: height) }

    /// The next cell of the current row (starting a new row when this one is used up).
    public func nextRect() -> Rect {
        var current = layout
        if current.rowWidths.isEmpty {
            layout = current
            row([.fill])
            current = layout
        } else if current.cellIndex >= current.rowWidths.count {
            let widths = current.rowWidths
            current.cursorY = current.rowTop + current.rowHeight + theme.spacing
            current.rowTop = current.cursorY
            current.rowX = current.bounds.x
            current.cellIndex = 0
            current.rowWidths = widths
        }
        let width = current.rowWidths[current.cellIndex]
        let rect = Rect(x: current.rowX, y: current.rowTop, width: width, height: current.rowHeight)
        current.rowX += width + theme.spacing
        current.cellIndex += 1
        current.cursorY = current.rowTop + current.rowHeight + theme.spacing
        current.contentBottom = max(current.contentBottom, rect.maxY)
        layout = current
        return rect
    }

    /// Leaves vertical space.
    public func space(_ height: Float) {
        var current = layout
        // `cursorY` already sits below the last used row (nextRect moves it), so just add.
        current.cursorY += height
        current.rowWidths = []
        current.cellIndex = 0
        layout = current
    }

    /// Runs `body` in a nested layout filling `rect` (or the next cell), with optional padding.
    public func group<Result>(_ rect: Rect? = nil, padding: Float = 0, _ body: () throws -> Result) rethrows -> Result {
        let area = rect ?? nextRect()
        pushLayout(bounds: area.insetBy(padding, padding))
        defer { layoutStack.removeLast() }
        return try body()
    }

    /// A bordered panel with an optional title, filling the next cell; the body lays out inside.
    public func panel<Result>(_ title: String? = nil, rect: Rect? = nil, _ body: () throws -> Result) rethrows -> Result {
        let area = rect ?? nextRect()
        draw(.fillRect(area, theme.panel, cornerRadius: theme.cornerRadius))
        draw(.strokeRect(area, theme.panelBorder, thickness: 1))
        var inner = area.insetBy(theme.padding, theme.padding)
        if let title {
            let titleHeight = measurer.lineHeight(.heading)
            drawText(title, in: Rect(x: inner.x, y: inner.y, width: inner.width, height: titleHeight), color: theme.text, role: .heading)
            inner.y += titleHeight + theme.spacing
            inner.height = max(0, inner.height - titleHeight - theme.spacing)
        }
        // A titled panel scopes the IDs inside it; an untitled one is only decoration.
        if let title { idStack.append(id(title)); if recordsItems { nameStack.append(title) } }
        defer { if title != nil { idStack.removeLast(); if recordsItems { nameStack.removeLast() } } }
        return try withClip(area) {
            pushLayout(bounds: inner)
            defer { layoutStack.removeLast() }
            return try body()
        }
    }

    /// Splits `rect` into columns (like `row`, but returns the rectangles for composition).
    public func columns(_ rect: Rect, _ widths: [SizeSpec]) -> [Rect] {
        split(rect, widths, vertical: false)
    }

    /// Splits `rect` into stacked rows.
    public func rows(_ rect: Rect, _ heights: [SizeSpec]) -> [Rect] {
        split(rect, heights, vertical: true)
    }

    private func split(_ rect: Rect, _ specs: [SizeSpec], vertical: Bool) -> [Rect] {
        let total = (vertical ? rect.height : rect.width) - theme.spacing * Float(max(0, specs.count - 1))
        let fixed = specs.reduce(Float(0)) { if case let .fixed(value) = $1 { return $0 + value }; return $0 }
        let weights = specs.reduce(Float(0)) { if case let .flex(weight) = $1 { return $0 + weight }; return $0 }
        var position = vertical ? rect.y : rect.x
        return specs.map { spec in
            let length: Float
            switch spec {
            case let .fixed(value): length = value
            case let .flex(weight): length = weights > 0 ? (max(0, total - fixed) * weight / weights).rounded(.down) : 0
            }
            defer { position += length + theme.spacing }
            return vertical ? Rect(x: rect.x, y: position, width: rect.width, height: length)
                : Rect(x: position, y: rect.y, width: length, height: rect.height)
        }
    }
}
