/// What a store's statistics queries count, turned into ``MatchStatistics`` the same way for
/// every store (the queries differ by SQL dialect; the arithmetic is one).
struct MatchFigures {
    var queries = 0
    /// Per rank: rows shown and rows used.
    var shownByRank: [Int: Int] = [:]
    var usedByRank: [Int: Int] = [:]
    var viewed = 0
    var rejected = 0
    /// For each query with a use: the rank of its first used result.
    var firstUsedRanks: [Int] = []
    var queriesWithAnyUse = 0
    /// Each decision with a known outcome that the window's searches or uses link to.
    var decisions: [(applied: Bool, successful: Bool)] = []
    var precedents: [PrecedentUsefulness] = []
    var suggestions = 0
    var recommended = 0
    /// Per suggestion (in log order) that recommended an action for a decision whose outcome and
    /// action are known.
    var suggestedDecisions: [(decision: String, recommended: String, action: String, successful: Bool)] = []

    func statistics(_ request: MatchStatisticsRequest, collection name: String) -> MatchStatistics {
        let maxRank = shownByRank.keys.max() ?? 0
        let useRateByRank = maxRank == 0 ? [] : (1...maxRank).map { rank -> Double in
            let shown = shownByRank[rank] ?? 0
            return shown == 0 ? 0 : Double(usedByRank[rank] ?? 0) / Double(shown)
        }
        let share = { (count: Int) -> Double in queries == 0 ? 0 : Double(count) / Double(queries) }
        let reciprocal = firstUsedRanks.reduce(0.0) { $0 + 1 / Double($1) }
        return MatchStatistics(
            tenant: request.tenant, collection: name, since: request.since, until: request.until,
            queries: queries, shown: shownByRank.values.reduce(0, +), used: usedByRank.values.reduce(0, +),
            viewed: viewed, rejected: rejected, useRateByRank: useRateByRank,
            mrr: queries == 0 ? 0 : reciprocal / Double(queries), hitAtK: share(firstUsedRanks.count),
            noUseShare: share(queries - queriesWithAnyUse), outcomeLift: outcomeLift, suggestions: suggestionRecord,
            precedents: Array(precedents.sorted {
                ($0.usefulness, $0.shown, $1.id) > ($1.usefulness, $1.shown, $0.id)
            }.prefix(max(0, request.topPrecedents))))
    }

    /// Followed and other decisions, each decision judged by its last suggestion.
    var suggestionRecord: SuggestionRecord {
        var last: [String: (followed: Bool, successful: Bool)] = [:]
        for entry in suggestedDecisions {
            last[entry.decision] = (entry.action == entry.recommended, entry.successful)
        }
        let followed = last.values.filter(\.followed), other = last.values.filter { !$0.followed }
        let rate = { (group: [(followed: Bool, successful: Bool)]) -> Double? in
            group.isEmpty ? nil : Double(group.filter(\.successful).count) / Double(group.count)
        }
        return SuggestionRecord(
            suggestions: suggestions, recommended: recommended, decisionsFollowed: followed.count,
            successRateFollowed: rate(followed), decisionsNotFollowed: other.count, successRateNotFollowed: rate(other))
    }

    /// Success rates of decisions where a shown precedent was applied, and of the others.
    var outcomeLift: OutcomeLift {
        let applied = decisions.filter(\.applied), other = decisions.filter { !$0.applied }
        let rate = { (group: [(applied: Bool, successful: Bool)]) -> Double? in
            group.isEmpty ? nil : Double(group.filter(\.successful).count) / Double(group.count)
        }
        let appliedRate = rate(applied), otherRate = rate(other)
        return OutcomeLift(
            decisionsApplied: applied.count, successRateApplied: appliedRate, decisionsNotApplied: other.count,
            successRateNotApplied: otherRate, lift: appliedRate.flatMap { a in otherRate.map { a - $0 } })
    }
}
