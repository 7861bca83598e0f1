@testable import Firewall
import Foundation
import NetScouterTestSupport
import Packets
import Store
import XCTest

/// How the firewall runs its programs: a hung one is stopped after the timeout, children start
/// with default signal handling, and a setcap'd non-root netscouter passes CAP_NET_ADMIN to its
/// `nft` child only.
final class SpawnTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A fake `nft` in a folder of its own, found through the runner's search path.
    private func fakeProgram(_ name: String, _ script: String) throws -> ProcessCommandRunner {
        let path = directory.appendingPathComponent(name).path
        try ("#!/bin/sh\n" + script + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return ProcessCommandRunner(searchPath: [directory.path, "/usr/bin", "/bin"], timeout: 1)
    }

    func testHungProgramIsStoppedAfterTheTimeout() throws {
        let runner = try fakeProgram("nft", "exec sleep 30")
        let started = Date()
        XCTAssertThrowsError(try runner.run(FirewallCommand("nft", ["-f", "-"], standardInput: "add table inet netscouter\n"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("`nft` did not answer within 1 s"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    /// Pipes this process holds (read from /proc/self/fd).
    private func openPipes() throws -> Int {
        let folder = "/proc/self/fd"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\($0)")) ?? "").hasPrefix("pipe:")
        }.count
    }

    /// Every way out closes the pipes: success, a timeout, a program that cannot start.
    func testNoPipeIsLeftOpenOnAnyPath() throws {
        let runner = try fakeProgram("nft", "case \"$1\" in slow) exec sleep 30;; esac; cat")
        let before = try openPipes()
        for _ in 0..<5 { _ = try runner.run(FirewallCommand("nft", ["-f", "-"], standardInput: "x\n")) }
        XCTAssertThrowsError(try runner.run(FirewallCommand("nft", ["slow"], standardInput: "x\n")))
        XCTAssertThrowsError(try Spawn.run(executable: directory.appendingPathComponent("absent").path, arguments: ["absent"],
                                           environment: [], input: [1, 2, 3]))
        XCTAssertEqual(try openPipes(), before)
    }

    func testProgramIgnoringSIGTERMIsKilled() throws {
        // An ignored signal stays ignored across exec: sleep ignores SIGTERM, SIGKILL ends it.
        let runner = try fakeProgram("iptables", "trap '' TERM\nexec sleep 30")
        let started = Date()
        XCTAssertThrowsError(try runner.run(FirewallCommand("iptables", ["-w", "5", "-S"]))) { error in
            XCTAssertTrue("\(error)".hasPrefix("`iptables` did not answer within 1 s"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 6)
    }

    func testFastProgramIsUnaffectedByTheTimeout() throws {
        let runner = try fakeProgram("nft", "cat; echo done >&2; exit 3")
        let result = try runner.run(FirewallCommand("nft", ["-f", "-"], standardInput: "hello\n"))
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.standardOutput, "hello\n")
        XCTAssertEqual(result.standardError, "done\n")
    }

    /// The runner ignores SIGPIPE for itself; its children must not inherit that (a pipeline in
    /// a child would then never stop on a closed pipe) nor a blocked signal mask.
    func testChildrenStartWithDefaultSignals() throws {
        let status = try ProcessCommandRunner().check(FirewallCommand("cat", ["/proc/self/status"])).standardOutput
        func mask(_ field: String) -> UInt64? {
            status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
                .flatMap { UInt64($0.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        // glibc's own real-time signals 32 and 33 are outside sigfillset and not ours to reset.
        XCTAssertEqual(mask("SigIgn").map { $0 & ~(UInt64(3) << 31) }, 0, status)
        XCTAssertEqual(mask("SigIgn").map { $0 & (1 << (SIGPIPE - 1)) }, 0, "SIGPIPE is back to default")
        XCTAssertEqual(mask("SigBlk"), 0, status)
    }

    /// A descriptor this process holds without close-on-exec (a capture socket, say) does not
    /// reach a firewall child: the child's /proc/self/fd shows 0, 1, 2 and its own directory.
    func testChildrenInheritNoOtherDescriptor() throws {
        let leaked = open("/dev/null", O_RDONLY)
        XCTAssertGreaterThanOrEqual(leaked, 0)
        let high = dup2(leaked, 200)
        XCTAssertEqual(high, 200)
        defer { close(leaked); close(high) }
        let listed = try ProcessCommandRunner().check(FirewallCommand("ls", ["-1", "/proc/self/fd"])).standardOutput
        let descriptors = Set(listed.split(separator: "\n").compactMap { Int32($0) })
        XCTAssertFalse(descriptors.contains(200), "\(descriptors.sorted())")
        XCTAssertTrue(descriptors.isSuperset(of: [0, 1, 2]))
    }

    private static func field(_ name: String, _ status: String) -> UInt64? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .flatMap { UInt64($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
    }

    /// CAP_NET_ADMIN reaches the child it was raised for and no later one: the spawning
    /// thread's ambient and inheritable sets are back as they were right after the spawn.
    func testOnlyTheFirewallChildGetsTheAmbientCapability() throws {
        guard NetAdminCapability.isEffective() else { throw XCTSkip("Needs CAP_NET_ADMIN in this test process.") }
        let netAdmin: UInt64 = 1 << 12
        final class Box: @unchecked Sendable {
            var results: [String: UInt64?] = [:]
            var failure: (any Error)?
        }
        let box = Box()
        // Capabilities are per thread: a thread of its own, so no other test sees a change.
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            do {
                let before = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
                let child = try Spawn.run(executable: "/bin/cat", arguments: ["cat", "/proc/self/status"], environment: [], input: nil, passNetAdmin: true)
                let after = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
                let later = try Spawn.run(executable: "/bin/cat", arguments: ["cat", "/proc/self/status"], environment: [], input: nil)
                box.results = ["child": Self.field("CapAmb", child.standardOutput), "later": Self.field("CapAmb", later.standardOutput),
                               "ambientBefore": Self.field("CapAmb", before), "ambientAfter": Self.field("CapAmb", after),
                               "inheritableBefore": Self.field("CapInh", before), "inheritableAfter": Self.field("CapInh", after)]
            } catch { box.failure = error }
        }
        thread.start()
        done.wait()
        let results = box.results, failure = box.failure
        if let failure { throw failure }
        XCTAssertEqual(results["child"].flatMap { $0 }.map { $0 & netAdmin }, netAdmin, "the firewall child has it in its ambient set")
        XCTAssertEqual(results["later"].flatMap { $0 }.map { $0 & netAdmin }, 0, "a later child does not")
        XCTAssertEqual(results["ambientAfter"], results["ambientBefore"])
        XCTAssertEqual(results["inheritableAfter"], results["inheritableBefore"])
    }

    /// The real deployment: a copy of netscouter with file capabilities, run as the user nobody
    /// inside test namespace A. Its `nft` child needs CAP_NET_ADMIN: made inheritable and raised
    /// into the ambient set around that one spawn (exec of a setcap'd file leaves the process's
    /// inheritable set empty, so a bare ambient raise fails and nft got no capability).
    func testSetcapNetScouterAsNobodyBlocksThroughItsNftChild() throws {
        let built = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: built),
              let setcap = ProcessCommandRunner().locate("setcap"), FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("Needs root, setcap (libcap2-bin), setpriv and the built netscouter.")
        }
        let lab = try FirewallLab()
        defer { lab.remove() }
        let executable = directory.appendingPathComponent("netscouter").path
        try FileManager.default.copyItem(atPath: built, toPath: executable)
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        func asNobody(_ arguments: [String]) throws -> Command.Output {
            try Command.run(["ip", "netns", "exec", lab.a, "/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             executable] + arguments + ["--data-dir", data.path])
        }

        try Command.check([setcap, CapabilityHint.capabilities, executable])
        let blocked = try asNobody(["block", FirewallLab.addressB, "--for", "1h"])
        guard !blocked.standardError.contains("Permission denied") || blocked.standardError.contains("CAP_NET_ADMIN") else {
            throw XCTSkip("nobody cannot execute the copied binary here: \(blocked.standardError)")
        }
        XCTAssertEqual(blocked.status, 0, blocked.standardError)
        XCTAssertEqual(Set(try lab.kernelBans().keys.map(\.description)), [FirewallLab.addressB], "nft ran with CAP_NET_ADMIN")
        XCTAssertFalse(try lab.pings(FirewallLab.addressA))
    }
}
