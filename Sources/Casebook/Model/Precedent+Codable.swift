import Foundation

/// The JSON form of a precedent: the JSONL line format of `casebook add` and the `precedent`
/// object of search results, member for member as ``PrecedentField`` describes. `createdAt` is
/// ISO 8601 (fractional seconds optional) or a number of seconds since 1970; it is written back
/// as ISO 8601 with milliseconds. Absent optionals are left out; `context` and `tags` are always
/// written.
extension Precedent: Codable {
    struct FieldKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ field: PrecedentField) { stringValue = field.rawValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: FieldKey.self)
        self.init(tenant: try c.decode(TenantID.self, forKey: FieldKey(.tenant)))
        for field in PrecedentField.allCases {
            let key = FieldKey(field)
            switch field {
            case .tenant: continue
            case .id: id = try c.decodeIfPresent(PrecedentID.self, forKey: key)
            case .context: context = try c.decodeIfPresent([String: JSONValue].self, forKey: key) ?? [:]
            case .wasSuccessful: wasSuccessful = try c.decodeIfPresent(Bool.self, forKey: key)
            case .tags: tags = try c.decodeIfPresent([String].self, forKey: key) ?? []
            case .vector: vector = try c.decodeIfPresent([Float].self, forKey: key)
            case .createdAt:
                if let seconds = try? c.decodeIfPresent(Double.self, forKey: key) {
                    createdAt = Date(timeIntervalSince1970: seconds)
                } else if let text = try c.decodeIfPresent(String.self, forKey: key) {
                    guard let date = Timestamp.parse(text) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: key, in: c, debugDescription: "createdAt is not an ISO 8601 date-time")
                    }
                    createdAt = date
                }
            case .category, .decisionEventId, .policyVersion, .text, .action, .outcome:
                self[text: field] = try c.decodeIfPresent(String.self, forKey: key)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: FieldKey.self)
        for field in PrecedentField.allCases {
            let key = FieldKey(field)
            switch field {
            case .id: try c.encodeIfPresent(id, forKey: key)
            case .tenant: try c.encode(tenant, forKey: key)
            case .context: try c.encode(context, forKey: key)
            case .wasSuccessful: try c.encodeIfPresent(wasSuccessful, forKey: key)
            case .tags: try c.encode(tags, forKey: key)
            case .createdAt: try c.encodeIfPresent(createdAt.map(Timestamp.format), forKey: key)
            case .vector: try c.encodeIfPresent(vector, forKey: key)
            case .category, .decisionEventId, .policyVersion, .text, .action, .outcome:
                try c.encodeIfPresent(self[text: field], forKey: key)
            }
        }
    }
}
