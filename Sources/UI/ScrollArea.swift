struct ScrollState: PersistentWidgetState {
    var offset: Float = 0
    var contentHeight: Float = 0
    var dragStartOffset: Float = 0
    var dragStartY: Float = 0
}

extension UIContext {
    /// Lines scrolled per wheel notch, in logical pixels.
    static let wheelStep: Float = 48

    /// A vertically scrolling region: `body` lays out as if it had unlimited height; the area
    /// clips it, scrolls with the wheel and a draggable scrollbar, and remembers its position.
    public func scrollArea(_ label: String, rect explicitRect: Rect? = nil, _ body: () -> Void) {
        let id = id(label)
        let rect = explicitRect ?? nextRect()
        itemAdd(rect, id: id, label: label, kind: "scroll")
        var state = self.state(id, default: ScrollState())
        let viewHeight = rect.height
        let maxOffset = max(0, state.contentHeight - viewHeight)
        if mouseOver(rect), input.wheel.y != 0 { state.offset -= input.wheel.y * Self.wheelStep }
        state = scrollbar(id: id, track: Rect(x: rect.maxX - theme.scrollbarWidth, y: rect.y, width: theme.scrollbarWidth, height: rect.height),
                          state: state, viewHeight: viewHeight)
        state.offset = min(max(0, state.offset), maxOffset)
        let contentWidth = rect.width - (state.contentHeight > viewHeight ? theme.scrollbarWidth + 2 : 0)
        withID(label) {
            withClip(rect) {
                pushLayout(bounds: Rect(x: rect.x, y: rect.y - state.offset, width: contentWidth, height: 1_000_000))
                body()
                state.contentHeight = layout.contentBottom - (rect.y - state.offset)
                layoutStack.removeLast()
            }
        }
        setState(id, state)
    }

    /// Draws a scrollbar in `track` and applies dragging of its thumb.
    func scrollbar(id: WidgetID, track: Rect, state: ScrollState, viewHeight: Float) -> ScrollState {
        var state = state
        guard state.contentHeight > viewHeight else { return state }
        let thumbHeight = max(24, track.height * viewHeight / state.contentHeight)
        let maxOffset = state.contentHeight - viewHeight
        let thumbY = track.y + (track.height - thumbHeight) * min(1, state.offset / maxOffset)
        let thumb = Rect(x: track.x, y: thumbY, width: track.width, height: thumbHeight)
        let thumbID = childID(of: id, "scrollbar")
        let interaction = buttonBehavior(track, id: thumbID)
        if isActive(thumbID) {
            if input.mousePressed[0] {
                if !thumb.contains(input.mousePosition) {
                    // Clicking the track jumps there.
                    state.offset = (input.mousePosition.y - track.y - thumbHeight / 2) / (track.height - thumbHeight) * maxOffset
                }
                state.dragStartOffset = state.offset
                state.dragStartY = input.mousePosition.y
            } else {
                state.offset = state.dragStartOffset + (input.mousePosition.y - state.dragStartY) / max(1, track.height - thumbHeight) * maxOffset
            }
        }
        draw(.fillRect(track, theme.background.withAlpha(120), cornerRadius: track.width / 2))
        let color = isActive(thumbID) ? theme.controlActive.mixed(with: theme.text, 0.2) : interaction.contains(.hovered) ? theme.controlActive : theme.control.mixed(with: theme.text, 0.1)
        draw(.fillRect(thumb.insetBy(1, 0), color, cornerRadius: track.width / 2))
        return state
    }
}
