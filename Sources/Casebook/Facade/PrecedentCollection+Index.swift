import Foundation

/// Training and inspecting a collection's IVF index.
extension PrecedentCollection {
    /// Trains the collection's IVF index on all its rows and files every row into its list,
    /// replacing any previous training; a flat collection becomes an IVF one. `nlist` replaces the
    /// stored list count (nil keeps it, or chooses 4·√rows when none is stored); `sampleRows` sets
    /// how many rows k-means trains on.
    ///
    /// Writes wait while it runs; searches go on against the previous index, which is replaced
    /// only after the new one is committed to the database in one transaction (a crash midway
    /// leaves the previous index in force). Memory peaks at about twice the listed tenants'
    /// vectors while both indexes exist.
    @discardableResult
    public func trainIndex(
        nlist: Int? = nil, sampleRows: Int? = nil, progress: (IndexTrainingProgress) -> Void = { _ in }
    ) throws(CasebookError) -> IndexTrainingReport {
        // One training of a collection at a time across every process on the database.
        try store.withTrainingLock(collection: recordID, name: name) { () throws(CasebookError) in
          // Again from the start when another process re-embedded the collection meanwhile.
          try write { stateAsOf throws(CasebookError) in
            let current = index.read { copy $0 }
            var parameters = current.config.ivf ?? IVFParameters()
            if let nlist { parameters.nlist = nlist }
            // Checked before anything divides by the list count (an nlist of 0 would).
            try parameters.validate()
            let rows = current.count
            let lists = parameters.lists(forRows: rows)
            if let sampleRows {
                guard sampleRows >= 1, sampleRows >= lists else {
                    throw .invalidParameter("a training sample of \(sampleRows) rows is smaller than nlist (\(lists))")
                }
                parameters.sampleRowsPerList = max(1, sampleRows / lists)
            }
            var checked = createdSpec
            checked.index = .ivf(parameters)
            try checked.validate()
            let storeStart: ContinuousClock.Instant
            let clock = ContinuousClock()
            var trained = try current.trained(parameters) { step in
                progress(IndexTrainingProgress(
                    iteration: step.iteration, iterations: step.iterations, meanSquaredDistance: step.meanSquaredDistance))
            }
            storeStart = clock.now
            var report = IndexTrainingReport(
                nlist: trained.quantizer.nlist, rows: rows, sampleRows: trained.kmeans.trainedRows,
                iterations: parameters.iterations, seed: parameters.seed, pcaDimension: parameters.pcaDimension,
                pcaExplainedVariance: trained.pcaExplainedVariance,
                initialObjective: trained.kmeans.objective.first ?? 0, finalObjective: trained.kmeans.objective.last ?? 0,
                trainSeconds: trained.trainSeconds, fileSeconds: trained.fileSeconds,
                storeSeconds: nil, trainedAt: Date().timeIntervalSince1970)
            let position = try store.saveTraining(
                collection: recordID, name: name, config: .ivf(parameters), quantizer: trained.quantizer,
                assignments: trained.assignments, training: report, stateAsOf: stateAsOf)
            trained.index.training = report
            report.storeSeconds = (clock.now - storeStart).seconds
            let next = trained.index
            // The previous index is released after the lock, not while searches wait on it.
            let previous = index.write { live in
                defer { live = next }
                return live
            }
            _ = consume previous
            advanceState(to: position)
            return report
          }
        }
    }

    /// Trains again with the stored parameters (`casebook index retrain`).
    /// - Throws: ``CasebookError/invalidParameter(_:)`` for a flat collection.
    @discardableResult
    public func retrainIndex(progress: (IndexTrainingProgress) -> Void = { _ in }) throws(CasebookError) -> IndexTrainingReport {
        guard spec.index.isIVF else {
            throw .invalidParameter("collection \"\(name)\" has a flat index; train one with `index train`")
        }
        return try trainIndex(progress: progress)
    }

    /// Kind, training and drift of the collection's index.
    public var indexInfo: IndexInfo { index.read { $0.info } }
}

/// One k-means iteration of an index training, for progress output.
public struct IndexTrainingProgress: Sendable {
    public var iteration: Int
    public var iterations: Int
    /// Mean squared distance of the training rows to their centroids at this iteration.
    public var meanSquaredDistance: Double
}

extension PrecedentCollection {
    /// Calls `body` with one tenant's contiguous vector block under the index's read lock; nil for
    /// an IVF collection or a tenant without rows. For benchmarks: the streaming-read floor that a
    /// scan of the same block is compared with.
    package func withTenantVectors<R>(_ tenant: TenantID, _ body: (UnsafeBufferPointer<Float>) -> R) -> R? {
        index.read { index in
            guard let flat = index as? FlatIndex, let slab = flat.slabs[tenant] else { return nil }
            return slab.vectors.withUnsafeBufferPointer(body)
        }
    }
}
