import Foundation
import NIOCore
import PostgresNIO

/// The PostgreSQL store: the schema `casebook` of the platform's own database (see
/// Docs/PostgresFormat.md), shared by any number of Casebook nodes.
///
/// Every write is one PostgreSQL transaction and appends its row to the change feed just before
/// it commits (``ChangeFeed``). Besides the vectors that its indexes hold, a node keeps the stored
/// fields of the rows it loaded (``PrecedentPayloads``): a search's answer is read from memory, as
/// fast as from a local SQLite file, and keeps coming while the database is unreachable.
final class PostgresStore: CasebookStore {
    let connections: PostgresConnections
    let payloads = PrecedentPayloads()
    let listener: ChangeListener

    init(address: PostgresAddress) throws(CasebookError) {
        connections = try PostgresConnections(address: address)
        listener = ChangeListener(connections: connections)
        try PostgresSchema.migrate(connections)
    }

    var address: PostgresAddress { connections.address }

    var isLocal: Bool { false }

    // MARK: Collections

    func createCollection(_ spec: CollectionSpec) throws(CasebookError) -> Int64 {
        let stored = try StoredCollectionJSON(spec)
        return try connections.transaction { session throws(CasebookError) in
            // ON CONFLICT: two nodes creating one name at once; the second is told it exists.
            let rows = try session.query(
                """
                INSERT INTO casebook.collection (name, dimension, metric, embedder, index_config, created_at)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id
                """,
                PostgresBindings(
                    spec.name, Int64(spec.dimension), spec.metric.rawValue, stored.embedder, stored.index,
                    Date().timeIntervalSince1970))
            guard let id = rows.first.flatMap({ try? $0.decode(Int64.self) }) else {
                throw .collectionExists(spec.name)
            }
            try ChangeFeed.append(session, collection: id, kind: .collection)
            return id
        }
    }

    func collections() throws(CasebookError) -> [StoredCollection] {
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                "SELECT id, name, dimension, metric, embedder, index_config FROM casebook.collection ORDER BY id")
        }
        return try rows.map { row throws(CasebookError) in
            guard let (id, name, dimension, metric, embedder, index) = try? row.decode(
                (Int64, String, Int, String, String, String).self)
            else { throw PostgresStore.corrupt("a collection row is unreadable") }
            return StoredCollection(
                id: id,
                spec: try StoredCollectionJSON.spec(
                    name: name, dimension: dimension, metric: metric, embedder: embedder, index: index))
        }
    }

    /// A stored value this build cannot read (SQLite's SQLITE_CORRUPT code, as the SQLite store).
    static func corrupt(_ what: String) -> CasebookError {
        .storage(code: 11, message: "PostgreSQL: \(what)")
    }
}
