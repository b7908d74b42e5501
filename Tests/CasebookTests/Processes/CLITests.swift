import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `casebook` executable, run as a separate process the way a user runs it.
@Suite struct CLITests {
    let database = TemporaryDatabase()
    var db: [String] { ["--db", database.path] }

    @Test func initAddSearchInfo() throws {
        #expect(try CasebookProcess.run(["init", "--collection", "ndr", "--embedder", "external", "--dim", "3", "--metric", "cosine"] + db).status == 0)
        let file = database.directory.appendingPathComponent("in.jsonl")
        try """
            {"id":"a","tenant":"acme","category":"ndr","tags":["cod"],"wasSuccessful":true,"vector":[1,0,0],"createdAt":"2026-01-10T00:00:00Z"}

            {"id":"b","tenant":"acme","category":"ndr","vector":[0.8,0.2,0],"createdAt":"2026-02-10T00:00:00Z"}
            {"id":"a","tenant":"globex","category":"ndr","vector":[1,0,0]}
            """.write(to: file, atomically: true, encoding: .utf8)
        let added = try CasebookProcess.run(["add", "--collection", "ndr", file.path] + db)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("added 3 precedents"))

        let search = try CasebookProcess.run(["search", "--collection", "ndr", "--tenant", "acme", "--vector", "[1,0,0]", "--json"] + db)
        #expect(search.status == 0, "\(search.stderr)")
        let response = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as! [String: Any]
        #expect(Set(response.keys) == ["queryId", "exact", "probed", "tookMs", "reranked", "results"])
        #expect(response["probed"] as? Int == 0 && response["exact"] as? Bool == true)
        let nprobe = try CasebookProcess.run(["search", "--collection", "ndr", "--tenant", "acme", "--vector", "[1,0,0]", "--nprobe", "4"] + db)
        #expect(nprobe.status != 0 && nprobe.stderr.contains("nprobe applies to IVF"))
        let exact = try CasebookProcess.run(["search", "--collection", "ndr", "--tenant", "acme", "--vector", "[1,0,0]", "--exact", "--json"] + db)
        #expect(exact.status == 0, "\(exact.stderr)")
        let results = response["results"] as! [[String: Any]]
        #expect(results.map { $0["id"] as! String } == ["a", "b"])
        #expect(results.map { $0["rank"] as! Int } == [1, 2])
        #expect((results[0]["precedent"] as! [String: Any])["tenant"] as! String == "acme")

        let filtered = try CasebookProcess.run(["search", "--collection", "ndr", "--tenant", "acme", "--vector", "[1,0,0]", "--json",
                                     "--tag", "cod", "--successful", "true", "--since", "2026-01-01", "--until", "2026-02-01"] + db)
        let filteredResults = (try JSONSerialization.jsonObject(with: Data(filtered.stdout.utf8)) as! [String: Any])["results"] as! [[String: Any]]
        #expect(filteredResults.map { $0["id"] as! String } == ["a"])

        let vectorFile = database.directory.appendingPathComponent("q.json")
        try "[0, 1, 0]".write(to: vectorFile, atomically: true, encoding: .utf8)
        let fromFile = try CasebookProcess.run(["search", "--collection", "ndr", "--tenant", "acme", "--vector-file", vectorFile.path, "--k", "1"] + db)
        #expect(fromFile.status == 0)
        #expect(fromFile.stdout.contains(" b "))

        let info = try CasebookProcess.run(["info", "--json"] + db)
        let collections = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any])["collections"] as! [[String: Any]]
        #expect(collections.count == 1)
        #expect(collections[0]["count"] as! Int == 3)
        #expect(collections[0]["dim"] as! Int == 3)
        #expect(collections[0]["metric"] as! String == "cosine")
        let scoped = try CasebookProcess.run(["info", "--json", "--tenant", "globex"] + db)
        let scopedCollections = (try JSONSerialization.jsonObject(with: Data(scoped.stdout.utf8)) as! [String: Any])["collections"] as! [[String: Any]]
        #expect(scopedCollections[0]["count"] as! Int == 1)
        #expect(scopedCollections[0]["tenants"] == nil)
    }

    /// A bad line is named; with --atomic nothing is written, else the lines before it are.
    @Test func badLineIsNamedAndStopsTheImport() throws {
        let cases: [(String, String, Int)] = [
            ("{\"id\":\"1\",\"tenant\":\"t\",\"vector\":[1,0]}\n{\"id\":\"2\",\"tenant\":\"t\",\"vector\":[1]}\n", "line 2: vector has 1 dimensions", 1),
            ("{\"id\":\"1\",\"tenant\":\"t\",\"vector\":[1,0]}\n\n{\"id\":\"2\",\"tenant\":\"t\",\"vector\":[1,0\n", "line 3: invalid JSON", 1),
            ("{\"id\":\"1\",\"tenant\":\"t\",\"vector\":[1,0]}\n{\"id\":\"1\",\"tenant\":\"t\",\"vector\":[0,1]}\n", "line 2: id \"1\" is already used", 1),
            ("{\"id\":\"1\",\"vector\":[1,0]}\n", "line 1: missing field \"tenant\"", 0),
        ]
        for (number, (input, message, before)) in cases.enumerated() {
            let name = "c\(number)"
            #expect(try CasebookProcess.run(["init", "--collection", name, "--embedder", "external", "--dim", "2"] + db).status == 0)
            let atomic = try CasebookProcess.run(["add", "--collection", name, "--atomic", "-"] + db, stdin: input)
            #expect(atomic.status != 0)
            #expect(atomic.stderr.contains(message) && atomic.stderr.contains("nothing was added"), "\(atomic.stderr)")
            let streamed = try CasebookProcess.run(["add", "--collection", name, "-"] + db, stdin: input)
            #expect(streamed.status != 0)
            #expect(streamed.stderr.contains(message), "\(streamed.stderr)")
            let said = before == 0 ? "Nothing was added" : "Lines 1-\(before) are in the collection"
            #expect(streamed.stderr.contains(said), "\(streamed.stderr)")
            let info = try CasebookProcess.run(["info", "--json"] + db)
            #expect(info.stdout.contains("\"count\":\(before),\"dim\":2,\"embedder\":{\"kind\":\"external\"},\"index\":{\"kind\":\"flat\"},\"metric\":\"cosine\",\"name\":\"\(name)\""),
                    "\(info.stdout)")
        }
    }

    @Test func errorsExitNonZeroWithMessage() throws {
        #expect(try CasebookProcess.run(["init", "--collection", "c", "--embedder", "external", "--dim", "2"] + db).status == 0)
        let duplicate = try CasebookProcess.run(["init", "--collection", "c", "--embedder", "external", "--dim", "2"] + db)
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("already exists"))
        let unknown = try CasebookProcess.run(["search", "--collection", "nope", "--tenant", "t", "--vector", "[1,0]"] + db)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no collection named \"nope\""))
        let wrongDim = try CasebookProcess.run(["search", "--collection", "c", "--tenant", "t", "--vector", "[1,0,0]"] + db)
        #expect(wrongDim.stderr.contains("3 dimensions"))
        let badVector = try CasebookProcess.run(["search", "--collection", "c", "--tenant", "t", "--vector", "[1,\"x\"]"] + db)
        #expect(badVector.status != 0)
        let badMetric = try CasebookProcess.run(["init", "--collection", "d", "--embedder", "external", "--dim", "2", "--metric", "hamming"] + db)
        #expect(badMetric.status != 0)
        let badK = try CasebookProcess.run(["search", "--collection", "c", "--tenant", "t", "--vector", "[1,0]", "--k", "0"] + db)
        #expect(badK.stderr.contains("k must be between"))
    }
}
