#if canImport(Glibc)
import Glibc
#endif

/// Writes an export into something that is not a regular file — a character device such as
/// `/dev/null`, a FIFO a reader waits on, or standard output — in place.
///
/// Such a destination cannot be replaced atomically: a temporary file renamed over `/dev/null`
/// would swap the device node for a plain file, and a reader of a FIFO would never see the data.
/// So the destination is opened for writing as it is (no `O_CREAT`, no `O_TRUNC`, no rename) and
/// every write error is reported: `/dev/full` fails with "No space left on device", a FIFO whose
/// reader went away with "Broken pipe" (when SIGPIPE is ignored).
///
/// Opening a FIFO waits until a reader opens it, exactly as `cat > fifo` does.
public final class InPlaceFileWriter: ExportSink {
    /// What messages call the destination: its path, or "standard output".
    public let name: String
    private var descriptor: Int32
    /// False for a descriptor handed in (standard output), which the writer must not close.
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var isOpen = true

    /// Opens an existing non-regular file for writing.
    public init(path: String) throws(ExportError) {
        var opened: Int32
        repeat { opened = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC) } while opened < 0 && errno == EINTR
        guard opened >= 0 else {
            let code = errno
            // A Unix socket cannot be opened; say so rather than "No such device or address".
            if code == ENXIO { throw .unsupportedDestination(path: path, what: "a socket") }
            throw .cannotCreate(path: path, reason: AtomicFileWriter.reason(code))
        }
        name = path
        descriptor = opened
        ownsDescriptor = true
        buffer.reserveCapacity(AtomicFileWriter.chunkSize)
    }

    /// Writes to a descriptor that is already open, such as `STDOUT_FILENO`; it stays open.
    public init(descriptor: Int32, name: String) {
        self.name = name
        self.descriptor = descriptor
        ownsDescriptor = false
        buffer.reserveCapacity(AtomicFileWriter.chunkSize)
    }

    deinit { discard() }

    public func write(_ text: String) throws(ExportError) {
        precondition(isOpen, "write after commit() or discard()")
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= AtomicFileWriter.chunkSize { try flushBuffer() }
    }

    /// Buffers raw bytes.
    public func write(bytes: some Sequence<UInt8>) throws(ExportError) {
        precondition(isOpen, "write after commit() or discard()")
        buffer.append(contentsOf: bytes)
        if buffer.count >= AtomicFileWriter.chunkSize { try flushBuffer() }
    }

    /// Writes what is buffered and closes the destination (if the writer opened it), reporting
    /// any error, including one `close(2)` reports late.
    public func commit() throws(ExportError) {
        precondition(isOpen, "commit() called twice or after discard()")
        try flushBuffer()
        isOpen = false
        guard ownsDescriptor else { return }
        let closed = close(descriptor)
        descriptor = -1
        if closed != 0 && errno != EINTR { throw .streamWriteFailed(name: name, reason: AtomicFileWriter.reason(errno)) }
    }

    /// Stops writing: closes the destination if the writer opened it. What was written stays
    /// written (a device or pipe cannot take data back).
    public func discard() {
        guard isOpen else { return }
        isOpen = false
        if ownsDescriptor && descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    private func flushBuffer() throws(ExportError) {
        if let failure = AtomicFileWriter.writeAll(buffer, to: descriptor) {
            discard()
            throw .streamWriteFailed(name: name, reason: AtomicFileWriter.reason(failure))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// How an export reaches a path: replaced atomically (a regular file, or a new one), or written in
/// place (a character device or FIFO). Anything else is refused.
public enum ExportDestination: Equatable, Sendable {
    case replaceFile
    case writeInPlace

    /// Looks at what `path` names now (following symbolic links, as opening it would).
    public static func of(_ path: String) throws(ExportError) -> ExportDestination {
        var status = stat()
        guard stat(path, &status) == 0 else { return .replaceFile }  // nothing there yet (or unreadable: the writer reports it)
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .replaceFile
        case S_IFDIR: throw .destinationIsFolder(path: path)
        case S_IFCHR, S_IFIFO: return .writeInPlace
        case S_IFBLK: throw .unsupportedDestination(path: path, what: "a block device (a disk or partition)")
        case S_IFSOCK: throw .unsupportedDestination(path: path, what: "a socket")
        default: throw .unsupportedDestination(path: path, what: "not a regular file")
        }
    }
}
