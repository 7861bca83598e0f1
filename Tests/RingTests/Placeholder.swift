import XCTest
final class PlaceholderRingTests: XCTestCase { func testBuilds() {} }
