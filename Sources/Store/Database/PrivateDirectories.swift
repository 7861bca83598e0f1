#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Creates `path` and any missing parents with mode 0700, like `mkdir -p -m 700`.
///
/// Every component we create gets 0700 because the XDG spec asks for it and because these
/// directories hold scan history and API keys. Existing directories are left as they are: they
/// belong to the user, and silently changing their permissions would be a surprise.
/// Returns nil on success, or the failing path and `errno`.
func makeDirectories(_ path: String, mode: mode_t = 0o700) -> (path: String, errno: Int32)? {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        return isDirectory.boolValue ? nil : (path, ENOTDIR)
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, parent != path, let failure = makeDirectories(parent, mode: mode) {
        return failure
    }
    if mkdir(path, mode) != 0, errno != EEXIST {
        return (path, errno)
    }
    return nil
}

/// `strerror` as a Swift string, for error messages.
func describeErrno(_ code: Int32) -> String {
    String(cString: strerror(code))
}
