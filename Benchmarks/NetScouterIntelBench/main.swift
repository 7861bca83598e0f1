import Foundation
import Intel
import Packets
import Screens
import Store

// Enrichment of 100,000 flows' addresses: offline geo/AS (libloc), MAC vendor (IEEE
// registries) and the cached consensus — what the flows table's new columns read; then sorting
// 100,000 rows by the Consensus, Country and AS columns (a comparator that looks both rows up on
// every comparison, as tables did, against keys computed once per row). Release build:
// `make bench` (or `swift run -c release NetScouterIntelBench`).

#if DEBUG
print("!!! DEBUG build: figures are meaningless. Run `swift run -c release NetScouterIntelBench`.")
#endif

struct Generator {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
}

let flowCount = 100_000
let distinctRemotes = 20_000
var generator = Generator()
var remotes: [IPAddress] = []
while remotes.count < distinctRemotes {
    let candidate = IPAddress(ipv4: UInt32(truncatingIfNeeded: generator.next()))
    if AddressScope.of(candidate).isGlobal { remotes.append(candidate) }
}
let locals = (1...200).map { IPAddress(192, 168, 1, UInt8($0)) }
let prefixes: [UInt64] = [0xB827EB, 0xDCA632, 0x3C5AB4, 0x001A11, 0xF4F5D8, 0x70B3D5, 0x208593, 0x0242AC]
let macs = (0..<500).map { index in MACAddress(value: prefixes[index % prefixes.count] << 24 | (generator.next() & 0xFF_FFFF)) }
let flows = (0..<flowCount).map { _ in
    (local: locals[Int(generator.next() % UInt64(locals.count))], remote: remotes[Int(generator.next() % UInt64(remotes.count))],
     mac: macs[Int(generator.next() % UInt64(macs.count))])
}

let location: LocationDatabase?
// The window opens it on the UI thread when it starts (IntelModel): how long that takes.
let openStart = Date()
switch LocationDatabase.openDefault() {
case let .success(database): location = database
case let .failure(notice): print("note: \(notice)"); location = nil
}
print("libloc database opened in \(String(format: "%.2f", Date().timeIntervalSince(openStart) * 1000)) ms")
let vendorsLoad = Date()
let vendors = try? MACVendors()
print("IEEE registries loaded in \(String(format: "%.0f", Date().timeIntervalSince(vendorsLoad) * 1000)) ms (\(vendors?.entryCount ?? 0) prefixes)")

// A cache with answers for a quarter of the remote addresses.
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netscouter-intel-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let database = try NetScouterDatabase(directory: directory)
let cache = ReputationCache(database: database)
let now = Date()
try database.write { db in
    for (index, address) in remotes.prefix(distinctRemotes / 4).enumerated() {
        for provider in ReputationProvider.allCases {
            try ReputationCache.put(ReputationEntry(address: address.description, provider: provider.rawValue, flagged: index % 7 == 0,
                                                    fetchedAt: now, expiresAt: now.addingTimeInterval(86_400)), in: db)
        }
    }
}

func run(_ label: String, _ enricher: AddressEnricher) -> Double {
    var checksum = 0
    let start = Date()
    for flow in flows {
        let local = enricher.enrich(flow.local)
        let remote = enricher.enrich(flow.remote)
        let vendor = enricher.vendor(flow.mac)
        checksum &+= local.countryText.utf8.count &+ Int(remote.location?.asn ?? 0) &+ (remote.consensus?.flagged ?? 0)
        if case .vendor = vendor { checksum &+= 1 }
    }
    let seconds = Date().timeIntervalSince(start)
    let lookups = Double(flows.count * 3)
    print("\(label): \(flows.count) flows × 3 lookups in \(String(format: "%.1f", seconds * 1000)) ms = \(String(format: "%.2f", lookups / seconds / 1e6)) M lookups/s (checksum \(checksum))")
    return lookups / seconds
}

let enricher = AddressEnricher(location: location, vendors: vendors)
let preloadStart = Date()
let preloaded = try enricher.preload(from: cache, at: now)
print("Preloaded \(preloaded) cached verdicts in \(String(format: "%.0f", Date().timeIntervalSince(preloadStart) * 1000)) ms")
let cold = run("Cold (every distinct address through libloc once)", enricher)
var warm: [Double] = []
for round in 1...5 { warm.append(run("Warm run \(round)", enricher)) }
warm.sort()
print("Summary: enrichment cold \(String(format: "%.2f", cold / 1e6)) M lookups/s; warm best \(String(format: "%.2f", warm.last! / 1e6)), median \(String(format: "%.2f", warm[2] / 1e6)) M lookups/s; a 60 fps frame showing 40 rows needs 120 lookups.")

// Sorting 100,000 rows by the Intel columns, as the flows table does when the user clicks a header.
struct BenchRow { let remote: IPAddress; let number: Int }
let intel = IntelModel(services: nil, inbox: UIInbox(), toasts: ToastCenter(), environment: ProcessInfo.processInfo.environment)
_ = try intel.enricher.preload(from: cache, at: now)
let benchRows = flows.enumerated().map { BenchRow(remote: $0.element.remote, number: $0.offset) }
let intelColumns = IntelColumns.standard(intel) { (row: BenchRow) in row.remote }
let table = DataTable<BenchRow, Int>("Bench", columns: intelColumns, key: \.number)
var generation = 0
for column in intelColumns {
    func milliseconds(_ body: () -> Void) -> Double {
        var times: [Double] = []
        for _ in 0..<3 {
            let start = Date()
            body()
            times.append(Date().timeIntervalSince(start) * 1000)
        }
        return times.min()!
    }
    let less = column.less!
    var perComparison: [BenchRow] = []
    let comparatorTime = milliseconds { perComparison = benchRows.sorted { less($1, $0) } }
    table.sort = DataSort(column: column.title, ascending: false)
    let keyedTime = milliseconds {
        generation += 1
        table.update(generation: generation, filter: "", now: Double(generation), streaming: false, source: { benchRows })
    }
    // Both orders agree on every row's value (ties may sit in another order).
    let same = zip(perComparison, table.rows).allSatisfy { !less($0, $1) && !less($1, $0) }
    print("Sort \(benchRows.count) rows by \(column.title) (descending): comparator looking up both rows \(String(format: "%.0f", comparatorTime)) ms; keys once per row (DataTable) \(String(format: "%.0f", keyedTime)) ms = \(String(format: "%.1f", comparatorTime / keyedTime))× faster\(same ? "" : " — ORDERS DIFFER")")
}
try database.close()
