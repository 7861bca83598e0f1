import Foundation

/// Why an interval, a stored trigger or a time zone could not be read; the message says what to
/// write instead. Bad cron expressions carry the `CronError` message unchanged.
public struct TriggerError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}
