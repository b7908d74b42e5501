import Foundation
import Testing

@testable import Casebook

/// The bulk add through `casebook serve`: `multipart/form-data` with the precedents' JSON fields in
/// one part and their vectors as raw little-endian float32 in another, encoded by curl (`-F`), not
/// by Casebook. Vectors read back bit for bit; bad bodies are refused whole; tenants stay apart.
@Suite struct BulkAddAPITests {
    static func floats(_ rows: [[Float]]) -> Data {
        var data = Data()
        for row in rows { for value in row { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } } }
        return data
    }

    static func fields(_ ids: [String], tenant: String) -> Data {
        let items = ids.map { #"{"id":"\#($0)","category":"ndr","tags":["bulk"]}"# }.joined(separator: ",")
        return Data(#"{"tenant":"\#(tenant)","precedents":[\#(items)]}"#.utf8)
    }

    @Test func vectorsTravelAsFloat32AndReadBackExactly() throws {
        let server = try ServerProcess()
        #expect(try server.request("POST", "/v1/collections", #"{"name":"emb","dim":8,"embedder":"external","metric":"ip"}"#).status == 201)
        var random = SeededRandom(seed: 31)
        let ids = (0..<300).map { "b\($0)" }
        // Multiples of 1/64 and one -0.0: exact in float32 and in the JSON of `get`.
        var vectors = ids.map { _ in (0..<8).map { _ in Float(Int(random.next() % 129) - 64) / 64 } }
        vectors[5][3] = -0.0
        let added = try server.postForm("/v1/collections/emb/precedents", parts: [
            ("precedents", Self.fields(ids, tenant: "acme"), "application/json"),
            ("vectors", Self.floats(vectors), "application/octet-stream"),
        ])
        #expect(added.status == 201 && added.json["added"] as? Int == 300, "\(added.body)")
        for index in [0, 5, 150, 299] {
            let got = try server.request("GET", "/v1/collections/emb/precedents/\(ids[index])?tenant=acme")
            let vector = (got.json["vector"] as? [NSNumber])?.map { Float(truncating: $0) }
            #expect(vector?.map(\.bitPattern) == vectors[index].map(\.bitPattern) || index == 5 && vector == vectors[index],
                    "\(ids[index]): \(got.body)")
            #expect(got.json["category"] as? String == "ndr")
        }
        // The exact top hit of a row's own vector (inner product) is itself, within the tenant only.
        let search = try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"acme","k":1,"vector":[1,1,1,1,1,1,1,1]}"#)
        #expect(search.status == 200)
        let best = vectors.indices.max { vectors[$0].reduce(0, +) < vectors[$1].reduce(0, +) }!
        #expect(((search.json["results"] as? [[String: Any]])?.first?["id"] as? String) == ids[best], "\(search.body)")
        let other = try server.request("POST", "/v1/collections/emb/search", #"{"tenant":"globex","k":5,"vector":[1,1,1,1,1,1,1,1]}"#)
        #expect((other.json["results"] as? [Any])?.isEmpty == true, "\(other.body)")
    }

    @Test func badBulkBodiesAreRefusedWhole() throws {
        let server = try ServerProcess()
        #expect(try server.request("POST", "/v1/collections", #"{"name":"emb","dim":4,"embedder":"external"}"#).status == 201)
        let two = Self.fields(["a", "b"], tenant: "acme")
        let good = Self.floats([[1, 0, 0, 0], [0, 1, 0, 0]])
        let cases: [(String, [(name: String, data: Data, type: String)], Int, String)] = [
            ("no vectors part", [("precedents", two, "application/json")], 400, "vectors"),
            ("no precedents part", [("vectors", good, "application/octet-stream")], 400, "precedents"),
            ("an unknown part", [("precedents", two, "application/json"), ("vectors", good, "application/octet-stream"),
                                 ("extra", Data("x".utf8), "text/plain")], 400, "unknown part"),
            ("a part twice", [("precedents", two, "application/json"), ("vectors", good, "application/octet-stream"),
                              ("vectors", good, "application/octet-stream")], 400, "twice"),
            ("bytes not whole floats", [("precedents", two, "application/json"),
                                        ("vectors", good.prefix(31), "application/octet-stream")], 422, "float32"),
            ("floats not shared evenly", [("precedents", two, "application/json"),
                                          ("vectors", good.prefix(28), "application/octet-stream")], 422, "float32"),
            ("vectors of the wrong dimension", [("precedents", two, "application/json"),
                                                ("vectors", Self.floats([[1, 0, 0], [0, 1, 0]]), "application/octet-stream")], 422, "dimension"),
            ("a vector in the JSON too", [("precedents", Data(#"{"tenant":"acme","precedents":[{"id":"a","vector":[1,0,0,0]}]}"#.utf8), "application/json"),
                                          ("vectors", Self.floats([[1, 0, 0, 0]]), "application/octet-stream")], 422, "vectors part"),
            ("JSON that is not", [("precedents", Data("{".utf8), "application/json"),
                                  ("vectors", good, "application/octet-stream")], 400, "not valid JSON"),
            ("another tenant inside", [("precedents", Data(#"{"tenant":"acme","precedents":[{"id":"a","tenant":"globex"},{"id":"b"}]}"#.utf8), "application/json"),
                                       ("vectors", good, "application/octet-stream")], 422, "tenant_mismatch"),
            ("a missing tenant", [("precedents", Data(#"{"precedents":[{"id":"a"},{"id":"b"}]}"#.utf8), "application/json"),
                                  ("vectors", good, "application/octet-stream")], 400, "missing_tenant"),
            ("a non-finite value", [("precedents", two, "application/json"),
                                    ("vectors", Self.floats([[1, 0, 0, 0], [.nan, 1, 0, 0]]), "application/octet-stream")], 422, "finite"),
        ]
        for (name, parts, status, text) in cases {
            let reply = try server.postForm("/v1/collections/emb/precedents", parts: parts)
            #expect(reply.status == status && reply.body.contains(text), "\(name): \(reply.status) \(reply.body)")
        }
        let noBoundary = try server.request("POST", "/v1/collections/emb/precedents", "x", contentType: "multipart/form-data")
        #expect(noBoundary.status == 400 && noBoundary.body.contains("boundary"), "\(noBoundary.body)")
        #expect(try server.request("GET", "/v1/collections/emb?tenant=acme").json["count"] as? Int == 0)
    }
}
