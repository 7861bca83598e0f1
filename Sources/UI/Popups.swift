struct DropdownState { var isOpen = false }

/// A transient notification in the bottom-right corner.
struct Toast {
    enum Kind { case info, success, error }
    var message: String
    var kind: Kind
    var expires: Double
}

public enum ConfirmResult: Sendable { case none, confirmed, cancelled }

extension UIContext {
    /// A drop-down list; `selection` indexes `options`. The list opens on the overlay layer and
    /// closes on a choice, a click elsewhere or Escape.
    @discardableResult
    public func dropdown(_ label: String, options: [String], selection: inout Int) -> Interaction {
        let id = id(label)
        let rect = nextRect()
        guard itemAdd(rect, id: id, label: label, kind: "dropdown") else { return [] }
        var state = self.state(id, default: DropdownState())
        var result = buttonBehavior(rect, id: id)
        if result.contains(.pressed) { state.isOpen.toggle() }
        draw(.fillRect(rect, result.contains(.hovered) || state.isOpen ? theme.controlHovered : theme.control, cornerRadius: theme.cornerRadius))
        let current = options.indices.contains(selection) ? options[selection] : ""
        drawText(current, in: Rect(x: rect.x + theme.padding, y: rect.y, width: rect.width - 2 * theme.padding - 14, height: rect.height), color: theme.text)
        let arrow = appendPoints([Point(rect.maxX - 18, rect.center.y - 3), Point(rect.maxX - 13, rect.center.y + 2), Point(rect.maxX - 8, rect.center.y - 3)])
        draw(.polyline(start: arrow, count: 3, theme.mutedText, thickness: 1.5))

        if state.isOpen {
            let rowHeight = theme.rowHeight
            var list = Rect(x: rect.x, y: rect.maxY + 2, width: rect.width, height: rowHeight * Float(options.count))
            if list.maxY > viewport.maxY { list.y = max(viewport.y, rect.y - 2 - list.height) }
            var chosen: Int?
            onOverlay(blocking: list) {
                draw(.fillRect(list, theme.panel, cornerRadius: theme.cornerRadius))
                draw(.strokeRect(list, theme.panelBorder, thickness: 1))
                withID(label) {
                    for (index, option) in options.enumerated() {
                        let optionRect = Rect(x: list.x, y: list.y + Float(index) * rowHeight, width: list.width, height: rowHeight)
                        let optionID = self.id(option + "##\(index)")
                        itemAdd(optionRect, id: optionID, label: option, kind: "option")
                        let interaction = buttonBehavior(optionRect, id: optionID)
                        if interaction.contains(.pressed) { chosen = index }
                        if interaction.contains(.hovered) || index == selection {
                            draw(.fillRect(optionRect, index == selection ? theme.selection : theme.controlHovered, cornerRadius: 0))
                        }
                        drawText(option, in: optionRect.insetBy(theme.padding, 0), color: theme.text)
                    }
                }
            }
            if let chosen {
                if chosen != selection { result.insert(.changed) }
                selection = chosen
                state.isOpen = false
            } else if input.pressed(.escape) || (input.mousePressed[0] && !list.contains(input.mousePosition) && !rect.contains(input.mousePosition)) {
                state.isOpen = false
            }
        }
        setState(id, state)
        return result
    }

    /// A modal confirmation dialog, shown while `isPresented` is true. Everything behind it is
    /// shaded and ignores the mouse. Enter confirms, Escape cancels.
    public func confirmDialog(_ title: String, message: String, confirmLabel: String = "Confirm", destructive: Bool = false,
                              isPresented: inout Bool) -> ConfirmResult {
        guard isPresented else { return .none }
        var outcome = ConfirmResult.none
        onOverlay(blocking: viewport, modal: true) {
            draw(.fillRect(viewport, theme.overlayShade, cornerRadius: 0))
            let width = min(460, viewport.width - 40)
            let lines = wrap(message, width: width - 2 * theme.padding - 8)
            let lineHeight = measurer.lineHeight(.body)
            let height = 3 * theme.padding + measurer.lineHeight(.heading) + Float(lines.count) * lineHeight + theme.rowHeight + 2 * theme.spacing
            let box = Rect(x: viewport.center.x - width / 2, y: viewport.center.y - height / 2, width: width, height: height)
            withID(title) {
                draw(.fillRect(box, theme.panel, cornerRadius: theme.cornerRadius))
                draw(.strokeRect(box, theme.panelBorder, thickness: 1))
                pushLayout(bounds: box.insetBy(theme.padding + 4, theme.padding))
                defer { layoutStack.removeLast() }
                row([.fill], height: .fixed(measurer.lineHeight(.heading)))
                label(title, role: .heading)
                for line in lines {
                    row([.fill], height: .fixed(lineHeight))
                    label(line, color: theme.mutedText)
                }
                row([.fill, .fixed(110), .fixed(110)])
                _ = nextRect()
                if button("Cancel").contains(.pressed) || input.pressed(.escape) { outcome = .cancelled }
                if button(confirmLabel, style: destructive ? .danger : .primary).contains(.pressed) || input.pressed(.enter) { outcome = .confirmed }
            }
        }
        if outcome != .none { isPresented = false }
        return outcome
    }

    /// Queues a notification for a few seconds.
    public func toast(_ message: String, kind: ToastKind = .info, seconds: Double = 4) {
        let mapped: Toast.Kind = kind == .error ? .error : kind == .success ? .success : .info
        toasts.append(Toast(message: message, kind: mapped, expires: input.time + seconds))
    }

    /// Messages of the toasts currently showing (for tests and the status line).
    public var visibleToasts: [String] { toasts.map(\.message) }

    func drawToasts() {
        toasts.removeAll { $0.expires <= input.time }
        guard !toasts.isEmpty else { return }
        if let soonest = toasts.map(\.expires).min() { requestWake(at: soonest) }
        onOverlay(blocking: nil) {
            var y = viewport.maxY - theme.padding - 30
            for toast in toasts.reversed() {
                let width = min(viewport.width - 20, textSize(toast.message).width + 3 * theme.padding)
                let box = Rect(x: viewport.maxX - width - theme.padding, y: y - 8, width: width, height: 34)
                let color: Color = toast.kind == .error ? theme.danger : toast.kind == .success ? theme.success : theme.accent
                draw(.fillRect(box, theme.tableHeader, cornerRadius: theme.cornerRadius))
                draw(.fillRect(Rect(x: box.x, y: box.y, width: 4, height: box.height), color, cornerRadius: 0))
                drawText(toast.message, in: box.insetBy(theme.padding + 2, 0), color: theme.text)
                y -= 42
            }
        }
    }

    /// Greedy word wrap to `width`; a word wider than a whole line (an IPv6 address, a path) is
    /// broken between characters rather than cut off.
    public func wrap(_ text: String, width: Float, role: FontRole = .body) -> [String] {
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                let candidate = line.isEmpty ? String(word) : line + " " + word
                if textSize(candidate, role).width <= width {
                    line = candidate
                    continue
                }
                if !line.isEmpty { lines.append(line) }
                line = ""
                for character in word {
                    if !line.isEmpty && textSize(line + String(character), role).width > width {
                        lines.append(line)
                        line = ""
                    }
                    line.append(character)
                }
            }
            lines.append(line)
        }
        return lines
    }
}

public enum ToastKind: Sendable { case info, success, error }
