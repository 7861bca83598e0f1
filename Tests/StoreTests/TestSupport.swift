import Foundation
import XCTest

extension XCTestCase {
    /// A fresh directory under the system temp directory, removed when the test ends.
    func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("netscouter-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock {
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }
}

/// Whole seconds, so dates survive the REAL round trip exactly.
func date(_ seconds: Int) -> Date {
    Date(timeIntervalSince1970: TimeInterval(seconds))
}

/// Permission bits of a path, as `stat` reports them.
func permissions(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [NSFilePathErrorKey: path])
    }
    return info.st_mode & 0o7777
}
