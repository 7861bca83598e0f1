import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// A failed HTTP exchange, phrased so the user knows what to do.
public enum HTTPError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case transport(url: String, code: Int, message: String)
    case timedOut(url: String, seconds: Double)

    public var description: String {
        switch self {
        case let .invalidURL(url):
            "\(url) is not a valid http(s) URL."
        case let .transport(url, _, message):
            "Request to \(url) failed: \(message). Check the network connection and the service's base URL in Settings."
        case let .timedOut(url, seconds):
            "Request to \(url) got no answer within \(Int(seconds)) s. The service may be down; NetScouter will retry later."
        }
    }
}

public struct HTTPRequest: Sendable {
    public var method: String = "GET"
    public var url: String
    public var headers: [(String, String)] = []
    public var body: [UInt8]?
    public var timeoutSeconds: Double = 15
    /// Follow 3xx redirects (at most 5). Off for requests carrying an API key in a custom
    /// header: libcurl would send that header on to whatever host the redirect names.
    public var followRedirects = true

    public init(url: String, method: String = "GET", headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; repeated headers keep the last value.
    public var headers: [String: String]
    public var body: [UInt8]
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Blocking HTTP over libcurl, one easy handle per request. Call it from a worker thread, never
/// from the UI thread.
public enum HTTPClient {
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public static func perform(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        _ = globalInit
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw .invalidURL(request.url)
        }
        guard let handle = curl_easy_init() else {
            throw .transport(url: request.url, code: -1, message: "libcurl could not create a handle")
        }
        defer { curl_easy_cleanup(handle) }

        let sink = ResponseSink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        defer { curl_slist_free_all(headerList) }

        ns_curl_setopt_string(handle, CURLOPT_URL, request.url)
        ns_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)  // no SIGALRM from worker threads
        ns_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeoutSeconds * 1000))
        ns_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeoutSeconds, 10) * 1000))
        ns_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        ns_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 5)
        ns_curl_setopt_string(handle, CURLOPT_USERAGENT, "NetScouter/0.1")
        ns_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        if request.method == "HEAD" { ns_curl_setopt_long(handle, CURLOPT_NOBODY, 1) }
        ns_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        ns_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            if let data { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        ns_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        ns_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            if let data { sink.addHeaderLine(String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)) }
            return length
        }
        ns_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)

        let code: CURLcode
        if let body = request.body {
            code = body.withUnsafeBufferPointer { buffer in
                ns_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, buffer.count)
                ns_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                return curl_easy_perform(handle)
            }
        } else {
            code = curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            if code == CURLE_OPERATION_TIMEDOUT { throw .timedOut(url: request.url, seconds: request.timeoutSeconds) }
            throw .transport(url: request.url, code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        ns_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

/// Collects the response inside libcurl's callbacks (reached through WRITEDATA/HEADERDATA).
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]

    func addHeaderLine(_ line: String) {
        // A new status line (after a redirect or 100-continue) starts a new header block.
        if line.hasPrefix("HTTP/") { headers.removeAll(); return }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
        headers[name] = value
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var view = self
        while let first = view.first, set.contains(first) { view.removeFirst() }
        while let last = view.last, set.contains(last) { view.removeLast() }
        return String(view)
    }
}
