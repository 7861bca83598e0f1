import XCTest
final class PlaceholderPacketsTests: XCTestCase { func testBuilds() {} }
