import Foundation

/// Reading a precedent from a parsed JSON object: the fast path of JSONL ingestion (Foundation's
/// decoder spends about 170 µs on a 256-float vector), with errors that name the field.
extension Precedent {
    public struct FieldError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses one JSON text (a JSONL line) into a precedent.
    public init(jsonText: some StringProtocol) throws(FieldError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(String(jsonText))
        } catch {
            throw FieldError(description: error.description)
        }
        try self.init(json: value)
    }

    public init(json: JSONValue) throws(FieldError) {
        guard case .object(let fields) = json else { throw FieldError(description: "a precedent must be a JSON object") }
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw FieldError(description: "unknown field \"\(unknown)\"")
        }
        func string(_ key: CodingKeys) throws(FieldError) -> String? {
            switch fields[key.stringValue] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw FieldError(description: "field \"\(key.stringValue)\" must be a string")
            }
        }
        guard let tenant = try string(.tenant) else { throw FieldError(description: "missing field \"tenant\"") }
        self.init(tenant: TenantID(tenant))
        id = try string(.id).map(PrecedentID.init(_:))
        category = try string(.category)
        decisionEventId = try string(.decisionEventId)
        text = try string(.text)
        outcome = try string(.outcome)
        switch fields["context"] {
        case nil, .null?: context = [:]
        case .object(let members)?: context = members
        default: throw FieldError(description: "field \"context\" must be an object")
        }
        switch fields["wasSuccessful"] {
        case nil, .null?: wasSuccessful = nil
        case .bool(let flag)?: wasSuccessful = flag
        default: throw FieldError(description: "field \"wasSuccessful\" must be true, false or null")
        }
        switch fields["tags"] {
        case nil, .null?: tags = []
        case .array(let items)?:
            tags = try items.map { item throws(FieldError) in
                guard case .string(let tag) = item else { throw FieldError(description: "field \"tags\" must hold strings") }
                return tag
            }
        default: throw FieldError(description: "field \"tags\" must be an array of strings")
        }
        switch fields["createdAt"] {
        case nil, .null?: createdAt = nil
        case .number(let seconds)?: createdAt = Date(timeIntervalSince1970: seconds)
        case .string(let text)?:
            guard let date = Timestamp.parse(text) else {
                throw FieldError(description: "field \"createdAt\" is not an ISO 8601 date-time")
            }
            createdAt = date
        default: throw FieldError(description: "field \"createdAt\" must be an ISO 8601 string")
        }
        switch fields["vector"] {
        case nil, .null?: vector = nil
        case .array(let items)?:
            var floats: [Float] = []
            floats.reserveCapacity(items.count)
            for item in items {
                guard case .number(let number) = item else {
                    throw FieldError(description: "field \"vector\" must be an array of numbers")
                }
                floats.append(Float(number))
            }
            vector = floats
        default: throw FieldError(description: "field \"vector\" must be an array of numbers")
        }
    }
}
