/// Opt-in re-ranking of a search's candidates by their history. The search first takes
/// `candidates` results by similarity, then orders them by
///
///     final = s + successWeight · (success − ½) + usefulnessWeight · (usefulness − ½)
///
/// where s is the similarity (cosine or inner product; −distance for L2), success is 1 when the
/// precedent's `wasSuccessful` is true, 0 when false, ½ when unknown, and usefulness is its
/// ``PrecedentUsefulness/usefulness`` over the tenant's whole match log of the collection (½ for a
/// precedent never shown). With the default weights a perfect history moves a precedent by at
/// most 0.05 of similarity: it reorders near-ties, it does not lift an unrelated precedent. The
/// response says `reranked: true` and each result shows its `similarity` and final `score`.
public struct RerankOptions: Sendable, Hashable, Codable {
    public var successWeight: Double
    public var usefulnessWeight: Double
    /// Results taken by similarity before re-ranking (nil: 4·k, at least k + 20, at most
    /// ``SearchRequest/maxK``).
    public var candidates: Int?

    public init(successWeight: Double = 0.05, usefulnessWeight: Double = 0.05, candidates: Int? = nil) {
        self.successWeight = successWeight
        self.usefulnessWeight = usefulnessWeight
        self.candidates = candidates
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case successWeight, usefulnessWeight, candidates
    }

    /// Absent members take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            successWeight: try c.decodeIfPresent(Double.self, forKey: .successWeight) ?? 0.05,
            usefulnessWeight: try c.decodeIfPresent(Double.self, forKey: .usefulnessWeight) ?? 0.05,
            candidates: try c.decodeIfPresent(Int.self, forKey: .candidates))
    }

    func candidateCount(k: Int) -> Int {
        min(SearchRequest.maxK, max(k, candidates ?? max(4 * k, k + 20)))
    }

    func check() throws(CasebookError) {
        guard successWeight.isFinite, usefulnessWeight.isFinite, successWeight >= 0, usefulnessWeight >= 0 else {
            throw .invalidParameter("re-ranking weights must be finite and not negative")
        }
        if let candidates, !(1...SearchRequest.maxK).contains(candidates) {
            throw .invalidParameter("re-ranking candidates must be between 1 and \(SearchRequest.maxK), got \(candidates)")
        }
    }
}
