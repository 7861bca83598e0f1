import Foundation
import GRDB

/// Everything that can go wrong in the store, each with a message that says what to do.
///
/// Only failures of the environment (lock held, damaged file, full disk, permissions) become a
/// `StoreError`; errors thrown by the caller's own closure and constraint violations pass through
/// unchanged so callers can still catch them precisely.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Neither `HOME` nor the password database names a home directory.
    case noHomeDirectory
    /// The data directory (or one of its parents) could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// Another process holds the write lock for longer than the busy timeout.
    case locked(path: String)
    /// The file is not an SQLite database, or SQLite found it corrupt.
    case damaged(path: String, detail: String)
    /// A valid SQLite database that another program created.
    case notNetScouterDatabase(path: String)
    /// The database was migrated by a newer NetScouter that knows migrations we do not.
    case newerSchema(path: String, unknownMigrations: [String])
    /// SQLite could not open the file (missing directory, permissions).
    case cannotOpen(path: String, detail: String)
    /// The file or its directory is read-only.
    case readOnly(path: String)
    /// The disk (or quota) is full.
    case diskFull(path: String)
    /// The operating system reported an I/O error.
    case ioError(path: String, detail: String)
    /// Any other SQLite failure.
    case sqlite(path: String, detail: String)
    /// A row that the caller expected no longer exists.
    case notFound(what: String, id: Int64)
    /// A JSON column could not be encoded or decoded as the requested type.
    case invalidJSON(what: String, detail: String)
    /// `StoreWriter.stop()` was called; no more writes are accepted.
    case writerStopped

    public var description: String {
        switch self {
        case .noHomeDirectory:
            return "NetScouter cannot find your home directory (HOME is not set and the user has no home in the password database). Set HOME, or pass --data-dir with a writable directory."
        case let .cannotCreateDirectory(path, reason):
            return "NetScouter cannot create the directory \(path): \(reason). Fix its permissions, or pass --data-dir with a writable directory."
        case let .locked(path):
            return "The database at \(path) is locked by another NetScouter (or another program writing to it). Quit the other instance and start again, or pass --data-dir with a different directory."
        case let .damaged(path, detail):
            return "The file at \(path) is not a NetScouter database or is damaged (\(detail)): move it aside and restart; NetScouter will create a new, empty one."
        case let .notNetScouterDatabase(path):
            return "The file at \(path) is an SQLite database that NetScouter did not create: move it aside and restart, or pass --data-dir with a different directory."
        case let .newerSchema(path, unknown):
            return "The database at \(path) was written by a newer NetScouter (it has schema changes this version does not know: \(unknown.joined(separator: ", "))). Update NetScouter, or pass --data-dir with a different directory."
        case let .cannotOpen(path, detail):
            return "NetScouter cannot open the database at \(path) (\(detail)). Check that the directory exists and that you can read and write it, or pass --data-dir with a writable directory."
        case let .readOnly(path):
            return "The database at \(path) is read-only. Make the file and its directory writable (`chmod u+w`), or pass --data-dir with a writable directory."
        case let .diskFull(path):
            return "The disk holding \(path) is full. Free some space and try again; nothing was lost, the last write was rolled back."
        case let .ioError(path, detail):
            return "The operating system reported an I/O error on \(path) (\(detail)). Check the disk (dmesg, smartctl); if the file is damaged, move it aside and restart."
        case let .sqlite(path, detail):
            return "The database at \(path) reported an error: \(detail)."
        case let .notFound(what, id):
            return "\(what) \(id) no longer exists (it may have been deleted elsewhere). Reload the list and try again."
        case let .invalidJSON(what, detail):
            return "The stored \(what) is not valid JSON for this version of NetScouter (\(detail)). Save it again to replace it."
        case .writerStopped:
            return "NetScouter is shutting down and no longer saves changes; this change was not saved."
        }
    }

    public var errorDescription: String? { description }

    /// Wraps any error raised while opening or migrating: every SQLite failure becomes a
    /// `StoreError`, because at that point no caller code is involved.
    static func opening(_ error: any Error, path: String) -> any Error {
        if error is StoreError { return error }
        if let error = error as? DatabaseError {
            return environmental(error, path: path) ?? StoreError.sqlite(path: path, detail: sqliteDetail(error))
        }
        return error
    }

    /// Wraps errors of `read`/`write`: only environmental SQLite failures are translated.
    static func passthrough(_ error: any Error, path: String) -> any Error {
        if let databaseError = error as? DatabaseError, let wrapped = environmental(databaseError, path: path) {
            return wrapped
        }
        return error
    }

    private static func environmental(_ error: DatabaseError, path: String) -> StoreError? {
        let detail = sqliteDetail(error)
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .locked(path: path)
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return .damaged(path: path, detail: detail)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: return .cannotOpen(path: path, detail: detail)
        case .SQLITE_READONLY: return .readOnly(path: path)
        case .SQLITE_FULL: return .diskFull(path: path)
        case .SQLITE_IOERR: return .ioError(path: path, detail: detail)
        default: return nil
        }
    }

    /// The SQLite message without the SQL text: statements can contain user data.
    private static func sqliteDetail(_ error: DatabaseError) -> String {
        let message = error.message ?? "SQLite error"
        return "SQLite error \(error.extendedResultCode.rawValue): \(message)"
    }
}
