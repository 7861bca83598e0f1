import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Device nodes made with mknod inside a test's own temporary folder, so tests about writing to
/// /dev/null- or /dev/full-like destinations never put the system's /dev at stake.
public enum DeviceNodes {
    public static let null = (major: UInt32(1), minor: UInt32(3))
    public static let full = (major: UInt32(1), minor: UInt32(7))

    /// glibc's `makedev` (a macro Swift cannot import): the Linux dev_t encoding.
    public static func number(major: UInt32, minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t(((major & 0xFFFF_F000) << 32) | ((major & 0x0FFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0x00FF))
    }

    /// Creates a character (or block) device node; nil when not permitted (mknod needs root).
    public static func make(at path: String, major: UInt32, minor: UInt32, block: Bool = false) -> Bool {
        mknod(path, (block ? S_IFBLK : S_IFCHR) | 0o666, number(major: major, minor: minor)) == 0
    }

    /// The file type bits of what `path` names itself (S_IFCHR, S_IFIFO, S_IFREG, …), or nil.
    public static func type(of path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode & S_IFMT
    }
}
