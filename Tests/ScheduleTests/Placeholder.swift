import XCTest
final class PlaceholderScheduleTests: XCTestCase { func testBuilds() {} }
