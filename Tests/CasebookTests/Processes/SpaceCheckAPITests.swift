import Foundation
import Testing

@testable import Casebook

/// `spaceId` through `casebook serve` (JSON and binary searches, adds: 422 `wrong_space`, nothing
/// written) and `casebook add --space-id`, each a separate process.
@Suite struct SpaceCheckAPITests {
    @Test func socketRefusesAnotherSpace() throws {
        let server = try ServerProcess()
        #expect(try server.request(
            "POST", "/v1/collections", #"{"name":"emb","dim":2,"embedder":"external","spaceId":"minilm-l6-384"}"#).status == 201)
        let rows = #"[{"id":"p1","vector":[1,0]},{"id":"p2","vector":[0,1]}]"#
        let refused = try server.request(
            "POST", "/v1/collections/emb/precedents", #"{"tenant":"acme","spaceId":"e5-base-v2","precedents":\#(rows)}"#)
        #expect(refused.status == 422 && refused.body.contains("wrong_space") && refused.body.contains("minilm-l6-384"),
                "\(refused.body)")
        #expect(try server.request("GET", "/v1/collections/emb?tenant=acme").json["count"] as? Int == 0)
        let added = try server.request(
            "POST", "/v1/collections/emb/precedents", #"{"tenant":"acme","spaceId":"minilm-l6-384","precedents":\#(rows)}"#)
        #expect(added.status == 201, "\(added.body)")

        let wrong = try server.request(
            "POST", "/v1/collections/emb/search", #"{"tenant":"acme","vector":[1,0],"spaceId":"e5-base-v2"}"#)
        #expect(wrong.status == 422 && wrong.body.contains("wrong_space"), "\(wrong.body)")
        let right = try server.request(
            "POST", "/v1/collections/emb/search", #"{"tenant":"acme","vector":[1,0],"spaceId":"minilm-l6-384"}"#)
        #expect(right.status == 200, "\(right.body)")
        let batch = try server.request(
            "POST", "/v1/collections/emb/search/batch", #"{"tenant":"acme","vectors":[[1,0]],"spaceId":"e5-base-v2"}"#)
        #expect(batch.status == 422 && batch.body.contains("wrong_space"), "\(batch.body)")
        let suggest = try server.request(
            "POST", "/v1/collections/emb/suggest", #"{"tenant":"acme","vector":[1,0],"spaceId":"e5-base-v2"}"#)
        #expect(suggest.status == 422 && suggest.body.contains("wrong_space"), "\(suggest.body)")

        var raw = Data()
        for value: Float in [1, 0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        let binaryWrong = try server.request(
            "POST", "/v1/collections/emb/search/binary?tenant=acme&spaceId=e5-base-v2", data: raw,
            contentType: "application/octet-stream")
        #expect(binaryWrong.status == 422 && binaryWrong.body.contains("wrong_space"), "\(binaryWrong.body)")
        let binaryRight = try server.request(
            "POST", "/v1/collections/emb/search/binary?tenant=acme&spaceId=minilm-l6-384", data: raw,
            contentType: "application/octet-stream")
        #expect(binaryRight.status == 200, "\(binaryRight.body)")
    }

    @Test func commandLineAddChecksTheSpace() throws {
        let database = TemporaryDatabase()
        let file = database.directory.appendingPathComponent("p.jsonl")
        try #"{"tenant":"t","id":"a","vector":[1,0]}"#.write(to: file, atomically: true, encoding: .utf8)
        let db = ["--db", database.path]
        #expect(try CasebookProcess.run(
            ["init", "--collection", "c", "--embedder", "external", "--dims", "2", "--space-id", "minilm-l6-384"] + db).status == 0)
        let refused = try CasebookProcess.run(["add", "--collection", "c", "--space-id", "e5-base-v2", file.path] + db)
        #expect(refused.status != 0 && refused.stderr.contains("minilm-l6-384"), "\(refused.stderr)")
        #expect(try Casebook(path: database.path).collection("c").count(tenant: "t") == 0)
        #expect(try CasebookProcess.run(["add", "--collection", "c", "--space-id", "minilm-l6-384", file.path] + db).status == 0)
        let search = try CasebookProcess.run(
            ["search", "--collection", "c", "--tenant", "t", "--vector", "[1,0]", "--space-id", "e5-base-v2"] + db)
        #expect(search.status != 0 && search.stderr.contains("e5-base-v2"), "\(search.stderr)")
    }
}
