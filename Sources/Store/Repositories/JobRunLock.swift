import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One run of a job at a time, across every process that uses the data folder: the daemon, the
/// window and `netscouter schedule run`. The process running a job holds an `flock` on
/// `<data folder>/run-locks/job-<id>.lock` from before the run is recorded until its end is
/// recorded. The kernel drops the lock when the holder exits however it exits (kill -9 too), so:
/// - a second process that wants to run the job finds the lock taken and stays out;
/// - a run still marked "running" whose lock is free belongs to a process that died
///   (`ScheduleStore.markInterruptedRuns`).
///
/// `flock` locks belong to an open file, so two threads of one process that each acquire the
/// lock exclude each other too. Lock files are tiny and kept (deleting a lock file someone may be
/// about to lock would let two processes hold "the" lock at once).
public final class JobRunLock: Sendable {
    public let jobID: Int64
    public let path: String
    private let descriptor: Mutex<Int32>

    private init(jobID: Int64, path: String, descriptor: Int32) {
        self.jobID = jobID
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    public enum Outcome: Sendable {
        case acquired(JobRunLock)
        /// Another process (or another part of this one) runs the job; its pid when it wrote one.
        case heldByAnother(pid: Int32?)
    }

    /// The folder holding the lock files, beside the database.
    public static func folder(forDatabaseAt databasePath: String) -> String {
        (databasePath as NSString).deletingLastPathComponent + "/run-locks"
    }

    /// Tries to take the lock of `jobID` without waiting.
    /// - Parameter recordingOwner: write this process's pid into the file, so a refused process
    ///   can say who runs the job (off for the brief checks of `markInterruptedRuns`).
    public static func acquire(jobID: Int64, forDatabaseAt databasePath: String, recordingOwner: Bool = true) throws -> Outcome {
        let folder = folder(forDatabaseAt: databasePath)
        if mkdir(folder, 0o700) != 0 && errno != EEXIST { throw failure("Cannot create the folder \(folder)") }
        let path = folder + "/job-\(jobID).lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("Cannot create \(path)") }
        var locked: Int32
        repeat { locked = flock(descriptor, LOCK_EX | LOCK_NB) } while locked != 0 && errno == EINTR
        guard locked == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            let text = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
            return .heldByAnother(pid: Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        if recordingOwner {
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(descriptor, 0)
            _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
        return .acquired(JobRunLock(jobID: jobID, path: path, descriptor: descriptor))
    }

    /// Gives the lock up; later calls do nothing.
    public func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)  // closing the only descriptor of the open file drops the flock
            descriptor = -1
        }
    }

    private static func failure(_ what: String) -> Error {
        CocoaError(.fileWriteNoPermission, userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno))). Check that the data folder is writable."])
    }
}
