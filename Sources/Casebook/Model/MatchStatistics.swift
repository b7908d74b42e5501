import Foundation

/// Which part of the match log ``Casebook/statistics(_:)`` summarises: one tenant's searches of
/// one collection, made in `[since, until)`.
public struct MatchStatisticsRequest: Sendable, Hashable {
    public var tenant: TenantID
    public var collection: String
    public var since: Date?
    public var until: Date?
    /// Precedents listed in ``MatchStatistics/precedents`` (most useful first).
    public var topPrecedents: Int

    public init(tenant: TenantID, collection: String, since: Date? = nil, until: Date? = nil, topPrecedents: Int = 20) {
        self.tenant = tenant
        self.collection = collection
        self.since = since
        self.until = until
        self.topPrecedents = topPrecedents
    }
}

/// How the precedents a tenant was shown were used. A *use* is a `cited` or `applied` event; a
/// (query, precedent) pair counts once however many events it has. Shares over queries are 0
/// when there are no queries.
public struct MatchStatistics: Sendable, Hashable, Codable {
    public var tenant: TenantID
    public var collection: String
    public var since: Date?
    public var until: Date?
    /// Logged searches.
    public var queries: Int
    /// Results shown, over all queries.
    public var shown: Int
    /// Shown results that were used (cited or applied).
    public var used: Int
    /// Shown results that were viewed / rejected (a pair counts once per type).
    public var viewed: Int
    public var rejected: Int
    /// Per rank, rank 1 first: used ÷ shown at that rank.
    public var useRateByRank: [Double]
    /// Mean over queries of 1 ÷ (rank of the first used result); a query with no use adds 0.
    public var mrr: Double
    /// Share of queries with at least one used result among the k they showed.
    public var hitAtK: Double
    /// Share of queries with no recorded use event of any type (not even viewed or rejected).
    public var noUseShare: Double
    public var outcomeLift: OutcomeLift
    /// How suggestions fared once the decisions they served had outcomes.
    public var suggestions: SuggestionRecord
    /// The most useful precedents (see ``PrecedentUsefulness``), best first.
    public var precedents: [PrecedentUsefulness]
}

/// Success of decisions that applied a shown precedent against those that applied none. A
/// decision counts when its outcome is known (`wasSuccessful` recorded) and one of the window's
/// searches served it (the search's `decisionId`) or one of their uses named it.
public struct OutcomeLift: Sendable, Hashable, Codable {
    public var decisionsApplied: Int
    public var successRateApplied: Double?
    public var decisionsNotApplied: Int
    public var successRateNotApplied: Double?
    /// `successRateApplied − successRateNotApplied`; nil unless both groups have decisions.
    public var lift: Double?
}

/// Suggestions (``PrecedentCollection/suggest(_:)``) of the window, and the decisions they served
/// whose outcome was recorded with the action taken (``DecisionOutcome/action``): *followed* when
/// that action is the one recommended. A decision served by several suggestions counts once, by
/// the last. Rates are nil for empty groups.
public struct SuggestionRecord: Sendable, Hashable, Codable {
    /// Logged suggestions (they also count in `queries`), and those that recommended an action.
    public var suggestions: Int
    public var recommended: Int
    public var decisionsFollowed: Int
    public var successRateFollowed: Double?
    public var decisionsNotFollowed: Int
    public var successRateNotFollowed: Double?
}

/// How often one precedent was used when shown: `usefulness` = (used + 1) ÷ (shown + 2), the mean
/// of a Beta(1, 1) prior updated by its record (Laplace's rule), so a precedent shown twice and
/// used once is not ranked above one shown a hundred times and used sixty.
public struct PrecedentUsefulness: Sendable, Hashable, Codable {
    public var id: PrecedentID
    public var shown: Int
    public var used: Int
    public var usefulness: Double

    public init(id: PrecedentID, shown: Int, used: Int) {
        self.id = id
        self.shown = shown
        self.used = used
        usefulness = Self.usefulness(shown: shown, used: used)
    }

    public static func usefulness(shown: Int, used: Int) -> Double { Double(used + 1) / Double(shown + 2) }
}
