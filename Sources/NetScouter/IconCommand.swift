import ArgumentParser
import Export
import Screens
import UI
import UISDL

/// Renders the application icon (Assets/netscouter.png is made with this).
struct IconCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "icon", abstract: "Render NetScouter's icon as a PNG.")

    @Option(help: "Where to write the PNG.")
    var out: String

    @Option(parsing: .unconditional, help: "Size in pixels (16 to 2048).",
            transform: { try NumericOption.integer($0, option: "--size", range: 16...2048, unit: "pixels") })
    var size: Int32 = 256

    func run() throws {
        let png: [UInt8]
        do {
            let canvas = try OffscreenCanvas(width: size, height: size)
            defer { canvas.destroy() }
            var list = DrawList()
            AppIcon.draw(into: &list, size: Float(size))
            canvas.render(list, background: Color(0, 0, 0, 0))
            png = try canvas.pngData()
        } catch {
            throw fail(error)
        }
        // Through Exporter: atomic for a file, in place for a device or FIFO, write errors reported.
        do { try Exporter.write(bytes: png, to: out) } catch { throw fail(error) }
        print("Wrote \(out) (\(size)×\(size))")
    }
}
