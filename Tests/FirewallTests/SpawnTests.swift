import Firewall
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
