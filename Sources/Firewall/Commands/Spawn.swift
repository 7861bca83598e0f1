import CFirewall
#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn with its standard input fed and both outputs read in one poll loop, so neither a
/// large script on stdin nor a chatty child can deadlock on a full pipe. A child that does not
/// finish within `timeout` is stopped (SIGTERM, then SIGKILL) and reported.
enum Spawn {
    /// SIGPIPE would kill the whole program when a child closes its input early; ignored once,
    /// writes to a closed pipe fail with EPIPE instead (as servers and shells do it). Children
    /// get the default back (POSIX_SPAWN_SETSIGDEF).
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// How long a SIGTERM'd child gets before SIGKILL.
    static let terminationGrace = 1.0

    /// - Parameter passNetAdmin: raise CAP_NET_ADMIN into this thread's ambient set around the
    ///   spawn (a non-root, setcap'd netscouter), so only this child inherits it.
    ///   - name: the program named in a timeout message (default: the executable's file name).
    static func run(executable: String, arguments: [String], environment: [String], input: [UInt8]?,
                    timeout: Double = 30, passNetAdmin: Bool = false, name: String? = nil) throws -> CommandResult {
        _ = ignoreBrokenPipes
        let name = name ?? String(executable.split(separator: "/").last ?? Substring(executable))
        var inputPipe: [Int32] = [-1, -1], outputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        // Every descriptor still open on this side; closed on every way out.
        var open: Set<Int32> = []
        func close(_ descriptor: inout Int32) {
            if descriptor >= 0 { Glibc.close(descriptor); open.remove(descriptor); descriptor = -1 }
        }
        defer { for descriptor in open { Glibc.close(descriptor) } }
        for (index, needed) in [true, true, input != nil].enumerated() where needed {
            var pair: [Int32] = [-1, -1]
            guard firewall_pipe_cloexec(&pair) == 0 else {
                throw FirewallError.other("Cannot create pipes for \(executable): \(String(cString: strerror(errno)))")
            }
            open.formUnion(pair)
            switch index {
            case 0: outputPipe = pair
            case 1: errorPipe = pair
            default: inputPipe = pair
            }
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
        // Nothing else this process holds without close-on-exec (a capture socket, a database)
        // reaches a child that may run with CAP_NET_ADMIN.
        firewall_spawn_close_from(&actions, 3)

        // The child starts with default signal handling and nothing blocked, whatever this
        // process ignores (SIGPIPE) or blocks on the calling thread.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var raised = false
        var addedInheritable: Int32 = 0
        if passNetAdmin && firewall_ambient_net_admin_is_set() != 1 {
            guard firewall_raise_ambient_net_admin(&addedInheritable) == 0 else {
                firewall_lower_ambient_net_admin(addedInheritable)
                throw FirewallError.needsNetAdmin(executable: NetAdminCapability.executablePath)
            }
            raised = true
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        if raised { firewall_lower_ambient_net_admin(addedInheritable) }
        close(&inputPipe[0])
        close(&outputPipe[1])
        close(&errorPipe[1])
        guard spawned == 0 else {
            throw FirewallError.other("Cannot start \(executable): \(String(cString: strerror(spawned)))")
        }

        let deadline = monotonicNow() + timeout
        var output: [UInt8] = [], errors: [UInt8] = []
        var pending = input.map { $0[...] } ?? []
        var writer = inputPipe[1]
        if writer >= 0 {
            _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
            if pending.isEmpty { close(&writer) }
        }
        var readers = [outputPipe[0], errorPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var failure: FirewallError?
        while failure == nil && (writer >= 0 || readers.contains(where: { $0 >= 0 })) {
            let left = deadline - monotonicNow()
            guard left > 0 else { failure = timedOut(name, timeout); break }
            var polls = readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            polls.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0))
            let ready = poll(&polls, nfds_t(polls.count), Int32(min(left * 1000, 60_000).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                failure = .other("Waiting for `\(name)` failed: \(String(cString: strerror(errno)))")
                break
            }
            for index in 0..<2 where readers[index] >= 0 && polls[index].revents != 0 {
                let count = read(readers[index], &buffer, buffer.count)
                if count > 0 {
                    if index == 0 { output += buffer[0..<count] } else { errors += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(&readers[index])
                }
            }
            if writer >= 0 && polls[2].revents != 0 {
                let written = pending.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                if written > 0 { pending = pending.dropFirst(written) }
                if pending.isEmpty || (written < 0 && errno != EINTR && errno != EAGAIN) {
                    close(&writer)
                }
            }
        }
        var status: Int32 = 0
        if failure == nil {
            switch reap(pid, &status, until: deadline) {
            case .exited: break
            case .running: failure = timedOut(name, timeout)
            case let .lost(code):
                // Someone else reaped it (SIGCHLD ignored, another waiter): its outcome is unknown,
                // never taken for success.
                throw FirewallError.other("Could not learn how `\(name)` ended (waitpid: \(String(cString: strerror(code)))); the change may not have been applied. Check with `netscouter blocks`.")
            }
        }
        if let failure {
            stop(pid)
            throw failure
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros: decoded by hand.
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CommandResult(status: exitStatus, standardOutput: String(decoding: output, as: UTF8.self),
                             standardError: String(decoding: errors, as: UTF8.self))
    }

    private static func timedOut(_ name: String, _ timeout: Double) -> FirewallError {
        .other("`\(name)` did not answer within \(Int(timeout.rounded())) s and was stopped. Another program may hold the firewall lock, or the system is overloaded; try again.")
    }

    private enum Reaped {
        case exited, running
        /// waitpid failed with this errno: the child's status is not ours to know.
        case lost(Int32)
    }

    /// Waits for `pid` until `deadline` (monotonic seconds).
    private static func reap(_ pid: pid_t, _ status: inout Int32, until deadline: Double) -> Reaped {
        var pause: useconds_t = 100
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return .exited }
            if result < 0 && errno != EINTR { return .lost(errno) }
            if monotonicNow() >= deadline { return .running }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    /// SIGTERM, a grace period, then SIGKILL; always reaped (no zombie left behind).
    private static func stop(_ pid: pid_t) {
        var status: Int32 = 0
        kill(pid, SIGTERM)
        if case .running = reap(pid, &status, until: monotonicNow() + terminationGrace) {} else { return }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    private static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
