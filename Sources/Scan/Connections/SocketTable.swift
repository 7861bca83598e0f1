import Foundation
import Packets
#if canImport(Glibc)
import Glibc
#endif

/// The process that holds a socket open.
public struct OwningProcess: Hashable, Sendable, Codable {
    public var pid: Int32
    /// /proc/PID/comm (at most 15 characters, as the kernel keeps it).
    public var name: String
    /// Where /proc/PID/exe points; nil when it cannot be read (another user's process without
    /// CAP_SYS_PTRACE, or a kernel thread).
    public var executable: String?
    public var commandLine: [String]
    public var user: String
}

/// One TCP or UDP socket of this machine, as /proc/net lists it.
public struct SocketEntry: Hashable, Sendable {
    public enum Transport: String, Codable, Sendable { case tcp, udp }
    public var transport: Transport
    public var local: IPAddress
    public var localPort: UInt16
    public var remote: IPAddress
    public var remotePort: UInt16
    /// "ESTABLISHED", "LISTEN", "TIME_WAIT", …; UDP sockets are "UNCONNECTED" or "ESTABLISHED".
    public var state: String
    public var uid: UInt32
    public var inode: UInt64
    /// Nil when no readable /proc/PID/fd holds the socket (another user's process, or a socket
    /// no process holds any more, such as TIME_WAIT).
    public var process: OwningProcess?

    public var isIPv6: Bool { !local.isIPv4 || !remote.isIPv4 }
}

/// Every TCP/UDP socket from /proc/net/{tcp,tcp6,udp,udp6}, with the owning process found
/// through /proc/PID/fd (socket:[INODE] links).
public struct SocketTable: Sendable {
    public var procRoot: String
    /// /proc/net by default; /proc/thread-self/net reads the calling thread's namespace.
    public var netDirectory: String

    public init(procRoot: String = "/proc", netDirectory: String? = nil) {
        self.procRoot = procRoot
        self.netDirectory = netDirectory ?? "\(procRoot)/net"
    }

    public func read() -> [SocketEntry] {
        var entries: [SocketEntry] = []
        for (file, transport) in [("tcp", SocketEntry.Transport.tcp), ("tcp6", .tcp), ("udp", .udp), ("udp6", .udp)] {
            guard let text = ProcFile.read("\(netDirectory)/\(file)") else { continue }
            entries += Self.parse(text, transport: transport)
        }
        let owners = socketOwners()
        var processes: [Int32: OwningProcess] = [:]
        for index in entries.indices {
            guard let pid = owners[entries[index].inode], entries[index].inode != 0 else { continue }
            if processes[pid] == nil, let process = describeProcess(pid) { processes[pid] = process }
            entries[index].process = processes[pid]
        }
        return entries
    }

    /// Parses one /proc/net/{tcp,udp}[6] file.
    public static func parse(_ text: String, transport: SocketEntry.Transport) -> [SocketEntry] {
        var entries: [SocketEntry] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10,
                  let (local, localPort) = endpoint(fields[1]), let (remote, remotePort) = endpoint(fields[2]),
                  let stateCode = UInt8(fields[3], radix: 16), let uid = UInt32(fields[7]), let inode = UInt64(fields[9])
            else { continue }
            entries.append(SocketEntry(transport: transport, local: local, localPort: localPort, remote: remote, remotePort: remotePort,
                                       state: stateName(stateCode, transport: transport), uid: uid, inode: inode, process: nil))
        }
        return entries
    }

    /// `0100007F:1F90` (IPv4) or 32 hex digits (IPv6): each 32-bit word is the in-memory
    /// network-order word printed as a host-order number.
    static func endpoint(_ field: Substring) -> (IPAddress, UInt16)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        let hex = parts[0]
        func word(_ index: Int) -> UInt32? {
            let start = hex.index(hex.startIndex, offsetBy: index * 8)
            return UInt32(hex[start..<hex.index(start, offsetBy: 8)], radix: 16).map { UInt32(bigEndian: $0) }
        }
        switch hex.count {
        case 8:
            guard let value = word(0) else { return nil }
            return (IPAddress(ipv4: value), port)
        case 32:
            guard let a = word(0), let b = word(1), let c = word(2), let d = word(3) else { return nil }
            let address = IPAddress(high: UInt64(a) << 32 | UInt64(b), low: UInt64(c) << 32 | UInt64(d))
            return (address, port)
        default:
            return nil
        }
    }

    static func stateName(_ code: UInt8, transport: SocketEntry.Transport) -> String {
        if transport == .udp { return code == 1 ? "ESTABLISHED" : "UNCONNECTED" }
        let names = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT",
                     "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"]
        return Int(code) < names.count && code > 0 ? names[Int(code)] : "UNKNOWN(\(code))"
    }

    /// inode → pid for every socket descriptor of every process we may look into.
    func socketOwners() -> [UInt64: Int32] {
        var owners: [UInt64: Int32] = [:]
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: procRoot) else { return owners }
        var link = [CChar](repeating: 0, count: 64)
        for pidText in pids {
            guard let pid = Int32(pidText), let directory = opendir("\(procRoot)/\(pidText)/fd") else { continue }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name.first?.isNumber == true else { continue }
                let count = readlink("\(procRoot)/\(pidText)/fd/\(name)", &link, link.count - 1)
                guard count > 9 else { continue }
                let target = String(decoding: link[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard target.hasPrefix("socket:["), let inode = UInt64(target.dropFirst(8).dropLast()) else { continue }
                if owners[inode] == nil { owners[inode] = pid }
            }
        }
        return owners
    }

    func describeProcess(_ pid: Int32) -> OwningProcess? {
        let base = "\(procRoot)/\(pid)"
        guard let comm = ProcFile.read("\(base)/comm") else { return nil }
        let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(base)/exe")
        let rawCommandLine = (try? Data(contentsOf: URL(fileURLWithPath: "\(base)/cmdline"))) ?? Data()
        let commandLine = rawCommandLine.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var arguments = commandLine
        if arguments.last == "" { arguments.removeLast() }
        var uid: UInt32 = 0
        if let status = ProcFile.read("\(base)/status"),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
           let real = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap({ UInt32($0) }) {
            uid = real
        }
        return OwningProcess(pid: pid, name: comm.trimmingCharacters(in: .newlines), executable: executable,
                             commandLine: arguments, user: Self.userName(uid))
    }

    static func userName(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return String(uid) }
        return String(cString: name)
    }
}
