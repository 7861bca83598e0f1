import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Only one NetScouter process runs scheduled jobs for a data folder: the window and a daemon
/// started on the same database would otherwise both run every job. The lock is an `flock` on
/// `scheduler.lock` beside the database, released by the kernel when the holder exits (even on
/// kill -9), so a crash never leaves it stuck.
public final class SchedulerLock {
    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    public enum Outcome {
        case acquired(SchedulerLock)
        /// Another process holds it; its pid when it wrote one.
        case heldByAnother(pid: Int32?)
    }

    /// Tries to take the lock for the database at `databasePath` without waiting.
    public static func acquire(forDatabaseAt databasePath: String) throws -> Outcome {
        let path = (databasePath as NSString).deletingLastPathComponent + "/scheduler.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "Cannot create \(path): \(String(cString: strerror(errno)))"])
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            let pid = count > 0 ? Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            return .heldByAnother(pid: pid)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return .acquired(SchedulerLock(descriptor: descriptor, path: path))
    }
}
