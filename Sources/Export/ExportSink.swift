/// Where exported text goes, in pieces: writers hand over a row at a time, so a million-row export
/// never exists as one giant string.
public protocol ExportSink: AnyObject {
    func write(_ text: String) throws(ExportError)
}

/// Collects an export in memory (for the clipboard, previews and tests).
public final class MemorySink: ExportSink {
    public private(set) var text = ""

    public init() {}

    public func write(_ text: String) throws(ExportError) { self.text += text }
}
