import Foundation

/// The JSON form of a precedent: the JSONL line format of `casebook add` and the `precedent`
/// object of search results. `createdAt` is ISO 8601 (fractional seconds optional) or a number of
/// seconds since 1970; it is written back as ISO 8601 with milliseconds.
extension Precedent: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, tenant, category, decisionEventId, context, text, outcome, wasSuccessful, tags,
            createdAt, vector
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(PrecedentID.self, forKey: .id)
        tenant = try c.decode(TenantID.self, forKey: .tenant)
        category = try c.decodeIfPresent(String.self, forKey: .category)
        decisionEventId = try c.decodeIfPresent(String.self, forKey: .decisionEventId)
        context = try c.decodeIfPresent([String: JSONValue].self, forKey: .context) ?? [:]
        text = try c.decodeIfPresent(String.self, forKey: .text)
        outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
        wasSuccessful = try c.decodeIfPresent(Bool.self, forKey: .wasSuccessful)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        vector = try c.decodeIfPresent([Float].self, forKey: .vector)
        if let seconds = try? c.decodeIfPresent(Double.self, forKey: .createdAt) {
            createdAt = Date(timeIntervalSince1970: seconds)
        } else if let text = try c.decodeIfPresent(String.self, forKey: .createdAt) {
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .createdAt, in: c,
                    debugDescription: "createdAt is not an ISO 8601 date-time")
            }
            createdAt = date
        } else {
            createdAt = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(tenant, forKey: .tenant)
        try c.encodeIfPresent(category, forKey: .category)
        try c.encodeIfPresent(decisionEventId, forKey: .decisionEventId)
        try c.encode(context, forKey: .context)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(outcome, forKey: .outcome)
        try c.encodeIfPresent(wasSuccessful, forKey: .wasSuccessful)
        try c.encode(tags, forKey: .tags)
        try c.encodeIfPresent(createdAt.map(Timestamp.format), forKey: .createdAt)
        try c.encodeIfPresent(vector, forKey: .vector)
    }
}
