/// Every way an export can fail, each with a message that says what to do about it.
public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// The temporary file next to the destination could not be created.
    case cannotCreate(path: String, reason: String)
    /// The destination's folder does not exist.
    case folderMissing(path: String, folder: String)
    /// The destination names a folder, not a file.
    case destinationIsFolder(path: String)
    /// Writing or syncing the data failed (typically a full disk).
    case writeFailed(path: String, reason: String)
    /// The finished temporary file could not be renamed over the destination.
    case cannotReplace(path: String, reason: String)
    case unknownFormat(String)
    /// The destination is something an export cannot go to (a disk, a socket), or a device or
    /// FIFO handed to the atomic writer, which would replace it.
    case unsupportedDestination(path: String, what: String)
    /// Writing to a device, a FIFO or standard output failed; what was written before stays there.
    case streamWriteFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason):
            "Cannot write \(path): \(reason). Choose a folder you can write to."
        case let .folderMissing(path, folder):
            "Cannot write \(path): the folder \(folder) does not exist. Create it or choose another folder."
        case let .destinationIsFolder(path):
            "Cannot write \(path): it is a folder. Add a file name, for example \(path.hasSuffix("/") ? path : path + "/")export.csv."
        case let .writeFailed(path, reason):
            "Writing \(path) failed: \(reason). Free some disk space or choose another location; any previous file there is unchanged."
        case let .cannotReplace(path, reason):
            "Cannot replace \(path): \(reason). Check that you can write to its folder; any previous file there is unchanged."
        case let .unsupportedDestination(path, what):
            "Cannot write \(path): it is \(what). Exports go to regular files, character devices such as /dev/null, or FIFOs; choose a file name."
        case let .streamWriteFailed(name, reason):
            "Writing \(name) failed: \(reason). The output there is incomplete."
        case let .unknownFormat(name):
            "Unknown export format \"\(name)\". Use csv, json or ndjson."
        }
    }
}
