import GRDB

/// The versioned schema. Each migration runs once, in order, inside a transaction, and is
/// recorded in GRDB's `grdb_migrations` table.
///
/// Rules for whoever adds the next one:
/// - Never edit a migration that has shipped: users' databases already ran it. Add "v3".
/// - Set `PRAGMA user_version` to the migration number at the end, so `sqlite3` users (and bug
///   reports) can tell the schema version without knowing GRDB.
/// - Timestamps are REAL unix seconds (UTC); JSON columns are TEXT checked with `json_valid`.
public enum Schema {
    /// Identifiers of all migrations, oldest first.
    public static var migrationIdentifiers: [String] { migrator.migrations }

    /// The migrator with every migration registered. Public so tests (and a future
    /// `netscouter db migrate --to`) can apply a prefix of it with `migrate(_:upTo:)`.
    public static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: createTables)
        migrator.registerMigration("v2", migrate: addVendorRunIndexAndSnapshots)
        migrator.registerMigration("v3", migrate: addStoppedAndInterruptedRunOutcomes)
        migrator.registerMigration("v4", migrate: addFlowHistory)
        migrator.registerMigration("v5-iot-inventory", migrate: addIoTInventory)
        migrator.registerMigration("v6-firewall-allowlist-and-ban-sources", migrate: addFirewallAllowlistAndBanSources)
        return migrator
    }()

    /// v1: every table the first release needs.
    private static func createTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE scans (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                kind        TEXT NOT NULL,
                target      TEXT NOT NULL,
                started_at  REAL NOT NULL,
                finished_at REAL,
                status      TEXT NOT NULL,
                summary     TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX scans_by_started_at ON scans(started_at);

            CREATE TABLE scan_results (
                id       INTEGER PRIMARY KEY AUTOINCREMENT,
                scan_id  INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
                address  TEXT NOT NULL,
                port     INTEGER,
                protocol TEXT NOT NULL,
                state    TEXT NOT NULL,
                service  TEXT,
                detail   TEXT
            );
            -- Foreign keys need an index on the child side, or every cascade scans the table.
            CREATE INDEX scan_results_by_scan ON scan_results(scan_id);

            -- NULL macs are distinct under UNIQUE: DeviceStore.upsert matches with `mac IS ?`
            -- so a MAC-less host is still stored once per address.
            CREATE TABLE devices (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                mac         TEXT,
                address     TEXT NOT NULL,
                hostname    TEXT,
                device_type TEXT,
                first_seen  REAL NOT NULL,
                last_seen   REAL NOT NULL,
                UNIQUE(mac, address)
            );

            CREATE TABLE reputation_cache (
                address    TEXT NOT NULL,
                provider   TEXT NOT NULL,
                flagged    INTEGER NOT NULL CHECK (flagged IN (0, 1)),
                score      REAL,
                detail     TEXT NOT NULL DEFAULT '',
                fetched_at REAL NOT NULL,
                expires_at REAL NOT NULL,
                PRIMARY KEY (address, provider)
            );
            CREATE INDEX reputation_cache_by_expiry ON reputation_cache(expires_at);

            CREATE TABLE blocks (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                address    TEXT NOT NULL,
                reason     TEXT NOT NULL,
                source     TEXT NOT NULL CHECK (source IN ('manual', 'auto')),
                created_at REAL NOT NULL,
                expires_at REAL,
                removed_at REAL
            );
            CREATE INDEX blocks_by_address ON blocks(address);

            CREATE TABLE audit_events (
                id      INTEGER PRIMARY KEY AUTOINCREMENT,
                at      REAL NOT NULL,
                actor   TEXT NOT NULL,
                action  TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail  TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX audit_events_by_at ON audit_events(at);

            -- "trigger" is an SQL keyword, hence the quotes.
            CREATE TABLE schedules (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                name        TEXT NOT NULL,
                kind        TEXT NOT NULL,
                "trigger"   TEXT NOT NULL,
                time_zone   TEXT NOT NULL,
                options     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options)),
                enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
                next_run_at REAL,
                last_run_at REAL,
                created_at  REAL NOT NULL
            );

            CREATE TABLE job_runs (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id      INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
                started_at  REAL NOT NULL,
                finished_at REAL,
                outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped')),
                summary     TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX job_runs_by_job ON job_runs(job_id);

            CREATE TABLE settings (
                key   TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL CHECK (json_valid(value))
            );

            PRAGMA user_version = 1;
            """)
    }

    /// v2: MAC vendor on devices (filled by Intel's OUI lookup), the scheduler's "last runs of
    /// this job" query served by one index instead of a sort, and capture snapshots so
    /// `export flows/hosts` can read the last capture window after the capture has stopped.
    private static func addVendorRunIndexAndSnapshots(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE devices ADD COLUMN vendor TEXT;

            DROP INDEX job_runs_by_job;
            CREATE INDEX job_runs_by_job_started ON job_runs(job_id, started_at);

            CREATE TABLE capture_snapshots (
                id       INTEGER PRIMARY KEY AUTOINCREMENT,
                taken_at REAL NOT NULL,
                source   TEXT NOT NULL,
                kind     TEXT NOT NULL CHECK (kind IN ('flows', 'hosts')),
                payload  TEXT NOT NULL CHECK (json_valid(payload) AND json_type(payload) = 'array')
            );
            CREATE INDEX capture_snapshots_by_kind ON capture_snapshots(kind, taken_at);

            PRAGMA user_version = 2;
            """)
    }

    /// v3: runs can end "stopped" (on request, with what they did so far) or "interrupted" (the
    /// process running them died). SQLite cannot change a CHECK constraint in place, so the table
    /// is rebuilt with its rows, ids and index.
    private static func addStoppedAndInterruptedRunOutcomes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE job_runs_v3 (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id      INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
                started_at  REAL NOT NULL,
                finished_at REAL,
                outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped', 'stopped', 'interrupted')),
                summary     TEXT NOT NULL DEFAULT ''
            );
            INSERT INTO job_runs_v3 (id, job_id, started_at, finished_at, outcome, summary)
                SELECT id, job_id, started_at, finished_at, outcome, summary FROM job_runs;
            DROP TABLE job_runs;
            ALTER TABLE job_runs_v3 RENAME TO job_runs;
            CREATE INDEX job_runs_by_job_started ON job_runs(job_id, started_at);

            PRAGMA user_version = 3;
            """)
    }

    /// v4: the flow history of live captures. A capture is one run of the dashboard's live
    /// capture, the daemon's continuous capture or a capture-window job; every flow it finished
    /// (FIN/RST, idle, evicted, end of capture) is a row, written in batches off the capture and
    /// UI threads. Old rows are pruned by the retention setting.
    private static func addFlowHistory(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE captures (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                source      TEXT NOT NULL,
                started_at  REAL NOT NULL,
                finished_at REAL
            );
            CREATE INDEX captures_by_started_at ON captures(started_at);

            CREATE TABLE flow_history (
                id              INTEGER PRIMARY KEY AUTOINCREMENT,
                capture_id      INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
                protocol        TEXT NOT NULL,
                initiator       TEXT NOT NULL,
                initiator_port  INTEGER NOT NULL,
                responder       TEXT NOT NULL,
                responder_port  INTEGER NOT NULL,
                state           TEXT NOT NULL,
                end_reason      TEXT NOT NULL,
                packets_forward INTEGER NOT NULL,
                packets_reverse INTEGER NOT NULL,
                bytes_forward   INTEGER NOT NULL,
                bytes_reverse   INTEGER NOT NULL,
                first_seen      REAL NOT NULL,
                last_seen       REAL NOT NULL
            );
            CREATE INDEX flow_history_by_capture ON flow_history(capture_id);
            CREATE INDEX flow_history_by_last_seen ON flow_history(last_seen);

            PRAGMA user_version = 4;
            """)
    }

    /// Firewall (issue 11): the allowlist (addresses and CIDRs never to block), and bans that come
    /// from a scheduled job or an imported list besides the user and auto-block. The CHECK on
    /// `blocks.source` cannot change in place, so the table is rebuilt with its rows and ids.
    private static func addFirewallAllowlistAndBanSources(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE firewall_allowlist (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                entry      TEXT NOT NULL UNIQUE,
                note       TEXT NOT NULL DEFAULT '',
                created_at REAL NOT NULL
            );

            CREATE TABLE blocks_firewall (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                address    TEXT NOT NULL,
                reason     TEXT NOT NULL,
                source     TEXT NOT NULL CHECK (source IN ('manual', 'auto', 'scheduled', 'imported')),
                created_at REAL NOT NULL,
                expires_at REAL,
                removed_at REAL
            );
            INSERT INTO blocks_firewall (id, address, reason, source, created_at, expires_at, removed_at)
                SELECT id, address, reason, source, created_at, expires_at, removed_at FROM blocks;
            DROP TABLE blocks;
            ALTER TABLE blocks_firewall RENAME TO blocks;
            CREATE INDEX blocks_by_address ON blocks(address);
            CREATE INDEX blocks_active ON blocks(removed_at, expires_at);

            PRAGMA user_version = 6;
            """)
    }
}
