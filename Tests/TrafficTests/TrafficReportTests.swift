import Packets
import Traffic
import XCTest

final class TrafficReportTests: XCTestCase {
    func testByteAndDecimalFormatting() {
        XCTAssertEqual(formatBytes(999), "999 B")
        XCTAssertEqual(formatBytes(1500), "1.5 KB")
        XCTAssertEqual(formatBytes(25_100_000), "25.1 MB")
        XCTAssertEqual(formatDecimal(0.04), "0.0")
        XCTAssertEqual(formatDecimal(-0.5), "-0.5")
        XCTAssertEqual(protocolName(.other, ipProtocol: 47), "IP/47")
    }
}
