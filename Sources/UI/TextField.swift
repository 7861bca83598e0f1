/// Caret and selection of a text field, kept between frames while it exists. Positions count
/// Characters (grapheme clusters), so a caret never lands inside "é" or an emoji.
struct TextFieldState {
    var caret: Int
    /// The other end of the selection; equal to `caret` when nothing is selected.
    var anchor: Int
    var scroll: Float = 0

    var selection: Range<Int> { min(caret, anchor)..<max(caret, anchor) }
    var hasSelection: Bool { caret != anchor }
}

extension UIContext {
    /// A single-line text editor bound to `text`.
    ///
    /// Click to focus and place the caret, drag or Shift+arrows to select, Ctrl+A selects all,
    /// Ctrl+C/X/V copy, cut and paste, Enter submits, Escape leaves the field. In `masked` mode
    /// (API keys) the text shows as dots and cannot be copied or cut out.
    @discardableResult
    public func textField(_ label: String, text: inout String, placeholder: String = "", masked: Bool = false,
                          rect explicitRect: Rect? = nil) -> Interaction {
        let id = id(label)
        let rect = explicitRect ?? nextRect()
        guard itemAdd(rect, id: id, label: label, kind: "textfield") else { return [] }
        var result = buttonBehavior(rect, id: id, focusOnPress: true)
        let focused = isFocused(id)
        keepFocus(id)
        let inner = rect.insetBy(theme.padding, 0)
        var characters = Array(text)
        var state = focused ? self.state(id, default: TextFieldState(caret: characters.count, anchor: characters.count)) : TextFieldState(caret: characters.count, anchor: characters.count)
        state.caret = min(state.caret, characters.count)
        state.anchor = min(state.anchor, characters.count)
        let shown = { (characters: [Character]) -> [Character] in masked ? Array(repeating: "•", count: characters.count) : characters }

        func offset(of index: Int) -> Float { textSize(String(shown(characters).prefix(index))).width }
        func index(at x: Float) -> Int {
            let target = x - inner.x + state.scroll
            var best = 0
            var bestDistance = Float.greatestFiniteMagnitude
            for candidate in 0...characters.count {
                let distance = abs(offset(of: candidate) - target)
                if distance < bestDistance { bestDistance = distance; best = candidate }
            }
            return best
        }

        if focused {
            // Mouse: place the caret on press, extend the selection while dragging.
            if isActive(id) {
                let position = index(at: input.mousePosition.x)
                if input.mousePressed[0] {
                    state.caret = position
                    if !input.modifiers.contains(.shift) { state.anchor = position }
                    if input.doubleClicked { state.anchor = 0; state.caret = characters.count }
                } else if input.mouseDown[0] {
                    state.caret = position
                }
            }
            var edited = false
            func replaceSelection(with inserted: [Character]) {
                let range = state.selection
                characters.replaceSubrange(range, with: inserted)
                state.caret = range.lowerBound + inserted.count
                state.anchor = state.caret
                edited = true
            }
            let shift = input.modifiers.contains(.shift)
            for key in input.keysPressed {
                switch key {
                case .left:
                    if state.hasSelection && !shift { state.caret = state.selection.lowerBound } else { state.caret = max(0, state.caret - 1) }
                    if !shift { state.anchor = state.caret }
                case .right:
                    if state.hasSelection && !shift { state.caret = state.selection.upperBound } else { state.caret = min(characters.count, state.caret + 1) }
                    if !shift { state.anchor = state.caret }
                case .home:
                    state.caret = 0
                    if !shift { state.anchor = 0 }
                case .end:
                    state.caret = characters.count
                    if !shift { state.anchor = state.caret }
                case .backspace:
                    if state.hasSelection { replaceSelection(with: []) } else if state.caret > 0 {
                        state.anchor = state.caret - 1
                        replaceSelection(with: [])
                    }
                case .delete:
                    if state.hasSelection { replaceSelection(with: []) } else if state.caret < characters.count {
                        state.anchor = state.caret + 1
                        replaceSelection(with: [])
                    }
                case .character("a") where input.modifiers.contains(.control):
                    state.anchor = 0
                    state.caret = characters.count
                case .character("c") where input.modifiers.contains(.control):
                    if state.hasSelection && !masked { clipboardWrite = String(characters[state.selection]) }
                case .character("x") where input.modifiers.contains(.control):
                    if state.hasSelection && !masked {
                        clipboardWrite = String(characters[state.selection])
                        replaceSelection(with: [])
                    }
                case .character("v") where input.modifiers.contains(.control):
                    if let pasted = input.clipboard {
                        // One line only: newlines from the clipboard become spaces.
                        replaceSelection(with: Array(pasted.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
                    }
                case .enter:
                    result.insert(.submitted)
                case .escape:
                    clearFocus()
                default:
                    break
                }
            }
            if !input.text.isEmpty && !input.modifiers.contains(.control) {
                replaceSelection(with: Array(input.text.filter { $0 != "\n" && $0 != "\r" }))
            }
            if edited {
                text = String(characters)
                result.insert(.changed)
            }
            // Keep the caret in view.
            let caretX = offset(of: state.caret)
            if caretX - state.scroll > inner.width { state.scroll = caretX - inner.width }
            if caretX - state.scroll < 0 { state.scroll = caretX }
            if isFocused(id) { setState(id, state) }
        }

        // Draw.
        let stillFocused = isFocused(id)
        draw(.fillRect(rect, theme.fieldBackground, cornerRadius: theme.cornerRadius))
        draw(.strokeRect(rect, stillFocused ? theme.accent : (result.contains(.hovered) ? theme.controlActive : theme.panelBorder), thickness: 1))
        withClip(inner) {
            if characters.isEmpty && !placeholder.isEmpty && !stillFocused {
                drawText(placeholder, in: inner, color: theme.mutedText)
            }
            if stillFocused && state.hasSelection {
                let start = offset(of: state.selection.lowerBound) - state.scroll
                let end = offset(of: state.selection.upperBound) - state.scroll
                draw(.fillRect(Rect(x: inner.x + start, y: inner.y + 4, width: end - start, height: inner.height - 8), theme.selection, cornerRadius: 0))
            }
            let display = String(shown(characters))
            if !display.isEmpty {
                let height = textSize(display).height
                draw(.text(display, at: Point((inner.x - state.scroll).rounded(), (inner.y + (inner.height - height) / 2).rounded()), theme.text, .body))
            }
            // The caret blinks: on for half a second, off for half a second.
            if stillFocused && input.time.truncatingRemainder(dividingBy: 1) < 0.5 {
                let x = inner.x + offset(of: state.caret) - state.scroll
                draw(.line(from: Point(x, inner.y + 5), to: Point(x, inner.maxY - 5), theme.text, thickness: 1))
            }
        }
        return result
    }
}
