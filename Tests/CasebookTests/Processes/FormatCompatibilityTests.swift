import Foundation
import GRDB
import Testing

@testable import Casebook

/// A database written by an earlier build (Tests/Fixtures/format-v1, made by its
/// make_fixture.sh with commit 46c6bbb: a hashed-v1 collection and a trained IVF collection) opens
/// with this build, migrates, and answers every recorded search with the same ids and scores.
@Suite struct FormatCompatibilityTests {
    static let fixture = Repository.path("Tests/Fixtures/format-v1")

    struct Recorded: Decodable {
        var args: [String]
        var exact: Bool
        var ids: [String]
        var scores: [Float]
    }

    /// A copy of the old file (opening migrates it; the committed fixture stays as it is).
    static func copy() throws -> TemporaryDatabase {
        let database = TemporaryDatabase()
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent("casebook.sqlite").path, toPath: database.path)
        return database
    }

    static func recorded() throws -> [Recorded] {
        let text = try String(contentsOf: fixture.appendingPathComponent("expected.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Recorded.self, from: Data($0.utf8)) }
    }

    @Test func anOldFileAnswersAsItDidBeforeMigrating() throws {
        let database = try Self.copy()
        let searches = try Self.recorded()
        #expect(searches.count == 5)
        #expect(searches.contains { !$0.exact } && searches.allSatisfy { !$0.ids.isEmpty })
        for search in searches {
            let outcome = try CasebookProcess.run(["search", "--db", database.path, "--json", "--no-log"] + search.args)
            #expect(outcome.status == 0, "\(search.args): \(outcome.stderr)")
            let response = try JSONDecoder().decode(SearchResponse.self, from: Data(outcome.stdout.utf8))
            #expect(response.results.map(\.id.rawValue) == search.ids, "\(search.args)")
            #expect(response.results.map(\.score) == search.scores, "\(search.args)")
            #expect(response.exact == search.exact, "\(search.args)")
        }
    }

    @Test func anOldFileMigratesAndTakesTheNewField() throws {
        let database = try Self.copy()
        let casebook = try Casebook(path: database.path)
        #expect(casebook.collections.map(\.name) == ["emb", "ndr"])
        let ndr = try casebook.collection("ndr")
        #expect(ndr.count == 120)
        let old = try ndr.get(tenant: "acme-retail", id: "p-00001")
        #expect(old.policyVersion == nil && old.decisionEventId == "evt-p-00001")
        var changed = old
        changed.policyVersion = "ndr-2026-03"
        try ndr.update(changed)
        #expect(try ndr.get(tenant: "acme-retail", id: "p-00001").policyVersion == "ndr-2026-03")
        let emb = try casebook.collection("emb")
        #expect(emb.indexInfo.trained && emb.indexInfo.nlist == 8)
        let migrations = try DatabaseQueue(path: database.path).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        // By name: "v10-…" sorts after "v1".
        #expect(migrations == ["v1", "v10-packed-frequencies", "v2-ivf", "v3-matches", "v4-policy-version", "v5-change-feed", "v6-action", "v7-feature-frequency", "v8-sparse-vectors",
            "v9-training-changes"])
    }
}
