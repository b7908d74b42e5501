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
        if let unknown = fields.keys.sorted().first(where: { PrecedentField(rawValue: $0) == nil }) {
            throw FieldError(description: "unknown field \"\(unknown)\"")
        }
        guard case .string(let tenant)? = fields[PrecedentField.tenant.rawValue] else {
            switch fields[PrecedentField.tenant.rawValue] {
            case nil, .null?: throw FieldError(description: "missing field \"tenant\"")
            default: throw FieldError(description: "field \"tenant\" must be a string")
            }
        }
        self.init(tenant: TenantID(tenant))
        for field in PrecedentField.allCases where field != .tenant {
            try read(field, from: fields[field.rawValue] ?? .null)
        }
    }

    /// Sets one field from its JSON value (null: absent).
    private mutating func read(_ field: PrecedentField, from value: JSONValue) throws(FieldError) {
        let name = field.rawValue
        switch field {
        case .tenant: return
        case .id: id = try Self.string(value, name).map(PrecedentID.init(_:))
        case .category, .decisionEventId, .policyVersion, .text, .action, .outcome: self[text: field] = try Self.string(value, name)
        case .context:
            switch value {
            case .null: context = [:]
            case .object(let members): context = members
            default: throw FieldError(description: "field \"\(name)\" must be an object")
            }
        case .wasSuccessful:
            switch value {
            case .null: wasSuccessful = nil
            case .bool(let flag): wasSuccessful = flag
            default: throw FieldError(description: "field \"\(name)\" must be true, false or null")
            }
        case .tags:
            switch value {
            case .null: tags = []
            case .array(let items):
                tags = try items.map { item throws(FieldError) in
                    guard case .string(let tag) = item else { throw FieldError(description: "field \"\(name)\" must hold strings") }
                    return tag
                }
            default: throw FieldError(description: "field \"\(name)\" must be an array of strings")
            }
        case .createdAt:
            switch value {
            case .null: createdAt = nil
            case .number(let seconds): createdAt = Date(timeIntervalSince1970: seconds)
            case .string(let text):
                guard let date = Timestamp.parse(text) else {
                    throw FieldError(description: "field \"\(name)\" is not an ISO 8601 date-time")
                }
                createdAt = date
            default: throw FieldError(description: "field \"\(name)\" must be an ISO 8601 string")
            }
        case .vector:
            switch value {
            case .null: vector = nil
            case .array(let items):
                var floats: [Float] = []
                floats.reserveCapacity(items.count)
                for item in items {
                    guard case .number(let number) = item else {
                        throw FieldError(description: "field \"\(name)\" must be an array of numbers")
                    }
                    floats.append(Float(number))
                }
                vector = floats
            default: throw FieldError(description: "field \"\(name)\" must be an array of numbers")
            }
        }
    }

    private static func string(_ value: JSONValue, _ name: String) throws(FieldError) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        default: throw FieldError(description: "field \"\(name)\" must be a string")
        }
    }
}
