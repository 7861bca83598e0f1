import Foundation
import HTTP
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 that hands each request to `respond`.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request {
        var requestLine: String
        var headers: [String: String]
        var body: [UInt8]
    }

    let port: UInt16
    private let listener: Int32
    private let respond: @Sendable (Request) -> String?
    private var thread: Thread?

    init(respond: @escaping @Sendable (Request) -> String?) throws {
        self.respond = respond
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var reuse: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        guard bound, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        self.thread = thread
        thread.start()
    }

    func shutdownServer() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var request: Request?
            while request == nil {
                let count = recv(client, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += buffer[0..<count]
                request = Self.parse(received)
            }
            if let request, let response = respond(request) {
                _ = Array(response.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            } else {
                // No answer: hold the connection open so the client times out.
                usleep(1_500_000)
                close(client)
            }
        }
    }

    private static func parse(_ bytes: [UInt8]) -> Request? {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyLength = Int(headers["content-length"] ?? "0") ?? 0
        let body = Array(bytes[end.upperBound...])
        guard body.count >= bodyLength else { return nil }
        return Request(requestLine: head[0], headers: headers, body: Array(body.prefix(bodyLength)))
    }
}

func httpResponse(status: String, headers: [String: String] = [:], body: String) -> String {
    var text = "HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
    return text + "\r\n" + body
}

final class HTTPClientTests: XCTestCase {
    func testGetSendsHeadersAndReadsStatusHeadersAndBody() throws {
        let server = try LoopbackHTTPServer { request in
            let key = request.headers["key"] ?? "missing"
            return httpResponse(status: "200 OK", headers: ["Content-Type": "application/json", "X-RateLimit-Remaining": "41"],
                                body: "{\"line\":\"\(request.requestLine)\",\"key\":\"\(key)\"}")
        }
        defer { server.shutdownServer() }
        let response = try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/api/v2/check?ipAddress=203.0.113.9",
                                                          headers: [("Key", "secret-123"), ("Accept", "application/json")]))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "application/json")
        XCTAssertEqual(response.headers["x-ratelimit-remaining"], "41")
        XCTAssertEqual(response.bodyText, "{\"line\":\"GET /api/v2/check?ipAddress=203.0.113.9 HTTP/1.1\",\"key\":\"secret-123\"}")
    }

    func testPostBodyArrivesIntact() throws {
        let server = try LoopbackHTTPServer { request in
            httpResponse(status: "201 Created", body: String(decoding: request.body, as: UTF8.self) + "|" + request.requestLine)
        }
        defer { server.shutdownServer() }
        let payload = Array("{\"indicator\":\"198.51.100.4\"}".utf8)
        let response = try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/submit", method: "POST",
                                                          headers: [("Content-Type", "application/json")], body: payload))
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.bodyText, "{\"indicator\":\"198.51.100.4\"}|POST /submit HTTP/1.1")
    }

    func testErrorStatusIsAResponseNotAThrow() throws {
        let server = try LoopbackHTTPServer { _ in
            httpResponse(status: "429 Too Many Requests", headers: ["Retry-After": "30"],
                         body: "{\"errors\":[{\"detail\":\"Daily rate limit of 1000 requests exceeded for this endpoint.\",\"status\":429}]}")
        }
        defer { server.shutdownServer() }
        let response = try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/"))
        XCTAssertEqual(response.status, 429)
        XCTAssertEqual(response.headers["retry-after"], "30")
        XCTAssertTrue(response.bodyText.contains("rate limit"))
    }

    func testRefusedConnectionAndTimeoutAreTypedErrors() throws {
        // A port that was just free: bind, read the port, close, then connect to it.
        let server = try LoopbackHTTPServer { _ in nil }
        let silentURL = server.baseURL + "/slow"
        var request = HTTPRequest(url: silentURL)
        request.timeoutSeconds = 0.5
        XCTAssertThrowsError(try HTTPClient.perform(request)) { error in
            XCTAssertEqual(error as? HTTPError, .timedOut(url: silentURL, seconds: 0.5))
        }
        server.shutdownServer()
        XCTAssertThrowsError(try HTTPClient.perform(HTTPRequest(url: silentURL))) { error in
            guard case let HTTPError.transport(_, code, message)? = error as? HTTPError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, 7, "CURLE_COULDNT_CONNECT")
            XCTAssertFalse(message.isEmpty)
            XCTAssertTrue(String(describing: error).contains("base URL in Settings"))
        }
        XCTAssertThrowsError(try HTTPClient.perform(HTTPRequest(url: "ftp://example.invalid/"))) { error in
            XCTAssertEqual(error as? HTTPError, .invalidURL("ftp://example.invalid/"))
        }
    }
}
