import Casebook

// The bodies whose shape is the API's own (a member named after a path, a member the library
// names differently); every other body decodes straight into the library's request types
// (`SearchRequest`, `BatchSearchRequest`, `CollectionOptions`).

/// `POST /v1/collections/{name}/precedents`. Items stay JSON here: each is read on its own so
/// that every bad item is reported, not only the first.
struct AddPrecedentsBody: Decodable {
    var tenant: TenantID
    var precedents: [JSONValue]
    /// The space the items' vectors are in: refused (422 wrong_space) unless the collection's.
    var spaceId: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case tenant, precedents, spaceId }
}

/// `POST /v1/matches/{queryId}/uses` (the query id comes from the path).
struct UseBody: Decodable {
    var tenant: TenantID
    var precedentId: PrecedentID
    var type: String
    var actor: String?
    var decisionId: String?
    var eventId: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case tenant, precedentId, type, actor, decisionId, eventId }

    func event(queryId: String) throws(APIError) -> UseEvent {
        guard let type = UseType(rawValue: type) else {
            throw APIError(.unprocessableContent, "invalid_value", "type must be viewed, cited, applied or rejected")
        }
        return UseEvent(
            tenant: tenant, queryId: queryId, precedentId: precedentId, type: type, actor: actor, decisionId: decisionId,
            eventId: eventId)
    }
}

/// `POST /v1/decisions/{decisionId}/outcome`: `wasSuccessful` must be given (null: unknown).
struct OutcomeBody: Decodable {
    var tenant: TenantID
    var outcome: String?
    var wasSuccessful: Bool?
    /// What the decision did.
    var action: String?
    /// Also set the outcome on this collection's precedents recording the decision.
    var collection: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tenant, outcome, wasSuccessful, action, collection
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenant = try c.decode(TenantID.self, forKey: .tenant)
        outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
        guard c.contains(.wasSuccessful) else {
            throw JSONValueDecoder.Failure(path: "wasSuccessful", kind: .missing)
        }
        wasSuccessful = try c.decodeIfPresent(Bool.self, forKey: .wasSuccessful)
        action = try c.decodeIfPresent(String.self, forKey: .action)
        collection = try c.decodeIfPresent(String.self, forKey: .collection)
    }

    func outcome(decisionId: String) -> DecisionOutcome {
        DecisionOutcome(
            tenant: tenant, decisionId: decisionId, outcome: outcome, wasSuccessful: wasSuccessful,
            action: action, precedentCollection: collection)
    }
}

/// `POST /v1/collections/{name}/index/train`.
struct TrainBody: Decodable {
    var nlist: Int?
    var sample: Int?
    var targetRecall: Double?

    enum CodingKeys: String, CodingKey, CaseIterable { case nlist, sample, targetRecall }
}

/// `POST /v1/collections/{name}/reembed`: no body (or `{}`) re-embeds the whole collection.
struct ReembedBody: Decodable {
    /// `hashed-v2` (the default) or `hashed-v1`.
    var embedder: String?
    /// Only these tenants (hashed-v2).
    var tenants: [String]?
    /// Only the tenants that have outgrown their fit (hashed-v2).
    var stale: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable { case embedder, tenants, stale }
}
