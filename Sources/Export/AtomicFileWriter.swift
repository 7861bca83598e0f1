#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file all at once: readers see either the old file or the complete new one, never a
/// half-written export, and a failed export leaves the old file as it was.
///
/// The data goes to a hidden temporary file in the destination's folder (same file system, so
/// the final `rename(2)` is atomic), created with `O_CREAT | O_EXCL` so it can never clobber
/// anything. `commit()` writes what is buffered, `fsync`s the file, renames it over the
/// destination and `fsync`s the folder so the rename itself survives a power cut. On any failure,
/// and whenever the writer goes away uncommitted, the temporary file is removed.
///
/// Only for regular files (or new ones): a destination that is a device or FIFO is refused, and
/// `Exporter.write` sends those to `InPlaceFileWriter` instead.
///
/// Text is buffered and written in chunks of `chunkSize` bytes, so memory stays flat however many
/// rows are exported.
public final class AtomicFileWriter: ExportSink {
    public static let chunkSize = 64 * 1024

    /// The destination.
    public let path: String
    /// The temporary file being written (`.<name>.<random>.tmp` next to the destination).
    public let temporaryPath: String
    private let folder: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var isOpen = true

    /// Creates the temporary file.
    /// - Parameter permissions: the new file's mode (reduced by the process umask, as for any new
    ///   file). The file replaces the destination, so the destination's old mode is not kept.
    public init(path: String, permissions: UInt32 = 0o644) throws(ExportError) {
        let (folder, name) = Self.split(path)
        guard !name.isEmpty, name != ".", name != ".." else { throw .destinationIsFolder(path: path) }
        var status = stat()
        if stat(folder, &status) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .folderMissing(path: path, folder: folder) }
            throw .cannotCreate(path: path, reason: Self.reason(code))
        }
        // Renaming over a device or FIFO would replace the node itself (as root, /dev/null would
        // become a plain file): those are written in place by `InPlaceFileWriter`, never here.
        guard try ExportDestination.of(path) == .replaceFile else {
            throw .unsupportedDestination(path: path, what: "a device or FIFO, which an atomic replace would destroy")
        }

        var attempt = 0
        while true {
            let candidate = folder + "/." + name + "." + String(UInt64.random(in: 0...UInt64.max), radix: 36) + ".tmp"
            let opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
            if opened >= 0 {
                descriptor = opened
                temporaryPath = candidate
                break
            }
            let code = errno
            attempt += 1
            // A name collision is astronomically unlikely but harmless: pick another name.
            if code == EEXIST && attempt < 8 { continue }
            throw .cannotCreate(path: path, reason: Self.reason(code))
        }
        self.path = path
        self.folder = folder
        buffer.reserveCapacity(Self.chunkSize)
    }

    deinit { discard() }

    /// Buffers `text` as UTF-8, writing a chunk to the file whenever the buffer is full.
    public func write(_ text: String) throws(ExportError) {
        precondition(isOpen, "write after commit() or discard()")
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.chunkSize { try flushBuffer() }
    }

    /// Buffers raw bytes.
    public func write(bytes: some Sequence<UInt8>) throws(ExportError) {
        precondition(isOpen, "write after commit() or discard()")
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkSize { try flushBuffer() }
    }

    /// Writes what is buffered, syncs it, and renames the temporary file over the destination.
    /// On failure the temporary file is removed and the destination is unchanged.
    public func commit() throws(ExportError) {
        precondition(isOpen, "commit() called twice or after discard()")
        do throws(ExportError) {
            try flushBuffer()
            if fsync(descriptor) != 0 { throw ExportError.writeFailed(path: path, reason: Self.reason(errno)) }
            // close(2) can report a deferred write error (NFS, some FUSE file systems).
            let closed = close(descriptor)
            descriptor = -1
            if closed != 0 { throw ExportError.writeFailed(path: path, reason: Self.reason(errno)) }
            if rename(temporaryPath, path) != 0 {
                let code = errno
                if code == EISDIR { throw ExportError.destinationIsFolder(path: path) }
                throw ExportError.cannotReplace(path: path, reason: Self.reason(code))
            }
        } catch {
            discard()
            throw error
        }
        isOpen = false
        syncFolder()
    }

    /// Abandons the export: closes and removes the temporary file. Safe to call more than once.
    public func discard() {
        guard isOpen else { return }
        isOpen = false
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
    }

    /// Creates a writer, lets `body` fill it, and commits; if `body` throws, nothing is replaced.
    public static func replace(_ path: String, permissions: UInt32 = 0o644,
                               with body: (AtomicFileWriter) throws(ExportError) -> Void) throws(ExportError) {
        let writer = try AtomicFileWriter(path: path, permissions: permissions)
        do throws(ExportError) {
            try body(writer)
        } catch {
            writer.discard()
            throw error
        }
        try writer.commit()
    }

    private func flushBuffer() throws(ExportError) {
        if let failure = Self.writeAll(buffer, to: descriptor) {
            discard()
            throw .writeFailed(path: path, reason: Self.reason(failure))
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes every byte of `bytes` to `descriptor`; the `errno` of a failed write, or nil. A short
    /// write (signal, quota edge) is not an error: the rest is written. Shared with
    /// `InPlaceFileWriter`.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        bytes.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }

    /// Makes the rename durable. Failure here is not reported: the new file is already complete
    /// and in place, and some file systems simply do not support syncing a folder.
    private func syncFolder() {
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderDescriptor >= 0 else { return }
        _ = fsync(folderDescriptor)
        close(folderDescriptor)
    }

    /// ("/a/b", "c.csv") for "/a/b/c.csv"; (".", "c.csv") for "c.csv"; ("/", "c.csv") for "/c.csv".
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = slash == path.startIndex ? "/" : String(path[..<slash])
        return (folder, String(path[path.index(after: slash)...]))
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
