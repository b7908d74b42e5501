import Foundation
import Testing

@testable import Casebook

/// Suggestions against values worked out by hand: the Beta arithmetic (against scipy's quantiles,
/// quoted), the estimator's weights, prior, intervals, ordering and insufficient evidence, the
/// whole path through a collection (only known outcomes, filters, one tenant), and the match log's
/// record of how followed suggestions turned out, on both stores.
@Suite struct SuggestTests {
    // MARK: The Beta distribution

    /// Closed forms: Beta(1, b) has CDF 1 − (1 − x)^b, Beta(a, 1) has x^a.
    @Test func cdfMatchesClosedForms() {
        for x in stride(from: 0.05, to: 1, by: 0.1) {
            #expect(abs(BetaDistribution(alpha: 1, beta: 3).cdf(x) - (1 - pow(1 - x, 3))) < 1e-12)
            #expect(abs(BetaDistribution(alpha: 2.5, beta: 1).cdf(x) - pow(x, 2.5)) < 1e-12)
        }
        #expect(abs(BetaDistribution(alpha: 2, beta: 2).cdf(0.5) - 0.5) < 1e-12)
    }

    /// Quantiles quoted from `scipy.stats.beta.ppf(p, a, b)`.
    @Test(arguments: [
        (2.0, 3.0, 0.05, 0.09761146288641434), (2.0, 3.0, 0.95, 0.7513953742698181),
        (0.6, 1.4, 0.05, 0.004613630842639743), (0.6, 1.4, 0.95, 0.8230923577275673),
        (12.3, 4.7, 0.05, 0.5355088790535054), (12.3, 4.7, 0.95, 0.8808778030695303),
        (2.8, 1.4, 0.05, 0.2841617737987876), (2.8, 1.4, 0.95, 0.9523035798624673),
        (1.7, 1.6, 0.05, 0.11935551870970902), (1.7, 1.6, 0.95, 0.8995195837270783),
    ])
    func quantileMatchesScipy(alpha: Double, beta: Double, p: Double, expected: Double) {
        #expect(abs(BetaDistribution(alpha: alpha, beta: beta).quantile(p) - expected) < 1e-9)
    }

    // MARK: The estimator

    /// Base: 8 known outcomes, 5 successes → p₀ = 6/10; m = 2 → prior Beta(1.2, 0.8).
    /// A: p1 0.9 ✓, p3 0.7 ✓, p4 0.6 ✗, p7 −0.1 ✓ (weight 0) → W 2.2, S 1.6 → Beta(2.8, 1.4).
    /// B: p2 0.8 ✗, p5 0.5 ✓ → W 1.3, S 0.5 → Beta(1.7, 1.6). p6 has no action.
    static let items: [SuggestionEstimator.Item] = [
        item("p1", 0.9, "A", true, "delivered"), item("p2", 0.8, "B", false, "failed_again"),
        item("p3", 0.7, "A", true, "delivered"), item("p4", 0.6, "A", false, "rto"),
        item("p5", 0.5, "B", true, "delivered"), item("p6", 0.4, nil, true, nil), item("p7", -0.1, "A", true, nil),
    ]

    static func item(_ id: String, _ score: Float, _ action: String?, _ success: Bool, _ outcome: String?)
        -> SuggestionEstimator.Item
    {
        SuggestionEstimator.Item(
            id: PrecedentID(id), score: score, weight: Metric.cosine.evidenceWeight(score), action: action,
            wasSuccessful: success, outcome: outcome)
    }

    @Test func estimatesWorkedOutByHand() throws {
        let result = SuggestionEstimator.estimate(
            Self.items, base: OutcomeCounts(known: 8, successful: 5), priorStrength: 2, confidence: 0.9, minSupport: 3)
        #expect(abs(result.baseRate - 0.6) < 1e-12)
        #expect(result.withoutAction == 1)
        #expect(result.actions.map(\.action) == ["A", "B"])
        let a = result.actions[0], b = result.actions[1]
        #expect((a.precedents, a.successes, a.failures) == (4, 3, 1))
        #expect(abs(a.weight - 2.2) < 1e-6 && abs(a.weightedSuccesses - 1.6) < 1e-6)
        #expect(abs(a.estimate - 2.8 / 4.2) < 1e-6)
        #expect(abs(a.low - 0.2841617737987876) < 1e-6 && abs(a.high - 0.9523035798624673) < 1e-6)
        #expect((b.precedents, b.successes, b.failures) == (2, 1, 1))
        #expect(abs(b.estimate - 1.7 / 3.3) < 1e-6)
        #expect(abs(b.low - 0.11935551870970902) < 1e-6 && abs(b.high - 0.8995195837270783) < 1e-6)
        #expect(a.outcomes == [OutcomeTally(outcome: "delivered", count: 2), OutcomeTally(outcome: "rto", count: 1)])
        #expect(a.supporting.map(\.id) == ["p1", "p3", "p7"] && a.opposing.map(\.id) == ["p4"])
        #expect(b.supporting.map(\.id) == ["p5"] && b.opposing.map(\.id) == ["p2"])
        #expect(result.recommendedAction == "A")
        #expect(result.reason.hasPrefix("A: 3 of 4 similar precedents worked"))
    }

    @Test func thinEvidenceRecommendsNothing() {
        let base = OutcomeCounts(known: 8, successful: 5)
        // A has 4 precedents, B 2: with minSupport 5 neither qualifies.
        let thin = SuggestionEstimator.estimate(Self.items, base: base, priorStrength: 2, confidence: 0.9, minSupport: 5)
        #expect(thin.recommendedAction == nil && thin.actions.count == 2)
        #expect(thin.reason.hasPrefix("insufficient evidence"))
        // Nothing at all: the estimate is the prior's.
        let none = SuggestionEstimator.estimate([], base: base, priorStrength: 2, confidence: 0.9, minSupport: 1)
        #expect(none.recommendedAction == nil && none.actions.isEmpty)
        // Support but no weight (every precedent dissimilar): nothing either.
        let far = [Self.item("x", -0.5, "C", true, nil), Self.item("y", 0, "C", true, nil)]
        #expect(SuggestionEstimator.estimate(far, base: base, priorStrength: 2, confidence: 0.9, minSupport: 2)
            .recommendedAction == nil)
    }

    /// The best lower bound wins, not the best estimate: a lucky single success loses to a steady
    /// record; and among equal bounds the higher estimate, then more precedents, then the name.
    @Test func orderingIsByLowerBound() {
        let lucky = [Self.item("l1", 1, "lucky", true, nil)]
        let steady = (0..<10).map { Self.item("s\($0)", 1, "steady", $0 < 8, nil) }
        let result = SuggestionEstimator.estimate(
            lucky + steady, base: OutcomeCounts(known: 10, successful: 5), priorStrength: 2, confidence: 0.9,
            minSupport: 1)
        let byName = Dictionary(uniqueKeysWithValues: result.actions.map { ($0.action, $0) })
        #expect(byName["lucky"]!.estimate > byName["steady"]!.estimate - 0.2)
        #expect(byName["steady"]!.low > byName["lucky"]!.low)
        #expect(result.actions.map(\.action) == ["steady", "lucky"] && result.recommendedAction == "steady")
        let twins = [Self.item("b1", 1, "b", true, nil), Self.item("a1", 1, "a", true, nil)]
        #expect(SuggestionEstimator.estimate(
            twins, base: OutcomeCounts(), priorStrength: 2, confidence: 0.9, minSupport: 1
        ).actions.map(\.action) == ["a", "b"])
    }

    // MARK: Through a collection

    /// A vector at cosine `c` from the query [1, 0, 0, 0].
    static func at(_ c: Float) -> [Float] { [c, (1 - c * c).squareRoot(), 0, 0] }

    /// acme: p1…p7 as in ``items`` (p7 at 0.3 this time) in category ndr, a closer row whose
    /// outcome is unknown, a closer credit row, and ten orthogonal rows (4 worked). globex holds
    /// the same ids exactly on the query, with action Z: never evidence for acme.
    static func fill(_ collection: PrecedentCollection) throws {
        func row(_ id: String, _ c: Float, _ action: String?, _ success: Bool?, _ outcome: String? = nil,
                 category: String = "ndr", tenant: TenantID = "acme") -> Precedent {
            Precedent(id: PrecedentID(id), tenant: tenant, category: category, action: action, outcome: outcome,
                      wasSuccessful: success, vector: at(c))
        }
        var rows = [
            row("u1", 0.95, "A", nil), row("credit", 0.99, "D", true, category: "credit"),
            row("p1", 0.9, "A", true, "delivered"), row("p2", 0.8, "B", false, "failed_again"),
            row("p3", 0.7, "A", true, "delivered"), row("p4", 0.6, "A", false, "rto"),
            row("p5", 0.5, "B", true, "delivered"), row("p6", 0.4, nil, true), row("p7", 0.3, "A", true),
        ]
        rows += (0..<10).map { i in
            Precedent(id: PrecedentID("far\(i)"), tenant: "acme", category: "ndr", action: "C",
                      wasSuccessful: i < 4, vector: [0, 0, 1, 0])
        }
        rows += ["p1", "p2", "p3"].map { row($0, 1, "Z", true, tenant: "globex") }
        rows.append(row("u1", 1, "Z", nil, tenant: "globex"))
        try collection.add(rows)
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func suggestionThroughACollection(store: StoreKind, ivf: Bool) throws {
        let database = TemporaryDatabase(store)
        var spec = CollectionSpec(name: "c", dimension: 4, metric: .cosine)
        if ivf { spec.index = .ivf(IVFParameters(nlist: 2, nprobe: 1, flatThreshold: 4)) }
        let collection = try Casebook(path: database.path).createCollection(spec)
        try Self.fill(collection)
        if ivf { try collection.trainIndex() }
        let suggestion = try collection.suggest(SuggestRequest(
            tenant: "acme", k: 6, vector: [1, 0, 0, 0], filter: SearchFilter(category: "ndr"), exact: ivf))
        // Known outcomes of acme: p1–p7 (5 worked: p1 p3 p5 p6 p7), credit (worked), far (4 of 10).
        let known = 18.0, successes = 10.0
        let p0 = (successes + 1) / (known + 2)
        #expect(suggestion.baseRateFrom == 18 && abs(suggestion.baseRate - p0) < 1e-12)
        #expect(suggestion.exact && suggestion.considered == 6 && suggestion.withoutAction == 1)
        #expect(suggestion.actions.map(\.action) == ["A", "B"])
        let a = suggestion.actions[0], b = suggestion.actions[1]
        let expectedA = BetaDistribution(alpha: 2 * p0 + 1.6, beta: 2 * (1 - p0) + 0.6)
        let expectedB = BetaDistribution(alpha: 2 * p0 + 0.5, beta: 2 * (1 - p0) + 0.8)
        #expect(abs(a.weight - 2.2) < 1e-5 && abs(a.weightedSuccesses - 1.6) < 1e-5)
        #expect(abs(a.estimate - expectedA.mean) < 1e-5 && abs(a.low - expectedA.quantile(0.05)) < 1e-5)
        #expect(abs(b.estimate - expectedB.mean) < 1e-5 && abs(b.high - expectedB.quantile(0.95)) < 1e-5)
        #expect(a.precedents == 3 && suggestion.recommendedAction == "A" && !suggestion.insufficientEvidence)
        #expect(suggestion.evidence == nil)

        // The evidence, when asked for: known outcomes of acme's ndr rows only, closest first.
        let listed = try collection.suggest(SuggestRequest(
            tenant: "acme", k: 6, vector: [1, 0, 0, 0], filter: SearchFilter(category: "ndr"), exact: ivf,
            includePrecedents: true))
        #expect(listed.evidence?.map(\.id.rawValue) == ["p1", "p2", "p3", "p4", "p5", "p6"])
        #expect(listed.evidence?.allSatisfy { $0.precedent?.tenant == "acme" } == true)

        // globex sees only its own four rows (three with a known outcome), all action Z.
        let other = try collection.suggest(SuggestRequest(tenant: "globex", k: 25, vector: [1, 0, 0, 0]))
        #expect(other.considered == 3 && other.actions.map(\.action) == ["Z"] && other.baseRateFrom == 3)
        #expect(other.recommendedAction == "Z")
        // A tenant with nothing: no evidence, no recommendation, the uninformed base rate.
        let nobody = try collection.suggest(SuggestRequest(tenant: "initech", vector: [1, 0, 0, 0]))
        #expect(nobody.considered == 0 && nobody.insufficientEvidence && nobody.baseRate == 0.5)
    }

    @Test func badRequestsAreRefused() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 4, metric: .cosine))
        try Self.fill(collection)
        let query: [Float] = [1, 0, 0, 0]
        let bad: [(SuggestRequest, String)] = [
            (SuggestRequest(tenant: "acme", k: 0, vector: query, minSupport: 1), "k must be"),
            (SuggestRequest(tenant: "acme", k: 5, vector: query, minSupport: 6), "minSupport"),
            (SuggestRequest(tenant: "acme", vector: query, priorStrength: 0), "priorStrength"),
            (SuggestRequest(tenant: "acme", vector: query, priorStrength: .nan), "priorStrength"),
            (SuggestRequest(tenant: "acme", vector: query, confidence: 1), "confidence"),
            (SuggestRequest(tenant: "acme", vector: query, confidence: 0.2), "confidence"),
            (SuggestRequest(tenant: "acme", vector: query, filter: SearchFilter(outcomeKnown: false)), "outcomeKnown"),
            (SuggestRequest(tenant: "", vector: query), "tenant"),
            (SuggestRequest(tenant: "acme", vector: [1, 0]), "dimensions"),
            (SuggestRequest(tenant: "acme", vector: query, actor: "a\u{1}b"), "actor"),
        ]
        for (request, message) in bad {
            #expect(throws: CasebookError.self) { try collection.suggest(request) }
            do {
                _ = try collection.suggest(request)
            } catch {
                #expect(String(describing: error).contains(message), "\(error)")
            }
        }
    }

    /// Two suggestions serving decisions d1 and d2 (both recommend A); d1 then does A and works,
    /// d2 does B and fails; d3's suggestion has no outcome yet, d4 is another tenant's. A decision
    /// suggested twice counts once, by its last suggestion.
    @Test(arguments: StoreKind.allCases) func statisticsTellFollowedSuggestions(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 4, metric: .cosine))
        try Self.fill(collection)
        func suggest(_ decision: String, tenant: TenantID = "acme") throws -> Suggestion {
            try collection.suggest(SuggestRequest(
                tenant: tenant, k: 6, vector: [1, 0, 0, 0], filter: SearchFilter(category: "ndr"), actor: "agent",
                decisionId: decision))
        }
        #expect(try suggest("d1").recommendedAction == "A")
        _ = try suggest("d1")
        _ = try suggest("d2")
        _ = try suggest("d3")
        _ = try suggest("d4", tenant: "globex")
        _ = try collection.search(SearchRequest(tenant: "acme", vector: [1, 0, 0, 0], decisionId: "d1"))
        _ = try casebook.recordOutcome(DecisionOutcome(tenant: "acme", decisionId: "d1", wasSuccessful: true, action: "A"))
        _ = try casebook.recordOutcome(DecisionOutcome(tenant: "acme", decisionId: "d2", wasSuccessful: false, action: "B"))
        _ = try casebook.recordOutcome(DecisionOutcome(tenant: "globex", decisionId: "d4", wasSuccessful: false, action: "Z"))
        // An outcome recorded by another tenant under acme's decision id changes nothing of acme's.
        _ = try casebook.recordOutcome(DecisionOutcome(tenant: "globex", decisionId: "d3", wasSuccessful: true, action: "A"))

        let stats = try casebook.statistics(MatchStatisticsRequest(tenant: "acme", collection: "c"))
        #expect(stats.queries == 5)
        #expect(stats.suggestions == SuggestionRecord(
            suggestions: 4, recommended: 4, decisionsFollowed: 1, successRateFollowed: 1, decisionsNotFollowed: 1,
            successRateNotFollowed: 0))
        // A suggestion's evidence is logged as shown, so uses can name it.
        let logged = try suggest("d5")
        let use = try casebook.recordUse(UseEvent(
            tenant: "acme", queryId: logged.queryId, precedentId: "p3", type: .applied, decisionId: "d5"))
        #expect(use.rank == 3)
        let globex = try casebook.statistics(MatchStatisticsRequest(tenant: "globex", collection: "c"))
        #expect(globex.suggestions == SuggestionRecord(
            suggestions: 1, recommended: 1, decisionsFollowed: 1, successRateFollowed: 0, decisionsNotFollowed: 0,
            successRateNotFollowed: nil))
        var exported: [MatchRecord] = []
        try casebook.exportMatches(MatchExportRequest(tenant: "acme")) { exported.append($0) }
        #expect(exported.filter(\.suggestion).count == 5)
        #expect(exported.filter(\.suggestion).allSatisfy { $0.recommendedAction == "A" })
        #expect(exported.filter { !$0.suggestion }.count == 1)
    }
}
