import CScan
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs work inside a named network namespace (`ip netns add NAME`, /run/netns/NAME). Linux keeps
/// the network namespace per thread, and a socket stays in the namespace it was made in, so a
/// scan, a discovery or a listener runs on a thread of its own that joined the namespace first.
public enum NetworkNamespace {
    /// Moves the calling thread into namespace `name` (needs CAP_SYS_ADMIN).
    public static func enter(_ name: String) throws {
        let path = name.hasPrefix("/") ? name : "/run/netns/\(name)"
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ScanError("Cannot open the network namespace \(path): \(String(cString: strerror(errno))). Create it with `ip netns add \(name)`.")
        }
        defer { close(descriptor) }
        guard ns_setns_net(descriptor) == 0 else {
            throw ScanError("Cannot enter the network namespace \(name): \(String(cString: strerror(errno))). Entering a namespace needs CAP_SYS_ADMIN (run as root).")
        }
    }

    /// Runs `body` on a new thread inside namespace `name` and returns what it returned.
    public static func run<T: Sendable>(in name: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result { try enter(name); return try body() }
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        finished.wait()
        return try box.result!.get()
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
