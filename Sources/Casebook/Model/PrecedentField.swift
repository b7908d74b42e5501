import Foundation

/// Every field of a precedent, described once. The JSON forms (``Precedent``'s `Codable`, the
/// JSONL reader, the byte writer of search responses), the socket API's PATCH, the filters an
/// index keeps and the store's columns all derive from this list.
///
/// Adding a plain text field: a case here (with its ``kind``), a stored property on ``Precedent``,
/// its line in ``Precedent/subscript(text:)``, a migration adding its column, openapi.yaml and
/// Docs/StorageFormat.md. A text field that filters matches exactly also goes in
/// ``filterableTexts`` and gets its line in ``SearchFilter/subscript(text:)``.
public enum PrecedentField: String, CaseIterable, Sendable, Hashable {
    case id, tenant, category, decisionEventId, policyVersion, context, text, action, outcome, wasSuccessful, tags,
        createdAt, vector

    /// How a field is written in JSON and kept in storage.
    public enum Kind: Sendable, Hashable {
        /// An identifier: `id`, `tenant`.
        case identifier
        /// An optional string (null or absent: none).
        case text
        /// A JSON object.
        case object
        /// true / false / null.
        case bool
        /// An array of strings.
        case strings
        /// ISO 8601 text or seconds since 1970.
        case time
        /// An array of numbers.
        case vector
    }

    public var kind: Kind {
        switch self {
        case .id, .tenant: return .identifier
        case .category, .decisionEventId, .policyVersion, .text, .action, .outcome: return .text
        case .context: return .object
        case .wasSuccessful: return .bool
        case .tags: return .strings
        case .createdAt: return .time
        case .vector: return .vector
        }
    }

    /// The optional text fields, in declaration order.
    public static let texts: [PrecedentField] = allCases.filter { $0.kind == .text }

    /// Text fields a ``SearchFilter`` matches exactly; the index keeps them as integer codes.
    public static let filterableTexts: [PrecedentField] = [.category, .policyVersion, .action]

    /// Fields the featurizer reads. `action`, `outcome`, `wasSuccessful`, `decisionEventId` and
    /// `policyVersion` describe the answer or its circumstances, not the question: never embedded.
    public static let embedded: Set<PrecedentField> = [.text, .context, .tags, .category]

    /// Fields an update may change (the address, tenant and id, stays).
    public static let changeable: [PrecedentField] = allCases.filter { $0 != .id && $0 != .tenant }

    /// In code point order of their names: the order JSON objects are written in.
    static let jsonOrder: [PrecedentField] = allCases.sorted { $0.rawValue < $1.rawValue }
}

extension Precedent {
    /// The optional text fields by their description (``PrecedentField/texts``).
    public subscript(text field: PrecedentField) -> String? {
        get {
            switch field {
            case .category: return category
            case .decisionEventId: return decisionEventId
            case .policyVersion: return policyVersion
            case .text: return text
            case .action: return action
            case .outcome: return outcome
            default: preconditionFailure("\(field.rawValue) is not a text field")
            }
        }
        set {
            switch field {
            case .category: category = newValue
            case .decisionEventId: decisionEventId = newValue
            case .policyVersion: policyVersion = newValue
            case .text: text = newValue
            case .action: action = newValue
            case .outcome: outcome = newValue
            default: preconditionFailure("\(field.rawValue) is not a text field")
            }
        }
    }

    /// This precedent with `fields` taken from `changes` (a PATCH: absent fields are kept, the
    /// named ones replaced, nil clearing an optional one).
    public func changing(_ fields: Set<PrecedentField>, from changes: Precedent) -> Precedent {
        var out = self
        for field in fields {
            switch field {
            case .id, .tenant: continue
            case .context: out.context = changes.context
            case .wasSuccessful: out.wasSuccessful = changes.wasSuccessful
            case .tags: out.tags = changes.tags
            case .createdAt: out.createdAt = changes.createdAt
            case .vector: out.vector = changes.vector
            case .category, .decisionEventId, .policyVersion, .text, .action, .outcome: out[text: field] = changes[text: field]
            }
        }
        return out
    }
}
