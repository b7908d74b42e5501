import Foundation
import Testing

@testable import Casebook

/// hashed-v2's field weights: the information arithmetic against scikit-learn's
/// `mutual_info_score` and values worked out by hand, the fit per tenant (one tenant's outcomes
/// never weigh another's fields), the weights reaching features and rankings, and a state without
/// them embedding exactly as before.
@Suite struct FieldWeightingTests {
    typealias Counts = OutcomeCounts

    @Test func informationMatchesScikitLearnLessWhatChanceGives() {
        // sklearn.metrics.mutual_info_score(x, y) for x = a×100, b×100, c×100 and y = 80 of 100,
        // 30 of 100 and 50 of 100 successes: 0.08945200726280944 nats (as for a tenth of each);
        // less (2 + 3·sqrt(4)) / (2 · 300).
        let three = [Counts(failures: 20, successes: 80), Counts(failures: 70, successes: 30), Counts(failures: 50, successes: 50)]
        #expect(abs(FieldWeighting.information(three) - (0.08945200726280944 - 8.0 / 600)) < 1e-12)
        // A field that decides the outcome: ln 2 less (1 + 3·sqrt(2)) / 40.
        let decisive = [Counts(failures: 0, successes: 10), Counts(failures: 10, successes: 0)]
        #expect(abs(FieldWeighting.information(decisive) - (0.693147180559945 - (1 + 3 * 2.0.squareRoot()) / 40)) < 1e-12)
        // The same three values over 30 precedents: no longer beyond chance.
        let few = [Counts(failures: 2, successes: 8), Counts(failures: 7, successes: 3), Counts(failures: 5, successes: 5)]
        #expect(FieldWeighting.information(few) == 0)
        // One that tells nothing, and one of a single value: 0, never below.
        #expect(FieldWeighting.information([Counts(failures: 5, successes: 5), Counts(failures: 5, successes: 5)]) == 0)
        #expect(FieldWeighting.information([Counts(failures: 3, successes: 9)]) == 0)
        #expect(FieldWeighting.information([]) == 0)
        // Twenty values seen once each "decide" the outcome as fully as the decisive field, by
        // chance: (19 + 3·sqrt(38)) / 40 exceeds the ln 2 they show.
        let rare = (0..<20).map { Counts(failures: $0 % 2, successes: 1 - $0 % 2) }
        #expect(FieldWeighting.information(rare) == 0)
    }

    @Test func weightsAreWorkedOut() throws {
        // Outcomes 1 in 4: entropy -(0.25 ln 0.25 + 0.75 ln 0.75) = 0.5623351446188083 nats.
        let entropy = FieldWeighting.entropy(Counts(failures: 30, successes: 10))
        #expect(abs(entropy - 0.5623351446188083) < 1e-12)
        #expect(FieldWeighting.entropy(Counts(failures: 0, successes: 12)) == 0)
        // x explains a quarter of it, y a hundredth, z nothing: 1 + 8·sqrt(share), then divided by
        // the largest (1 + 8·0.5 = 5).
        let weights = FieldWeighting.weights(["x": entropy / 4, "y": entropy / 100, "z": 0], entropy: entropy)
        #expect(try #require(weights["x"]) == 1)
        #expect(abs(try #require(weights["y"]) - 1.8 / 5) < 1e-12)
        #expect(abs(try #require(weights["z"]) - 1 / 5.0) < 1e-12)
        // No field told anything, or nothing to tell: all alike.
        #expect(FieldWeighting.weights(["x": 0, "y": 0], entropy: entropy) == ["x": 1, "y": 1])
        #expect(FieldWeighting.weights(["x": 0.1], entropy: 0) == ["x": 1])
        #expect(FieldWeighting.weights([:], entropy: entropy).isEmpty)
    }

    /// Tenant a's outcomes follow `plan`, tenant b's follow `region`; `note` follows neither.
    static func rows(tenant: String, decisive: String, count: Int = 80, seed: UInt64) -> [Precedent] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let plan = random.next() % 2 == 0 ? "gold" : "basic"
            let region = random.next() % 2 == 0 ? "north" : "south"
            let minutes = Double(100 + random.next() % 200)
            let outcome = decisive == "plan" ? plan == "gold" : region == "north"
            return Precedent(
                id: PrecedentID("\(tenant)\(i)"), tenant: TenantID(tenant),
                context: ["plan": .string(plan), "region": .string(region), "minutes": .number(minutes),
                          "note": .string(random.next() % 2 == 0 ? "called twice" : "wrote")],
                wasSuccessful: outcome)
        }
    }

    @Test func fieldsAreWeighedByEachTenantsOwnOutcomes() throws {
        let a = Self.rows(tenant: "a", decisive: "plan", seed: 1)
        let b = Self.rows(tenant: "b", decisive: "region", seed: 2)
        // Tenant c knows too few outcomes to be weighed; its unknown outcomes count for nothing.
        let c = Self.rows(tenant: "c", decisive: "plan", count: 20, seed: 3)
            + Self.rows(tenant: "c", decisive: "plan", count: 50, seed: 4).map { p in
                var p = p
                p.id = PrecedentID("u\(p.id!.rawValue)")
                p.wasSuccessful = nil
                return p
            }
        let scales = NumericScales.fit(a + b + c, version: 1)
        let weighedA = try #require(scales.fieldWeights["a"])
        let weighedB = try #require(scales.fieldWeights["b"])
        #expect(weighedA["plan"] == 1 && weighedB["region"] == 1)
        // The decisive field explains nearly all of the outcome: about 1 + 8 against 1 for the
        // others (which chance alone explains).
        for other in ["region", "minutes", "note"] { #expect(try #require(weighedA[other]) < 0.15, "\(other)") }
        for other in ["plan", "minutes", "note"] { #expect(try #require(weighedB[other]) < 0.15, "\(other)") }
        #expect(scales.fieldWeights["c"] == nil)
        // The same tenant a, fitted alone: b's outcomes changed none of a's weights.
        #expect(NumericScales.fit(a, version: 1).fieldWeights["a"] == weighedA)
    }

    @Test func aFieldsWeightMultipliesItsFeatures() throws {
        let scales = NumericScales(
            version: 1, tenants: [:],
            fieldWeights: ["t": ["plan": 1, "note": 0.25, "order.channel": 0.5, "items": 0.75, "items.sku": 0.125]])
        let embedder = try HashedNGramEmbedder(dimension: 4096, scales: scales)
        let precedent = Precedent(
            tenant: "t",
            context: ["plan": "gold", "note": "called twice", "order": .object(["channel": "web"]), "new": "x",
                      "items": .array([.object(["sku": "a1"]), "gift"])])
        let features = try #require(embedder.features(of: precedent)).features
        func weight(_ token: String) throws -> Double {
            try #require(features.first { $0.token == token }).namespaceWeight
        }
        // "called twice" is three features (the value and each word), each weighing 0.25.
        #expect(abs(try weight("note=called twice") / weight("plan=gold") - 0.25) < 1e-12)
        #expect(abs(try weight("note~w=twice") / weight("plan=gold") - 0.25) < 1e-12)
        #expect(abs(try weight("order.channel=web") / weight("plan=gold") - 0.5) < 1e-12)
        // An array's items weigh as the array's field, after an object item's members too.
        #expect(abs(try weight("items.sku=a1") / weight("plan=gold") - 0.125) < 1e-12)
        #expect(abs(try weight("items=gift") / weight("plan=gold") - 0.75) < 1e-12)
        // A field the fit never saw weighs the mean of the tenant's weights.
        #expect(abs(try weight("new=x") / weight("plan=gold") - 2.625 / 5) < 1e-12)
    }

    /// A tenant without weights embeds bit for bit as hashed-v2 without any, even right after a
    /// weighed tenant's precedent in the same batch (the field weight does not carry over).
    @Test func aTenantWithoutWeightsEmbedsAsBefore() throws {
        let scales = NumericScales(version: 1, tenants: [:], fieldWeights: ["a": ["plan": 0.2, "note": 1]])
        let weighed = try HashedNGramEmbedder(dimension: 256, scales: scales)
        let plain = try HashedNGramEmbedder(dimension: 256, scales: NumericScales(version: 1))
        let rows = [
            Precedent(tenant: "a", context: ["plan": "gold", "note": "wrote"]),
            Precedent(tenant: "b", context: ["plan": "gold", "note": "wrote"]),
        ]
        let vectors = try weighed.documentVectors(for: rows)
        #expect(vectors[1] == (try plain.documentVector(for: rows[1])))
        #expect(vectors[0] != vectors[1])
        // A state without weights is stored as before, and read back.
        let json = String(decoding: try JSONEncoder().encode(NumericScales(version: 2)), as: UTF8.self)
        #expect(!json.contains("fieldWeights"))
        let decoded = try JSONDecoder().decode(NumericScales.self, from: Data(#"{"version":2,"tenants":{}}"#.utf8))
        #expect(decoded == NumericScales(version: 2))
        let roundTrip = try JSONDecoder().decode(NumericScales.self, from: JSONEncoder().encode(scales))
        #expect(roundTrip == scales)
    }

    /// After a re-embedding, a query matching one precedent on the decisive field and another on a
    /// field that told nothing ranks the first above; without weights the two tie.
    @Test(arguments: StoreKind.allCases)
    func theDecisiveFieldLeadsTheRanking(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 1024, embedder: .hashedV2()))
        try collection.add(Self.rows(tenant: "a", decisive: "plan", seed: 7) + [
            Precedent(id: "x1", tenant: "a", context: ["plan": "silver", "region": "east"]),
            Precedent(id: "x2", tenant: "a", context: ["plan": "bronze", "region": "west"]),
        ])
        let query = SearchRequest(tenant: "a", k: 2, context: ["plan": "silver", "region": "west"], exact: true, log: false)
        let before = try collection.search(query).results
        #expect(before.count == 2 && abs(before[0].score - before[1].score) < 1e-6)
        try collection.reembed()
        let weights = try #require(collection.spec.embedder.numericScales?.fieldWeights["a"])
        #expect(try #require(weights["plan"]) > 3 * (try #require(weights["region"])))
        let after = try collection.search(query).results
        #expect(after.map(\.id) == ["x1", "x2"])
        #expect(after[0].score > after[1].score + 0.1)
    }
}

extension OutcomeCounts {
    /// The outcomes of a field value's precedents, as the tests write them.
    init(failures: Int, successes: Int) { self.init(known: failures + successes, successful: successes) }
}
