import Foundation
import Testing

@testable import Casebook

/// `action`, the decision as a field: stored and returned, never embedded, filterable exactly
/// (flat, trained IVF, both stores), checked like a name, and lifted out of old data's context.
/// `outcomeKnown`, the filter suggestions read with, against brute force. Over the socket and the
/// command line: `SuggestAPITests`.
@Suite struct ActionFieldTests {
    static let actions = ["rto", "reattempt_next_day", nil]

    static func rows(tenant: String, seed: UInt64) -> [Precedent] {
        var random = SplitMix64(seed: seed)
        return (0..<240).map { i in
            Precedent(
                id: PrecedentID("p\(i)"), tenant: TenantID(tenant), action: actions[i % 3],
                wasSuccessful: i % 4 == 0 ? nil : i % 4 == 1, vector: (0..<8).map { _ in random.unit() })
        }
    }

    static func bruteForce(_ rows: [Precedent], _ query: [Float], k: Int, keep: (Precedent) -> Bool) -> [String] {
        PolicyVersionTests.bruteForce(rows, query, k: k, keep: keep)
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func filtersEqualBruteForce(store: StoreKind, trained: Bool) throws {
        let database = TemporaryDatabase(store)
        var spec = CollectionSpec(name: "c", dimension: 8, metric: .cosine)
        if trained { spec.index = .ivf(IVFParameters(nlist: 4, nprobe: 4, flatThreshold: 16)) }
        let collection = try Casebook(path: database.path).createCollection(spec)
        let acme = Self.rows(tenant: "acme", seed: 1)
        try collection.add(acme + Self.rows(tenant: "globex", seed: 2))
        if trained { try collection.trainIndex() }
        var random = SplitMix64(seed: 3)
        for _ in 0..<8 {
            let query = (0..<8).map { _ in random.unit() }
            let cases: [(SearchFilter, (Precedent) -> Bool)] = [
                (SearchFilter(action: "rto"), { $0.action == "rto" }),
                (SearchFilter(outcomeKnown: true), { $0.wasSuccessful != nil }),
                (SearchFilter(outcomeKnown: false), { $0.wasSuccessful == nil }),
                (SearchFilter(action: "reattempt_next_day", outcomeKnown: true), {
                    $0.action == "reattempt_next_day" && $0.wasSuccessful != nil
                }),
                (SearchFilter(wasSuccessful: false, outcomeKnown: true), { $0.wasSuccessful == false }),
                (SearchFilter(wasSuccessful: true, outcomeKnown: false), { _ in false }),
                (SearchFilter(action: "never"), { _ in false }),
            ]
            for (filter, keep) in cases {
                let found = try collection.search(SearchRequest(tenant: "acme", k: 9, vector: query, filter: filter))
                #expect(found.exact && found.results.map(\.id.rawValue) == Self.bruteForce(acme, query, k: 9, keep: keep))
                #expect(found.results.allSatisfy { $0.precedent?.tenant == "acme" })
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func storedReturnedAndNeverEmbedded(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let hashed = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "h", dimension: 256, embedder: .hashedV1()))
        let plain = Precedent(id: "a", tenant: "t", category: "ndr", text: "customer not answering", tags: ["cod"])
        var decided = plain
        decided.id = "b"
        decided.action = "reattempt_next_day"
        try hashed.add([plain, decided])
        #expect(try hashed.get(tenant: "t", id: "a").vector == hashed.get(tenant: "t", id: "b").vector)
        #expect(try hashed.get(tenant: "t", id: "b").action == "reattempt_next_day")
        #expect(try Casebook(path: database.path).collection("h").get(tenant: "t", id: "b").action == "reattempt_next_day")
        let stored = try hashed.get(tenant: "t", id: "b")
        #expect(String(decoding: try JSONEncoder().encode(stored), as: UTF8.self).contains(#""action":"reattempt_next_day""#))
        #expect(try Precedent(jsonText: #"{"tenant":"t","action":"rto"}"#).action == "rto")
        let response = try hashed.search(SearchRequest(tenant: "t", k: 2, text: "customer not answering"))
        #expect(response.jsonText.contains(#""action":"reattempt_next_day""#))
        // An update changes it; nil clears it.
        var changed = stored
        changed.action = "rto"
        try hashed.update(changed)
        #expect(try hashed.search(SearchRequest(tenant: "t", k: 2, text: "customer", filter: SearchFilter(action: "rto")))
            .results.map(\.id) == ["b"])
    }

    /// Another instance's actions and outcomes reach a follower: its action filter, its
    /// suggestions and its base rate answer as the writer's do.
    @Test(arguments: StoreKind.allCases) func aFollowerSeesActionsAndOutcomes(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let writer = try Casebook(path: database.path)
        let reader = try Casebook(path: database.path)
        let a = try writer.createCollection(CollectionSpec(name: "c", dimension: 8, metric: .cosine))
        try a.add(Self.rows(tenant: "acme", seed: 1))
        try reader.catchUp()
        let b = try reader.collection("c")
        var changed = try a.get(tenant: "acme", id: "p2")
        changed.action = "rto"
        changed.wasSuccessful = true
        try a.update(changed)
        try a.delete(tenant: "acme", id: "p0")
        try reader.catchUp()
        var random = SplitMix64(seed: 4)
        for _ in 0..<4 {
            let query = (0..<8).map { _ in random.unit() }
            for filter in [SearchFilter(action: "rto"), SearchFilter(action: "rto", outcomeKnown: true)] {
                // k above the tenant's rows: every match, so the changed row must be among them.
                let request = SearchRequest(tenant: "acme", k: 300, vector: query, filter: filter, log: false)
                let followed = try b.search(request).results.map(\.id)
                #expect(try a.search(request).results.map(\.id) == followed)
                #expect(followed.contains("p2") && !followed.contains("p0"))
            }
            let suggest = SuggestRequest(tenant: "acme", vector: query, log: false)
            let (mine, theirs) = (try a.suggest(suggest), try b.suggest(suggest))
            #expect(mine.actions == theirs.actions && mine.baseRate == theirs.baseRate)
            #expect(mine.recommendedAction == theirs.recommendedAction)
        }
    }

    @Test func badActionsAreRefused() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 2, metric: .cosine))
        for action in ["", "a\u{0}b", "line\nbreak", String(repeating: "x", count: 257)] {
            #expect(throws: CasebookError.self) {
                try collection.add([Precedent(id: "p", tenant: "t", action: action, vector: [1, 0])])
            }
        }
        #expect(collection.count(tenant: "t") == 0)
        #expect(throws: CasebookError.self) {
            try Casebook(path: database.path).recordOutcome(
                DecisionOutcome(tenant: "t", decisionId: "d", wasSuccessful: true, action: "bad\u{7}"))
        }
    }

    @Test func liftingMovesTheContextKey() throws {
        let old = Precedent(tenant: "t", context: ["action": "rto", "reason": "refused"])
        let lifted = try old.liftingAction(fromContextKey: "action")
        #expect(lifted.action == "rto" && lifted.context == ["reason": "refused"])
        #expect(try Precedent(tenant: "t", context: ["reason": "x"]).liftingAction(fromContextKey: "action").action == nil)
        var same = old
        same.action = "rto"
        #expect(try same.liftingAction(fromContextKey: "action").context == ["reason": "refused"])
        var other = old
        other.action = "reattempt"
        #expect(throws: CasebookError.self) { try other.liftingAction(fromContextKey: "action") }
        #expect(throws: CasebookError.self) {
            try Precedent(tenant: "t", context: ["action": 3]).liftingAction(fromContextKey: "action")
        }
        // Lifted, the decision no longer shapes the vector: equal situations embed equally.
        let embedder = try HashedNGramEmbedder(dimension: 256, parameters: HashedNGramParameters())
        let a = try Precedent(tenant: "t", context: ["action": "rto", "reason": "refused"]).liftingAction(fromContextKey: "action")
        let b = try Precedent(tenant: "t", context: ["action": "exchange", "reason": "refused"]).liftingAction(fromContextKey: "action")
        #expect(try embedder.documentVector(for: a) == embedder.documentVector(for: b))
    }
}
