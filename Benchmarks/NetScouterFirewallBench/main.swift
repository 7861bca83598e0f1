// Firewall benchmark (`make bench-firewall`, part of `make bench`): a 20,000-entry blocklist
// loaded into NetScouter's nftables backend and, in the same run and the same network
// namespace, into an ipset with `ipset restore` — the reference. Runs only inside a namespace
// this program creates and deletes (never the machine's own ruleset). Needs root, nft, ipset.
import Firewall
import Foundation
import NetScouterTestSupport
import Store
#if canImport(Glibc)
import Glibc
#endif

let rounds = Int(ProcessInfo.processInfo.environment["FIREWALL_BENCH_ROUNDS"] ?? "") ?? 7

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func milliseconds(_ value: Double) -> String { String(format: "%.0f ms", value * 1000) }
func summary(_ values: [Double]) -> String {
    "median \(milliseconds(median(values))) (min \(milliseconds(values.min()!)), max \(milliseconds(values.max()!)))"
}

/// 20,000 distinct IPv4 entries in 45.0.0.0/8 and 46.0.0.0/8: `addresses` single addresses and
/// the rest /24 networks, disjoint from each other.
func makeList(addresses: Int, total: Int = 20_000) -> [String] {
    var entries: [String] = []
    for index in 0..<addresses { entries.append("45.\(index / 62_500).\(index / 250 % 250).\(index % 250 + 1)") }
    for index in 0..<(total - addresses) { entries.append("46.\(index / 250).\(index % 250).0/24") }
    return entries
}

struct Case {
    var name: String
    var entries: [String]
}

guard getuid() == 0 else {
    print("The firewall benchmark needs root (it creates a network namespace); skipped.")
    exit(0)
}
let network = try TestNetwork()
defer { network.remove() }
let namespace = try network.add("fwbench")
let runner = ProcessCommandRunner.inNamespace(namespace)
guard runner.locate("nft") != nil, runner.locate("ipset") != nil else {
    print("nft and ipset are needed (apt-get install nftables ipset; make bench does).")
    exit(1)
}
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-firewall-bench-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

print("Firewall import benchmark: \(rounds) rounds each, inside network namespace \(namespace); every round starts from an empty table/set.")
var failed = false
for benchCase in [Case(name: "19,000 addresses + 1,000 /24 networks", entries: makeList(addresses: 19_000)),
                  Case(name: "20,000 addresses", entries: makeList(addresses: 20_000)),
                  Case(name: "20,000 /24 networks", entries: makeList(addresses: 0))] {
    let listFile = folder.appendingPathComponent("list.txt")
    try benchCase.entries.joined(separator: "\n").write(to: listFile, atomically: true, encoding: .utf8)
    let banEntries = try benchCase.entries.map { BanEntry(target: try BlockTarget(parsing: $0), timeoutSeconds: 3600) }
    let restore = "create netscouter4 hash:net family inet timeout 0 counters\n"
        + benchCase.entries.map { "add netscouter4 \($0) timeout 3600\n" }.joined()

    var backendTimes: [Double] = [], importTimes: [Double] = [], ipsetTimes: [Double] = []
    var scriptTimes: [Double] = [], spawnTimes: [Double] = [], pairRatios: [Double] = []
    func backendRound() throws {
        _ = try runner.run(FirewallCommand("nft", ["delete", "table", "inet", "netscouter"]))
        // The backend alone: what `block` costs once the list is parsed and checked (one nft transaction).
        let backend = NftablesBackend(runner: runner)
        backendTimes.append(try seconds { try backend.block(banEntries) })
        let loaded = try backend.list().count
        if loaded != banEntries.count { print("  FAIL: nftables holds \(loaded) of \(banEntries.count) entries"); failed = true }
        _ = try runner.run(FirewallCommand("nft", ["delete", "table", "inet", "netscouter"]))
    }
    func ipsetRound() throws {
        // The reference: the same list through `ipset restore` (one process, one batch).
        _ = try runner.run(FirewallCommand("ipset", ["destroy", "netscouter4"]))
        ipsetTimes.append(try seconds { try runner.check(FirewallCommand("ipset", ["restore"], standardInput: restore)) })
        let counted = try runner.check(FirewallCommand("ipset", ["list", "netscouter4", "-terse"])).standardOutput
        if !counted.contains("Number of entries: \(banEntries.count)") { print("  FAIL: ipset holds: \(counted)"); failed = true }
        _ = try runner.run(FirewallCommand("ipset", ["destroy", "netscouter4"]))
    }
    for round in 0..<rounds {
        // Where the backend's time goes: building the script in Swift, and starting nft at all.
        scriptTimes.append(seconds { _ = NftablesBackend(runner: runner).blockCommands(banEntries) })
        spawnTimes.append(try seconds { try runner.check(FirewallCommand("nft", ["-f", "-"], standardInput: "list tables\n")) })

        // Back to back and in turns, so load from elsewhere on the machine hits both alike.
        if round % 2 == 0 { try backendRound(); try ipsetRound() } else { try ipsetRound(); try backendRound() }
        pairRatios.append(backendTimes.last! / ipsetTimes.last!)

        // The whole `netscouter block --from-file`: read, parse, safety checks, nft, store and audit.
        let database = try NetScouterDatabase(directory: try {
            // A new, empty database for every case and round.
            let directory = folder.appendingPathComponent("db-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return directory
        }())
        let service = FirewallService(backend: NftablesBackend(runner: runner), database: database,
                                      facts: { try HostFacts.gather(runner: runner) }, privilegeCheck: {})
        var blocked = 0
        importTimes.append(try seconds {
            blocked = try service.importBlocklist(path: listFile.path, duration: .seconds(3600)).outcome.blocked.count
        })
        if blocked != banEntries.count { print("  FAIL: the import blocked \(blocked) of \(banEntries.count)"); failed = true }
        try database.close()
        _ = try runner.run(FirewallCommand("nft", ["delete", "table", "inet", "netscouter"]))
    }
    let ratio = median(backendTimes) / median(ipsetTimes)
    print("""
        \(benchCase.name):
          nftables backend (one nft -f - transaction)   \(summary(backendTimes))
          full import (parse, safety, nft, store, audit) \(summary(importTimes))
          ipset restore (reference)                      \(summary(ipsetTimes))
            of the backend: script text \(milliseconds(median(scriptTimes))), starting nft (empty script) \(milliseconds(median(spawnTimes)))
          nftables backend / ipset restore = \(String(format: "%.2f", ratio))× (goal ≤ 1×)\(ratio <= 1 ? "" : "  — above the goal"); \
        median of the per-round ratios \(String(format: "%.2f", median(pairRatios)))×
        """)
    fflush(nil)
}
exit(failed ? 1 : 0)
