/// The ranked common-port list of Assets/top-ports.txt, embedded in the binary at build time
/// (Sources/Scan/top-ports.txt links to it), so an installed `netscouter` needs no data files.
public enum TopPorts {
    public static let ranked: [UInt16] = parse(String(decoding: PackageResources.top_ports_txt, as: UTF8.self))

    /// First field of every non-comment line, each port once, in file order.
    static func parse(_ text: String) -> [UInt16] {
        var seen = Set<UInt16>()
        var ports: [UInt16] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let field = line.split(separator: " ").first, let port = UInt16(field), port > 0 else { continue }
            if seen.insert(port).inserted { ports.append(port) }
        }
        return ports
    }
}
