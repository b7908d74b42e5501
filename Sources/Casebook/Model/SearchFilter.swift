import Foundation

/// Conditions a result must meet. All given conditions must hold; an empty filter matches all.
///
/// Filters are applied during the scan, so a filtered search still returns the k best matching
/// precedents (never fewer while the tenant has more that match).
public struct SearchFilter: Sendable, Hashable, Codable {
    public var category: String?
    /// The business policy version the decision was taken under.
    public var policyVersion: String?
    /// What was decided (``Precedent/action``).
    public var action: String?
    /// Every one of these tags must be on the precedent.
    public var tags: [String]
    public var wasSuccessful: Bool?
    /// true: only precedents whose outcome is known (`wasSuccessful` true or false); false: only
    /// those still waiting for it.
    public var outcomeKnown: Bool?
    /// Inclusive lower bound on `createdAt`.
    public var since: Date?
    /// Exclusive upper bound on `createdAt`.
    public var until: Date?
    /// Precedents never to return (e.g. the decision being made itself).
    public var excludeIds: [PrecedentID]

    public init(
        category: String? = nil, policyVersion: String? = nil, action: String? = nil, tags: [String] = [], wasSuccessful: Bool? = nil,
        outcomeKnown: Bool? = nil, since: Date? = nil, until: Date? = nil, excludeIds: [PrecedentID] = []
    ) {
        self.category = category
        self.policyVersion = policyVersion
        self.action = action
        self.tags = tags
        self.wasSuccessful = wasSuccessful
        self.outcomeKnown = outcomeKnown
        self.since = since
        self.until = until
        self.excludeIds = excludeIds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case category, policyVersion, action, tags, wasSuccessful, outcomeKnown, since, until, excludeIds
    }

    /// Absent members take their defaults (no condition).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tags: try c.decodeIfPresent([String].self, forKey: .tags) ?? [],
            wasSuccessful: try c.decodeIfPresent(Bool.self, forKey: .wasSuccessful),
            outcomeKnown: try c.decodeIfPresent(Bool.self, forKey: .outcomeKnown),
            since: try c.decodeIfPresent(Date.self, forKey: .since), until: try c.decodeIfPresent(Date.self, forKey: .until),
            excludeIds: try c.decodeIfPresent([PrecedentID].self, forKey: .excludeIds) ?? [])
        for field in PrecedentField.filterableTexts {
            self[text: field] = try c.decodeIfPresent(String.self, forKey: CodingKeys(rawValue: field.rawValue)!)
        }
    }

    public var isEmpty: Bool {
        PrecedentField.filterableTexts.allSatisfy { self[text: $0] == nil } && tags.isEmpty && wasSuccessful == nil && outcomeKnown == nil && since == nil && until == nil
            && excludeIds.isEmpty
    }
}

extension SearchFilter {
    /// The exact-match text conditions, by field (``PrecedentField/filterableTexts``).
    public subscript(text field: PrecedentField) -> String? {
        get {
            switch field {
            case .category: return category
            case .policyVersion: return policyVersion
            case .action: return action
            default: preconditionFailure("\(field.rawValue) is not a filterable text field")
            }
        }
        set {
            switch field {
            case .category: category = newValue
            case .policyVersion: policyVersion = newValue
            case .action: action = newValue
            default: preconditionFailure("\(field.rawValue) is not a filterable text field")
            }
        }
    }
}
