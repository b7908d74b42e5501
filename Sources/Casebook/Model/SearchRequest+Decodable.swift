/// The JSON forms of search requests (the socket API's bodies, read with ``JSONValueDecoder``):
/// the members are the properties' names; an absent member takes the initializer's default.
extension SearchRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case tenant, k, vector, text, context, filter, includePrecedents, explain, nprobe, exact, actor, decisionId,
            log, rerank, spaceId, lexicalWeight
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try c.decode(TenantID.self, forKey: .tenant), k: try c.decodeIfPresent(Int.self, forKey: .k) ?? 10,
            vector: try c.decodeIfPresent([Float].self, forKey: .vector),
            text: try c.decodeIfPresent(String.self, forKey: .text),
            context: try c.decodeIfPresent([String: JSONValue].self, forKey: .context),
            filter: try c.decodeIfPresent(SearchFilter.self, forKey: .filter) ?? SearchFilter(),
            includePrecedents: try c.decodeIfPresent(Bool.self, forKey: .includePrecedents) ?? true,
            explain: try c.decodeIfPresent(Bool.self, forKey: .explain) ?? false,
            nprobe: try c.decodeIfPresent(Int.self, forKey: .nprobe),
            exact: try c.decodeIfPresent(Bool.self, forKey: .exact) ?? false,
            actor: try c.decodeIfPresent(String.self, forKey: .actor),
            decisionId: try c.decodeIfPresent(String.self, forKey: .decisionId),
            log: try c.decodeIfPresent(Bool.self, forKey: .log) ?? true,
            rerank: try RerankOptions.decodeSwitch(c, forKey: .rerank),
            spaceId: try c.decodeIfPresent(String.self, forKey: .spaceId),
            lexicalWeight: try c.decodeIfPresent(Double.self, forKey: .lexicalWeight))
    }
}

extension BatchSearchRequest: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case tenant, k, vectors, filter, includePrecedents, nprobe, exact, actor, decisionId, log, spaceId
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tenant: try c.decode(TenantID.self, forKey: .tenant), k: try c.decodeIfPresent(Int.self, forKey: .k) ?? 10,
            vectors: try c.decode([[Float]].self, forKey: .vectors),
            filter: try c.decodeIfPresent(SearchFilter.self, forKey: .filter) ?? SearchFilter(),
            includePrecedents: try c.decodeIfPresent(Bool.self, forKey: .includePrecedents) ?? true,
            nprobe: try c.decodeIfPresent(Int.self, forKey: .nprobe),
            exact: try c.decodeIfPresent(Bool.self, forKey: .exact) ?? false,
            actor: try c.decodeIfPresent(String.self, forKey: .actor),
            decisionId: try c.decodeIfPresent(String.self, forKey: .decisionId),
            log: try c.decodeIfPresent(Bool.self, forKey: .log) ?? true,
            spaceId: try c.decodeIfPresent(String.self, forKey: .spaceId))
    }
}

extension RerankOptions {
    /// `rerank`: true (default weights), false or absent (none), or the options as an object.
    static func decodeSwitch<Key: CodingKey>(
        _ container: KeyedDecodingContainer<Key>, forKey key: Key
    ) throws -> RerankOptions? {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        if let flag = try? container.decode(Bool.self, forKey: key) { return flag ? RerankOptions() : nil }
        guard (try? container.decode([String: JSONValue].self, forKey: key)) != nil else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "true, false or an object")
        }
        return try container.decode(RerankOptions.self, forKey: key)
    }
}
