import Foundation
import Testing

/// `GET /metrics` read by an independent parser (prometheus_client's, from PyPI, pinned in
/// scripts/python-test-requirements.txt) after a scripted sequence of requests to a real
/// `casebook serve`: each count, histogram and gauge equals what the script did.
@Suite struct MetricsTests {
    struct Sample: Decodable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    static func scrape(_ server: ServerProcess) throws -> [Sample] {
        let reply = try server.request("GET", "/metrics")
        #expect(reply.status == 200)
        let file = server.database.directory.appendingPathComponent("metrics-\(UUID().uuidString).txt")
        try reply.body.write(to: file, atomically: true, encoding: .utf8)
        let parsed = try TestPython.run("metrics_samples.py", [file.path])
        let lines = parsed.stdout.split(separator: "\n")
        #expect(parsed.status == 0 && lines.last?.hasPrefix("ok ") == true, "\(parsed.stderr)\n\(reply.body.prefix(2000))")
        return try lines.dropLast().map { try JSONDecoder().decode(Sample.self, from: Data($0.utf8)) }
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func countsMatchAScriptedSequence() throws {
        let database = TemporaryDatabase()
        let initRun = try CasebookProcess.run(["init", "--db", database.path, "--collection", "precedents", "--dims", "64"])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let server = try ServerProcess(database: database)
        func expectStatus(_ method: String, _ path: String, _ body: String?, _ status: Int, data: Data? = nil,
                          contentType: String = "application/json") throws {
            let reply = try server.request(method, path, body, data: data, contentType: contentType)
            #expect(reply.status == status, "\(method) \(path): \(reply.status) \(reply.body.prefix(300))")
        }
        func vectors(_ count: Int, from start: Int) -> String {
            (start..<start + count).map { #"{"id":"v\#($0)","vector":[\#(1 + $0 % 3),\#($0 % 5),1,\#($0 % 2)]}"# }
                .joined(separator: ",")
        }
        // An IVF collection: 8 rows, trained, then 3 more (its drift).
        try expectStatus("POST", "/v1/collections", #"{"name":"lists","dim":4,"embedder":"external","index":"ivf","nlist":2}"#, 201)
        try expectStatus("POST", "/v1/collections/lists/precedents", #"{"tenant":"a","precedents":[\#(vectors(8, from: 0))]}"#, 201)
        try expectStatus("POST", "/v1/collections/lists/index/train", #"{"nlist":2}"#, 200)
        try expectStatus("POST", "/v1/collections/lists/precedents", #"{"tenant":"a","precedents":[\#(vectors(3, from: 8))]}"#, 201)
        try expectStatus("POST", "/v1/collections/precedents/precedents",
                         #"{"tenant":"a","precedents":[{"id":"p1","text":"customer not home"},{"id":"p2","text":"address wrong"}]}"#, 201)
        for _ in 0..<3 {
            try expectStatus("POST", "/v1/collections/precedents/search", #"{"tenant":"a","text":"customer"}"#, 200)
        }
        for _ in 0..<2 {
            try expectStatus("POST", "/v1/collections/lists/search", #"{"tenant":"a","vector":[1,0,1,0],"k":3}"#, 200)
        }
        let raw = [Float](arrayLiteral: 1, 1, 1, 0).withUnsafeBytes { Data($0) }
        try expectStatus("POST", "/v1/collections/lists/search/binary?tenant=a&k=2", nil, 200, data: raw, contentType: "application/octet-stream")
        try expectStatus("POST", "/v1/collections/lists/search/batch", #"{"tenant":"a","vectors":[[1,0,1,0],[0,1,1,0]]}"#, 200)
        try expectStatus("POST", "/v1/collections/nope/search", #"{"tenant":"a","text":"customer"}"#, 404)
        try expectStatus("POST", "/v1/collections/precedents/search", #"{"tenant":"a","text":"#, 400)
        try expectStatus("GET", "/nowhere", nil, 404)

        let samples = try Self.scrape(server)
        let requests = "casebook_http_requests_total"
        let search = "/v1/collections/{name}/search"
        #expect(Self.value(samples, requests, ["route": search, "method": "POST", "status": "200"]) == 5)
        #expect(Self.value(samples, requests, ["route": search + "/binary", "method": "POST", "status": "200"]) == 1)
        #expect(Self.value(samples, requests, ["route": search, "method": "POST", "status": "404"]) == 1)
        #expect(Self.value(samples, requests, ["route": search, "method": "POST", "status": "400"]) == 1)
        #expect(Self.value(samples, requests, ["route": "/v1/collections/{name}/precedents", "method": "POST", "status": "201"]) == 3)
        #expect(Self.value(samples, requests, ["route": "/v1/collections", "method": "POST", "status": "201"]) == 1)
        #expect(Self.value(samples, requests, ["route": "/v1/collections/{name}/index/train", "method": "POST", "status": "200"]) == 1)
        #expect(Self.value(samples, requests, ["route": "/v1/collections/{name}/search/batch", "method": "POST", "status": "200"]) == 1)
        // A path no route serves is one series, whatever the path.
        #expect(Self.value(samples, requests, ["route": "NotFound", "method": "GET", "status": "404"]) == 1)
        #expect(samples.filter { $0.name == requests }.reduce(0) { $0 + $1.value } == 15)

        // Search latency: one observation per answered search of an existing collection.
        let count = "casebook_search_duration_seconds_count"
        #expect(Self.value(samples, count, ["collection": "precedents", "kind": "search"]) == 3)
        #expect(Self.value(samples, count, ["collection": "lists", "kind": "search"]) == 3)
        #expect(Self.value(samples, count, ["collection": "lists", "kind": "batch"]) == 1)
        #expect(!samples.contains { $0.labels["collection"] == "nope" })
        let buckets = samples.filter { $0.name == "casebook_search_duration_seconds_bucket" && $0.labels["collection"] == "lists" && $0.labels["kind"] == "search" }
        #expect(buckets.first { $0.labels["le"] == "+Inf" }?.value == 3)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value }, "cumulative buckets")
        #expect((Self.value(samples, "casebook_search_duration_seconds_sum", ["collection": "lists", "kind": "search"]) ?? 0) > 0)

        // Index size and drift, read when scraped.
        #expect(Self.value(samples, "casebook_index_rows", ["collection": "lists"]) == 11)
        #expect(Self.value(samples, "casebook_index_rows", ["collection": "precedents"]) == 2)
        #expect(Self.value(samples, "casebook_index_added_since_training", ["collection": "lists"]) == 3)
        #expect(Self.value(samples, "casebook_index_added_since_training", ["collection": "precedents"]) == 0)
        #expect((Self.value(samples, "casebook_index_list_imbalance", ["collection": "lists"]) ?? 0) >= 1)
        // The match log: nothing lost; what waits is at most the 7 logged searches.
        #expect(Self.value(samples, "casebook_match_log_dropped_entries", [:]) == 0)
        #expect((Self.value(samples, "casebook_match_log_pending_entries", [:]) ?? -1) <= 7)

        // The scrape itself is counted, in the next one.
        let again = try Self.scrape(server)
        #expect(Self.value(again, requests, ["route": "/metrics", "method": "GET", "status": "200"]) == 1)
        #expect(Self.value(again, requests, ["route": search, "method": "POST", "status": "200"]) == 5)
        #expect(try server.stop() == 0)
    }
}
