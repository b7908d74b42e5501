import Foundation

/// Training and inspecting a collection's IVF index.
extension PrecedentCollection {
    /// Trains the collection's IVF index on all its rows and files every row into its list,
    /// replacing any previous training; a flat collection becomes an IVF one. `nlist` replaces the
    /// stored list count (nil keeps it, or chooses 4·√rows when none is stored); `sampleRows` sets
    /// how many rows k-means trains on. With `targetRecall`, the default nprobe stored with the
    /// training becomes the fewest lists that reached that recall@10 on the training's own rows
    /// (``IndexTrainingReport/recall``; all lists when none below nlist did); without it, the
    /// stored nprobe stays.
    ///
    /// Writes and searches go on while k-means runs, on a copy of the index; what is written
    /// meanwhile (by this process or another) is filed by the new quantizer before the switch,
    /// which alone holds writes: one database transaction (a crash before it leaves the previous
    /// index in force), then the new index in place of the old. Memory peaks at about twice the
    /// listed tenants' vectors while both indexes exist. When the collection was re-embedded or
    /// trained meanwhile, the training starts again from the new state.
    @discardableResult
    public func trainIndex(
        nlist: Int? = nil, sampleRows: Int? = nil, targetRecall: Double? = nil,
        progress: (IndexTrainingProgress) -> Void = { _ in }
    ) throws(CasebookError) -> IndexTrainingReport {
        if let targetRecall, !(targetRecall > 0 && targetRecall <= 1) {
            throw .invalidParameter("targetRecall must be above 0 and at most 1, got \(targetRecall)")
        }
        // One training of a collection at a time across every process on the database.
        return try store.withTrainingLock(collection: recordID, name: name) { () throws(CasebookError) in
            try write { _ throws(CasebookError) -> PreparedTraining in
                try prepareTraining(nlist: nlist, sampleRows: sampleRows, targetRecall: targetRecall, progress)
            } then: { prepared, state throws(CasebookError) -> IndexTrainingReport in
                var trained = prepared.training
                let storeStart = ContinuousClock.now
                var report = IndexTrainingReport(
                    nlist: trained.quantizer.nlist, rows: prepared.rows, sampleRows: trained.kmeans.trainedRows,
                    iterations: prepared.parameters.iterations, seed: prepared.parameters.seed,
                    pcaDimension: prepared.parameters.pcaDimension, pcaExplainedVariance: trained.pcaExplainedVariance,
                    initialObjective: trained.kmeans.objective.first ?? 0, finalObjective: trained.kmeans.objective.last ?? 0,
                    trainSeconds: trained.trainSeconds, fileSeconds: trained.fileSeconds,
                    storeSeconds: nil, trainedAt: Date().timeIntervalSince1970, recall: prepared.recall,
                    nprobe: prepared.parameters.nprobe)
                let assignments = try fileWritten(since: state.feedPosition, into: &trained)
                let position = try store.saveTraining(
                    collection: recordID, name: name, config: .ivf(prepared.parameters), quantizer: trained.quantizer,
                    assignments: assignments, training: report, stateAsOf: state.asOf)
                trained.index.training = report
                report.storeSeconds = (ContinuousClock.now - storeStart).seconds
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

    /// A training made on a copy of the index, before its switch.
    struct PreparedTraining: Sendable {
        var training: IndexTraining
        var parameters: IVFParameters
        var rows: Int
        var recall: RecallEstimate?
    }

    /// Checks the parameters, then trains a copy of the index and files its rows, without the
    /// writer lock.
    private func prepareTraining(
        nlist: Int?, sampleRows: Int?, targetRecall: Double?, _ progress: (IndexTrainingProgress) -> Void
    ) throws(CasebookError) -> PreparedTraining {
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
        var trained = try current.trained(parameters) { step in
            progress(IndexTrainingProgress(
                iteration: step.iteration, iterations: step.iterations, meanSquaredDistance: step.meanSquaredDistance))
        }
        let recall = try measuredRecall(of: trained.index, seed: parameters.seed)
        if let targetRecall, let recall {
            parameters.nprobe = recall.nprobe(reaching: targetRecall) ?? trained.quantizer.nlist
            trained.index.parameters = parameters
        }
        return PreparedTraining(training: trained, parameters: parameters, rows: rows, recall: recall)
    }

    /// Brings `trained` (made from a copy of the index) up to the rows written since feed position
    /// `since`: each as stored now, filed by the new quantizer, or taken out when deleted. Returns
    /// every row's store key and list for the store (the caller holds the writer lock, so this
    /// process writes nothing more before the switch).
    private func fileWritten(since: Int64, into trained: inout IndexTraining) throws(CasebookError) -> [(key: Int64, list: Int32)] {
        let written = try written(since: since, upTo: try store.lastChangePosition(), tenants: nil)
        guard !written.isEmpty else { return trained.assignments }
        var lists: [Int64: Int32] = [:]
        for (key, list) in trained.assignments { lists[key] = list }
        var next: any VectorIndex = trained.index
        for (tenant, rows) in written where shard?.holds(tenant) ?? true {
            for key in rows.keys { lists[key] = nil }
            var stored = try store.currentRows(
                collection: recordID, tenant: tenant, ids: Array(rows.ids), dimension: createdSpec.dimension)
            for i in stored.indices {
                // The list the new quantizer gives it, not the one it was stored with.
                stored[i].list = next.placements(for: [stored[i].vector])?.first
                if let list = stored[i].list { lists[stored[i].key] = list }
            }
            Self.file(stored, of: tenant, ids: rows.ids, into: &next)
        }
        guard var filed = next as? IVFIndex else { preconditionFailure("a trained index is an IVF index") }
        // They are part of the training, as the store records it.
        filed.addedSinceTraining = 0
        trained.index = filed
        return lists.map { (key: $0.key, list: $0.value) }.sorted { $0.key < $1.key }
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
