import Foundation
import NIOCore
import PostgresNIO

/// IVF persistence: the quantizer in `casebook.ivf_index`, each row's list in its own row
/// (`precedent.ivf_list`). A training is one transaction, like the SQLite store's.
extension PostgresStore {
    func saveTraining(
        collection: Int64, name: String, config: IndexConfig, quantizer: QuantizerState,
        assignments: [(key: Int64, list: Int32)], training: IndexTrainingReport, stateAsOf: Int64
    ) throws(CasebookError) -> Int64 {
        let configJSON: String
        let trainingJSON: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            configJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
            trainingJSON = String(decoding: try encoder.encode(training), as: UTF8.self)
        } catch {
            throw .storage(code: -1, message: "the index configuration could not be encoded")
        }
        return try connections.transaction { session throws(CasebookError) -> Int64 in
            try session.execute(
                "UPDATE casebook.collection SET index_config = $1 WHERE id = $2", PostgresBindings(configJSON, collection))
            try session.execute(
                "UPDATE casebook.precedent SET ivf_list = NULL WHERE collection_id = $1 AND ivf_list IS NOT NULL",
                PostgresBindings(collection))
            try session.execute(
                """
                INSERT INTO casebook.ivf_index (collection_id, nlist, centroid_dimension, centroids, pca_mean,
                    pca_components, added_since_training, training)
                VALUES ($1, $2, $3, $4, $5, $6, 0, $7)
                ON CONFLICT (collection_id) DO UPDATE SET nlist = excluded.nlist,
                    centroid_dimension = excluded.centroid_dimension, centroids = excluded.centroids,
                    pca_mean = excluded.pca_mean, pca_components = excluded.pca_components,
                    added_since_training = 0, training = excluded.training
                """,
                PostgresBindings(
                    collection, Int64(quantizer.nlist), Int64(quantizer.centroidDimension),
                    PostgresPrecedentRow.vectorBytes(quantizer.centroids),
                    quantizer.pcaMean.map(PostgresPrecedentRow.vectorBytes),
                    quantizer.pcaComponents.map(PostgresPrecedentRow.vectorBytes), trainingJSON))
            // Every row's list in one statement: two arrays unnested side by side.
            let chunk = 100_000
            for start in stride(from: 0, to: assignments.count, by: chunk) {
                let part = assignments[start..<min(assignments.count, start + chunk)]
                try session.execute(
                    """
                    UPDATE casebook.precedent p SET ivf_list = a.list
                    FROM unnest($1::bigint[], $2::int[]) AS a(pk, list)
                    WHERE p.pk = a.pk AND p.collection_id = $3
                    """,
                    PostgresBindings(part.map(\.key), part.map(\.list), collection))
            }
            try ChangeFeed.lockRefusingNewerTraining(session, collection: collection, stateAsOf: stateAsOf, name: name)
            // A row another node inserted while this transaction ran was filed by the old
            // quantizer and is in none of the lists written above (the UPDATEs did not see it):
            // its list is cleared, so that it is filed by the new one's nearest centroid when
            // read. Such rows are the collection's with a list this transaction did not write
            // (its own rows' xmin). A row a writer holds is skipped, not waited for (that writer
            // waits for the feed's lock): its write commits after this training and is refused
            // as stale, then made again by the new quantizer.
            try session.execute(
                """
                UPDATE casebook.precedent SET ivf_list = NULL WHERE pk IN (
                    SELECT pk FROM casebook.precedent
                    WHERE collection_id = $1 AND ivf_list IS NOT NULL
                    AND xmin::text::bigint <> txid_current() % 4294967296
                    FOR UPDATE SKIP LOCKED)
                """,
                PostgresBindings(collection))
            return try ChangeFeed.append(session, collection: collection, kind: .training)
        }
    }

    func loadTrainings(dimensions: [Int64: Int]) throws(CasebookError) -> [Int64: StoredTraining] {
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                """
                SELECT collection_id, nlist, centroid_dimension, centroids, pca_mean, pca_components,
                    added_since_training, training
                FROM casebook.ivf_index
                """)
        }
        var found: [Int64: StoredTraining] = [:]
        for row in rows {
            let cells = row.makeRandomAccess()
            guard let collection = try? cells[0].decode(Int64.self) else { throw PostgresStore.corrupt("an IVF row is unreadable") }
            guard let dimension = dimensions[collection] else { continue }
            func corrupt(_ what: String) -> CasebookError {
                PostgresStore.corrupt("stored IVF index of collection \(collection): \(what)")
            }
            func floats(_ cell: PostgresCell, count: Int) -> [Float]? {
                cell.bytes.flatMap { VectorBlob.decode(Data(buffer: $0), dimension: count) }
            }
            guard let nlist = try? cells[1].decode(Int.self), let width = try? cells[2].decode(Int.self),
                let added = try? cells[6].decode(Int.self), let trainingText = try? cells[7].decode(String.self)
            else { throw corrupt("unreadable") }
            guard let centroids = floats(cells[3], count: nlist * width) else {
                throw corrupt("centroids are not \(nlist) x \(width) floats")
            }
            var state = QuantizerState(nlist: nlist, centroidDimension: width, centroids: centroids)
            if cells[4].bytes != nil {
                guard let mean = floats(cells[4], count: dimension), let components = floats(cells[5], count: width * dimension)
                else { throw corrupt("PCA matrices have the wrong size") }
                state.pcaMean = mean
                state.pcaComponents = components
            }
            guard let training = try? JSONDecoder().decode(IndexTrainingReport.self, from: Data(trainingText.utf8)) else {
                throw corrupt("training record is unreadable")
            }
            found[collection] = StoredTraining(quantizer: state, addedSinceTraining: added, training: training)
        }
        return found
    }

    /// A session-level advisory lock on a connection of its own, held through the k-means and the
    /// save: a second node asking is refused at once; a node that dies releases it with its
    /// connection.
    func withTrainingLock<T>(collection: Int64, name: String, _ body: () throws(CasebookError) -> T) throws(CasebookError) -> T {
        let connection = try connections.open()
        defer { PostgresConnections.close(connection) }
        let session = PostgresSession(connection: connection, logger: connections.logger)
        let key = PostgresSchema.Locks.training &+ collection
        let taken = try session.query("SELECT pg_try_advisory_lock($1)", PostgresBindings(key))
        guard taken.first.flatMap({ try? $0.decode(Bool.self) }) == true else { throw .trainingInProgress(name) }
        defer { _ = try? session.execute("SELECT pg_advisory_unlock($1)", PostgresBindings(key)) }
        return try body()
    }

    /// Every filed row's list, read in pages of ascending keys inside one snapshot (one result of
    /// a million rows is slow to gather: see ``featureFrequencies(collection:)``).
    func loadAssignments() throws(CasebookError) -> ListAssignments { try loadAssignments(pageSize: Self.rowsPerPage) }

    func loadAssignments(pageSize: Int) throws(CasebookError) -> ListAssignments {
        try connections.transaction(isolation: "REPEATABLE READ READ ONLY") { session throws(CasebookError) in
            var assignments = ListAssignments()
            while true {
                let rows = try session.query(
                    """
                    SELECT pk, ivf_list FROM casebook.precedent WHERE ivf_list IS NOT NULL AND pk > $1
                    ORDER BY pk LIMIT \(pageSize)
                    """,
                    PostgresBindings(assignments.keys.last ?? 0))
                for row in rows {
                    guard let (key, list) = try? row.decode((Int64, Int32).self) else {
                        throw PostgresStore.corrupt("an IVF list is unreadable")
                    }
                    assignments.keys.append(key)
                    assignments.lists.append(list)
                }
                if rows.count < pageSize { return assignments }
            }
        }
    }
}
