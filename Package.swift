// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way (see ../shared/DESIGN.md):
//   NetScouter (executable) → Screens, Capture, Traffic, HTTP, UISDL, Intel
//   Intel → HTTP + Store + Packets + CLoc + CMaxMindDB;  Jobs → Intel (the reputation-refresh engine)
//   IoT → Packets + Capture + Traffic + Store + Intel + Export;  Jobs → IoT (discoveries feed the inventory)
//   Firewall → Store + Packets + Intel + CFirewall;  Jobs → Firewall (the blocklist-import engine)
//   Screens → UI + Intel + IoT + Firewall (the IoT Map and Firewall tabs; the Intel tab and the tables' Country / AS / Consensus columns);  UISDL → UI + CSDL2;  Capture → Packets + Ring + CPcap;  HTTP → CCurl
// The UI core never imports SDL or pcap; the capture side never imports UI.
let package = Package(
    name: "NetScouter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "netscouter", targets: ["NetScouter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: C libraries (system libraries with Debian providers; shims only)
        .systemLibrary(name: "CSDL2", pkgConfig: "sdl2", providers: [.apt(["libsdl2-dev", "libsdl2-ttf-dev", "libsdl2-image-dev"])]),
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CFontconfig", pkgConfig: "fontconfig", providers: [.apt(["libfontconfig-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLoc", pkgConfig: "libloc", providers: [.apt(["libloc-dev", "libloc-database"])]),
        .systemLibrary(name: "CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),
        .systemLibrary(name: "CScan"),
        .systemLibrary(name: "CFirewall"),

        // MARK: Pure Swift libraries
        .target(name: "Ring"),
        .target(name: "Packets"),
        .target(name: "Traffic", dependencies: ["Packets"]),
        .target(name: "Capture", dependencies: ["Packets", "Ring", "CPcap"]),
        .target(name: "HTTP", dependencies: ["CCurl"]),
        .target(name: "UI"),
        .target(name: "UISDL", dependencies: ["UI", "CSDL2", "CFontconfig"]),
        .target(name: "Store", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Export", dependencies: ["Traffic", "Packets"]),
        .target(name: "Intel", dependencies: ["HTTP", "Store", "Packets", "CLoc", "CMaxMindDB", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Schedule"),
        // Bans: nftables / iptables+ipset / netsh / pf backends, safety checks, allowlist, auto-block.
        .target(name: "Firewall", dependencies: ["Store", "Packets", "Intel", "CFirewall", .product(name: "GRDB", package: "GRDB.swift")]),
        // Port scans, connections, LAN discovery; top-ports.txt links to Assets/top-ports.txt.
        .target(name: "Scan", dependencies: ["Packets", "CScan"], resources: [.embedInCode("top-ports.txt")]),
        // IoT inventory, classification and outbound-flow risk; iot-device-types.json links to Assets/.
        .target(name: "IoT", dependencies: ["Packets", "Capture", "Traffic", "Store", "Intel", "Export", .product(name: "GRDB", package: "GRDB.swift")],
                resources: [.embedInCode("iot-device-types.json")]),
        .target(name: "Jobs", dependencies: ["Schedule", "Store", "Capture", "Traffic", "Export", "Packets", "Scan", "Intel", "IoT", "Firewall",
                                             .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Screens", dependencies: ["UI", "Capture", "Traffic", "Packets", "Store", "Schedule", "Export", "Jobs", "Intel", "Scan", "IoT", "Firewall",
                                                .product(name: "GRDB", package: "GRDB.swift")]),

        // MARK: The executable: command line and wiring, nothing else
        .executableTarget(
            name: "NetScouter",
            dependencies: [
                "Capture", "Traffic", "Packets", "Screens", "UI", "UISDL", "Store", "Schedule", "Export", "Jobs", "Intel", "Scan", "IoT", "Firewall",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Benchmarks (release build, `make bench`)
        .executableTarget(
            name: "NetScouterBench",
            dependencies: ["Capture", "Traffic", "Packets", "Ring"],
            path: "Benchmarks/NetScouterBench"
        ),

        .executableTarget(
            name: "NetScouterIntelBench",
            dependencies: ["Intel", "Store", "Packets", "Screens"],
            path: "Benchmarks/NetScouterIntelBench"
        ),

        .executableTarget(
            name: "NetScouterUIBench",
            dependencies: ["Screens", "UI", "UISDL", "Traffic", "Packets", "Intel", "Store"],
            path: "Benchmarks/NetScouterUIBench"
        ),

        .executableTarget(
            name: "NetScouterIoTMapBench",
            dependencies: ["Screens", "UI", "UISDL", "IoT"],
            path: "Benchmarks/NetScouterIoTMapBench"
        ),

        .executableTarget(
            name: "NetScouterScanBench",
            dependencies: ["Scan", "Packets", "NetScouterTestSupport"],
            path: "Benchmarks/NetScouterScanBench"
        ),

        .executableTarget(
            name: "NetScouterFirewallBench",
            dependencies: ["Firewall", "Store", "NetScouterTestSupport"],
            path: "Benchmarks/NetScouterFirewallBench"
        ),

        // MARK: Tests (one target per library, plus end-to-end)
        // Helpers the test targets share (loopback sockets); never linked into the product.
        .target(name: "NetScouterTestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RingTests", dependencies: ["Ring"]),
        .testTarget(name: "PacketsTests", dependencies: ["Packets", "Capture", "CPcap"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Packets", "Traffic", "NetScouterTestSupport"]),
        .testTarget(name: "TrafficTests", dependencies: ["Traffic", "Packets"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "IntelTests", dependencies: ["Intel", "HTTP", "Store", "Packets", "Jobs", "Schedule", "Export", "NetScouterTestSupport"]),
        .testTarget(name: "UITests", dependencies: ["UI"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "Capture", "Traffic", "Packets", "NetScouterTestSupport"]),
        .testTarget(name: "ScheduleTests", dependencies: ["Schedule"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Store", "Traffic", "Packets", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ScreensTests", dependencies: ["NetScouterTestSupport", "Screens", "UI", "UISDL", "Capture", "Traffic", "Packets", "Intel", "Store", "Export", "Scan", "IoT"]),
        .testTarget(name: "UISDLTests", dependencies: ["UISDL", "UI"]),
        .testTarget(name: "ScanTests", dependencies: ["Scan", "Packets", "Store", "Jobs", "Schedule", "NetScouterTestSupport"]),
        .testTarget(name: "IoTTests", dependencies: ["IoT", "Packets", "Store", "Intel", "Traffic", "Jobs", "Scan", "NetScouterTestSupport",
                                                .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "Store", "Packets", "Intel", "HTTP", "Scan", "Jobs", "Schedule", "Screens", "UI", "NetScouterTestSupport", "Traffic",
                                                         .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "EndToEndTests", dependencies: ["Packets", "Store", "NetScouterTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
