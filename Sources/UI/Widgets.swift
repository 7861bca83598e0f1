// Every widget has the same shape: id → rect from the layout → itemAdd (record, cull) →
// behaviour (a pure function of rect, id and the input snapshot) → draw → Interaction.

public enum ButtonStyle: Sendable { case normal, primary, danger, subtle }

extension UIContext {
    /// Plain text in the next cell.
    public func label(_ text: String, color: Color? = nil, role: FontRole = .body, alignment: TextAlignment = .left) {
        let rect = nextRect()
        guard itemAdd(rect, id: 0, label: text, kind: "label") else { return }
        drawText(text, in: rect, color: color ?? theme.text, role: role, alignment: alignment)
    }

    @discardableResult
    public func button(_ label: String, style: ButtonStyle = .normal, enabled: Bool = true, rect explicitRect: Rect? = nil) -> Interaction {
        let id = id(label)
        let rect = explicitRect ?? nextRect()
        guard itemAdd(rect, id: id, label: label, kind: "button") else { return [] }
        var result: Interaction = enabled ? buttonBehavior(rect, id: id) : []
        if enabled, isFocused(id), input.pressed(.enter) || input.pressed(.space) { result.insert(.pressed) }
        let base: Color
        switch style {
        case .normal: base = theme.control
        case .primary: base = theme.accent
        case .danger: base = theme.danger
        case .subtle: base = theme.panel
        }
        var fill = base
        if !enabled { fill = base.mixed(with: theme.panel, 0.5) }
        else if isActive(id) { fill = base.mixed(with: theme.text, 0.25) }
        else if result.contains(.hovered) { fill = base.mixed(with: theme.text, 0.12) }
        draw(.fillRect(rect, fill, cornerRadius: theme.cornerRadius))
        let textColor = !enabled ? theme.mutedText : (style == .normal || style == .subtle ? theme.text : theme.accentText)
        drawText(visibleLabel(label), in: rect.insetBy(theme.padding, 0), color: textColor, alignment: .center)
        return result
    }

    /// A checkbox with its label; toggles `isOn` when clicked.
    @discardableResult
    public func checkbox(_ label: String, isOn: inout Bool) -> Interaction {
        let rect = nextRect()
        guard let result = toggleBehavior(label, kind: "checkbox", rect: rect, isOn: &isOn) else { return [] }
        let side = min(rect.height - 6, 18)
        let box = Rect(x: rect.x, y: rect.y + (rect.height - side) / 2, width: side, height: side)
        draw(.fillRect(box, isOn ? theme.accent : (result.contains(.hovered) ? theme.controlHovered : theme.control), cornerRadius: 3))
        if isOn {
            let start = appendPoints([Point(box.x + side * 0.22, box.y + side * 0.52), Point(box.x + side * 0.42, box.y + side * 0.72),
                                      Point(box.x + side * 0.78, box.y + side * 0.28)])
            draw(.polyline(start: start, count: 3, theme.accentText, thickness: 2))
        }
        drawText(visibleLabel(label), in: Rect(x: box.maxX + theme.spacing, y: rect.y, width: rect.width - side - theme.spacing, height: rect.height), color: theme.text)
        return result
    }

    /// A sliding on/off switch with its label.
    @discardableResult
    public func toggle(_ label: String, isOn: inout Bool) -> Interaction {
        let rect = nextRect()
        guard let result = toggleBehavior(label, kind: "toggle", rect: rect, isOn: &isOn) else { return [] }
        let height = min(rect.height - 6, 18)
        let track = Rect(x: rect.x, y: rect.y + (rect.height - height) / 2, width: height * 1.8, height: height)
        draw(.fillRect(track, isOn ? theme.accent : theme.control, cornerRadius: height / 2))
        let knobX = isOn ? track.maxX - height / 2 : track.x + height / 2
        draw(.circle(center: Point(knobX, track.center.y), radius: height / 2 - 2, theme.accentText, filled: true))
        drawText(visibleLabel(label), in: Rect(x: track.maxX + theme.spacing, y: rect.y, width: rect.width - track.width - theme.spacing, height: rect.height), color: theme.text)
        return result
    }

    /// The shared behaviour of on/off widgets: flips `isOn` when clicked. Nil when clipped away.
    private func toggleBehavior(_ label: String, kind: String, rect: Rect, isOn: inout Bool) -> Interaction? {
        let id = id(label)
        guard itemAdd(rect, id: id, label: label, kind: kind) else { return nil }
        var result = buttonBehavior(rect, id: id)
        if result.contains(.pressed) {
            isOn.toggle()
            result.insert(.changed)
        }
        return result
    }

    /// One choice of a radio group: selects `value` into `selection` when clicked.
    @discardableResult
    public func radio<Value: Equatable>(_ label: String, value: Value, selection: inout Value) -> Interaction {
        let id = id(label)
        let rect = nextRect()
        guard itemAdd(rect, id: id, label: label, kind: "radio") else { return [] }
        var result = buttonBehavior(rect, id: id)
        if result.contains(.pressed) && selection != value {
            selection = value
            result.insert(.changed)
        }
        let radius = min(rect.height - 6, 18) / 2
        let center = Point(rect.x + radius, rect.center.y)
        draw(.circle(center: center, radius: radius, result.contains(.hovered) ? theme.controlHovered : theme.control, filled: true))
        if selection == value { draw(.circle(center: center, radius: radius * 0.5, theme.accent, filled: true)) }
        drawText(visibleLabel(label), in: Rect(x: rect.x + 2 * radius + theme.spacing, y: rect.y, width: rect.width - 2 * radius - theme.spacing, height: rect.height), color: theme.text)
        return result
    }

    /// A bar filled to `fraction` (0…1) with an optional caption; nil fraction draws an
    /// indeterminate sweep for work whose size is unknown.
    public func progressBar(_ fraction: Double?, caption: String? = nil) {
        let rect = nextRect()
        guard itemAdd(rect, id: 0, label: caption ?? "progress", kind: "progress") else { return }
        draw(.fillRect(rect, theme.control, cornerRadius: theme.cornerRadius))
        if let fraction {
            let clamped = Float(min(1, max(0, fraction)))
            draw(.fillRect(Rect(x: rect.x, y: rect.y, width: rect.width * clamped, height: rect.height), theme.accent, cornerRadius: theme.cornerRadius))
        } else {
            let phase = Float(input.time.truncatingRemainder(dividingBy: 1.5) / 1.5)
            let width = rect.width * 0.25
            draw(.fillRect(Rect(x: rect.x + (rect.width - width) * phase, y: rect.y, width: width, height: rect.height), theme.accent, cornerRadius: theme.cornerRadius))
            wantsAnotherFrame = true
        }
        let text = caption ?? fraction.map { "\(Int(($0 * 100).rounded())) %" } ?? ""
        drawText(text, in: rect, color: theme.text, role: .small, alignment: .center)
    }

    /// Shows `text` near the mouse when `interaction` is hovered.
    public func tooltip(_ text: String, for interaction: Interaction) {
        guard interaction.contains(.hovered) else { return }
        showTooltip(text)
    }

    /// A tooltip at the mouse, drawn above everything.
    public func showTooltip(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lineHeight = measurer.lineHeight(.small)
        let width = lines.map { textSize($0, .small).width }.max() ?? 0
        var box = Rect(x: input.mousePosition.x + 14, y: input.mousePosition.y + 18,
                       width: width + 2 * theme.padding, height: Float(lines.count) * lineHeight + theme.padding)
        if box.maxX > viewport.maxX { box.x = max(viewport.x, input.mousePosition.x - box.width - 8) }
        if box.maxY > viewport.maxY { box.y = max(viewport.y, input.mousePosition.y - box.height - 8) }
        onOverlay(blocking: nil) {
            draw(.fillRect(box, theme.tableHeader, cornerRadius: theme.cornerRadius))
            draw(.strokeRect(box, theme.panelBorder, thickness: 1))
            for (index, line) in lines.enumerated() {
                drawText(line, in: Rect(x: box.x + theme.padding, y: box.y + theme.padding / 2 + Float(index) * lineHeight, width: width, height: lineHeight),
                         color: theme.text, role: .small)
            }
        }
    }

    /// A tab bar; `selection` is the index of the chosen tab.
    @discardableResult
    public func tabs(_ id: String, _ labels: [String], selection: inout Int) -> Interaction {
        let rect = nextRect()
        var result: Interaction = []
        withID(id) {
            var x = rect.x
            for (index, label) in labels.enumerated() {
                let tabID = self.id(label)
                let width = textSize(visibleLabel(label)).width + 3 * theme.padding
                let tab = Rect(x: x, y: rect.y, width: width, height: rect.height)
                x += width + 2
                guard itemAdd(tab, id: tabID, label: label, kind: "tab") else { continue }
                let interaction = buttonBehavior(tab, id: tabID)
                if interaction.contains(.pressed) && selection != index {
                    selection = index
                    result.insert(.changed)
                }
                let selected = selection == index
                draw(.fillRect(tab, selected ? theme.panel : (interaction.contains(.hovered) ? theme.controlHovered : theme.background), cornerRadius: 0))
                if selected { draw(.fillRect(Rect(x: tab.x, y: tab.maxY - 3, width: tab.width, height: 3), theme.accent, cornerRadius: 0)) }
                drawText(visibleLabel(label), in: tab, color: selected ? theme.text : theme.mutedText, alignment: .center)
            }
        }
        draw(.line(from: Point(rect.x, rect.maxY), to: Point(rect.maxX, rect.maxY), theme.panelBorder, thickness: 1))
        return result
    }

    /// A bar along the bottom of `rect` with left and right texts.
    public func statusBar(_ rect: Rect, left: String, right: String, leftColor: Color? = nil) {
        itemAdd(rect, id: 0, label: "status", kind: "statusbar")
        draw(.fillRect(rect, theme.tableHeader, cornerRadius: 0))
        draw(.line(from: Point(rect.x, rect.y), to: Point(rect.maxX, rect.y), theme.panelBorder, thickness: 1))
        let inner = rect.insetBy(theme.padding, 0)
        let rightWidth = min(inner.width / 2, textSize(right, .small).width)
        drawText(left, in: Rect(x: inner.x, y: inner.y, width: inner.width - rightWidth - theme.padding, height: inner.height),
                 color: leftColor ?? theme.mutedText, role: .small)
        drawText(right, in: Rect(x: inner.maxX - rightWidth, y: inner.y, width: rightWidth, height: inner.height), color: theme.mutedText, role: .small, alignment: .right)
    }
}
