import Foundation
import GRDB

/// One row of `collection`.
struct CollectionRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "collection"

    var id: Int64?
    var name: String
    var dimension: Int
    var metric: String
    /// ``EmbedderConfig`` as JSON.
    var embedder: String
    /// ``IndexConfig`` as JSON.
    var indexConfig: String
    var createdAt: Double

    enum CodingKeys: String, CodingKey {
        case id, name, dimension, metric, embedder
        case indexConfig = "index_config"
        case createdAt = "created_at"
    }

    enum Columns {
        static let name = Column(CodingKeys.name)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    init(spec: CollectionSpec, createdAt: Date) throws {
        let stored = try StoredCollectionJSON(spec)
        id = nil
        name = spec.name
        dimension = spec.dimension
        metric = spec.metric.rawValue
        embedder = stored.embedder
        indexConfig = stored.index
        self.createdAt = createdAt.timeIntervalSince1970
    }

    /// The spec this row stores; a row this build cannot read is a clear error, not a crash.
    func spec() throws(CasebookError) -> CollectionSpec {
        try StoredCollectionJSON.spec(
            name: name, dimension: dimension, metric: metric, embedder: embedder, index: indexConfig)
    }
}
