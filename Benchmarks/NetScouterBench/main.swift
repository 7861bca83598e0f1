// NetScouterBench — `make bench` runs `swift run -c release NetScouterBench`.
//
//   1. Capture pipeline (libpcap → PacketDecoder → SPSC ring → TrafficAggregator) over a generated
//      pcap, against `tcpdump -r FILE -w /dev/null` timed in the same run, plus diagnostics that
//      split the pipeline's cost into its stages.
//   2. SPSC ring throughput across two threads with 64-byte elements, against a Mutex-guarded
//      bounded queue (one lock per item).
//   3. Live capture loss: a sendmmsg sender and a capturing receiver in two network namespaces
//      joined by a veth pair (created and deleted by the benchmark; root only); NetScouter and
//      `tcpdump -w /dev/null` each capture alone at 100k, 200k, 400k packets/s, flat out and in
//      bursts of 200 at 1,000 packets/s; losses and drop counters against the veth's rx count.
//      `make bench-live` (or `--only-live`) runs this part alone.
//   4. A summary table with PASS/FAIL against the targets. The exit code is 0 whatever the
//      figures are (it is a report); it is 1 only when a correctness check fails or the
//      arguments are wrong.
#if canImport(Glibc)
import Glibc
#endif

BenchmarkMain.run(arguments: Array(CommandLine.arguments.dropFirst()))
