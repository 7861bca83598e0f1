import Export
import Foundation
import XCTest

final class JSONExportTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("json") }
    override func tearDown() { folder.remove() }

    private let strings = ["plain", "quote \" and backslash \\", "line\nbreak\r\n", "tab\tand \u{01}\u{1F} controls",
                           "Zürich", "東京", "🦊 👨‍👩‍👧", "=SUM(A1)", "</script>", ""]

    private func table() -> ExportTable {
        let columns = ["text", "signed", "count", "ratio", "flag", "missing", "ports"].map { ExportColumn($0) }
        var table = ExportTable(columns: columns)
        for (index, text) in strings.enumerated() {
            let ports: [ExportValue] = [.unsigned(UInt64(index)), .unsigned(443)]
            let row: [ExportValue] = [.string(text), .integer(-Int64(index)), .unsigned(UInt64(index) * 1_000_000_007),
                                      .double(Double(index) / 4), .bool(index % 2 == 0), .null, .array(ports)]
            table.append(row)
        }
        return table
    }

    func testJSONDocumentParsesWithJQAndKeepsTypes() throws {
        let jq = try ExternalTool.locate("jq", package: "jq")
        let path = folder.file("flows.json")
        let exportedAt: Int64 = 1_700_000_000_123_000_000
        XCTAssertEqual(try Exporter.write(table(), format: .json, to: path, kind: "flows", exportedAt: exportedAt), strings.count)

        XCTAssertEqual(try ExternalTool.run(jq, ["-e", ".", path]).status, 0)
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", ".count", path]), "\(strings.count)\n")
        XCTAssertEqual(try ExternalTool.output(jq, ["-r", ".kind", path]), "flows\n")
        XCTAssertEqual(try ExternalTool.output(jq, ["-r", ".exportedAt", path]), "2023-11-14T22:13:20.123Z\n")
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", ".columns", path]), "[\"text\",\"signed\",\"count\",\"ratio\",\"flag\",\"missing\",\"ports\"]\n")
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", ".records | length", path]), "\(strings.count)\n")
        XCTAssertEqual(try ExternalTool.json(try ExternalTool.output(jq, ["-c", "[.records[].text]", path])) as? [String], strings)
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", ".records[0] | map_values(type)", path]),
                       "{\"text\":\"string\",\"signed\":\"number\",\"count\":\"number\",\"ratio\":\"number\",\"flag\":\"boolean\",\"missing\":\"null\",\"ports\":\"array\"}\n",
                       "numbers stay numbers, keys stay in column order")
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", ".records[3] | [.signed, .count, .ratio, .ports]", path]), "[-3,3000000021,0.75,[3,443]]\n")
    }

    func testNDJSONIsOneRecordPerLine() throws {
        let jq = try ExternalTool.locate("jq", package: "jq")
        let path = folder.file("flows.ndjson")
        try Exporter.write(table(), format: .ndjson, to: path, kind: "flows")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).count, strings.count + 1, "one line per record plus the final newline")
        XCTAssertTrue(text.hasSuffix("}\n"))

        XCTAssertEqual(try ExternalTool.run(jq, ["-e", ".", path]).status, 0)
        XCTAssertEqual(try ExternalTool.output(jq, ["-s", "length", path]), "\(strings.count)\n")
        XCTAssertEqual(try ExternalTool.json(try ExternalTool.output(jq, ["-c", "-s", "map(.text)", path])) as? [String], strings)
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", "select(.signed == -2) | .ratio", path]), "0.5\n")
    }

    func testEmptyTables() throws {
        let jq = try ExternalTool.locate("jq", package: "jq")
        let empty = ExportTable(columns: [ExportColumn("a")])
        let json = folder.file("empty.json"), ndjson = folder.file("empty.ndjson")
        XCTAssertEqual(try Exporter.write(empty, format: .json, to: json, kind: "hosts"), 0)
        XCTAssertEqual(try Exporter.write(empty, format: .ndjson, to: ndjson, kind: "hosts"), 0)
        XCTAssertEqual(try ExternalTool.output(jq, ["-c", "[.count, .records, .columns]", json]), "[0,[],[\"a\"]]\n")
        XCTAssertEqual(try String(contentsOfFile: ndjson, encoding: .utf8), "")
    }

    /// Python's json module reads integers exactly (jq 1.6 turns them into doubles), so the
    /// 64-bit extremes are checked with it.
    func testSixtyFourBitIntegersSurviveExactly() throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("/usr/bin/python3 is missing.") }
        let path = folder.file("extremes.json")
        let table = ExportTable(columns: [ExportColumn("u"), ExportColumn("i"), ExportColumn("d")],
                                rows: [[.unsigned(.max), .integer(.min), .double(.infinity)], [.unsigned(0), .integer(.max), .double(1e-7)]])
        try Exporter.write(table, format: .json, to: path, kind: "test")
        let output = try ExternalTool.output(python, ["-c", "import json,sys; print(repr([list(r.values()) for r in json.load(open(sys.argv[1]))['records']]))", path])
        XCTAssertEqual(output, "[[18446744073709551615, -9223372036854775808, None], [0, 9223372036854775807, 1e-07]]\n")
    }

    func testEncodingIsDeterministicAndEscapesExactly() {
        XCTAssertEqual(JSONText.quoted("a\"b\\c\n\r\t\u{08}\u{0C}\u{01}\u{1F}é東🦊/"), "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001fé東🦊/\"")
        XCTAssertEqual(JSONText.encode([1, -2, 2.5, true, nil, "x", [.unsigned(3)]]), "[1,-2,2.5,true,null,\"x\",[3]]")
        XCTAssertEqual(JSONText.encode(.double(.nan)), "null")

        let table = ExportTable(columns: [ExportColumn("b"), ExportColumn("a")], rows: [["x", 1], ["y", 2]])
        XCTAssertEqual(NDJSONExport().string(for: table), "{\"b\":\"x\",\"a\":1}\n{\"b\":\"y\",\"a\":2}\n")
        XCTAssertEqual(JSONExport().string(for: table, kind: "demo", exportedAt: 0),
                       "{\"exportedAt\":\"1970-01-01T00:00:00.000Z\",\"kind\":\"demo\",\"count\":2,\"columns\":[\"b\",\"a\"],\"records\":[\n"
                           + "{\"b\":\"x\",\"a\":1},\n{\"b\":\"y\",\"a\":2}\n]}\n")
    }

    func testFormatsParseFromNamesAndPaths() {
        XCTAssertEqual(ExportFormat(name: "CSV"), .csv)
        XCTAssertEqual(ExportFormat(name: "json"), .json)
        XCTAssertEqual(ExportFormat(name: "ndjson"), .ndjson)
        XCTAssertEqual(ExportFormat(name: "jsonl"), .ndjson)
        XCTAssertNil(ExportFormat(name: "xml"))
        XCTAssertEqual(ExportFormat(path: "/tmp/flows.ndjson"), .ndjson)
        XCTAssertEqual(ExportFormat(path: "hosts.CSV"), .csv)
        XCTAssertNil(ExportFormat(path: "/tmp/.json"), "a hidden file's name is not an extension")
        XCTAssertNil(ExportFormat(path: "/tmp/x.d/flows"))
        XCTAssertEqual(ExportFormat.allCases.map(\.fileExtension), ["csv", "json", "ndjson"])
        XCTAssertThrowsError(try ExportFormat.parse("xlsx")) { error in
            XCTAssertEqual(String(describing: error), "Unknown export format \"xlsx\". Use csv, json or ndjson.")
        }
    }

    func testISO8601Timestamps() {
        XCTAssertEqual(ISO8601.string(nanosecondsSinceEpoch: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(ISO8601.string(nanosecondsSinceEpoch: 1_700_000_000_123_456_789), "2023-11-14T22:13:20.123Z")
        XCTAssertEqual(ISO8601.string(nanosecondsSinceEpoch: 1_700_000_000_123_456_789, fractionDigits: 6), "2023-11-14T22:13:20.123456Z")
        XCTAssertEqual(ISO8601.string(nanosecondsSinceEpoch: 1_700_000_000_123_456_789, fractionDigits: 9), "2023-11-14T22:13:20.123456789Z")
        XCTAssertEqual(ISO8601.string(nanosecondsSinceEpoch: 1_709_164_800_000_000_000, fractionDigits: 0), "2024-02-29T00:00:00Z")
        XCTAssertEqual(ISO8601.string(nanosecondsSinceEpoch: -1), "1969-12-31T23:59:59.999Z", "before 1970 rounds down, not toward zero")
    }
}
