// Exports: CSV, JSON, NDJSON with atomic writes.
