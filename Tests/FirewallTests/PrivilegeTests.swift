import Firewall
import Foundation
import NetScouterTestSupport
import Store
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Without CAP_NET_ADMIN the CLI says so and how to grant it; a dry run needs no privilege.
final class PrivilegeTests: XCTestCase {
    func testUnprivilegedBlockNamesTheFixAndDryRunStillWorks() throws {
        let executable = Bundle.main.bundleURL.appendingPathComponent("netscouter").path
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
              FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("Needs root, setpriv (util-linux) and the built netscouter to run it as the unprivileged user nobody.")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-nobody-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(at: directory) }
        func asNobody(_ arguments: [String]) throws -> Command.Output {
            try Command.run(["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", executable] + arguments
                            + ["--data-dir", directory.path])
        }
        let refused = try asNobody(["block", "203.0.113.9"])
        guard !refused.standardError.contains("Permission denied") || refused.standardError.contains("CAP_NET_ADMIN") else {
            throw XCTSkip("nobody cannot execute the build folder's binary here: \(refused.standardError)")
        }
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.standardError.contains("Changing the firewall needs the CAP_NET_ADMIN capability"), refused.standardError)
        XCTAssertTrue(refused.standardError.contains("sudo setcap cap_net_raw,cap_net_admin=eip "), refused.standardError)
        XCTAssertTrue(refused.standardError.contains("or run the command with sudo"), refused.standardError)

        let dryRun = try asNobody(["block", "203.0.113.9", "--for", "5m", "--dry-run"])
        XCTAssertEqual(dryRun.status, 0, dryRun.standardError)
        XCTAssertTrue(dryRun.standardOutput.contains("add element inet netscouter ban4 { 203.0.113.9 timeout 300s }"), dryRun.standardOutput)
        let database = try NetScouterDatabase(directory: directory)
        XCTAssertEqual(try BlockStore(database: database).active(at: Date()), [], "a dry run records nothing")
    }

    func testCapabilityParsing() {
        XCTAssertTrue(NetAdminCapability.isEffective(status: "Name:\tx\nCapEff:\t000001ffffffffff\n"))
        XCTAssertFalse(NetAdminCapability.isEffective(status: "CapEff:\t0000000000000000\n"))
        XCTAssertTrue(NetAdminCapability.isEffective(status: "CapEff:\t0000000000001000\n"), "bit 12 alone")
        XCTAssertFalse(NetAdminCapability.isEffective(status: "CapEff:\t0000000000002000\n"), "CAP_NET_RAW is not enough")
    }
}
