import Foundation
import GRDB

/// Records whose `Date` properties are stored as REAL unix seconds.
///
/// GRDB's default is ISO-8601-like text; unix seconds sort and compare as numbers, are what the
/// rest of NetScouter (capture timestamps, expiry arithmetic) uses, and read naturally in
/// `sqlite3` with `datetime(started_at, 'unixepoch')`.
public protocol UnixTimeColumns: FetchableRecord, EncodableRecord {}

extension UnixTimeColumns {
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .timeIntervalSince1970
    }

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .timeIntervalSince1970
    }
}
