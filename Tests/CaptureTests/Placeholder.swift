import XCTest
final class PlaceholderCaptureTests: XCTestCase { func testBuilds() {} }
