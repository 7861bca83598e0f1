import Foundation

/// Makes output that could not be written an error. `print` goes through C stdio, which records a
/// failed write (a full disk, `> /dev/full`, a closed descriptor) in the stream's error flag and
/// carries on; without this check every command would still exit 0 with its output lost.
///
/// At exit — whichever way the command ends, including ArgumentParser's own `--help` and error
/// exits — the buffered output is flushed and the flag read. On failure a message goes to stderr
/// and the process exits non-zero (keeping the command's own non-zero status if it had one).
enum StandardOutputCheck {
    /// The status the command is exiting with, set before `exit` so the check can keep it.
    nonisolated(unsafe) static var exitStatus: Int32 = 0

    /// C's `stdout` stream, the one `print` writes through. Swift 6 refuses to read the C global
    /// directly (shared mutable state), so it is looked up by name; at exit nothing else runs.
    static func cStandardOutput() -> UnsafeMutablePointer<FILE>? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stdout") else { return nil }  // RTLD_DEFAULT
        return symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
    }

    static func install() {
        atexit {
            guard let output = StandardOutputCheck.cStandardOutput() else { return }
            let flushed = fflush(output)
            let code = errno
            guard flushed != 0 || ferror(output) != 0 else { return }
            let reason = flushed != 0 ? String(cString: strerror(code)) : "a write failed"
            let message = "netscouter: could not write to standard output: \(reason). The output is incomplete; "
                + "redirect it to a file or device that can be written.\n"
            _ = message.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
            // _exit, not exit: this runs inside exit(), and the status has to change.
            _exit(StandardOutputCheck.exitStatus != 0 ? StandardOutputCheck.exitStatus : 1)
        }
    }
}
