#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Why the secrets file could not be used. Messages never contain key material.
public enum SecretsError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Group or other permission bits are set: another user could read (or replace) the keys.
    case insecurePermissions(path: String, mode: mode_t)
    /// The file belongs to another user, who could change it at will.
    case wrongOwner(path: String, ownerUID: uid_t)
    /// The path is a directory, device, or other non-regular file.
    case notARegularFile(path: String)
    /// open/read failed.
    case unreadable(path: String, reason: String)
    /// The content is not a JSON object of strings.
    case malformed(path: String)
    /// Creating the directory or writing the file failed.
    case cannotWrite(path: String, reason: String)
    /// Neither XDG_CONFIG_HOME nor a home directory is known.
    case noConfigDirectory

    public var description: String {
        switch self {
        case let .insecurePermissions(path, mode):
            let access = mode & 0o044 != 0 ? "readable" : "writable"
            return "The secrets file \(path) is \(access) by other users (mode \(Self.octal(mode))). Run `chmod 600 \(path)` and start again."
        case let .wrongOwner(path, uid):
            return "The secrets file \(path) belongs to another user (uid \(uid)), who could change your API keys. Run `sudo chown $(id -u) \(path)`, or delete it and enter the keys again."
        case let .notARegularFile(path):
            return "The secrets file \(path) is not a regular file. Move it aside and enter your API keys again in Settings, or set them in the environment (ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY, OTX_API_KEY)."
        case let .unreadable(path, reason):
            return "NetScouter cannot read the secrets file \(path): \(reason). Check that it exists and belongs to you, then start again."
        case let .malformed(path):
            return "The secrets file \(path) is not valid: it must be a JSON object such as {\"abuseipdb\": \"…\", \"virustotal\": \"…\", \"otx\": \"…\"}. Fix it or delete it and enter the keys again in Settings."
        case let .cannotWrite(path, reason):
            return "NetScouter cannot save the secrets file \(path): \(reason). Check that you can write to its directory, or set the keys in the environment instead."
        case .noConfigDirectory:
            return "NetScouter cannot find your configuration directory (neither XDG_CONFIG_HOME nor HOME is set). Set HOME, or provide the API keys through ABUSEIPDB_API_KEY, VIRUSTOTAL_API_KEY and OTX_API_KEY."
        }
    }

    public var errorDescription: String? { description }

    /// "0644": the way `ls` and `chmod` users read modes.
    static func octal(_ mode: mode_t) -> String {
        let digits = String(UInt32(mode) & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
