import Foundation
import Testing
import UnixSocketHTTP

@testable import Casebook

#if canImport(Glibc)
    import Glibc
#endif

/// Binary-vector searches (`application/octet-stream`) against a real server: every refusal with
/// its status and code, pipelined requests answered in order, a half-sent request answered
/// through a graceful shutdown.
@Suite(.serialized) struct BinarySearchTests {
    static let dimension = 8

    /// Two tenants sharing ids, categories, tags, outcomes and fixed times, written the same way
    /// into `database`.
    static func seed(_ database: TemporaryDatabase) throws {
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: dimension, metric: .cosine))
        var random = SplitMix64(seed: 11)
        for tenant in ["a", "b"] {
            var rows: [Precedent] = []
            for i in 0..<150 {
                let vector: [Float] = (0..<dimension).map { _ in random.unit() }
                let createdAt = Date(timeIntervalSince1970: 1_780_000_000 + Double(i) * 3_600)
                rows.append(Precedent(
                    id: PrecedentID("p\(i)"), tenant: TenantID(tenant), category: i % 3 == 0 ? "ndr" : "credit",
                    text: "case \(i) of \(tenant)", outcome: i % 2 == 0 ? "resolved" : nil, wasSuccessful: i % 4 != 1,
                    tags: i % 5 == 0 ? ["cod", "metro"] : [], createdAt: createdAt, vector: vector))
            }
            try collection.add(rows)
        }
        try casebook.flushMatchLog()
    }

    static func body(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    static func server(arguments: [String] = []) throws -> ServerProcess {
        let database = TemporaryDatabase()
        try seed(database)
        return try ServerProcess(arguments: arguments, database: database)
    }

    @Test func answersAndRefusalsHaveTheirStatusAndCode() throws {
        let server = try Self.server(arguments: ["--max-body", "4096"])
        let client = try UnixHTTPClient(path: server.socket, timeout: 10)
        var random = SplitMix64(seed: 5)
        let vector: [Float] = (0..<Self.dimension).map { _ in random.unit() }
        var nan = vector
        nan[3] = Float.nan
        // (path, body, status, results expected or the error code)
        let cases: [(path: String, body: [UInt8], status: Int, expect: String)] = [
            ("/v1/collections/c/search/binary?tenant=a&k=5", Self.body(vector), 200, "5"),
            ("/v1/collections/c/search/binary?tenant=b&k=10&includePrecedents=false", Self.body(vector), 200, "10"),
            ("/v1/collections/c/search/binary?tenant=a&k=3&log=false&actor=agent-7&decisionId=d-9", Self.body(vector), 200, "3"),
            ("/v1/collections/c/search/binary?tenant=a&k=1000", Self.body(vector), 200, "150"),
            ("/v1/collections/c/search/binary?tenant=a&exact=true", Self.body(vector), 200, "10"),
            ("/v1/collections/c/search/binary?tenant=nobody&k=5", Self.body(vector), 200, "0"),
            ("/v1/collections/c/search/binary?k=5", Self.body(vector), 400, "missing_tenant"),
            ("/v1/collections/c/search/binary?tenant=&k=5", Self.body(vector), 400, "missing_tenant"),
            ("/v1/collections/c/search/binary?tenant=a%00b&k=5", Self.body(vector), 422, "invalid_value"),
            ("/v1/collections/c/search/binary?tenant=a&k=0", Self.body(vector), 422, "invalid_k"),
            ("/v1/collections/c/search/binary?tenant=a&k=1001", Self.body(vector), 422, "invalid_k"),
            ("/v1/collections/c/search/binary?tenant=a&k=ten", Self.body(vector), 400, "wrong_type"),
            ("/v1/collections/c/search/binary?tenant=a&exact=maybe", Self.body(vector), 400, "wrong_type"),
            ("/v1/collections/c/search/binary?tenant=a&nprobe=2", Self.body(vector), 422, "invalid_value"),
            ("/v1/collections/c/search/binary?tenant=a", Self.body(Array(vector.dropLast())), 422, "dimension_mismatch"),
            ("/v1/collections/c/search/binary?tenant=a", Self.body(nan), 422, "invalid_vector"),
            ("/v1/collections/c/search/binary?tenant=a", Self.body(vector) + [0], 422, "invalid_vector"),
            ("/v1/collections/c/search/binary?tenant=a", [], 422, "invalid_vector"),
            ("/v1/collections/c/search/binary?tenant=a", [UInt8](repeating: 0, count: 4100), 413, "body_too_large"),
            ("/v1/collections/nope/search/binary?tenant=a", Self.body(vector), 404, "collection_not_found"),
            ("/v1/collections/%63/search/binary?tenant=a&k=2", Self.body(vector), 404, "collection_not_found"),
        ]
        for (path, body, status, expected) in cases {
            let reply = try client.send("POST", path, body: body, contentType: "application/octet-stream")
            #expect(reply.status == status, "\(path): \(reply.status) \(reply.text)")
            #expect(reply.headers["content-type"] == "application/json", "\(path)")
            let object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
            if status == 200 {
                #expect((object?["results"] as? [Any]).map { "\($0.count)" } == expected, "\(path): \(reply.text)")
                for name in ["date", "server", "server-timing", "content-length"] {
                    #expect(reply.headers[name] != nil, "\(path): \(name)")
                }
                #expect(reply.headers["server"] == "casebook")
                #expect(reply.headers["date"]?.hasSuffix(" GMT") == true)
            } else {
                #expect((object?["error"] as? [String: Any])?["code"] as? String == expected, "\(path): \(reply.text)")
            }
        }
        // Each route reads one form: a vector body at the JSON route, or JSON at the binary one,
        // is refused as the wrong media type.
        let vectorAtJSON = try client.send("POST", "/v1/collections/c/search?tenant=a", body: Self.body(vector),
                                           contentType: "application/octet-stream")
        #expect(vectorAtJSON.status == 415 && vectorAtJSON.text.contains("search/binary"), "\(vectorAtJSON.text)")
        let jsonAtBinary = try client.send("POST", "/v1/collections/c/search/binary?tenant=a",
                                           body: Array(#"{"tenant":"a","k":1}"#.utf8), contentType: "application/json")
        #expect(jsonAtBinary.status == 415 && jsonAtBinary.text.contains("unsupported_media_type"), "\(jsonAtBinary.text)")
        // Tenant a's logged searches: k=5, k=1000 and exact (log=false and refusals log nothing).
        let logged = try client.send("GET", "/v1/stats?tenant=a&collection=c")
        let statistics = (try? JSONSerialization.jsonObject(with: Data(logged.body))) as? [String: Any]
        #expect(logged.status == 200 && statistics?["queries"] as? Int == 3, "\(logged.text)")
    }

    /// Requests written back to back on one connection get their answers in order.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try Self.server()
        let client = try UnixHTTPClient(path: server.socket, timeout: 10)
        var random = SplitMix64(seed: 8)
        let vector: [Float] = (0..<Self.dimension).map { _ in random.unit() }
        func binary(_ k: Int) -> [UInt8] {
            let body = Self.body(vector)
            return Array("POST /v1/collections/c/search/binary?tenant=a&k=\(k)&includePrecedents=false HTTP/1.1\r\nHost: casebook\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        let json = Array(#"{"tenant":"a","k":1,"vector":[\#(vector.map { "\($0)" }.joined(separator: ","))]}"#.utf8)
        let jsonRequest = Array("POST /v1/collections/c/search HTTP/1.1\r\nHost: casebook\r\nContent-Type: application/json\r\nContent-Length: \(json.count)\r\n\r\n".utf8) + json
        let health = Array("GET /v1/health HTTP/1.1\r\nHost: casebook\r\n\r\n".utf8)
        for round in 0..<20 {
            // JSON and binary searches mixed with a health check.
            try client.write(jsonRequest + binary(2) + health + binary(3) + binary(4) + binary(5))
            var counts: [Int?] = []
            for _ in 0..<6 {
                let reply = try client.readReply()
                #expect(reply.status == 200, "\(reply.text)")
                let object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
                counts.append((object?["results"] as? [Any])?.count ?? (object?["status"] as? String == "ok" ? 0 : nil))
            }
            #expect(counts == [1, 2, 0, 3, 4, 5], "round \(round): \(counts)")
        }
    }

    /// SIGTERM while half a request's body has arrived: the request is still answered, then the
    /// server exits cleanly.
    @Test func gracefulShutdownWaitsForAHalfSentRequest() throws {
        let server = try Self.server()
        let client = try UnixHTTPClient(path: server.socket, timeout: 10)
        var random = SplitMix64(seed: 9)
        let body = Self.body((0..<Self.dimension).map { _ in random.unit() })
        let head = Array("POST /v1/collections/c/search/binary?tenant=b&k=4 HTTP/1.1\r\nHost: casebook\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        #expect(try client.send("GET", "/v1/health").status == 200)
        try client.write(head + body.prefix(13))
        usleep(200_000)
        kill(server.process.processIdentifier, SIGTERM)
        usleep(300_000)
        #expect(server.process.isRunning, "the server left before answering the held request")
        try client.write(Array(body.dropFirst(13)))
        let reply = try client.readReply()
        #expect(reply.status == 200, "\(reply.text)")
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
        #expect((object?["results"] as? [Any])?.count == 4)
        #expect(try server.stop() == 0)
    }
}
