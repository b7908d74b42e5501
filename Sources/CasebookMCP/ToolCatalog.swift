import MCP

/// The tools an agent sees: names, descriptions a model reads before calling, and input schemas.
/// None takes a tenant: the server's configuration fixes it. `collection` is an argument only
/// when the server was not started for one collection.
enum ToolCatalog {
    static let searchPrecedents = "search_precedents"
    static let suggestDecision = "suggest_decision"
    static let recordPrecedent = "record_precedent"
    static let recordUse = "record_use"
    static let recordOutcome = "record_outcome"
    static let precedentStats = "precedent_stats"
    /// The largest k each tool takes.
    static let maxSearchK = 50
    static let maxSuggestK = 200

    static func tools(collectionArgument: Bool) -> [Tool] {
        let collection: [String: Value] = collectionArgument
            ? ["collection": string("the collection of precedents (required: this server serves several)")] : [:]
        let required = collectionArgument ? ["collection"] : []
        return [
            Tool(
                name: searchPrecedents,
                description: """
                    Find this company's past decisions most similar to a new case: what was done \
                    (action), how it turned out (outcome, wasSuccessful), and why each matched. \
                    Describe the case in words (text) and/or structured fields (context). Returns a \
                    queryId; pass it to record_use for the precedents you relied on.
                    """,
                inputSchema: object(
                    query.merging(filters) { a, _ in a }.merging(collection) { a, _ in a }.merging([
                        "k": integer("how many precedents (default 5)", minimum: 1, maximum: maxSearchK),
                        "wasSuccessful": boolean("only precedents that worked (true) or failed (false)"),
                    ]) { a, _ in a },
                    required: required),
                annotations: .init(readOnlyHint: true, openWorldHint: false)),
            Tool(
                name: suggestDecision,
                description: """
                    Recommend what to do for a new case, from this company's most similar past \
                    decisions with a known outcome: per action, an estimated success rate with an \
                    interval and the evidence for and against; the recommended action (best lower \
                    bound) or insufficientEvidence. Pass decisionId to link it to the decision, then \
                    record_outcome with the action you took.
                    """,
                inputSchema: object(
                    query.merging(filters) { a, _ in a }.merging(collection) { a, _ in a }.merging([
                        "k": integer("precedents with a known outcome to weigh (default 25)", minimum: 1, maximum: maxSuggestK),
                    ]) { a, _ in a },
                    required: required),
                annotations: .init(readOnlyHint: true, openWorldHint: false)),
            Tool(
                name: recordPrecedent,
                description: """
                    Store a decision as a new precedent: the situation (text, context), what was \
                    decided (action) and, when known, how it went (outcome, wasSuccessful).
                    """,
                inputSchema: object(
                    collection.merging([
                        "id": string("the precedent's id (generated when absent); must be new"),
                        "text": string("the situation and reasoning in words"),
                        "context": ["type": "object", "description": "structured fields of the situation"],
                        "action": string("what was decided, a short code such as reattempt_next_day"),
                        "outcome": string("what happened, a short code"),
                        "wasSuccessful": ["type": ["boolean", "null"], "description": "whether it worked; null while unknown"],
                        "category": string("the kind of decision, e.g. ndr_resolution"),
                        "tags": stringArray("labels"),
                        "decisionEventId": string("the decision's id in the platform (record_outcome can update it later)"),
                        "policyVersion": string("the business policy version it was decided under"),
                        "vector": numberArray("the situation's embedding, for collections of external vectors"),
                    ]) { a, _ in a },
                    required: required),
                annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false)),
            Tool(
                name: recordUse,
                description: """
                    Record what you did with a precedent that search_precedents or suggest_decision \
                    showed: viewed, cited, applied or rejected. Replaying the same eventId records once.
                    """,
                inputSchema: object(
                    [
                        "queryId": string("the queryId of the search or suggestion that showed it"),
                        "precedentId": string("the precedent's id"),
                        "type": ["type": "string", "enum": ["viewed", "cited", "applied", "rejected"]],
                        "decisionId": string("the decision it was used for"),
                        "eventId": string("an idempotency key for this use"),
                    ],
                    required: ["queryId", "precedentId", "type"]),
                annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
            Tool(
                name: recordOutcome,
                description: """
                    Record how a decision turned out, and the action it took; this tells the \
                    statistics whether a suggestion was followed. Precedents recording the decision \
                    (decisionEventId) get the outcome too.
                    """,
                inputSchema: object(
                    collection.merging([
                        "decisionId": string("the decision"),
                        "wasSuccessful": ["type": ["boolean", "null"], "description": "whether it worked; null while unknown"],
                        "outcome": string("what happened, a short code"),
                        "action": string("what the decision did"),
                    ]) { a, _ in a },
                    required: ["decisionId", "wasSuccessful"] + required),
                annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
            Tool(
                name: precedentStats,
                description: """
                    How useful precedents have been: searches, use rate by rank, MRR, the outcome \
                    lift of applying precedents, how followed suggestions fared, and the most useful \
                    precedents.
                    """,
                inputSchema: object(
                    collection.merging([
                        "since": string("ISO 8601 time: only searches made at or after it"),
                        "until": string("ISO 8601 time: only searches made before it"),
                        "top": integer("precedents listed (default 10)", minimum: 0, maximum: 100),
                    ]) { a, _ in a },
                    required: required),
                annotations: .init(readOnlyHint: true, openWorldHint: false)),
        ]
    }

    /// The new case, as search_precedents and suggest_decision take it.
    static let query: [String: Value] = [
        "text": string("the new case in words"),
        "context": ["type": "object", "description": "structured fields of the new case"],
        "vector": numberArray("the case's embedding, for collections of external vectors"),
        "decisionId": string("the decision this serves (links uses and outcomes to it)"),
    ]

    static let filters: [String: Value] = [
        "category": string("only precedents of this kind of decision"),
        "action": string("only precedents that took this action"),
        "policyVersion": string("only precedents decided under this policy version"),
        "tags": stringArray("only precedents with all of these tags"),
    ]

    static func object(_ properties: [String: Value], required: [String]) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    static func string(_ description: String) -> Value { ["type": "string", "description": .string(description)] }

    static func integer(_ description: String, minimum: Int, maximum: Int) -> Value {
        ["type": "integer", "description": .string(description), "minimum": .int(minimum), "maximum": .int(maximum)]
    }

    static func boolean(_ description: String) -> Value { ["type": "boolean", "description": .string(description)] }

    static func stringArray(_ description: String) -> Value {
        ["type": "array", "items": ["type": "string"], "description": .string(description)]
    }

    static func numberArray(_ description: String) -> Value {
        ["type": "array", "items": ["type": "number"], "description": .string(description)]
    }
}
