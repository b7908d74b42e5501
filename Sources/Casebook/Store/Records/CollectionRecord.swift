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
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        id = nil
        name = spec.name
        dimension = spec.dimension
        metric = spec.metric.rawValue
        embedder = String(decoding: try encoder.encode(spec.embedder), as: UTF8.self)
        indexConfig = String(decoding: try encoder.encode(spec.index), as: UTF8.self)
        self.createdAt = createdAt.timeIntervalSince1970
    }

    /// The spec this row stores; a row this build cannot read is a clear error, not a crash.
    func spec() throws(CasebookError) -> CollectionSpec {
        guard let metric = Metric(rawValue: metric) else {
            throw .unsupportedConfiguration("metric \"\(self.metric)\" of collection \"\(name)\"")
        }
        let decoder = JSONDecoder()
        guard let embedder = try? decoder.decode(EmbedderConfig.self, from: Data(embedder.utf8)),
            let index = try? decoder.decode(IndexConfig.self, from: Data(indexConfig.utf8))
        else {
            throw .unsupportedConfiguration("stored configuration of collection \"\(name)\"")
        }
        do {
            try index.validate()
        } catch {
            throw .unsupportedConfiguration("index of collection \"\(name)\": \(error)")
        }
        return CollectionSpec(
            name: name, dimension: dimension, metric: metric, embedder: embedder, index: index)
    }
}
