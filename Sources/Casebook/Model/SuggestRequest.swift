/// A request for advice: the same query, filters and tenant as a search, over the `k` most similar
/// precedents whose outcome is known. See ``Suggestion`` for what comes back and how it is worked out.
public struct SuggestRequest: Sendable, Hashable {
    public var tenant: TenantID
    /// Precedents with a known outcome read as evidence (the closest k).
    public var k: Int
    public var vector: [Float]?
    public var text: String?
    public var context: [String: JSONValue]?
    /// Conditions on the evidence, as in a search; `outcomeKnown` is always true here.
    public var filter: SearchFilter
    public var nprobe: Int?
    public var exact: Bool
    public var actor: String?
    /// The decision this suggestion serves: its outcome, recorded later with the action taken,
    /// tells the statistics whether the suggestion was followed and how that went.
    public var decisionId: String?
    public var log: Bool
    /// Whether the response lists the evidence with full precedents (``Suggestion/evidence``).
    public var includePrecedents: Bool
    /// Weight of the prior in pseudo-observations (m in the formula of ``Suggestion``).
    public var priorStrength: Double
    /// Probability mass of each action's interval (0.9: from the 5% to the 95% quantile).
    public var confidence: Double
    /// Precedents an action needs among the evidence before it can be recommended.
    public var minSupport: Int
    /// The space `vector` is in, as in ``SearchRequest/spaceId``.
    public var spaceId: String?

    public init(
        tenant: TenantID, k: Int = SuggestRequest.defaultK, vector: [Float]? = nil, text: String? = nil,
        context: [String: JSONValue]? = nil, filter: SearchFilter = SearchFilter(), nprobe: Int? = nil,
        exact: Bool = false, actor: String? = nil, decisionId: String? = nil, log: Bool = true,
        includePrecedents: Bool = false, priorStrength: Double = SuggestRequest.defaultPriorStrength,
        confidence: Double = SuggestRequest.defaultConfidence, minSupport: Int = SuggestRequest.defaultMinSupport,
        spaceId: String? = nil
    ) {
        self.tenant = tenant
        self.k = k
        self.vector = vector
        self.text = text
        self.context = context
        self.filter = filter
        self.nprobe = nprobe
        self.exact = exact
        self.actor = actor
        self.decisionId = decisionId
        self.log = log
        self.includePrecedents = includePrecedents
        self.priorStrength = priorStrength
        self.confidence = confidence
        self.minSupport = minSupport
        self.spaceId = spaceId
    }

    public static let defaultK = 25
    public static let defaultPriorStrength = 2.0
    public static let defaultConfidence = 0.9
    public static let defaultMinSupport = 3
    /// Largest accepted prior strength.
    public static let maxPriorStrength = 1_000.0

    /// The advice-specific parameters' ranges (the query's are checked as a search's).
    func checkParameters() throws(CasebookError) {
        guard (1...SearchRequest.maxK).contains(k) else { throw .invalidK(k, max: SearchRequest.maxK) }
        guard priorStrength.isFinite, priorStrength > 0, priorStrength <= Self.maxPriorStrength else {
            throw .invalidParameter("priorStrength must be above 0 and at most \(Int(Self.maxPriorStrength))")
        }
        guard confidence.isFinite, confidence >= 0.5, confidence < 1 else {
            throw .invalidParameter("confidence must be at least 0.5 and below 1")
        }
        guard minSupport >= 1, minSupport <= k else {
            throw .invalidParameter("minSupport must be between 1 and k (\(k)), got \(minSupport)")
        }
        if filter.outcomeKnown == false {
            throw .invalidParameter("a suggestion reads precedents whose outcome is known: filter.outcomeKnown cannot be false")
        }
    }
}

extension SuggestRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case tenant, k, vector, text, context, filter, nprobe, exact, actor, decisionId, log, includePrecedents,
            priorStrength, confidence, minSupport, spaceId
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try c.decode(TenantID.self, forKey: .tenant),
            k: try c.decodeIfPresent(Int.self, forKey: .k) ?? Self.defaultK,
            vector: try c.decodeIfPresent([Float].self, forKey: .vector),
            text: try c.decodeIfPresent(String.self, forKey: .text),
            context: try c.decodeIfPresent([String: JSONValue].self, forKey: .context),
            filter: try c.decodeIfPresent(SearchFilter.self, forKey: .filter) ?? SearchFilter(),
            nprobe: try c.decodeIfPresent(Int.self, forKey: .nprobe),
            exact: try c.decodeIfPresent(Bool.self, forKey: .exact) ?? false,
            actor: try c.decodeIfPresent(String.self, forKey: .actor),
            decisionId: try c.decodeIfPresent(String.self, forKey: .decisionId),
            log: try c.decodeIfPresent(Bool.self, forKey: .log) ?? true,
            includePrecedents: try c.decodeIfPresent(Bool.self, forKey: .includePrecedents) ?? false,
            priorStrength: try c.decodeIfPresent(Double.self, forKey: .priorStrength) ?? Self.defaultPriorStrength,
            confidence: try c.decodeIfPresent(Double.self, forKey: .confidence) ?? Self.defaultConfidence,
            minSupport: try c.decodeIfPresent(Int.self, forKey: .minSupport) ?? Self.defaultMinSupport,
            spaceId: try c.decodeIfPresent(String.self, forKey: .spaceId))
    }
}
