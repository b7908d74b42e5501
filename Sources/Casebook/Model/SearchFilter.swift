import Foundation

/// Conditions a result must meet. All given conditions must hold; an empty filter matches all.
///
/// Filters are applied during the scan, so a filtered search still returns the k best matching
/// precedents (never fewer while the tenant has more that match).
public struct SearchFilter: Sendable, Hashable, Codable {
    public var category: String?
    /// Every one of these tags must be on the precedent.
    public var tags: [String]
    public var wasSuccessful: Bool?
    /// Inclusive lower bound on `createdAt`.
    public var since: Date?
    /// Exclusive upper bound on `createdAt`.
    public var until: Date?
    /// Precedents never to return (e.g. the decision being made itself).
    public var excludeIds: [PrecedentID]

    public init(
        category: String? = nil, tags: [String] = [], wasSuccessful: Bool? = nil,
        since: Date? = nil, until: Date? = nil, excludeIds: [PrecedentID] = []
    ) {
        self.category = category
        self.tags = tags
        self.wasSuccessful = wasSuccessful
        self.since = since
        self.until = until
        self.excludeIds = excludeIds
    }

    public var isEmpty: Bool {
        category == nil && tags.isEmpty && wasSuccessful == nil && since == nil && until == nil
            && excludeIds.isEmpty
    }
}
