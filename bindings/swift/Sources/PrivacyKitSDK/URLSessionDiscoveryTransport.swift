// Not compiled on this project's build machines (no Swift toolchain there). Kept thin: it
// only moves bytes; everything else is in the Rust core, tested on the JVM through the same
// generated interface.

import Foundation

/// Sends PrivacyKit's discovery messages with URLSession, so the app's session configuration
/// (authentication headers, TLS pinning delegate) applies. `baseURL` is the discovery
/// server's root, e.g. `https://api.example.com/discovery/`.
///
/// PrivacyKit calls this synchronously on the thread that called `discover`/`syncFilter`,
/// without holding its lock: call discovery from a background task, never the main thread.
/// Never log request or response bodies: they are derived from the user's address book.
public final class URLSessionDiscoveryTransport: DiscoveryTransport, @unchecked Sendable {
    private let session: URLSession
    private let baseURL: URL
    private let timeout: TimeInterval

    public init(session: URLSession = .shared, baseURL: URL, timeout: TimeInterval = 30) {
        self.session = session
        self.baseURL = baseURL
        self.timeout = timeout
    }

    public func evaluate(request: Data) throws -> Data {
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent("v1/evaluate"), timeoutInterval: timeout)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        urlRequest.httpBody = request
        return try send(urlRequest)
    }

    public func fetchFilter(keyId: String, sinceVersion: UInt64) throws -> Data {
        var components = URLComponents(url: baseURL.appendingPathComponent("v1/filter"), resolvingAgainstBaseURL: false)!
        components.queryItems = [
            URLQueryItem(name: "key", value: keyId),
            URLQueryItem(name: "since", value: String(sinceVersion)),
        ]
        return try send(URLRequest(url: components.url!, timeoutInterval: timeout))
    }

    /// Blocks the calling (background) thread until URLSession answers.
    private func send(_ request: URLRequest) throws -> Data {
        let done = DispatchSemaphore(value: 0)
        var result: Result<Data, TransportError> = .failure(.Failed(reason: "no answer"))
        let task = session.dataTask(with: request) { data, response, error in
            defer { done.signal() }
            if let error = error as NSError? {
                // The error's domain and code only: descriptions can quote URLs.
                result = .failure(.Unavailable(reason: "\(error.domain) \(error.code)"))
                return
            }
            guard let http = response as? HTTPURLResponse else {
                result = .failure(.Failed(reason: "not an HTTP response"))
                return
            }
            guard (200..<300).contains(http.statusCode) else {
                result = .failure(.Http(status: UInt16(clamping: http.statusCode)))
                return
            }
            result = .success(data ?? Data())
        }
        task.resume()
        done.wait()
        return try result.get()
    }
}
