import XCTest
final class PlaceholderHTTPTests: XCTestCase { func testBuilds() {} }
