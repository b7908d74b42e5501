/// Advice for a new decision, from the tenant's closest precedents whose outcome is known.
///
/// How it is worked out (all in ``SuggestionEstimator``):
/// - **Evidence**: the k precedents most similar to the query among those passing the filter with
///   `wasSuccessful` known, exactly as a search would rank them. Each gets a weight w from its
///   score (``Metric/evidenceWeight(_:)``: the cosine or inner product clipped to [0, 1]; for L2,
///   1 ÷ (1 + squared distance)).
/// - **Base rate**: p₀ = (s + 1) ÷ (n + 2) over all n of the tenant's precedents in the collection
///   with a known outcome, s of them successful.
/// - **Per action** a, with W = Σ w and S = Σ w·y (y = 1 for a success) over its evidence, and the
///   prior strength m: the posterior Beta(α, β) with α = m·p₀ + S and β = m·(1 − p₀) + W − S.
///   `estimate` is its mean α ÷ (α + β); `low` and `high` its (1 − c)/2 and (1 + c)/2 quantiles for
///   the confidence c. Thin or distant evidence leaves the estimate near the base rate and the
///   interval wide.
/// - **Recommendation**: the action with the highest `low` among those with at least `minSupport`
///   precedents and some weight (ties: higher estimate, more precedents, then name). When none
///   qualifies, `insufficientEvidence` is true and nothing is recommended.
public struct Suggestion: Sendable, Hashable, Codable {
    public var queryId: String
    /// Whether the evidence is the exact top k (as a search's `exact`).
    public var exact: Bool
    public var probed: Int
    public var tookMs: Double
    public var recommendedAction: String?
    public var insufficientEvidence: Bool
    /// One sentence on the recommendation or why there is none.
    public var reason: String
    /// p₀, and the precedents with a known outcome it was counted over.
    public var baseRate: Double
    public var baseRateFrom: Int
    public var priorStrength: Double
    public var confidence: Double
    /// Precedents read as evidence (at most k), and those of them without an action (they count
    /// for nothing).
    public var considered: Int
    public var withoutAction: Int
    /// Every action seen in the evidence, best lower bound first.
    public var actions: [ActionEstimate]
    /// With `includePrecedents`: the evidence itself, closest first.
    public var evidence: [SearchResult]?

    public init(
        queryId: String, exact: Bool, probed: Int, tookMs: Double, recommendedAction: String?,
        insufficientEvidence: Bool, reason: String, baseRate: Double, baseRateFrom: Int, priorStrength: Double,
        confidence: Double, considered: Int, withoutAction: Int, actions: [ActionEstimate], evidence: [SearchResult]?
    ) {
        self.queryId = queryId
        self.exact = exact
        self.probed = probed
        self.tookMs = tookMs
        self.recommendedAction = recommendedAction
        self.insufficientEvidence = insufficientEvidence
        self.reason = reason
        self.baseRate = baseRate
        self.baseRateFrom = baseRateFrom
        self.priorStrength = priorStrength
        self.confidence = confidence
        self.considered = considered
        self.withoutAction = withoutAction
        self.actions = actions
        self.evidence = evidence
    }
}

/// What the evidence says of one action.
public struct ActionEstimate: Sendable, Hashable, Codable {
    public var action: String
    /// Evidence precedents that took this action, and how many of them worked.
    public var precedents: Int
    public var successes: Int
    public var failures: Int
    /// W and S of the formula (similarity-weighted counts).
    public var weight: Double
    public var weightedSuccesses: Double
    /// Posterior mean and interval of the success rate.
    public var estimate: Double
    public var low: Double
    public var high: Double
    /// Outcomes seen, most frequent first (precedents without an outcome text are not listed).
    public var outcomes: [OutcomeTally]
    /// The closest successes (supporting) and failures (opposing), at most three each.
    public var supporting: [EvidenceReference]
    public var opposing: [EvidenceReference]
}

public struct OutcomeTally: Sendable, Hashable, Codable {
    public var outcome: String
    public var count: Int
}

public struct EvidenceReference: Sendable, Hashable, Codable {
    public var id: PrecedentID
    public var score: Float
}
