import Casebook

/// Each tool's arguments, decoded strictly (an unknown or misspelt argument is an error naming it).
/// None has a tenant: ``CasebookTools`` refuses one before decoding.
enum ToolArguments {
    struct Query: Decodable {
        var text: String?
        var context: [String: JSONValue]?
        var vector: [Float]?
        var decisionId: String?
        var category: String?
        var action: String?
        var policyVersion: String?
        var tags: [String]?
        var wasSuccessful: Bool?
        var k: Int?
        var collection: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case text, context, vector, decisionId, category, action, policyVersion, tags, wasSuccessful, k, collection
        }

        var filter: SearchFilter {
            SearchFilter(
                category: category, policyVersion: policyVersion, action: action, tags: tags ?? [],
                wasSuccessful: wasSuccessful)
        }

        func checkSomethingToAsk() throws(ToolError) {
            guard text != nil || context != nil || vector != nil else {
                throw ToolError("describe the case: give text, context or vector")
            }
        }
    }

    /// suggest_decision: the query without `wasSuccessful` (advice weighs both outcomes).
    struct Suggest: Decodable {
        var query: Query

        enum CodingKeys: String, CodingKey, CaseIterable {
            case text, context, vector, decisionId, category, action, policyVersion, tags, k, collection
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            query = Query(
                text: try c.decodeIfPresent(String.self, forKey: .text),
                context: try c.decodeIfPresent([String: JSONValue].self, forKey: .context),
                vector: try c.decodeIfPresent([Float].self, forKey: .vector),
                decisionId: try c.decodeIfPresent(String.self, forKey: .decisionId),
                category: try c.decodeIfPresent(String.self, forKey: .category),
                action: try c.decodeIfPresent(String.self, forKey: .action),
                policyVersion: try c.decodeIfPresent(String.self, forKey: .policyVersion),
                tags: try c.decodeIfPresent([String].self, forKey: .tags),
                wasSuccessful: nil, k: try c.decodeIfPresent(Int.self, forKey: .k),
                collection: try c.decodeIfPresent(String.self, forKey: .collection))
        }
    }

    struct Record: Decodable {
        var id: String?
        var text: String?
        var context: [String: JSONValue]?
        var action: String?
        var outcome: String?
        var wasSuccessful: Bool?
        var category: String?
        var tags: [String]?
        var decisionEventId: String?
        var policyVersion: String?
        var vector: [Float]?
        var collection: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, text, context, action, outcome, wasSuccessful, category, tags, decisionEventId, policyVersion,
                vector, collection
        }

        func precedent(tenant: TenantID) -> Precedent {
            Precedent(
                id: id.map(PrecedentID.init(rawValue:)), tenant: tenant, category: category,
                decisionEventId: decisionEventId, policyVersion: policyVersion, context: context ?? [:], text: text,
                action: action, outcome: outcome, wasSuccessful: wasSuccessful, tags: tags ?? [], vector: vector)
        }
    }

    struct Use: Decodable {
        var queryId: String
        var precedentId: String
        var type: String
        var decisionId: String?
        var eventId: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case queryId, precedentId, type, decisionId, eventId }
    }

    struct Outcome: Decodable {
        var decisionId: String
        var wasSuccessful: Bool?
        var outcome: String?
        var action: String?
        var collection: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case decisionId, wasSuccessful, outcome, action, collection }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            decisionId = try c.decode(String.self, forKey: .decisionId)
            // Required but nullable: "not known yet" must be said, not implied by a missing field.
            guard c.contains(.wasSuccessful) else {
                throw DecodingError.keyNotFound(
                    CodingKeys.wasSuccessful, .init(codingPath: [], debugDescription: "wasSuccessful is required"))
            }
            wasSuccessful = try c.decodeIfPresent(Bool.self, forKey: .wasSuccessful)
            outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
            action = try c.decodeIfPresent(String.self, forKey: .action)
            collection = try c.decodeIfPresent(String.self, forKey: .collection)
        }
    }

    struct Stats: Decodable {
        var since: String?
        var until: String?
        var top: Int?
        var collection: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case since, until, top, collection }
    }
}
