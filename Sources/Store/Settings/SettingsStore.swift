import Foundation
import GRDB

/// Loads and saves `AppSettings` in the `settings` table.
///
/// One row per setting (key = the property name, value = its JSON), not one JSON blob:
/// - an old database missing a newer setting, or holding a value that no longer decodes,
///   loses only that setting (falls back to its default), the rest is kept;
/// - a setting written by a newer NetScouter that this version does not know stays in its row
///   untouched when this version saves, so running an older build does not wipe it;
/// - one changed setting is one changed row, readable with plain `sqlite3`.
public struct SettingsStore: Sendable {
    public let database: NetScouterDatabase

    public init(database: NetScouterDatabase) {
        self.database = database
    }

    /// The saved settings; defaults for anything never saved.
    public func load() throws -> AppSettings {
        try database.read { db in try Self.load(in: db) }
    }

    /// Saves every setting.
    public func save(_ settings: AppSettings) throws {
        try database.write { db in try Self.save(settings, in: db) }
    }

    public static func load(in db: Database) throws -> AppSettings {
        let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM settings")
        var object: [String: Any] = [:]
        for row in rows {
            let key: String = row["key"]
            let value: String = row["value"]
            // A value that no longer parses is skipped, so its key takes the default.
            if let parsed = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed) {
                object[key] = parsed
            }
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(AppSettings.self, from: data)
        } catch {
            throw StoreError.invalidJSON(what: "settings", detail: "\(error)")
        }
    }

    public static func save(_ settings: AppSettings, in db: Database) throws {
        let object: [String: Any]
        do {
            let data = try JSONEncoder().encode(settings)
            object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        } catch {
            throw StoreError.invalidJSON(what: "settings", detail: "\(error)")
        }
        for (key, value) in object {
            let json = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
            try db.execute(
                sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, String(decoding: json, as: UTF8.self)])
        }
    }
}
