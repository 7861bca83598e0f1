import UI

/// The one confirm-block dialog (the view of `BlockDialogModel`), the same for every place that
/// asks to block: a modal showing the address, its verdict, a duration choice and the backend;
/// Block (or Enter) applies it on a worker, Cancel (or Escape) closes it. A refusal or failure
/// stays in the dialog with its reason.
///
/// IDs: "Block address/Duration", "Block address/Cancel", "Block address/Block"; the shown
/// values are items "Block address/Address value", "…/Verdict value", "…/Duration value",
/// "…/Backend value" with kind "value", the refusal or failure "…/Problem" and a dry run's
/// commands "…/Commands"; the dry-run checkbox "…/Dry run: show the commands, change nothing".
public final class BlockDialog {
    public static let title = "Block address"
    public let model: BlockDialogModel

    public init(model: BlockDialogModel) {
        self.model = model
    }

    /// Draws the dialog when it is open; call after the screen so it is on top.
    public func build(_ ui: UIContext) {
        guard model.isOpen, let request = model.request else { return }
        // The rows behind keep no keyboard: Enter and Escape are the dialog's.
        ui.clearFocus()
        let theme = ui.theme
        let viewport = ui.viewport
        let width = min(560, viewport.width - 40)
        let problem = model.problem
        let problemLines = problem.map { ui.wrap($0, width: width - 4 * theme.padding, role: .small) } ?? []
        let commandLines = model.dryRunLines.flatMap { ui.wrap($0, width: width - 4 * theme.padding, role: .small) }
        let lineHeight = theme.rowHeight
        let height = 2 * theme.padding + 30 + theme.spacing + 6 * (lineHeight + theme.spacing)
            + Float(max(1, problemLines.count + commandLines.count)) * 18 + theme.spacing + lineHeight + theme.padding
        let box = Rect(x: viewport.center.x - width / 2, y: viewport.center.y - height / 2, width: width, height: height)
        var confirmed = false, cancelled = false
        ui.onOverlay(blocking: viewport, modal: true) {
            ui.draw(.fillRect(viewport, theme.overlayShade, cornerRadius: 0))
            ui.panel(Self.title, rect: box) {
                field(ui, "Address", request.address, color: theme.text)
                field(ui, "Verdict", model.verdictText, color: model.isFlagged ? theme.danger : theme.text)
                ui.row([.fixed(110), .fixed(160), .flex(1)])
                ui.label("Duration", color: theme.mutedText)
                var duration = model.durationIndex
                ui.dropdown("Duration", options: BlockDialogModel.durationChoices, selection: &duration)
                model.durationIndex = duration
                let durationRect = ui.nextRect()
                ui.itemAdd(durationRect, id: 0, label: "Duration value", kind: "value", value: model.durationText)
                field(ui, "Backend", model.backendText, color: model.backendName == nil ? theme.mutedText : theme.text)
                field(ui, "Asked from", request.place, color: theme.mutedText)
                ui.row([.fixed(110), .flex(1)])
                _ = ui.nextRect()
                ui.checkbox("Dry run: show the commands, change nothing", isOn: &model.dryRun)
                if !commandLines.isEmpty {
                    let rect = Rect(x: box.x + theme.padding, y: ui.remainingRect.y, width: width - 2 * theme.padding, height: Float(commandLines.count) * 18)
                    ui.itemAdd(rect, id: 0, label: "Commands", kind: "value", value: model.dryRunLines.joined(separator: "\n"))
                    for line in commandLines {
                        ui.row([.fill], height: .fixed(18))
                        ui.label(line, color: theme.mutedText, role: .small)
                    }
                }
                if problemLines.isEmpty && commandLines.isEmpty {
                    ui.row([.fill], height: .fixed(18))
                    let text = model.phase == .blocking ? "Blocking…" : "Enter blocks, Escape cancels. The ban is recorded in the audit log."
                    ui.label(text, color: theme.mutedText, role: .small)
                } else if !problemLines.isEmpty {
                    let rect = Rect(x: box.x + theme.padding, y: ui.remainingRect.y, width: width - 2 * theme.padding, height: Float(problemLines.count) * 18)
                    ui.itemAdd(rect, id: 0, label: "Problem", kind: "value", value: problem)
                    for line in problemLines {
                        ui.row([.fill], height: .fixed(18))
                        ui.label(line, color: theme.danger, role: .small)
                    }
                }
                ui.space(theme.spacing)
                ui.row([.flex(1), .fixed(110), .fixed(110)])
                _ = ui.nextRect()
                let busy = model.isBlocking
                if ui.button("Cancel", enabled: !busy).contains(.pressed) || ui.input.pressed(.escape) { cancelled = true }
                if ui.button("Block", style: .danger, enabled: !busy).contains(.pressed) || ui.input.pressed(.enter) { confirmed = true }
            }
        }
        if cancelled { model.cancel() } else if confirmed { model.confirm() }
    }

    /// A name and its value on one line; the value is recorded as an item of kind "value".
    private func field(_ ui: UIContext, _ name: String, _ value: String, color: Color) {
        ui.row([.fixed(110), .flex(1)])
        ui.label(name, color: ui.theme.mutedText)
        let rect = ui.nextRect()
        ui.itemAdd(rect, id: 0, label: name + " value", kind: "value", value: value)
        ui.drawText(value, in: rect, color: color)
    }
}
