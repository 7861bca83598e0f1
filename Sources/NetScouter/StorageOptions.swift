import ArgumentParser
import Foundation
import Store

/// `--data-dir` for every command that uses the database.
struct StorageOptions: ParsableArguments {
    @Option(help: "Folder for NetScouter's database (default: $XDG_DATA_HOME/netscouter or ~/.local/share/netscouter).")
    var dataDir: String?

    func openDatabase() throws -> NetScouterDatabase {
        do { return try NetScouterDatabase.open(dataDirectory: dataDir) } catch { throw fail(error.localizedDescription) }
    }
}
