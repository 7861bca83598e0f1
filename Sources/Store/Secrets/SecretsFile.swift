#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The API keys file: `$XDG_CONFIG_HOME/netscouter/secrets.json`, falling back to
/// `~/.config/netscouter/secrets.json`.
///
/// Format: a JSON object of strings, e.g.
/// `{"abuseipdb": "…", "virustotal": "…", "otx": "…"}`. Other keys are kept on save.
///
/// The file must be a regular file owned by the current user with no group or other permission
/// bits (0600 or stricter), like ssh's private keys; otherwise it is refused with the command
/// that fixes it. Environment variables win over the file, so keys can be supplied without
/// ever writing them to disk.
public struct SecretsFile: Sendable {
    public static let fileName = "secrets.json"

    /// Full path of the file.
    public let url: URL

    /// The file at an explicit location (tests, packagers).
    public init(url: URL) {
        self.url = url
    }

    /// The file at the standard XDG location for `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let base = XDGBaseDirectory.config.path(environment: environment) else {
            throw SecretsError.noConfigDirectory
        }
        url = URL(fileURLWithPath: base, isDirectory: true)
            .appendingPathComponent(DataDirectory.folderName, isDirectory: true)
            .appendingPathComponent(Self.fileName)
    }

    // MARK: Loading

    /// Keys from the environment first (for VirusTotal `VIRUSTOTAL_API_KEY`, then
    /// `VT_API_KEY`), then from the file. The file is not opened at all when the environment
    /// provides every key, and a missing file just means no keys.
    ///
    /// - Throws: `SecretsError` when the file exists but is unsafe or unreadable. Refusing,
    ///   rather than ignoring it, makes the user fix the permissions.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> APIKeys {
        var keys = APIKeys()
        for provider in APIKeyProvider.allCases {
            for variable in provider.environmentVariables {
                if let value = APIKeys.normalized(environment[variable]) {
                    keys.setKey(value, for: provider, source: .environment(variable))
                    break
                }
            }
        }
        let missing = APIKeyProvider.allCases.filter { keys.source(for: $0) == .none }
        guard !missing.isEmpty, let entries = try readEntries(checkingPermissions: true) else {
            return keys
        }
        for provider in missing {
            keys.setKey(entries[provider.secretsFileKey], for: provider, source: .secretsFile)
        }
        return keys
    }

    /// The file's entries, or nil when it does not exist.
    private func readEntries(checkingPermissions: Bool) throws -> [String: String]? {
        let path = url.path
        // Open first, then check the open file: checking the path and opening it afterwards
        // would let the file be swapped in between.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SecretsError.unreadable(path: path, reason: describeErrno(errno))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SecretsError.unreadable(path: path, reason: describeErrno(errno))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SecretsError.notARegularFile(path: path)
        }
        if checkingPermissions {
            guard info.st_uid == geteuid() else {
                throw SecretsError.wrongOwner(path: path, ownerUID: info.st_uid)
            }
            guard info.st_mode & 0o077 == 0 else {
                throw SecretsError.insecurePermissions(path: path, mode: info.st_mode & 0o7777)
            }
        }
        let data = try readAll(fd, path: path)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return [:]   // an empty file (e.g. just `touch`ed) holds no keys
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SecretsError.malformed(path: path)
        }
        var entries: [String: String] = [:]
        for (key, value) in object {
            guard let string = value as? String else { throw SecretsError.malformed(path: path) }
            entries[key] = string
        }
        return entries
    }

    private func readAll(_ fd: Int32, path: String) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SecretsError.unreadable(path: path, reason: describeErrno(errno))
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    // MARK: Saving

    /// Writes the keys whose source is `.secretsFile`; keys from the environment are not
    /// written (the entry already in the file for that provider, if any, is kept). Unset keys
    /// are removed from the file.
    ///
    /// Atomic and private: the new content goes to a temporary file created with mode 0600 in
    /// the same directory (created 0700 if missing), is fsynced, then renamed over the old one,
    /// so a crash leaves either the old file or the new one, never a partial or readable one.
    public func save(_ keys: APIKeys) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        if let failure = makeDirectories(directory) {
            throw SecretsError.cannotWrite(path: failure.path, reason: describeErrno(failure.errno))
        }
        var entries = try readEntries(checkingPermissions: false) ?? [:]
        for provider in APIKeyProvider.allCases {
            switch keys.source(for: provider) {
            case .environment: continue
            case .secretsFile: entries[provider.secretsFileKey] = keys.key(for: provider)
            case .none: entries[provider.secretsFileKey] = nil
            }
        }
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw SecretsError.cannotWrite(path: path, reason: "the keys could not be encoded")
        }
        try writeAtomically(data + Data("\n".utf8), to: path, directory: directory)
    }

    private func writeAtomically(_ data: Data, to path: String, directory: String) throws {
        let temporary = "\(directory)/.\(Self.fileName).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        // O_EXCL: never write into a file someone else prepared (or a symlink they planted).
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SecretsError.cannotWrite(path: path, reason: describeErrno(errno))
        }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // The umask can only remove bits from 0600, but make the mode exact anyway.
            guard fchmod(fd, 0o600) == 0 else {
                throw SecretsError.cannotWrite(path: path, reason: describeErrno(errno))
            }
            try data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw SecretsError.cannotWrite(path: path, reason: describeErrno(errno))
                    }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else {
                throw SecretsError.cannotWrite(path: path, reason: describeErrno(errno))
            }
        }
        guard rename(temporary, path) == 0 else {
            throw SecretsError.cannotWrite(path: path, reason: describeErrno(errno))
        }
        succeeded = true
        // Make the rename itself durable.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }
}
