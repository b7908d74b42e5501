import Foundation

/// A collection's embedder and index configurations as both stores keep them: JSON text with
/// sorted keys.
struct StoredCollectionJSON {
    var embedder: String
    var index: String

    init(_ spec: CollectionSpec) throws(CasebookError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            embedder = String(decoding: try encoder.encode(spec.embedder), as: UTF8.self)
            index = String(decoding: try encoder.encode(spec.index), as: UTF8.self)
        } catch {
            throw .storage(code: -1, message: "the collection's configuration could not be encoded")
        }
    }

    /// An embedder configuration as stored (re-embedding replaces it).
    static func encode(_ embedder: EmbedderConfig) throws(CasebookError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return String(decoding: try encoder.encode(embedder), as: UTF8.self)
        } catch {
            throw .storage(code: -1, message: "the collection's embedder could not be encoded")
        }
    }

    /// The spec a stored row describes; a row this build cannot read is a clear error, not a crash.
    static func spec(name: String, dimension: Int, metric: String, embedder: String, index: String)
        throws(CasebookError) -> CollectionSpec
    {
        guard let parsedMetric = Metric(rawValue: metric) else {
            throw .unsupportedConfiguration("metric \"\(metric)\" of collection \"\(name)\"")
        }
        let decoder = JSONDecoder()
        guard let embedderConfig = try? decoder.decode(EmbedderConfig.self, from: Data(embedder.utf8)),
            let indexConfig = try? decoder.decode(IndexConfig.self, from: Data(index.utf8))
        else {
            throw .unsupportedConfiguration("stored configuration of collection \"\(name)\"")
        }
        do {
            try indexConfig.validate()
        } catch {
            throw .unsupportedConfiguration("index of collection \"\(name)\": \(error)")
        }
        return CollectionSpec(
            name: name, dimension: dimension, metric: parsedMetric, embedder: embedderConfig, index: indexConfig)
    }
}
