import XCTest
final class PlaceholderUITests: XCTestCase { func testBuilds() {} }
