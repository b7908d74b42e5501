import Foundation
import Testing

/// The match log from the command line, each command a separate process: search --json gives a
/// queryId, `use` records against it, `stats --json` and `matches` read it back, `prune` empties it.
@Suite struct MatchCLITests {
    let database = TemporaryDatabase()
    var db: [String] { ["--db", database.path] }

    func run(_ arguments: [String]) throws -> CasebookProcess.Outcome {
        try CasebookProcess.run(arguments + db)
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func searchUseStatsExportPrune() throws {
        #expect(try run(["init", "--collection", "ndr", "--embedder", "external", "--dim", "2", "--metric", "ip"]).status == 0)
        let file = database.directory.appendingPathComponent("in.jsonl")
        try """
            {"id":"p1","tenant":"acme","vector":[1,0]}
            {"id":"p2","tenant":"acme","vector":[0.5,0]}
            {"id":"p1","tenant":"globex","vector":[1,0]}
            """.write(to: file, atomically: true, encoding: .utf8)
        #expect(try run(["add", "--collection", "ndr", file.path]).status == 0)

        let search = try run(["search", "--collection", "ndr", "--tenant", "acme", "--vector", "[1,0]", "--k", "2",
                              "--decision", "d1", "--actor", "agent", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let queryId = try #require(try json(search.stdout)["queryId"] as? String)

        let used = try run(["use", "--query", queryId, "--precedent", "p2", "--type", "applied", "--tenant", "acme",
                            "--event-id", "e1"])
        #expect(used.status == 0, "\(used.stderr)")
        #expect(used.stdout.contains("rank 2"))
        let replay = try run(["use", "--query", queryId, "--precedent", "p2", "--type", "applied", "--tenant", "acme",
                              "--event-id", "e1"])
        #expect(replay.status == 0 && replay.stdout.contains("already recorded"))
        // Refused: another tenant, a precedent not shown, an unknown type.
        let foreign = try run(["use", "--query", queryId, "--precedent", "p1", "--type", "applied", "--tenant", "globex"])
        #expect(foreign.status != 0 && foreign.stderr.contains("no logged search"))
        let notShown = try run(["use", "--query", queryId, "--precedent", "p9", "--type", "cited", "--tenant", "acme"])
        #expect(notShown.status != 0 && notShown.stderr.contains("did not show"))
        let badType = try run(["use", "--query", queryId, "--precedent", "p1", "--type", "liked", "--tenant", "acme"])
        #expect(badType.status != 0 && badType.stderr.contains("--type"))

        #expect(try run(["outcome", "--tenant", "acme", "--decision", "d1", "--successful", "true"]).status == 0)

        let stats = try run(["stats", "--tenant", "acme", "--collection", "ndr", "--json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let object = try json(stats.stdout)
        #expect(object["queries"] as? Int == 1 && object["shown"] as? Int == 2 && object["used"] as? Int == 1)
        #expect(object["useRateByRank"] as? [Double] == [0, 1])
        #expect(object["mrr"] as? Double == 0.5 && object["hitAtK"] as? Double == 1 && object["noUseShare"] as? Double == 0)
        let lift = try #require(object["outcomeLift"] as? [String: Any])
        #expect(lift["decisionsApplied"] as? Int == 1 && lift["successRateApplied"] as? Double == 1)
        let table = try run(["stats", "--tenant", "acme", "--collection", "ndr"])
        #expect(table.status == 0 && table.stdout.contains("MRR 0.500"))

        let export = try run(["matches", "--tenant", "acme"])
        #expect(export.status == 0, "\(export.stderr)")
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let record = try json(String(lines[0]))
        #expect(record["queryId"] as? String == queryId && record["decisionId"] as? String == "d1")
        #expect((record["shown"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["p1", "p2"])
        #expect((record["uses"] as? [[String: Any]])?.count == 1)
        #expect(try run(["matches", "--tenant", "globex"]).stdout.isEmpty)

        let noLog = try run(["search", "--collection", "ndr", "--tenant", "acme", "--vector", "[1,0]", "--no-log", "--json"])
        let unlogged = try #require(try json(noLog.stdout)["queryId"] as? String)
        #expect(try run(["use", "--query", unlogged, "--precedent", "p1", "--type", "viewed", "--tenant", "acme"]).status != 0)

        let badDate = try run(["matches", "prune", "--before", "yesterday"])
        #expect(badDate.status != 0 && badDate.stderr.contains("ISO 8601"))
        let prune = try run(["matches", "prune", "--before", "2999-01-01"])
        #expect(prune.status == 0 && prune.stdout.contains("deleted 1 search(es) and 1 outcome(s)"))
        #expect(try run(["matches"]).stdout.isEmpty)
    }
}
