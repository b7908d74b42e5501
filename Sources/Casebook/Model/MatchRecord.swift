import Foundation

/// One logged search with what it showed and every use recorded against it: a line of
/// `casebook matches` (JSONL).
public struct MatchRecord: Sendable, Hashable, Codable {
    public var queryId: String
    public var collection: String
    public var tenant: TenantID
    public var actor: String?
    public var decisionId: String?
    /// The search filter as it was logged (JSON text), nil for none.
    public var filter: String?
    public var k: Int
    public var nprobe: Int?
    public var exact: Bool
    public var reranked: Bool
    public var tookMs: Double
    public var embedder: String
    public var indexVersion: String
    public var createdAt: Date
    public var shown: [Shown]
    public var uses: [Use]
    /// A suggestion's entry (its shown rows are its evidence), and what it recommended.
    public var suggestion = false
    public var recommendedAction: String?

    public struct Shown: Sendable, Hashable, Codable {
        public var rank: Int
        public var id: PrecedentID
        public var score: Double
        public var similarity: Double?
    }

    public struct Use: Sendable, Hashable, Codable {
        public var precedentId: PrecedentID
        public var rank: Int
        public var type: UseType
        public var actor: String?
        public var decisionId: String?
        public var eventId: String?
        public var createdAt: Date
    }
}

/// Which logged searches `exportMatches` reads (nil: all). Searches come in time order.
public struct MatchExportRequest: Sendable, Hashable {
    public var tenant: TenantID?
    public var collection: String?
    public var since: Date?
    public var until: Date?

    public init(tenant: TenantID? = nil, collection: String? = nil, since: Date? = nil, until: Date? = nil) {
        self.tenant = tenant
        self.collection = collection
        self.since = since
        self.until = until
    }
}
