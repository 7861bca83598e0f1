import ArgumentParser

/// Where packets come from: the options `capture`, `gui` (and later jobs) share.
struct SourceOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Interface to capture on (see `netscouter interfaces`).")
    var interface: String?

    @Option(name: [.short, .long], help: "Read packets from a pcap or pcapng file instead.")
    var read: String?

    @Option(name: [.short, .long], help: "BPF capture filter, e.g. \"tcp port 443\".")
    var filter: String?

    @Flag(help: "With --read: release packets at the speed they were recorded.")
    var replay = false
}
