import Foundation
import Testing

@testable import Casebook

/// `policyVersion` through `casebook serve` (stored, filtered, patched, per tenant) and
/// `casebook search --policy-version`, each a separate process.
@Suite struct PolicyVersionAPITests {
    @Test func socketStoresFiltersAndPatchesIt() throws {
        let server = try ServerProcess()
        #expect(try server.request("POST", "/v1/collections", #"{"name":"emb","dim":2,"embedder":"external"}"#).status == 201)
        for tenant in ["acme", "globex"] {
            let add = try server.request("POST", "/v1/collections/emb/precedents", """
                {"tenant":"\(tenant)","precedents":[
                  {"id":"p1","vector":[1,0],"policyVersion":"v1"},{"id":"p2","vector":[0.9,0.1],"policyVersion":"v2"},
                  {"id":"p3","vector":[0.8,0.2]}]}
                """)
            #expect(add.status == 201, "\(add.body)")
        }
        func ids(_ filter: String, tenant: String = "acme") throws -> [String] {
            let reply = try server.request(
                "POST", "/v1/collections/emb/search", #"{"tenant":"\#(tenant)","k":5,"vector":[1,0],"filter":\#(filter)}"#)
            #expect(reply.status == 200, "\(reply.body)")
            return (reply.json["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        }
        #expect(try ids(#"{"policyVersion":"v2"}"#) == ["p2"])
        #expect(try ids(#"{"policyVersion":"v3"}"#) == [])
        #expect(try server.request("POST", "/v1/collections/emb/search",
                                   #"{"tenant":"acme","k":5,"vector":[1,0],"filter":{"policyVersion":2}}"#).status == 400)
        let got = try server.request("GET", "/v1/collections/emb/precedents/p1?tenant=acme")
        #expect(got.json["policyVersion"] as? String == "v1")

        // PATCH changes it, null clears it; the other tenant's row stays.
        let patched = try server.request("PATCH", "/v1/collections/emb/precedents/p3?tenant=acme", #"{"policyVersion":"v2"}"#)
        #expect(patched.status == 200 && patched.json["policyVersion"] as? String == "v2", "\(patched.body)")
        #expect(try ids(#"{"policyVersion":"v2"}"#) == ["p2", "p3"])
        #expect(try ids(#"{"policyVersion":"v2"}"#, tenant: "globex") == ["p2"])
        let cleared = try server.request("PATCH", "/v1/collections/emb/precedents/p2?tenant=acme", #"{"policyVersion":null}"#)
        #expect(cleared.status == 200 && cleared.json["policyVersion"] == nil, "\(cleared.body)")
        #expect(try ids(#"{"policyVersion":"v2"}"#) == ["p3"])
    }

    @Test func commandLineFiltersByIt() throws {
        let database = TemporaryDatabase()
        let file = database.directory.appendingPathComponent("p.jsonl")
        try """
            {"tenant":"t","id":"a","vector":[1,0],"policyVersion":"v1"}
            {"tenant":"t","id":"b","vector":[0.9,0.1],"policyVersion":"v2"}
            """.write(to: file, atomically: true, encoding: .utf8)
        let db = ["--db", database.path]
        #expect(try CasebookProcess.run(["init", "--collection", "c", "--embedder", "external", "--dims", "2"] + db).status == 0)
        #expect(try CasebookProcess.run(["add", "--collection", "c", file.path] + db).status == 0)
        let found = try CasebookProcess.run(
            ["search", "--collection", "c", "--tenant", "t", "--vector", "[1,0]", "--policy-version", "v2", "--json"] + db)
        #expect(found.status == 0, "\(found.stderr)")
        let response = try JSONDecoder().decode(SearchResponse.self, from: Data(found.stdout.utf8))
        #expect(response.results.map(\.id.rawValue) == ["b"])
    }
}
