/// How two vectors are compared. This file is the only place that knows which direction of a
/// score is better.
///
/// Internally every index ranks by a *similarity* (larger is better): cosine and inner product use
/// the dot product of the stored vectors, L2 uses the negated squared distance. ``reportedScore(_:)``
/// turns that back into what users see: cosine similarity, inner product, or squared Euclidean
/// distance (smaller is closer), as FAISS reports them.
public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
    case cosine
    case innerProduct = "ip"
    case l2

    /// Whether a larger reported score means a closer match.
    public var higherIsCloser: Bool { self != .l2 }

    /// Whether stored and query vectors are unit-normalised before indexing.
    public var normalizesVectors: Bool { self == .cosine }

    /// Converts an internal similarity into the reported score.
    @inline(__always)
    public func reportedScore(_ similarity: Float) -> Float {
        self == .l2 ? -similarity : similarity
    }

    /// Parses `cosine`, `ip` (or `inner_product`), `l2`.
    public init?(name: String) {
        switch name.lowercased() {
        case "cosine", "cos": self = .cosine
        case "ip", "inner_product", "innerproduct", "dot": self = .innerProduct
        case "l2", "euclidean": self = .l2
        default: return nil
        }
    }
}

extension Metric {
    /// How much a precedent at this reported score counts as evidence, in [0, 1]: the cosine or
    /// inner product clipped to [0, 1] (inner products are taken as similarities of normalised
    /// vectors), and 1 ÷ (1 + d) for a squared L2 distance d.
    public func evidenceWeight(_ score: Float) -> Double {
        let s = Double(score)
        guard s.isFinite else { return 0 }
        switch self {
        case .cosine, .innerProduct: return min(1, max(0, s))
        case .l2: return 1 / (1 + max(0, s))
        }
    }
}
