import Foundation

/// How far a re-embedding has got.
public struct ReembedProgress: Sendable, Hashable {
    /// `catchingUp`: what was written meanwhile, taken in (`done` and `total`: the rows taken in
    /// so far), once before the switch and once as it begins.
    public enum Phase: String, Sendable, Hashable {
        case reading, embedding, catchingUp, writing
    }

    public var phase: Phase
    public var done: Int
    public var total: Int
}

/// What a re-embedding did.
public struct ReembedReport: Sendable, Hashable, Codable {
    public var collection: String
    public var from: String
    public var to: String
    /// The tenants re-embedded, or nil for the whole collection.
    public var tenants: [String]?
    public var precedents: Int
    /// hashed-v2: the scales' version, and how many of the tenants fitted and of their fields got
    /// a scale.
    public var scalesVersion: Int?
    public var scaledTenants: Int
    public var scaledFields: Int
    public var seconds: Double
}

extension PrecedentCollection {
    /// Precedents read, and embedded, per step (progress is reported after each).
    static let reembedPage = 4_096

    /// Switches tried again after another process's write landed between the last catch-up and
    /// the switch's transaction (each after one more catch-up).
    static let reembedSwitchRetries = 3

    /// Re-embeds every precedent with `kind` (default `hashed-v2`; a hashed-v1 collection may stay
    /// hashed-v1), hashed-v2 with numeric scales fitted anew on the collection as it is, and
    /// switches to the new vectors at once.
    ///
    /// With `tenants` (a hashed-v2 collection only), only those tenants' precedents are read,
    /// fitted and re-embedded; every other tenant keeps its scales, weights, vectors and counts
    /// bit for bit. Scales are per tenant, so a tenant re-embedded alone gets the vectors a whole
    /// re-embedding would give it. ``staleTenants()`` names the tenants worth it. An empty set
    /// changes nothing.
    ///
    /// Writes go on while it reads, fits and embeds: what they add, replace or delete of the
    /// precedents being re-embedded — this process's, or another's (other nodes, `casebook add`
    /// on the same file) — is read again from the database and embedded with the new state
    /// before the switch (+ReembedCatchUp), once before the writer lock and once under it. Only
    /// the switch holds the writer lock: one database transaction (embedder, every vector and IVF
    /// list, the feature frequencies) followed by swapping index and embedder together — an index
    /// made from the re-embedding's own rows before the lock (+ReembedIndex), or, for some
    /// tenants, their rows refiled in the live one. Searches go on answering from the old vectors until
    /// then. A process killed before the commit leaves the collection as it was. A trained IVF
    /// index keeps its quantizer and files each new vector in its nearest list (train again to
    /// fit the lists to the new vectors). Other processes reload the collection when they follow
    /// the change (only the tenants' rows and counts, for some tenants).
    /// - Throws: ``CasebookError/invalidParameter(_:)`` for a collection of external vectors, a
    ///   kind that is not a featurizer, `tenants` on a collection that is not hashed-v2 (or with
    ///   another kind), or a named tenant without precedents;
    ///   ``CasebookError/changedDuringReembedding(_:)`` when another process wrote the precedents
    ///   being re-embedded between the last catch-up and the switch at every one of
    ///   1 + ``reembedSwitchRetries`` attempts: nothing is switched. When the collection was
    ///   re-embedded or trained meanwhile (by this process or another), this one starts again from
    ///   the new state; ``CasebookError/staleState(_:)`` when that happened at every attempt.
    @discardableResult
    public func reembed(
        to kind: String? = nil, tenants: Set<TenantID>? = nil, progress: (ReembedProgress) -> Void = { _ in }
    ) throws(CasebookError) -> ReembedReport {
        let started = ContinuousClock.now
        for tenant in tenants ?? [] { try IdentifierRules.checkTenant(tenant) }
        let report = { (from: String, to: String, precedents: Int, scales: NumericScales?) in
            ReembedReport(
                collection: self.name, from: from, to: to, tenants: tenants.map { $0.map(\.rawValue).sorted() },
                precedents: precedents, scalesVersion: scales?.version, scaledTenants: scales?.tenants.count ?? 0,
                scaledFields: scales?.tenants.values.reduce(0) { $0 + $1.count } ?? 0,
                seconds: (ContinuousClock.now - started).seconds)
        }
        // Prepared from a snapshot of the state and switched under the writer lock; again from the
        // start when the state moved in between, since the new state is made from the current one.
        return try write { state throws(CasebookError) -> PreparedReembed? in
            guard var prepared = try prepareReembed(to: kind, tenants: tenants, from: state, progress) else { return nil }
            // What was written meanwhile, taken in before the lock: the switch then takes in only
            // what is written from here on.
            try catchUp(&prepared, tenants: tenants, progress)
            if let tenants { prepared.refitRows = currentRows(of: prepared.rewrite, tenants: tenants.filter(holds)) }
            return prepared
        } then: { prepared, state throws(CasebookError) -> ReembedReport in
            guard var prepared else {
                return report(state.embedder.config.kind, kind ?? EmbedderConfig.hashedV2Kind, 0, nil)
            }
            let (position, tookIn) = try switchVectors(&prepared, tenants: tenants, stateAsOf: state.asOf, progress)
            try adoptReembedded(prepared, tenants: tenants, lastCatchUpTookIn: tookIn)
            advanceState(to: position)
            let count = prepared.rewrite.rows.count
            progress(ReembedProgress(phase: .writing, done: count, total: count))
            return report(state.embedder.config.kind, prepared.embedder.config.kind, count, prepared.fitted)
        }
    }

    /// A re-embedding read, fitted and embedded, before its catch-up and switch.
    struct PreparedReembed: Sendable {
        var embedder: any Embedder
        /// The scales fitted (hashed-v2), of the tenants re-embedded only.
        var fitted: NumericScales?
        var rewrite: Rewrite
        /// A whole re-embedding's index, built from its rows, with the rows caught up filed in.
        var index: (any VectorIndex)?
        /// The feed position the rows are caught up to (the snapshot's, before any catch-up).
        var caughtUpTo: Int64
        /// The rows written since the snapshot that the catch-ups took in, by tenant.
        var takenIn: [TenantID: WrittenRows] = [:]
        /// Some tenants' re-embedding: their rows as the index files them, as of the catch-up
        /// before the lock.
        var refitRows: [TenantID: [CurrentRow]]?
    }

    /// Reads the precedents (every one, or `tenants`'), fits the new state on them and embeds them
    /// with it, without the writer lock; nil for an empty set of tenants (after the checks).
    private func prepareReembed(
        to kind: String?, tenants: Set<TenantID>?, from state: StateSnapshot, _ progress: (ReembedProgress) -> Void
    ) throws(CasebookError) -> PreparedReembed? {
        let current = state.embedder.config
        guard current.isHashed else {
            throw .invalidParameter(
                "reembed is for collections Casebook embeds (hashed-v1, hashed-v2); external vectors come from their model")
        }
        let target = kind ?? EmbedderConfig.hashedV2Kind
        guard target == EmbedderConfig.hashedV1Kind || target == EmbedderConfig.hashedV2Kind else {
            throw .invalidParameter("reembed can make hashed-v1 or hashed-v2 vectors, not \"\(target)\"")
        }
        if tenants != nil {
            guard current.kind == EmbedderConfig.hashedV2Kind, target == EmbedderConfig.hashedV2Kind else {
                throw .invalidParameter(
                    "only a hashed-v2 collection re-embeds some tenants (its scales are per tenant); re-embed the whole collection to change its kind")
            }
        }
        if let tenants, tenants.isEmpty { return nil }
        // Rows written after `state.feedPosition` may be read either way; the catch-up reads them
        // again.
        var rows = try read(tenants: tenants, progress)
        if let hybrid = state.embedder as? HybridEmbedder {
            // The external vectors are kept: read back from the index, a tenant's together (a
            // write that changes one after the snapshot is caught up from the database).
            let byTenant = Dictionary(grouping: rows.indices, by: { rows[$0].precedent.tenant })
            for (tenant, indices) in byTenant {
                let ids = indices.map { rows[$0].precedent.id! }
                let stored = try index.read { index throws(CasebookError) in try index.vectors(tenant: tenant, ids: ids) }
                for i in indices { rows[i].precedent.vector = stored[rows[i].precedent.id!].map(hybrid.modelVector(of:)) }
            }
        }
        let version = (current.numericScales?.version ?? 0) + 1
        let fitted = target == EmbedderConfig.hashedV2Kind
            ? NumericScales.fit(rows.lazy.map(\.precedent), version: version)
            : nil
        var config = current
        config.kind = target
        config.numericScales = fitted
        if let tenants, let fitted {
            config.numericScales = (current.numericScales ?? NumericScales()).replacing(tenants, with: fitted)
        }
        let newEmbedder = try EmbedderFactory.make(
            config: config, dimension: createdSpec.dimension, metric: createdSpec.metric)
        let (vectors, lists, frequencies) = try embedForRewrite(rows, with: newEmbedder, progress)
        let rewrite = Rewrite(rows: rows, vectors: vectors, lists: lists, frequencies: frequencies)
        return PreparedReembed(
            embedder: newEmbedder, fitted: fitted, rewrite: rewrite,
            index: tenants == nil ? switchedIndex(from: rewrite) : nil, caughtUpTo: state.feedPosition)
    }

    /// `rows` embedded by `newEmbedder` a page at a time: each vector kept in its stored layout
    /// (sparse where that is shorter, as most hashed vectors are) and filed in its IVF list as its
    /// page is done, so the float rows of the whole collection are never in memory at once; with
    /// the counts of their features per tenant.
    private func embedForRewrite(
        _ rows: [KeyedPrecedent], with newEmbedder: any Embedder, _ progress: (ReembedProgress) -> Void
    ) throws(CasebookError)
        -> (vectors: [(key: Int64, stored: Data)], lists: [Int32]?, frequencies: [TenantID: FeatureFrequencies])
    {
        var vectors: [(key: Int64, stored: Data)] = []
        vectors.reserveCapacity(rows.count)
        var lists: [Int32]?
        var frequencies: [TenantID: FeatureFrequencies] = [:]
        for start in stride(from: 0, to: rows.count, by: Self.reembedPage) {
            let page = rows[start..<min(rows.count, start + Self.reembedPage)]
            let embedded = try newEmbedder.documentVectorsAndFrequencies(for: page.map(\.precedent))
            for (row, vector) in zip(page, embedded.vectors) { vectors.append((row.key, VectorBlob.encodeStored(vector))) }
            if let placed = index.read({ $0.placements(for: embedded.vectors) }) {
                lists = lists ?? []
                lists!.append(contentsOf: placed)
            }
            for (tenant, counts) in embedded.frequencies { frequencies[tenant, default: FeatureFrequencies()].apply(counts) }
            progress(ReembedProgress(phase: .embedding, done: vectors.count, total: rows.count))
        }
        return (vectors, lists, frequencies)
    }

    /// The tenants of a hashed-v2 collection that have outgrown their fit
    /// (``NumericScales/isStale(_:precedents:knownOutcomes:)``): added since the last one, or with
    /// twice the precedents or known outcomes they were fitted on. Empty for other kinds. Sorted.
    public func staleTenants() -> [TenantID] {
        let config = embedder.config
        guard config.kind == EmbedderConfig.hashedV2Kind else { return [] }
        let scales = config.numericScales ?? NumericScales()
        return index.read { index in
            index.tenants.filter { tenant in
                scales.isStale(
                    tenant, precedents: index.count(tenant: tenant), knownOutcomes: index.outcomeCounts(tenant: tenant).known)
            }
        }.sorted { $0.rawValue < $1.rawValue }
    }

    /// Every precedent of every tenant (nil) or of `tenants`, keys ascending within each tenant.
    private func read(tenants: Set<TenantID>?, _ progress: (ReembedProgress) -> Void) throws(CasebookError)
        -> [KeyedPrecedent]
    {
        let total = index.read { index in tenants.map { $0.reduce(0) { $0 + index.count(tenant: $1) } } ?? index.count }
        var rows: [KeyedPrecedent] = []
        let each: [TenantID?] = tenants.map { $0.sorted { $0.rawValue < $1.rawValue } } ?? [nil]
        for tenant in each {
            let before = rows.count
            var after: Int64 = 0
            while true {
                let page = try store.precedents(collection: recordID, tenant: tenant, after: after, limit: Self.reembedPage)
                rows += page
                progress(ReembedProgress(phase: .reading, done: rows.count, total: max(total, rows.count)))
                guard page.count == Self.reembedPage, let last = page.last else { break }
                after = last.key
            }
            if let tenant, rows.count == before {
                throw .invalidParameter("tenant \"\(tenant.rawValue)\" has no precedents in collection \(name)")
            }
        }
        return rows
    }

    /// Replaces index, feature frequencies and embedder together, under the index's write lock;
    /// the embedder (and its generation) last and only when its configuration changed, so a search
    /// that reads the new generation sees the new frequencies too (see ``embedding``).
    func adopt(
        embedder newEmbedder: any Embedder, index newIndex: any VectorIndex, frequencies: [TenantID: FeatureFrequencies]
    ) {
        index.write { index in
            index = newIndex
            frequencyCache.replaceAll(with: frequencies)
            takeEmbedder(newEmbedder)
        }
    }

    /// After a tenant alone was re-embedded by another process: its rows and counts as stored now
    /// (none for a tenant another shard holds), for ``adoptRefit(of:rows:deleted:counts:embedder:)``.
    func storedRefit(of tenant: TenantID, embedder newEmbedder: any Embedder) throws(CasebookError)
        -> (rows: [TenantID: [CurrentRow]], counts: [TenantID: FeatureFrequencies])
    {
        guard holds(tenant) else { return ([:], [:]) }
        let rows = try store.currentRows(collection: recordID, tenant: tenant, ids: nil, dimension: createdSpec.dimension)
        let counts = newEmbedder.weighsByFrequency ? try store.featureFrequencies(collection: recordID, tenant: tenant) : nil
        return ([tenant: rows], counts.map { [tenant: $0] } ?? [:])
    }

    /// After `tenants` alone were re-embedded: their rows (`rows`, the held tenants') and counts
    /// swapped in together with the embedder of the new state, under the index's write lock, and
    /// the rows of `deleted` not among `rows` taken out. Every other tenant's rows stay as they
    /// are, and the index is not read anew.
    func adoptRefit(
        of tenants: Set<TenantID>, rows: [TenantID: [CurrentRow]], deleted: [TenantID: Set<PrecedentID>] = [:],
        counts: [TenantID: FeatureFrequencies], embedder newEmbedder: any Embedder
    ) {
        index.write { index in
            for (tenant, stored) in rows {
                let ids = Set(stored.map(\.id)).union(deleted[tenant] ?? [])
                Self.file(stored, of: tenant, ids: ids, into: &index)
            }
            for (tenant, frequencies) in counts { frequencyCache.replace(tenant: tenant, with: frequencies) }
            takeEmbedder(newEmbedder)
        }
    }

    /// Makes `newEmbedder` the collection's (a new generation) when its configuration differs;
    /// called under the index's write lock, with what goes with it.
    private func takeEmbedder(_ newEmbedder: any Embedder) {
        embedding.withLock { state in
            guard state.embedder.config != newEmbedder.config else { return }
            state = (newEmbedder, state.generation + 1)
        }
    }

    /// The stored state of this collection, as another process left it: its index, its embedder
    /// and its feature frequencies.
    func adoptStored(_ record: StoredCollection, index newIndex: any VectorIndex) throws(CasebookError) {
        let stored = try EmbedderFactory.make(
            config: record.spec.embedder, dimension: record.spec.dimension, metric: record.spec.metric)
        adopt(embedder: stored, index: newIndex, frequencies: try storedFrequencies())
    }
}
