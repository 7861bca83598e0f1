import GRDB

extension Schema {
    /// The IoT inventory (issue "IoT map"): devices keyed by MAC (or "ip:ADDRESS" without one)
    /// with their evidence, detected and user-chosen type and debounced online state; each
    /// device's destination baseline; IoT devices' outbound destinations and the anomalies among
    /// them; and what the correlation has already read (flow-history high-water mark, capture
    /// files), so a flow is counted once. List-valued columns are JSON text.
    static func addIoTInventory(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE iot_devices (
                key                 TEXT PRIMARY KEY NOT NULL,
                mac                 TEXT,
                ips                 TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(ips)),
                vendor              TEXT,
                randomised_mac      INTEGER NOT NULL DEFAULT 0 CHECK (randomised_mac IN (0, 1)),
                hostname            TEXT,
                hostname_source     TEXT,
                evidence            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
                detected_type       TEXT NOT NULL DEFAULT 'unknown',
                type_reasons        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(type_reasons)),
                user_type           TEXT,
                sources             TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources)),
                first_seen          REAL NOT NULL,
                last_seen           REAL NOT NULL,
                online              INTEGER NOT NULL DEFAULT 1 CHECK (online IN (0, 1)),
                missed_sweeps       INTEGER NOT NULL DEFAULT 0,
                baseline_started_at REAL
            );

            CREATE TABLE iot_baseline (
                device_key TEXT NOT NULL,
                remote_ip  TEXT NOT NULL,
                first_seen REAL NOT NULL,
                PRIMARY KEY (device_key, remote_ip)
            );

            CREATE TABLE iot_anomalies (
                device_key  TEXT NOT NULL,
                device_mac  TEXT,
                device_ip   TEXT,
                remote_ip   TEXT NOT NULL,
                remote_port INTEGER NOT NULL,
                transport   TEXT NOT NULL,
                country     TEXT,
                provider    TEXT,
                rule        TEXT NOT NULL,
                severity    TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
                reason      TEXT NOT NULL,
                first_seen  REAL NOT NULL,
                last_seen   REAL NOT NULL,
                count       INTEGER NOT NULL,
                PRIMARY KEY (device_key, remote_ip, remote_port, rule)
            );
            CREATE INDEX iot_anomalies_by_last_seen ON iot_anomalies(last_seen);

            CREATE TABLE iot_destinations (
                device_key  TEXT NOT NULL,
                device_ip   TEXT,
                remote_ip   TEXT NOT NULL,
                remote_port INTEGER NOT NULL,
                transport   TEXT NOT NULL,
                country     TEXT,
                provider    TEXT,
                consensus   TEXT,
                flows       INTEGER NOT NULL,
                bytes       INTEGER NOT NULL,
                first_seen  REAL NOT NULL,
                last_seen   REAL NOT NULL,
                risk        TEXT CHECK (risk IS NULL OR risk IN ('low', 'medium', 'high')),
                PRIMARY KEY (device_key, remote_ip, remote_port, transport)
            );

            CREATE TABLE iot_state (
                key   TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            );

            PRAGMA user_version = 5;
            """)
    }
}
