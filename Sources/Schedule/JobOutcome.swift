/// How a run ended. The raw values are what gets stored, so never change them.
public enum JobOutcome: String, CaseIterable, Sendable, Codable {
    case succeeded
    case failed
    /// Not run: the previous run was still in progress (in this process or another), or the
    /// scheduler stopped first.
    case skipped
    /// Ended early on request (SIGTERM, Ctrl+C, the window closing): the summary says what the
    /// run did up to then, and what it produced (a capture window's snapshot) was kept.
    case stopped
    /// The process running it died (killed, crashed, power cut); recorded by the next NetScouter
    /// that opened the database.
    case interrupted

    public var title: String {
        switch self {
        case .succeeded: return "Succeeded"
        case .failed: return "Failed"
        case .skipped: return "Skipped"
        case .stopped: return "Stopped"
        case .interrupted: return "Interrupted"
        }
    }
}
