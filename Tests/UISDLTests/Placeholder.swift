import XCTest
final class PlaceholderUISDLTests: XCTestCase { func testBuilds() {} }
