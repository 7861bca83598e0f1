import Foundation

/// Why a cron expression could not be read, naming the field and the value and showing the
/// expected form, e.g.
/// `Bad cron expression "61 * * * *": minute must be 0–59 (got 61). Format: minute hour
/// day-of-month month day-of-week, e.g. "*/15 * * * *".`
public struct CronError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The expression as the user wrote it.
    public let expression: String
    /// The field at fault, or nil when the expression as a whole is wrong (field count, macro).
    public let field: CronField?
    /// What is wrong and what to write instead, without the surrounding boilerplate.
    public let problem: String

    public init(expression: String, field: CronField?, problem: String) {
        self.expression = expression
        self.field = field
        self.problem = problem
    }

    public static let formatHint =
        "Format: minute hour day-of-month month day-of-week, e.g. \"*/15 * * * *\"."

    public var description: String {
        "Bad cron expression \"\(expression)\": \(problem). \(Self.formatHint)"
    }

    public var errorDescription: String? { description }
}
