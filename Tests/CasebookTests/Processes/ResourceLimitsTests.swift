import Foundation
import Testing
import UnixSocketHTTP

@testable import Casebook

/// Every documented limit (README "Limits") at its boundary, through the socket API of a real
/// `casebook serve`: the limit itself is accepted, one past it is refused with the documented
/// status and code, and a refused request writes nothing. (The library's refusals are in
/// `BadInputTests`, the open-cell limit in `IVFIndexTests.cellLimitKeepsTenantsFlatAndExact`.)
@Suite struct ResourceLimitsTests {
    struct Case {
        var name: String
        var method = "POST"
        var path: String
        var body: String
        var accepted: Bool
        var status: Int
        var code: String? = nil
    }

    static func vector(_ dimension: Int) -> String { "[" + (0..<dimension).map { $0 == 0 ? "1" : "0" }.joined(separator: ",") + "]" }

    static func nested(depth: Int) -> String {
        var value = "\"leaf\""
        for _ in 1..<depth { value = "{\"k\":\(value)}" }
        return "{\"k\":\(value)}"
    }

    static func precedent(id: String = "p", tenant: String? = nil, extra: String = "") -> String {
        let tenantField = tenant.map { ",\"tenant\":\"\($0)\"" } ?? ""
        return "{\"id\":\"\(id)\"\(tenantField),\"vector\":\(vector(4))\(extra)}"
    }

    static func add(_ precedents: [String], tenant: String = "t") -> String {
        "{\"tenant\":\"\(tenant)\",\"precedents\":[\(precedents.joined(separator: ","))]}"
    }

    static var cases: [Case] {
        let tags = { (n: Int) in ",\"tags\":[" + (0..<n).map { "\"g\($0)\"" }.joined(separator: ",") + "]" }
        let search = "/v1/collections/c/search"
        let hashed = "/v1/collections/h/search"
        return [
            Case(name: "k = 1,000", path: search, body: #"{"tenant":"t","k":1000,"vector":\#(vector(4))}"#, accepted: true, status: 200),
            Case(name: "k = 1,001", path: search, body: #"{"tenant":"t","k":1001,"vector":\#(vector(4))}"#, accepted: false, status: 422, code: "invalid_k"),
            Case(name: "batch of 10,000 queries", path: search + "/batch",
                 body: #"{"tenant":"t","k":1,"log":false,"vectors":[\#(Array(repeating: vector(4), count: 10_000).joined(separator: ","))]}"#,
                 accepted: true, status: 200),
            Case(name: "batch of 10,001 queries", path: search + "/batch",
                 body: #"{"tenant":"t","k":1,"vectors":[\#(Array(repeating: vector(4), count: 10_001).joined(separator: ","))]}"#,
                 accepted: false, status: 422, code: "invalid_batch"),
            Case(name: "add of 100,001 precedents", path: "/v1/collections/c/precedents",
                 body: add((0..<100_001).map { "{\"vector\":[1,0,0,\($0 % 7)]}" }), accepted: false, status: 422, code: "invalid_batch"),
            Case(name: "dimension 16,384", path: "/v1/collections", body: #"{"name":"wide","dim":16384,"embedder":"external"}"#, accepted: true, status: 201),
            Case(name: "dimension 16,385", path: "/v1/collections", body: #"{"name":"wider","dim":16385,"embedder":"external"}"#, accepted: false, status: 422, code: "invalid_value"),
            Case(name: "tenant of 128 characters", path: "/v1/collections/c/precedents", body: add([precedent(id: "t128")], tenant: String(repeating: "t", count: 128)), accepted: true, status: 201),
            Case(name: "tenant of 129 characters", path: "/v1/collections/c/precedents", body: add([precedent(id: "t129")], tenant: String(repeating: "t", count: 129)), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "id of 256 characters", path: "/v1/collections/c/precedents", body: add([precedent(id: String(repeating: "i", count: 256))]), accepted: true, status: 201),
            Case(name: "id of 257 characters", path: "/v1/collections/c/precedents", body: add([precedent(id: String(repeating: "j", count: 257))]), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "64 tags", path: "/v1/collections/c/precedents", body: add([precedent(id: "tags64", extra: tags(64))]), accepted: true, status: 201),
            Case(name: "65 tags", path: "/v1/collections/c/precedents", body: add([precedent(id: "tags65", extra: tags(65))]), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "text of 64 KiB", path: "/v1/collections/c/precedents",
                 body: add([precedent(id: "text64", extra: ",\"text\":\"\(String(repeating: "x", count: 65_536))\"")]), accepted: true, status: 201),
            Case(name: "text of 64 KiB + 1", path: "/v1/collections/c/precedents",
                 body: add([precedent(id: "text65", extra: ",\"text\":\"\(String(repeating: "x", count: 65_537))\"")]), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "context 8 deep", path: "/v1/collections/c/precedents", body: add([precedent(id: "deep8", extra: ",\"context\":\(nested(depth: 8))")]), accepted: true, status: 201),
            Case(name: "context 9 deep", path: "/v1/collections/c/precedents", body: add([precedent(id: "deep9", extra: ",\"context\":\(nested(depth: 9))")]), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "context over 1 MiB", path: "/v1/collections/c/precedents",
                 body: add([precedent(id: "ctxbig", extra: ",\"context\":{\"k\":\"\(String(repeating: "x", count: 1 << 20))\"}")]), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "query text of 64 KiB", path: hashed, body: #"{"tenant":"t","text":"\#(String(repeating: "y ", count: 32_768))"}"#, accepted: true, status: 200),
            Case(name: "query text of 64 KiB + 1", path: hashed, body: #"{"tenant":"t","text":"\#(String(repeating: "y ", count: 32_768))z"}"#, accepted: false, status: 422, code: "invalid_value"),
            Case(name: "tenant with a NUL", path: "/v1/collections/c/precedents", body: add([precedent(id: "nul")], tenant: "t\\u0000x"), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "tenant with a NUL in the query string", method: "GET", path: "/v1/collections/c/precedents/seed?tenant=t%00x", body: "", accepted: false, status: 422, code: "invalid_value"),
            Case(name: "text with a NUL", path: "/v1/collections/c/precedents", body: add([precedent(id: "nultext", extra: ",\"text\":\"a\\u0000b\"")]), accepted: false, status: 422, code: "invalid_value"),
            Case(name: "query context 9 deep", path: hashed, body: #"{"tenant":"t","context":\#(nested(depth: 9))}"#, accepted: false, status: 422, code: "invalid_value"),
        ]
    }

    @Test func everyLimitHoldsAtItsBoundary() throws {
        let server = try ServerProcess()
        let client = try UnixHTTPClient(path: server.socket, timeout: 60)
        for body in [#"{"name":"c","dim":4,"metric":"cosine","embedder":"external"}"#, #"{"name":"h","dim":64,"embedder":"hashed-v1"}"#] {
            #expect(try client.send("POST", "/v1/collections", body: Array(body.utf8)).status == 201)
        }
        #expect(try client.send("POST", "/v1/collections/c/precedents", body: Array(Self.add([Self.precedent(id: "seed")]).utf8)).status == 201)
        for limit in Self.cases {
            let before = try SocketAPITests.rows(server)
            let reply = try client.send(limit.method, limit.path, body: Array(limit.body.utf8))
            let code = (try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])?["error"] as? [String: Any]
            #expect(reply.status == limit.status, "\(limit.name): \(reply.status) \(reply.text.prefix(200))")
            if let expected = limit.code { #expect(code?["code"] as? String == expected, "\(limit.name): \(reply.text.prefix(200))") }
            if !limit.accepted { #expect(try SocketAPITests.rows(server) == before, "\(limit.name) wrote rows") }
        }
        #expect(try server.stop() == 0)
    }

    /// The body limit (`--max-body`, default 16 MiB): a body of exactly the limit is read, one
    /// byte more is refused with 413 before it is parsed.
    @Test func bodyLimitHoldsAtItsBoundary() throws {
        let limit = 8_192
        let server = try ServerProcess(arguments: ["--max-body", "\(limit)"])
        let client = try UnixHTTPClient(path: server.socket, timeout: 30)
        #expect(try client.send("POST", "/v1/collections", body: Array(#"{"name":"c","dim":4,"embedder":"external"}"#.utf8)).status == 201)
        let search = #"{"tenant":"t","k":1,"vector":[1,0,0,0]}"#
        let exact = String(repeating: " ", count: limit - search.utf8.count) + search
        #expect(try client.send("POST", "/v1/collections/c/search", body: Array(exact.utf8)).status == 200)
        let over = " " + exact
        let refused = try client.send("POST", "/v1/collections/c/search", body: Array(over.utf8))
        #expect(refused.status == 413 && refused.text.contains("body_too_large"), "\(refused.status) \(refused.text)")
        #expect(try server.stop() == 0)
    }
}
