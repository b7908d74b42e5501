import Foundation
import Testing

@testable import Casebook

/// Suggestions and `action` through `casebook serve` and the command line, each a separate
/// process: the route answers as the library does, one tenant's precedents never reach another's
/// advice, bad bodies get clear errors, and `casebook add --action-from` lifts old data's field.
@Suite struct SuggestAPITests {
    static let rows = """
        {"id":"p1","vector":[1,0],"action":"A","wasSuccessful":true,"outcome":"delivered"},
        {"id":"p2","vector":[0.9,0.1],"action":"A","wasSuccessful":true},
        {"id":"p3","vector":[0.8,0.2],"action":"A","wasSuccessful":false},
        {"id":"p4","vector":[0.7,0.3],"action":"B","wasSuccessful":false},
        {"id":"p5","vector":[0.99,0.01],"action":"B"}
        """

    @Test func socketSuggestsWithinTheTenant() throws {
        let server = try ServerProcess()
        #expect(try server.request("POST", "/v1/collections", #"{"name":"emb","dim":2,"embedder":"external"}"#).status == 201)
        #expect(try server.request("POST", "/v1/collections/emb/precedents", #"{"tenant":"acme","precedents":[\#(Self.rows)]}"#).status == 201)
        // globex: the same ids, all action Z and successful.
        let globex = Self.rows.replacingOccurrences(of: #""action":"A""#, with: #""action":"Z""#)
            .replacingOccurrences(of: #""action":"B""#, with: #""action":"Z""#)
            .replacingOccurrences(of: "false", with: "true")
        #expect(try server.request("POST", "/v1/collections/emb/precedents", #"{"tenant":"globex","precedents":[\#(globex)]}"#).status == 201)

        let reply = try server.request(
            "POST", "/v1/collections/emb/suggest",
            #"{"tenant":"acme","vector":[1,0],"k":4,"decisionId":"d1","includePrecedents":true}"#)
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.json["recommendedAction"] as? String == "A")
        #expect(reply.json["considered"] as? Int == 4 && reply.json["insufficientEvidence"] as? Bool == false)
        let actions = (reply.json["actions"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
        #expect(actions == ["A", "B"])
        let evidence = (reply.json["evidence"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(evidence == ["p1", "p2", "p3", "p4"], "p5 has no outcome")
        // The library computes the same from the same rows.
        let library = try JSONDecoder().decode(Suggestion.self, from: Data(reply.body.utf8))
        #expect(abs(library.baseRate - 3.0 / 6.0) < 1e-12, "2 of 4 known worked: (2 + 1) / (4 + 2)")

        let other = try server.request("POST", "/v1/collections/emb/suggest", #"{"tenant":"globex","vector":[1,0]}"#)
        #expect(other.status == 200 && other.json["recommendedAction"] as? String == "Z")
        #expect(!other.body.contains(#""A""#) && !other.body.contains(#""B""#))

        // The suggestion's queryId takes uses like a search's; another tenant cannot use it.
        let queryId = reply.json["queryId"] as? String ?? ""
        let use = try server.request(
            "POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"acme","precedentId":"p2","type":"applied"}"#)
        #expect(use.status == 201, "\(use.body)")
        #expect(try server.request(
            "POST", "/v1/matches/\(queryId)/uses", #"{"tenant":"globex","precedentId":"p2","type":"applied"}"#).status == 404)
        let outcome = try server.request(
            "POST", "/v1/decisions/d1/outcome", #"{"tenant":"acme","wasSuccessful":true,"action":"A"}"#)
        #expect(outcome.status == 200, "\(outcome.body)")
        let stats = try server.request("GET", "/v1/stats?tenant=acme&collection=emb")
        let record = stats.json["suggestions"] as? [String: Any]
        #expect(record?["suggestions"] as? Int == 1 && record?["decisionsFollowed"] as? Int == 1, "\(stats.body)")
        let globexStats = try server.request("GET", "/v1/stats?tenant=globex&collection=emb")
        #expect((globexStats.json["suggestions"] as? [String: Any])?["decisionsFollowed"] as? Int == 0)

        // Bad bodies: clear errors, nothing logged.
        let bad: [(String, Int, String)] = [
            (#"{"vector":[1,0]}"#, 400, "missing_tenant"),
            (#"{"tenant":"acme","vector":[1,0],"confidence":1.5}"#, 422, "confidence"),
            (#"{"tenant":"acme","vector":[1,0],"k":3,"minSupport":4}"#, 422, "minSupport"),
            (#"{"tenant":"acme","vector":[1,0],"filter":{"outcomeKnown":false}}"#, 422, "outcomeKnown"),
            (#"{"tenant":"acme","vector":[1,0],"rerank":true}"#, 400, "rerank"),
            (#"{"tenant":"acme","vector":[1,0,0]}"#, 422, "dimensions"),
            (#"{"tenant":"acme","vector":[1,0],"k":"many"}"#, 400, "k"),
        ]
        for (body, status, word) in bad {
            let refused = try server.request("POST", "/v1/collections/emb/suggest", body)
            #expect(refused.status == status && refused.body.contains(word), "\(body) → \(refused.status) \(refused.body)")
        }
        #expect(try server.request("POST", "/v1/collections/none/suggest", #"{"tenant":"acme","vector":[1,0]}"#).status == 404)
    }

    @Test func commandLineLiftsActionsAndSuggests() throws {
        let database = TemporaryDatabase()
        let file = database.directory.appendingPathComponent("old.jsonl")
        try """
            {"tenant":"t","id":"a","text":"customer not answering","context":{"reason":"unreachable","action":"call_then_reattempt"},"wasSuccessful":true}
            {"tenant":"t","id":"b","text":"customer not answering again","context":{"reason":"unreachable","action":"call_then_reattempt"},"wasSuccessful":true}
            {"tenant":"t","id":"c","text":"customer not answering at all","context":{"reason":"unreachable","action":"rto"},"wasSuccessful":false}
            """.write(to: file, atomically: true, encoding: .utf8)
        let db = ["--db", database.path]
        #expect(try CasebookProcess.run(["init", "--collection", "c", "--dims", "256"] + db).status == 0)
        let added = try CasebookProcess.run(["add", "--collection", "c", "--action-from", "action", file.path] + db)
        #expect(added.status == 0, "\(added.stderr)")
        let stored = try Casebook(path: database.path).collection("c").get(tenant: "t", id: "a")
        #expect(stored.action == "call_then_reattempt" && stored.context["action"] == nil)

        let suggested = try CasebookProcess.run(
            ["suggest", "--collection", "c", "--tenant", "t", "--text", "customer not answering", "--min-support", "2",
             "--decision", "d1", "--json"] + db)
        #expect(suggested.status == 0, "\(suggested.stderr)")
        let suggestion = try JSONDecoder().decode(Suggestion.self, from: Data(suggested.stdout.utf8))
        #expect(suggestion.recommendedAction == "call_then_reattempt" && suggestion.considered == 3)
        let report = try CasebookProcess.run(
            ["suggest", "--collection", "c", "--tenant", "t", "--text", "customer not answering"] + db)
        #expect(report.stdout.contains("no recommendation (insufficient evidence)"), "\(report.stdout)")
        // The decision took the recommended action and worked: stats count it as followed.
        let outcome = try CasebookProcess.run(
            ["outcome", "--tenant", "t", "--decision", "d1", "--successful", "true", "--action", "call_then_reattempt"] + db)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let stats = try CasebookProcess.run(["stats", "--tenant", "t", "--collection", "c"] + db)
        #expect(stats.stdout.contains("suggestions 2 (1 recommending an action): followed 100.0% success of 1"), "\(stats.stdout)")

        // A line whose context.action is not a string names its line; nothing is added.
        try #"{"tenant":"t","id":"d","context":{"action":7}}"#.write(to: file, atomically: true, encoding: .utf8)
        let refused = try CasebookProcess.run(["add", "--collection", "c", "--action-from", "action", file.path] + db)
        #expect(refused.status != 0 && refused.stderr.contains("line 1"), "\(refused.stderr)")
    }
}
