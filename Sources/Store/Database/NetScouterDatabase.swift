import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The one SQLite database NetScouter keeps: `<data directory>/netscouter.sqlite`.
///
/// A GRDB `DatabasePool`, which means WAL journaling: readers never block the writer and a
/// process killed mid-write leaves the database intact (the torn transaction is simply not in
/// the WAL's committed part). `synchronous = NORMAL`, GRDB's WAL default, keeps that guarantee
/// for process crashes; only a power loss can drop the last few commits.
///
/// Opening runs the migrations, so a value of this type always has the current schema.
/// Writes block the calling thread: from UI code, go through `StoreWriter`.
public final class NetScouterDatabase: Sendable {
    /// The database file name inside the data directory.
    public static let fileName = "netscouter.sqlite"
    /// How long a write waits for another connection's lock before failing with
    /// `StoreError.locked`, unless the initializer is given another value.
    public static let defaultBusyTimeout: TimeInterval = 5

    /// Absolute path of the database file.
    public let path: String
    /// Job runs whose process had died, closed as "interrupted" when this value opened the
    /// database (see `ScheduleStore.markInterruptedRuns`).
    public var interruptedRunsClosedAtOpen: Int { interruptedAtOpen.load(ordering: .relaxed) }
    private let interruptedAtOpen = Atomic<Int>(0)
    private let pool: DatabasePool

    /// Resolves the data directory (`--data-dir`, else XDG) and opens the database in it: what
    /// the executable does at startup.
    public static func open(
        dataDirectory override: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> NetScouterDatabase {
        try NetScouterDatabase(directory: try DataDirectory.resolve(override: override, environment: environment))
    }

    /// Opens (creating if needed) `<directory>/netscouter.sqlite`. The directory must exist:
    /// get it from `DataDirectory.resolve`.
    public convenience init(directory: URL, busyTimeout: TimeInterval = defaultBusyTimeout) throws {
        try self.init(path: directory.appendingPathComponent(Self.fileName).path, busyTimeout: busyTimeout)
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    ///
    /// - Throws: `StoreError` with a message for the user (locked, damaged, foreign database,
    ///   written by a newer version, permissions, full disk).
    public init(path: String, busyTimeout: TimeInterval = defaultBusyTimeout) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "NetScouter"
        configuration.foreignKeysEnabled = true
        // sqlite3_busy_timeout on the writer: a second process holding the write lock makes us
        // wait a moment instead of failing at once. (GRDB gives pool readers their own 10 s
        // timeout for WAL recovery after a crash.)
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // Without a limit the WAL file keeps its high-water size forever after a big import.
            try db.execute(sql: "PRAGMA journal_size_limit = 8388608")
        }
        do {
            // Two processes opening a new database at once (the window and a CLI command) would
            // both see no migration applied and both run v1 (the loser failed on a UNIQUE
            // constraint), or race to switch the new file to WAL ("locked"). An exclusive lock
            // beside the file makes the second wait and find the schema current.
            pool = try Self.withMigrationLock(path: path) {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try pool.read { db in try Self.checkOwnership(db, path: path) }
                try Schema.migrator.migrate(pool)
                return pool
            }
        } catch {
            throw StoreError.opening(error, path: path)
        }
        // Every start of anything that opens the store closes the runs of processes that died.
        // Best effort: a read-only data folder must not stop the database from opening.
        interruptedAtOpen.store((try? ScheduleStore(database: self).markInterruptedRuns(at: Date())) ?? 0, ordering: .relaxed)
    }

    /// Runs `body` holding an exclusive `flock` on `<database>.migrate.lock` (released when the
    /// descriptor closes, also if the process dies). Without a writable folder there is nothing
    /// to migrate concurrently with, so `body` runs unlocked.
    private static func withMigrationLock<T>(path: String, _ body: () throws -> T) throws -> T {
        let descriptor = Glibc.open(path + ".migrate.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return try body() }
        defer { Glibc.close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        return try body()
    }

    /// Refuses databases that NetScouter cannot safely migrate: another program's database
    /// (tables but no migration history) and one written by a newer NetScouter.
    private static func checkOwnership(_ db: Database, path: String) throws {
        if try !db.tableExists("grdb_migrations") {
            let userTables = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                """) ?? 0
            if userTables > 0 {
                throw StoreError.notNetScouterDatabase(path: path)
            }
            return
        }
        if try Schema.migrator.hasBeenSuperseded(db) {
            let known = Set(Schema.migrationIdentifiers)
            let unknown = try Schema.migrator.appliedIdentifiers(db).subtracting(known).sorted()
            throw StoreError.newerSchema(path: path, unknownMigrations: unknown)
        }
    }

    // MARK: Access

    /// Runs `body` on a reader connection, in a snapshot that concurrent writes do not change.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw StoreError.passthrough(error, path: path) }
    }

    /// Runs `body` in a write transaction (committed when it returns, rolled back when it
    /// throws). Blocks until the writer connection is free: never call from the UI thread.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw StoreError.passthrough(error, path: path) }
    }

    /// `read` for async callers: suspends instead of blocking the thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch { throw StoreError.passthrough(error, path: path) }
    }

    /// `write` for async callers: suspends instead of blocking the thread.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch { throw StoreError.passthrough(error, path: path) }
    }

    // MARK: Health and schema

    /// `PRAGMA integrity_check`: "ok" when the file is sound, otherwise SQLite's list of
    /// problems, one per line. Reads the whole file: for a diagnostics command, not for startup.
    public func integrityCheck() throws -> String {
        try read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }

    /// `PRAGMA user_version`, which every migration sets to its number.
    public var schemaVersion: Int {
        get throws { try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 } }
    }

    /// Identifiers of the applied migrations, oldest first (e.g. ["v1", "v2"]).
    public var appliedMigrations: [String] {
        get throws { try read { db in try Schema.migrator.appliedMigrations(db) } }
    }

    /// The journal mode SQLite reports ("wal").
    public var journalMode: String {
        get throws { try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" } }
    }

    /// Closes every connection, checkpointing the WAL into the main file. Further use throws.
    /// Optional: the connections also close when the last reference goes away.
    public func close() throws {
        do { try pool.close() } catch { throw StoreError.passthrough(error, path: path) }
    }
}
