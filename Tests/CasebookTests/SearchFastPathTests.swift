import Foundation
import Testing
import UnixSocketHTTP

@_spi(Benchmarks) @testable import Casebook

#if canImport(Glibc)
    import Glibc
#endif

/// Binary-vector searches answered in the channel pipeline (`BinarySearchFastPath`) against the
/// router's answers to the same requests: two real servers on two identical databases, one with
/// the fast path and one started with `--no-search-fast-path`.
@Suite(.serialized) struct SearchFastPathTests {
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

    /// A reply's body as JSON with the two members that differ between any two searches removed.
    static func comparable(_ reply: UnixHTTPClient.Reply) -> NSDictionary? {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any] else { return nil }
        object["queryId"] = nil
        object["tookMs"] = nil
        return object as NSDictionary
    }

    struct Servers {
        let fast: ServerProcess
        let routed: ServerProcess

        init(arguments: [String] = []) throws {
            let first = TemporaryDatabase(), second = TemporaryDatabase()
            try SearchFastPathTests.seed(first)
            try SearchFastPathTests.seed(second)
            fast = try ServerProcess(arguments: arguments, database: first)
            routed = try ServerProcess(arguments: arguments + ["--no-search-fast-path"], database: second)
        }
    }

    @Test func answersEqualTheRoutersAndRefusalsGetTheRoutersErrors() throws {
        let servers = try Servers(arguments: ["--max-body", "4096"])
        let fast = try UnixHTTPClient(path: servers.fast.socket, timeout: 10)
        let routed = try UnixHTTPClient(path: servers.routed.socket, timeout: 10)
        var random = SplitMix64(seed: 5)
        let vector: [Float] = (0..<Self.dimension).map { _ in random.unit() }
        var nan = vector
        nan[3] = Float.nan
        let cases: [(path: String, body: [UInt8], status: Int)] = [
            ("/v1/collections/c/search?tenant=a&k=5", Self.body(vector), 200),
            ("/v1/collections/c/search?tenant=b&k=10&includePrecedents=false", Self.body(vector), 200),
            ("/v1/collections/c/search?tenant=a&k=3&log=false&actor=agent-7&decisionId=d-9", Self.body(vector), 200),
            ("/v1/collections/c/search?tenant=a&k=1000", Self.body(vector), 200),
            ("/v1/collections/c/search?tenant=a&exact=true", Self.body(vector), 200),
            ("/v1/collections/c/search?tenant=nobody&k=5", Self.body(vector), 200),
            ("/v1/collections/c/search?k=5", Self.body(vector), 400),
            ("/v1/collections/c/search?tenant=&k=5", Self.body(vector), 400),
            ("/v1/collections/c/search?tenant=a%00b&k=5", Self.body(vector), 422),
            ("/v1/collections/c/search?tenant=a&k=0", Self.body(vector), 422),
            ("/v1/collections/c/search?tenant=a&k=1001", Self.body(vector), 422),
            ("/v1/collections/c/search?tenant=a&k=ten", Self.body(vector), 400),
            ("/v1/collections/c/search?tenant=a&exact=maybe", Self.body(vector), 400),
            ("/v1/collections/c/search?tenant=a&nprobe=2", Self.body(vector), 422),
            ("/v1/collections/c/search?tenant=a", Self.body(Array(vector.dropLast())), 422),
            ("/v1/collections/c/search?tenant=a", Self.body(nan), 422),
            ("/v1/collections/c/search?tenant=a", Self.body(vector) + [0], 400),
            ("/v1/collections/c/search?tenant=a", [], 400),
            ("/v1/collections/c/search?tenant=a", [UInt8](repeating: 0, count: 4100), 413),
            ("/v1/collections/nope/search?tenant=a", Self.body(vector), 404),
            ("/v1/collections/%63/search?tenant=a&k=2", Self.body(vector), 404),
        ]
        for (path, body, status) in cases {
            let a = try fast.send("POST", path, body: body, contentType: "application/octet-stream")
            let b = try routed.send("POST", path, body: body, contentType: "application/octet-stream")
            #expect(a.status == status && b.status == status, "\(path): \(a.status) \(b.status) \(a.text)")
            #expect(Self.comparable(a) == Self.comparable(b), "\(path)\n\(a.text)\n\(b.text)")
            #expect(a.headers["content-type"] == b.headers["content-type"], "\(path)")
            if status == 200 {
                for name in ["date", "server", "server-timing", "content-length"] {
                    #expect(a.headers[name] != nil && b.headers[name] != nil, "\(path): \(name)")
                }
                #expect(a.headers["server"] == b.headers["server"])
                #expect(a.headers["date"]?.hasSuffix(" GMT") == true && b.headers["date"]?.hasSuffix(" GMT") == true)
            }
        }
        // Both logged the same searches (the refused ones logged nothing).
        let statistics = "/v1/stats?tenant=a&collection=c"
        let loggedFast = try fast.send("GET", statistics), loggedRouted = try routed.send("GET", statistics)
        #expect(loggedFast.status == 200 && Self.comparable(loggedFast) == Self.comparable(loggedRouted), "\(loggedFast.text)")
    }

    /// Requests written back to back on one connection get their answers in order, whether the
    /// router or the fast path answers each.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let servers = try Servers()
        let client = try UnixHTTPClient(path: servers.fast.socket, timeout: 10)
        var random = SplitMix64(seed: 8)
        let vector: [Float] = (0..<Self.dimension).map { _ in random.unit() }
        func binary(_ k: Int) -> [UInt8] {
            let body = Self.body(vector)
            return Array("POST /v1/collections/c/search?tenant=a&k=\(k)&includePrecedents=false HTTP/1.1\r\nHost: casebook\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        let json = Array(#"{"tenant":"a","k":1,"vector":[\#(vector.map { "\($0)" }.joined(separator: ","))]}"#.utf8)
        let jsonRequest = Array("POST /v1/collections/c/search HTTP/1.1\r\nHost: casebook\r\nContent-Type: application/json\r\nContent-Length: \(json.count)\r\n\r\n".utf8) + json
        let health = Array("GET /v1/health HTTP/1.1\r\nHost: casebook\r\n\r\n".utf8)
        for round in 0..<20 {
            // Router first, then fast-path candidates behind it, a router request between them.
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

    /// SIGTERM while the fast path holds half a request's body: the request is still answered,
    /// then the server exits cleanly.
    @Test func gracefulShutdownWaitsForAHeldRequest() throws {
        let servers = try Servers()
        let client = try UnixHTTPClient(path: servers.fast.socket, timeout: 10)
        var random = SplitMix64(seed: 9)
        let body = Self.body((0..<Self.dimension).map { _ in random.unit() })
        let head = Array("POST /v1/collections/c/search?tenant=b&k=4 HTTP/1.1\r\nHost: casebook\r\nContent-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        #expect(try client.send("GET", "/v1/health").status == 200)
        try client.write(head + body.prefix(13))
        usleep(200_000)
        kill(servers.fast.process.processIdentifier, SIGTERM)
        usleep(300_000)
        #expect(servers.fast.process.isRunning, "the server left before answering the held request")
        try client.write(Array(body.dropFirst(13)))
        let reply = try client.readReply()
        #expect(reply.status == 200, "\(reply.text)")
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
        #expect((object?["results"] as? [Any])?.count == 4)
        #expect(try servers.fast.stop() == 0)
    }
}
