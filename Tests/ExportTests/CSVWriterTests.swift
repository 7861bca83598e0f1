import Export
import Foundation
import XCTest

final class CSVWriterTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("csv") }
    override func tearDown() { folder.remove() }

    /// Cells that break naive CSV writers, with what Python's csv module must read back.
    private let awkward: [(cell: ExportValue, expected: String)] = [
        (.string("plain"), "plain"),
        (.string("a,b"), "a,b"),
        (.string("say \"hi\""), "say \"hi\""),
        (.string("\"quoted\""), "\"quoted\""),
        (.string("line1\r\nline2"), "line1\r\nline2"),
        (.string("line1\nline2"), "line1\nline2"),
        (.string("Zürich"), "Zürich"),
        (.string("東京"), "東京"),
        (.string("🦊 fox, 👨‍👩‍👧 family"), "🦊 fox, 👨‍👩‍👧 family"),
        (.string("=SUM(A1)"), "'=SUM(A1)"),
        (.string("+1"), "'+1"),
        (.string("-cmd"), "'-cmd"),
        (.string("@x"), "'@x"),
        (.string("\tTAB"), "'\tTAB"),
        (.string("\rCR"), "'\rCR"),
        (.string("=HYPERLINK(\"http://x\",\"a,b\")"), "'=HYPERLINK(\"http://x\",\"a,b\")"),
        (.string("a=b"), "a=b"),
        (.string(""), ""),
        (.integer(-12), "-12"),
        (.double(3.5), "3.5"),
        (.double(-0.25), "-0.25"),
        (.unsigned(18_446_744_073_709_551_615), "18446744073709551615"),
        (.bool(true), "true"),
        (.null, ""),
        (.array([.unsigned(22), .unsigned(443)]), "22; 443"),
        (.array([.integer(-1), .integer(2)]), "-1; 2"),
        (.array([.string("=x"), .string("y")]), "'=x; y"),
    ]

    private func awkwardTable() -> ExportTable {
        ExportTable(columns: [ExportColumn("id", title: "ID"), ExportColumn("value", title: "Value, \"raw\""), ExportColumn("after", title: "After")],
                    rows: awkward.enumerated().map { index, entry in [.integer(Int64(index)), entry.cell, .string("end")] })
    }

    /// Python's csv module, the reader the acceptance criteria name, reads each file cell for cell.
    private func pythonCells(_ path: String, encoding: String = "utf-8") throws -> [[String]] {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("/usr/bin/python3 is missing; install it with `sudo apt-get install python3`.")
        }
        let script = "import csv,sys,json; print(json.dumps(list(csv.reader(open(sys.argv[1], newline=\"\", encoding=sys.argv[2])))))"
        let output = try ExternalTool.output(python, ["-c", script, path, encoding])
        return try XCTUnwrap(ExternalTool.json(output) as? [[String]], output)
    }

    func testPythonReadsEveryAwkwardCellExactlyAndFormulasAreNeutralised() throws {
        let path = folder.file("awkward.csv")
        let written = try Exporter.write(awkwardTable(), format: .csv, to: path, kind: "test")
        XCTAssertEqual(written, awkward.count)

        let cells = try pythonCells(path)
        XCTAssertEqual(cells.count, awkward.count + 1, "header plus one record per row: \(cells)")
        XCTAssertEqual(cells.first, ["ID", "Value, \"raw\"", "After"])
        for (index, entry) in awkward.enumerated() {
            XCTAssertEqual(cells[index + 1], [String(index), entry.expected, "end"], "row \(index): \(entry.cell)")
        }
    }

    func testFileIsUTF8WithCRLFRecordsAndNoByteOrderMarkByDefault() throws {
        let path = folder.file("plain.csv")
        let table = ExportTable(columns: [ExportColumn("city"), ExportColumn("n")], rows: [["Zürich", 1], ["東京", 2]])
        try Exporter.write(table, format: .csv, to: path, kind: "test")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(bytes, Array("city,n\r\nZürich,1\r\n東京,2\r\n".utf8))
    }

    func testByteOrderMarkForExcel() throws {
        let path = folder.file("excel.csv")
        let table = ExportTable(columns: [ExportColumn("city")], rows: [["Zürich"]])
        try Exporter.write(table, format: .csv, to: path, kind: "test", csv: CSVWriter(byteOrderMark: true))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes.prefix(3)), [0xEF, 0xBB, 0xBF])
        XCTAssertEqual(try pythonCells(path, encoding: "utf-8-sig"), [["city"], ["Zürich"]])
    }

    func testQuotingFollowsRFC4180() {
        XCTAssertEqual(CSVWriter.quoted("plain"), "plain")
        XCTAssertEqual(CSVWriter.quoted("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVWriter.quoted("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVWriter.quoted("a\r\nb"), "\"a\r\nb\"")
        XCTAssertEqual(CSVWriter.quoted("a\nb"), "\"a\nb\"")
        XCTAssertEqual(CSVWriter.quoted("tab\there"), "tab\there", "TAB alone needs no quotes")
        XCTAssertEqual(CSVWriter().record(["x", .null, -3]), "x,,-3\r\n")
    }

    func testOnlyStringCellsAreNeutralised() {
        let writer = CSVWriter()
        XCTAssertEqual(writer.fieldText(.string("-12")), "'-12", "text that looks like a number may still be a formula")
        XCTAssertEqual(writer.fieldText(.integer(-12)), "-12")
        XCTAssertEqual(writer.fieldText(.double(-3.5)), "-3.5")
        XCTAssertEqual(writer.fieldText(.string("+3.5")), "'+3.5")
        let raw = CSVWriter(neutralizesFormulas: false)
        XCTAssertEqual(raw.fieldText(.string("=1+1")), "=1+1")
        XCTAssertEqual(CSVWriter(header: .keys).headerRecord([ExportColumn("first_seen", title: "First seen")]), "first_seen\r\n")
        XCTAssertNil(CSVWriter(header: .none).headerRecord([ExportColumn("a")]))
    }

    func testLargeTablesStreamInChunks() throws {
        let path = folder.file("large.csv")
        let rowCount = 200_000
        let table = ExportTable(columns: [ExportColumn("n"), ExportColumn("text")], rows: 0..<rowCount) { index in
            [.integer(Int64(index)), .string("row \(index), with a comma")]
        }
        XCTAssertEqual(try Exporter.write(table, format: .csv, to: path, kind: "test"), rowCount)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(data.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }, rowCount + 1)
        XCTAssertTrue(String(decoding: data.suffix(40), as: UTF8.self).hasSuffix("199999,\"row 199999, with a comma\"\r\n"))
        XCTAssertEqual(try folder.listing(), ["large.csv"], "no temporary file is left behind")
    }
}
