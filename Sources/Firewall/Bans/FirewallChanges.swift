import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Store

/// One firewall change at a time. A ban change reads the store, changes the kernel, then writes
/// the store; two of them interleaved (the Block dialog, auto-block, the Firewall tab's expiry
/// sweep and start-up re-apply in one window, or a window beside `netscouter daemon` and the
/// CLI) could lift a ban the other just made while the store still lists it. Within a process a
/// recursive lock serialises them; across processes an `flock` on a file next to the database.
enum FirewallChanges {
    private static let lock = NSRecursiveLock()
    /// Nesting depth of the thread holding `lock` (a change may call another, e.g. re-apply
    /// sweeps), and the lock file's descriptor while held.
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) private static var lockFile: Int32 = -1

    static func exclusively<T>(database: NetScouterDatabase, _ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if depth == 0 { lockFile = try acquireFileLock(besides: database.path) }
        depth += 1
        defer {
            depth -= 1
            if depth == 0, lockFile >= 0 {
                flock(lockFile, LOCK_UN)
                close(lockFile)
                lockFile = -1
            }
        }
        return try body()
    }

    /// -1 when the database has no file (in memory): the process lock is then all there is.
    private static func acquireFileLock(besides databasePath: String) throws -> Int32 {
        guard databasePath.hasPrefix("/") else { return -1 }
        let path = databasePath + ".firewall-lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FirewallError.other("Cannot open the firewall lock \(path): \(String(cString: strerror(errno))). Check that the data directory is writable.")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let problem = String(cString: strerror(errno))
                close(descriptor)
                throw FirewallError.other("Cannot lock \(path): \(problem).")
            }
        }
        return descriptor
    }
}
