import Dispatch
import Foundation
import Store

/// Settings in the SQLite store and API keys in the secrets file, saved on the store's writer
/// thread (the model calls `save` from a worker and waits there, never on the UI thread).
public final class StoreSettingsBackend: SettingsBackend, @unchecked Sendable {
    // Immutable after init; the database and writer are thread-safe.
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

    public func loadSettings() -> (settings: AppSettings, keys: APIKeys, problem: UserError?) {
        var problems: [UserError] = []
        var settings = AppSettings.defaults
        do { settings = try SettingsStore(database: database).load() } catch {
            problems.append(UserError("Settings could not be read; showing defaults", underlying: error))
        }
        var keys = APIKeys()
        if let secrets {
            do { keys = try secrets.load(environment: environment) } catch { problems.append(UserError.from(error)) }
        }
        guard !problems.isEmpty else { return (settings, keys, nil) }
        return (settings, keys, UserError(problems.map(\.userText).joined(separator: " ")))
    }

    public func save(_ settings: AppSettings, keys: APIKeys) throws {
        let secrets = secrets
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        writer.submit({ db in
            try SettingsStore.save(settings, in: db)
            try secrets?.save(keys)
        }, completion: { error in
            failure.error = error
            done.signal()
        })
        done.wait()
        if let error = failure.error { throw error }
    }

    public var secretsLocation: String? {
        guard let path = secrets?.url.path else { return nil }
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        return path.hasPrefix(home + "/") ? "~" + path.dropFirst(home.count) : path
    }
}

/// The writer's answer, handed from its queue to the waiting worker (the semaphore orders it).
private final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
}
