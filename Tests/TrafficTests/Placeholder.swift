import XCTest
final class PlaceholderTrafficTests: XCTestCase { func testBuilds() {} }
