import Foundation

/// What a client did with a precedent a search showed it.
public enum UseType: String, Sendable, Hashable, Codable, CaseIterable {
    /// Opened or read; says nothing yet about whether it helped.
    case viewed
    /// Quoted as support for the decision.
    case cited
    /// Its action was taken for the decision.
    case applied
    /// Looked at and judged not to fit.
    case rejected

    /// Whether statistics count this as the precedent being *used*: it informed the decision.
    /// `viewed` and `rejected` are recorded and reported apart, but are not uses.
    public var isUse: Bool { self == .cited || self == .applied }
}

/// One use of a shown precedent, for ``Casebook/recordUse(_:)``.
public struct UseEvent: Sendable, Hashable, Codable {
    /// The tenant of the search; a query of another tenant is answered as unknown.
    public var tenant: TenantID
    /// The `queryId` of the search that showed the precedent.
    public var queryId: String
    public var precedentId: PrecedentID
    public var type: UseType
    public var actor: String?
    /// The decision the precedent was used for (nil: the one the search named, if any).
    public var decisionId: String?
    /// Client idempotency key, unique per tenant: the same event sent again is not counted twice.
    public var eventId: String?

    public init(
        tenant: TenantID, queryId: String, precedentId: PrecedentID, type: UseType, actor: String? = nil,
        decisionId: String? = nil, eventId: String? = nil
    ) {
        self.tenant = tenant
        self.queryId = queryId
        self.precedentId = precedentId
        self.type = type
        self.actor = actor
        self.decisionId = decisionId
        self.eventId = eventId
    }
}

/// What ``Casebook/recordUse(_:)`` did.
public struct UseReceipt: Sendable, Hashable, Codable {
    /// False when the event id had been recorded before (nothing was written this time).
    public var recorded: Bool
    /// The precedent's rank in the search that showed it.
    public var rank: Int
}

/// The outcome of a decision that precedents may have informed, for
/// ``Casebook/recordOutcome(_:)``. Recording it again replaces the earlier outcome.
public struct DecisionOutcome: Sendable, Hashable, Codable {
    public var tenant: TenantID
    public var decisionId: String
    public var outcome: String?
    /// nil while not known.
    public var wasSuccessful: Bool?
    /// What the decision did (a precedent's ``Precedent/action``): tells the match statistics
    /// whether a suggestion serving the decision was followed.
    public var action: String?
    /// When the decision has become a precedent itself: also set `outcome` and `wasSuccessful`
    /// on this collection's precedents of the tenant whose `decisionEventId` is `decisionId`.
    public var precedentCollection: String?

    public init(
        tenant: TenantID, decisionId: String, outcome: String? = nil, wasSuccessful: Bool?, action: String? = nil,
        precedentCollection: String? = nil
    ) {
        self.tenant = tenant
        self.decisionId = decisionId
        self.outcome = outcome
        self.wasSuccessful = wasSuccessful
        self.action = action
        self.precedentCollection = precedentCollection
    }
}

/// What ``Casebook/recordOutcome(_:)`` did.
public struct OutcomeReceipt: Sendable, Hashable, Codable {
    /// Precedents whose own outcome was set (0 without `precedentCollection`).
    public var precedentsUpdated: Int
}
