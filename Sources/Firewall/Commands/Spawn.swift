import CFirewall
#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn with its standard input fed and both outputs read in one poll loop, so neither a
/// large script on stdin nor a chatty child can deadlock on a full pipe.
enum Spawn {
    /// SIGPIPE would kill the whole program when a child closes its input early; ignored once,
    /// writes to a closed pipe fail with EPIPE instead (as servers and shells do it).
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func run(executable: String, arguments: [String], environment: [String], input: [UInt8]?) throws -> CommandResult {
        _ = ignoreBrokenPipes
        var inputPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        guard firewall_pipe_cloexec(&outputPipe) == 0, firewall_pipe_cloexec(&errorPipe) == 0,
              input == nil || firewall_pipe_cloexec(&inputPipe) == 0 else {
            throw FirewallError.other("Cannot create pipes for \(executable): \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
            posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        for descriptor in [inputPipe[0], outputPipe[1], errorPipe[1]] where descriptor >= 0 { close(descriptor) }
        guard spawned == 0 else {
            for descriptor in [inputPipe[1], outputPipe[0], errorPipe[0]] where descriptor >= 0 { close(descriptor) }
            throw FirewallError.other("Cannot start \(executable): \(String(cString: strerror(spawned)))")
        }

        var output: [UInt8] = [], errors: [UInt8] = []
        var pending = input.map { $0[...] } ?? []
        var writer = inputPipe[1]
        if writer >= 0 {
            _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
            if pending.isEmpty { close(writer); writer = -1 }
        }
        var readers = [outputPipe[0], errorPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while writer >= 0 || readers.contains(where: { $0 >= 0 }) {
            var polls = readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            polls.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0))
            if poll(&polls, nfds_t(polls.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in 0..<2 where readers[index] >= 0 && polls[index].revents != 0 {
                let count = read(readers[index], &buffer, buffer.count)
                if count > 0 {
                    if index == 0 { output += buffer[0..<count] } else { errors += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(readers[index])
                    readers[index] = -1
                }
            }
            if writer >= 0 && polls[2].revents != 0 {
                let written = pending.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                if written > 0 { pending = pending.dropFirst(written) }
                if pending.isEmpty || (written < 0 && errno != EINTR && errno != EAGAIN) {
                    close(writer)
                    writer = -1
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros: decoded by hand.
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CommandResult(status: exitStatus, standardOutput: String(decoding: output, as: UTF8.self),
                             standardError: String(decoding: errors, as: UTF8.self))
    }
}
