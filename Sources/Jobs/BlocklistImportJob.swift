import Firewall
import Foundation
import Store

/// The `blocklist-import` engine: loads a blocklist file into the firewall as one batch, each run.
/// Entries still listed are renewed (their time starts again); entries gone from the list stay
/// until their time runs out, so give `for` a little more than the schedule's interval.
public enum BlocklistImportJob {
    public static let keys = ["file", "for", "reason"]

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Checks the options when the job is added: the duration reads, the file path is absolute.
    public static func validate(_ options: [String: String]) throws {
        if let text = options["for"] { _ = try BanDuration(parsing: text) }
        if let file = options["file"], !file.hasPrefix("/") {
            throw Failure(message: "file must be an absolute path (it is \"\(file)\"): the scheduler does not run in your shell's folder.")
        }
    }

    public static func run(jobName: String, options: [String: String], database: NetScouterDatabase,
                           backend: (any FirewallBackend)? = nil) throws -> String {
        guard let file = options["file"], !file.isEmpty else { throw Failure(message: "The job needs the option file (for example file=/etc/netscouter/drop.txt).") }
        try validate(options)
        let duration = try options["for"].map(BanDuration.init(parsing:)) ?? .permanent
        let firewall = try backend.map { FirewallService(backend: $0, database: database) } ?? FirewallService.configured(database: database)
        let name = URL(fileURLWithPath: file).lastPathComponent
        let (list, outcome) = try firewall.importBlocklist(path: file, duration: duration, reason: options["reason"] ?? "blocklist \(name)",
                                                           origin: .scheduled(job: "\(jobName) (imported list \(name))"))
        if let failure = outcome.failure {
            throw Failure(message: "Importing \(name) failed, nothing was recorded as blocked: \(failure)")
        }
        return "Blocked \(outcome.blocked.count) of \(list.entries.count) entries from \(name) for \(duration) through \(firewall.backend.name)"
            + " (\(outcome.refused.count) refused, \(outcome.invalid.count + list.unreadable.count) unreadable, \(outcome.skipped.count) skipped)."
    }
}
