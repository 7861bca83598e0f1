// The SQLite store (GRDB): see Database.swift.
