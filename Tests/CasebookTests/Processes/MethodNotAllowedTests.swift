import Foundation
import Testing
import UnixSocketHTTP

/// A path the server serves, asked with a method it does not serve there, is 405
/// `method_not_allowed` with an `Allow` header naming the methods it does serve; a path nothing
/// serves stays 404 `no_route`. Checked over the socket against `casebook serve`.
@Suite struct MethodNotAllowedTests {
    @Test func knownPathsAnswer405WithAllow() throws {
        let server = try ServerProcess()
        _ = try server.request("POST", "/v1/collections", #"{"name":"emb","dim":2,"metric":"ip","embedder":"external"}"#)
        let client = try UnixHTTPClient(path: server.socket, timeout: 10)
        let cases: [(method: String, path: String, allow: String)] = [
            ("DELETE", "/v1/health", "GET"),
            ("PUT", "/v1/collections", "GET, POST"),
            ("POST", "/v1/collections/emb", "GET"),
            ("GET", "/v1/collections/emb/search", "POST"),
            ("PUT", "/v1/collections/nope/precedents/p1", "DELETE, GET, PATCH"),
            ("DELETE", "/v1/stats", "GET"),
        ]
        for (method, path, allow) in cases {
            let reply = try client.send(method, path)
            let body = String(decoding: reply.body, as: UTF8.self)
            #expect(reply.status == 405, "\(method) \(path): \(reply.status) \(body)")
            #expect(reply.headers["allow"] == allow, "\(method) \(path): Allow \(reply.headers["allow"] ?? "none")")
            #expect(body.contains(#""code":"method_not_allowed""#), "\(method) \(path): \(body)")
        }
        for path in ["/v1/nowhere", "/v1/collections/emb/search/batch/more", "/"] {
            let reply = try client.send("GET", path)
            #expect(reply.status == 404 && reply.headers["allow"] == nil, "GET \(path): \(reply.status)")
            #expect(String(decoding: reply.body, as: UTF8.self).contains(#""code":"no_route""#))
        }
        // The served methods still answer as before.
        #expect(try client.send("GET", "/v1/health").status == 200)
        #expect(try server.stop() == 0)
    }
}
