import Foundation

/// A MaxMind DB file written by the test from the published format (MaxMind DB File Format
/// Specification 2.0): an IPv4 search tree with 24-bit records, a data section, metadata. Read
/// back through libmaxminddb, the real library.
public enum MMDBWriter {
    public indirect enum Value {
        case string(String), uint16(UInt16), uint32(UInt32), uint64(UInt64), map([(String, Value)]), array([Value])
    }

    public static func encode(_ value: Value) -> [UInt8] {
        func control(_ type: Int, _ size: Int) -> [UInt8] {
            // Sizes 0…28 fit the control byte; 29…284 take one more byte (size − 29).
            precondition(size < 285)
            let (field, extra): (Int, [UInt8]) = size < 29 ? (size, []) : (29, [UInt8(size - 29)])
            let head: [UInt8] = type <= 7 ? [UInt8(type << 5 | field)] : [UInt8(field), UInt8(type - 7)]
            return head + extra
        }
        func bigEndian(_ value: UInt64) -> [UInt8] {
            var bytes: [UInt8] = []
            var rest = value
            while rest > 0 { bytes.insert(UInt8(rest & 0xFF), at: 0); rest >>= 8 }
            return bytes
        }
        switch value {
        case let .string(text): return control(2, text.utf8.count) + Array(text.utf8)
        case let .uint16(number): let bytes = bigEndian(UInt64(number)); return control(5, bytes.count) + bytes
        case let .uint32(number): let bytes = bigEndian(UInt64(number)); return control(6, bytes.count) + bytes
        case let .uint64(number): let bytes = bigEndian(number); return control(9, bytes.count) + bytes
        case let .map(pairs): return control(7, pairs.count) + pairs.flatMap { encode(.string($0.0)) + encode($0.1) }
        case let .array(items): return control(11, items.count) + items.flatMap(encode)
        }
    }

    /// `networks`: (first address, prefix length, record).
    public static func database(_ networks: [(UInt32, Int, Value)]) -> [UInt8] {
        enum Record { case node(Int), empty, data(Int) }
        var nodes: [[Record]] = [[.empty, .empty]]
        var data: [UInt8] = []
        for (address, prefix, value) in networks {
            let offset = data.count
            data += encode(value)
            var node = 0
            for depth in 0..<prefix {
                let bit = Int(address >> (31 - UInt32(depth)) & 1)
                if depth == prefix - 1 {
                    nodes[node][bit] = .data(offset)
                } else if case let .node(next) = nodes[node][bit] {
                    node = next
                } else {
                    nodes.append([.empty, .empty])
                    nodes[node][bit] = .node(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
        }
        let count = nodes.count
        var file: [UInt8] = []
        for node in nodes {
            for record in node {
                let value: Int
                switch record {
                case let .node(index): value = index
                case .empty: value = count
                case let .data(offset): value = count + 16 + offset
                }
                file += [UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
            }
        }
        file += [UInt8](repeating: 0, count: 16) + data
        file += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        file += encode(.map([
            ("binary_format_major_version", .uint16(2)), ("binary_format_minor_version", .uint16(0)),
            ("build_epoch", .uint64(1_764_460_800)), ("database_type", .string("NetScouter-Test-ASN-Country")),
            ("description", .map([("en", .string("test data written by MaxMindTests"))])),
            ("ip_version", .uint16(4)), ("languages", .array([.string("en")])),
            ("node_count", .uint32(UInt32(count))), ("record_size", .uint16(24)),
        ]))
        return file
    }
}
