import Foundation
import Store

/// Settings in the SQLite store and API keys in the secrets file, saved on the store's writer
/// thread so the UI never waits on the disk.
public final class StoreSettingsBackend: SettingsBackend {
    let database: NetScouterDatabase
    let writer: StoreWriter
    let secrets: SecretsFile?
    let environment: [String: String]

    public init(database: NetScouterDatabase, writer: StoreWriter, secrets: SecretsFile?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.database = database
        self.writer = writer
        self.secrets = secrets
        self.environment = environment
    }

    public func loadSettings() -> (settings: AppSettings, keys: APIKeys, problem: String?) {
        var problems: [String] = []
        var settings = AppSettings.defaults
        do { settings = try SettingsStore(database: database).load() } catch { problems.append("Settings could not be read (\(error.localizedDescription)); showing defaults.") }
        var keys = APIKeys()
        if let secrets {
            do { keys = try secrets.load(environment: environment) } catch { problems.append(String(describing: error)) }
        }
        return (settings, keys, problems.isEmpty ? nil : problems.joined(separator: " "))
    }

    public func save(_ settings: AppSettings, keys: APIKeys, completion: @escaping @Sendable (String?) -> Void) {
        let secrets = secrets
        writer.submit({ db in
            try SettingsStore.save(settings, in: db)
            try secrets?.save(keys)
        }, completion: { error in
            completion(error.map { String(describing: $0) })
        })
    }
}
