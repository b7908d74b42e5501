import Foundation

/// A past decision: its context, reasoning, what was done, and whether it worked.
///
/// Field names follow the seed document's camelCase. `vector` is the external embedding; it may be
/// nil when the collection's embedder computes vectors itself (and, on ``PrecedentCollection/update(_:)``,
/// nil keeps the stored vector).
public struct Precedent: Sendable, Hashable {
    /// Client-supplied, unique per collection and tenant; generated (a UUID) when nil on add.
    public var id: PrecedentID?
    public var tenant: TenantID
    public var category: String?
    public var decisionEventId: String?
    /// The version of the business policy the decision was taken under (e.g. `ndr-policy-2026-03`).
    public var policyVersion: String?
    /// Structured decision context: a JSON object.
    public var context: [String: JSONValue]
    /// Free-text reasoning.
    public var text: String?
    /// What was decided, as a short code (`reattempt_next_day`). Like ``outcome`` it describes the
    /// answer, so it is never embedded; ``PrecedentCollection/suggest(_:)`` groups evidence by it.
    public var action: String?
    public var outcome: String?
    /// Nil until the outcome is known.
    public var wasSuccessful: Bool?
    public var tags: [String]
    /// When the decision was made; defaults to the time of the add.
    public var createdAt: Date?
    public var vector: [Float]?

    public init(
        id: PrecedentID? = nil, tenant: TenantID, category: String? = nil,
        decisionEventId: String? = nil, policyVersion: String? = nil, context: [String: JSONValue] = [:], text: String? = nil,
        action: String? = nil, outcome: String? = nil, wasSuccessful: Bool? = nil, tags: [String] = [],
        createdAt: Date? = nil, vector: [Float]? = nil
    ) {
        self.id = id
        self.tenant = tenant
        self.category = category
        self.decisionEventId = decisionEventId
        self.policyVersion = policyVersion
        self.context = context
        self.text = text
        self.action = action
        self.outcome = outcome
        self.wasSuccessful = wasSuccessful
        self.tags = tags
        self.createdAt = createdAt
        self.vector = vector
    }
}
