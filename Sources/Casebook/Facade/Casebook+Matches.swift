import Foundation

/// The PrecedentMatch recorder: which precedents searches showed, which were used, and how the
/// decisions that used them turned out.
extension Casebook {
    /// Records that a shown precedent was viewed, cited, applied or rejected.
    ///
    /// Refused, with nothing written, when the tenant has no logged search with that `queryId`
    /// (another tenant's search is answered the same way), when that search did not show the
    /// precedent, or when `eventId` was already recorded for a different use. The same event sent
    /// again returns `recorded: false`.
    /// - Throws: ``CasebookError/queryNotFound(_:)``, ``CasebookError/precedentNotShown(queryId:id:)``,
    ///   ``CasebookError/eventConflict(_:)``, or a validation error.
    @discardableResult
    public func recordUse(_ event: UseEvent) throws(CasebookError) -> UseReceipt {
        try IdentifierRules.checkTenant(event.tenant)
        try IdentifierRules.checkID(event.precedentId)
        try IdentifierRules.checkName("queryId", event.queryId)
        try IdentifierRules.checkActor(event.actor, decisionId: event.decisionId)
        if let eventId = event.eventId { try IdentifierRules.checkName("eventId", eventId) }
        // The search may still be waiting in the log's buffer.
        try matchLog.flush()
        return try store.recordUse(event, now: Date())
    }

    /// The match log's queue: searches waiting to be written, and those dropped.
    public var matchLogStatus: MatchLogStatus { matchLog.status }

    /// Records (or replaces) the outcome of a decision. With `precedentCollection`, the
    /// collection's precedents of the tenant whose `decisionEventId` is the decision also get this
    /// outcome and `wasSuccessful` (each through ``PrecedentCollection/update(_:)``, after the
    /// outcome itself is stored).
    /// - Throws: ``CasebookError/collectionNotFound(_:)`` before anything is written.
    @discardableResult
    public func recordOutcome(_ outcome: DecisionOutcome) throws(CasebookError) -> OutcomeReceipt {
        try IdentifierRules.checkTenant(outcome.tenant)
        try IdentifierRules.checkName("decisionId", outcome.decisionId)
        if let text = outcome.outcome, IdentifierRules.isLonger(text, than: Limits.maxTextCharacters) {
            throw .invalidField("outcome is longer than \(Limits.maxTextCharacters) characters")
        }
        try PrecedentValidation.checkNoNUL(outcome.outcome, "outcome")
        if let action = outcome.action { try IdentifierRules.checkName("action", action) }
        let collection = try outcome.precedentCollection.map { name throws(CasebookError) in try self.collection(name) }
        try store.recordOutcome(outcome, now: Date())
        guard let collection else { return OutcomeReceipt(precedentsUpdated: 0) }
        let ids = try store.precedentIDs(
            collection: collection.recordID, tenant: outcome.tenant, decisionEventId: outcome.decisionId)
        for id in ids {
            var precedent = try collection.get(tenant: outcome.tenant, id: id)
            precedent.outcome = outcome.outcome
            precedent.wasSuccessful = outcome.wasSuccessful
            if let action = outcome.action { precedent.action = action }
            try collection.update(precedent)
        }
        return OutcomeReceipt(precedentsUpdated: ids.count)
    }

    /// Usefulness statistics of one tenant's searches of one collection (see ``MatchStatistics``).
    public func statistics(_ request: MatchStatisticsRequest) throws(CasebookError) -> MatchStatistics {
        try IdentifierRules.checkTenant(request.tenant)
        let collection = try collection(request.collection)
        try matchLog.flush()
        return try store.statistics(collection: collection.recordID, name: collection.name, request: request)
    }

    /// Writes every search still waiting in the match log's buffer (the log also does this on its
    /// own within ``MatchLog/flushDelay``). Call before a process exits.
    public func flushMatchLog() throws(CasebookError) {
        try matchLog.flush()
    }

    /// Calls `body` with each logged search of the selection, in time order, with what it showed
    /// and its uses (one read transaction: a consistent snapshot).
    public func exportMatches(
        _ request: MatchExportRequest, _ body: (MatchRecord) throws -> Void
    ) throws(CasebookError) {
        if let tenant = request.tenant { try IdentifierRules.checkTenant(tenant) }
        let collectionID = try request.collection.map { name throws(CasebookError) in try collection(name).recordID }
        try matchLog.flush()
        try store.forEachMatch(request, collectionID: collectionID, body)
    }

    /// Deletes logged searches made before `date` (with what they showed and their uses) and
    /// decision outcomes recorded before it.
    public func pruneMatches(before date: Date) throws(CasebookError) -> (searches: Int, outcomes: Int) {
        try matchLog.flush()
        return try store.pruneMatches(before: date)
    }
}
