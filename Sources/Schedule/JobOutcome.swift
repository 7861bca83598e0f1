/// How a run ended. The raw values are what gets stored, so never change them.
public enum JobOutcome: String, CaseIterable, Sendable, Codable {
    case succeeded
    case failed
    /// Not run: the previous run was still in progress, or the scheduler stopped first.
    case skipped

    public var title: String {
        switch self {
        case .succeeded: return "Succeeded"
        case .failed: return "Failed"
        case .skipped: return "Skipped"
        }
    }
}
