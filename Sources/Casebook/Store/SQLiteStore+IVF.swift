import Foundation
import GRDB
import GRDBSQLite

/// IVF persistence: the trained quantizer (`ivf_index`) and each row's list (`ivf_assignment`).
/// A training is stored in one transaction with the collection's index configuration, so a crash
/// leaves either the previous index or the new one, never a mixture.
extension SQLiteStore {
    static let insertAssignmentSQL = "INSERT OR REPLACE INTO ivf_assignment (precedent_pk, list) VALUES (?, ?)"
    /// A training's lists: a row its trainer still held but another process has deleted (not yet
    /// followed there) is skipped, where the foreign key would refuse the whole training.
    static let insertTrainedAssignmentSQL = """
        INSERT OR REPLACE INTO ivf_assignment (precedent_pk, list)
        SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM precedent WHERE pk = ?1)
        """

    /// Replaces the collection's index: configuration, quantizer and every row's list.
    func saveTraining(
        collection: Int64, name: String, config: IndexConfig, quantizer: QuantizerState,
        assignments: [(key: Int64, list: Int32)], training: IndexTrainingReport, stateAsOf: Int64
    ) throws(CasebookError) -> Int64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let configJSON: String
        let trainingJSON: String
        do {
            configJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
            trainingJSON = String(decoding: try encoder.encode(training), as: UTF8.self)
        } catch {
            throw .storage(code: -1, message: "the index configuration could not be encoded")
        }
        return try write { db in
            try SQLiteStore.checkState(db, collection: collection, tenants: nil, asOf: stateAsOf, name: name)
            try db.execute(
                sql: "UPDATE collection SET index_config = ? WHERE id = ?", arguments: [configJSON, collection])
            try db.execute(
                sql: "DELETE FROM ivf_assignment WHERE precedent_pk IN (SELECT pk FROM precedent WHERE collection_id = ?)",
                arguments: [collection])
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO ivf_index (collection_id, nlist, centroid_dimension, centroids,
                        pca_mean, pca_components, added_since_training, training)
                    VALUES (?, ?, ?, ?, ?, ?, 0, ?)
                    """,
                arguments: [
                    collection, quantizer.nlist, quantizer.centroidDimension, VectorBlob.encode(quantizer.centroids),
                    quantizer.pcaMean.map(VectorBlob.encode), quantizer.pcaComponents.map(VectorBlob.encode),
                    trainingJSON,
                ])
            try SQLiteStore.insertAssignments(
                db, assignments.lazy.map { ($0.key, $0.list) }, sql: SQLiteStore.insertTrainedAssignmentSQL)
            return try appendChange(db, collection: collection, kind: .training)
        }
    }

    /// Writes rows' lists (replacing any they had).
    private static func insertAssignments(
        _ db: Database, _ assignments: some Sequence<(Int64, Int32)>, sql: String = insertAssignmentSQL
    ) throws {
        let insert = SQLiteBinding(statement: try db.cachedStatement(sql: sql))
        for (key, list) in assignments {
            insert.reset()
            insert.bind(1, key)
            insert.bind(2, Int64(list))
            try insert.step(db)
        }
    }

    /// Writes new rows' lists and counts them as drift (inside the insert's transaction).
    static func recordAssignments(_ db: Database, collection: Int64, keys: [Int64], lists: [Int32]) throws {
        try insertAssignments(db, zip(keys, lists))
        try db.execute(
            sql: "UPDATE ivf_index SET added_since_training = added_since_training + ? WHERE collection_id = ?",
            arguments: [keys.count, collection])
    }

    /// The stored training of every trained collection, keyed by collection id; `dimensions` gives
    /// each collection's vector dimension (collections not named are skipped).
    func loadTrainings(dimensions: [Int64: Int]) throws(CasebookError) -> [Int64: StoredTraining] {
        try read { db in
            var found: [Int64: StoredTraining] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT collection_id, nlist, centroid_dimension, centroids, pca_mean, pca_components,
                        added_since_training, training
                    FROM ivf_index
                    """)
            for row in rows {
                let collection: Int64 = row[0]
                guard let dimension = dimensions[collection] else { continue }
                let nlist: Int = row[1]
                let width: Int = row[2]
                func corrupt(_ what: String) -> CasebookError {
                    .storage(code: SQLITE_CORRUPT, message: "stored IVF index of collection \(collection): \(what)")
                }
                guard let centroids = VectorBlob.decode(row[3], dimension: nlist * width) else {
                    throw corrupt("centroids are not \(nlist) x \(width) floats")
                }
                var state = QuantizerState(nlist: nlist, centroidDimension: width, centroids: centroids)
                if let meanBlob: Data = row[4] {
                    guard let mean = VectorBlob.decode(meanBlob, dimension: dimension),
                        let componentsBlob: Data = row[5],
                        let components = VectorBlob.decode(componentsBlob, dimension: width * dimension)
                    else { throw corrupt("PCA matrices have the wrong size") }
                    state.pcaMean = mean
                    state.pcaComponents = components
                }
                guard let training = try? JSONDecoder().decode(IndexTrainingReport.self, from: Data((row[7] as String).utf8))
                else { throw corrupt("training record is unreadable") }
                found[collection] = StoredTraining(quantizer: state, addedSinceTraining: row[6], training: training)
            }
            return found
        }
    }

    /// One process trains a SQLite file's collection (the file has one owner); the training's
    /// save is one write transaction like any other.
    func withTrainingLock<T>(collection: Int64, name: String, _ body: () throws(CasebookError) -> T) throws(CasebookError) -> T {
        try body()
    }

    /// Every stored row's list, keys ascending (one sequential scan for all collections).
    func loadAssignments() throws(CasebookError) -> ListAssignments {
        try read { db in
            var assignments = ListAssignments()
            let statement = try db.makeStatement(sql: "SELECT precedent_pk, list FROM ivf_assignment ORDER BY precedent_pk")
            let handle = statement.sqliteStatement
            while true {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else { throw CasebookError.storage(code: status, message: "reading IVF lists failed") }
                assignments.keys.append(sqlite3_column_int64(handle, 0))
                assignments.lists.append(Int32(truncatingIfNeeded: sqlite3_column_int64(handle, 1)))
            }
            return assignments
        }
    }
}
