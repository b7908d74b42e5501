import Foundation
import Synchronization

/// One collection of a ``Casebook`` database: its precedents, their vectors and the index.
///
/// Thread safety: searches run concurrently under the index's read lock; writes are serialised by
/// `writer` and applied to the index under its write lock only after the database transaction has
/// committed, so a search sees a batch wholly or not at all, and the index never holds a row the
/// database does not. Embedding happens before a write takes any lock.
///
/// ## Topics
/// - Writing: ``add(_:)``, ``update(_:)``, ``delete(tenant:id:)``
/// - Reading: ``get(tenant:id:)``, ``count(tenant:)``, ``search(_:)``, ``search(batch:)``
public final class PrecedentCollection: Sendable {
    /// The spec as created; the index part is read from the live index (training may change it).
    let createdSpec: CollectionSpec
    package let recordID: Int64
    let store: any CasebookStore
    /// The embedder and how many times it was replaced (re-embedding). Replaced only while the
    /// index's write lock is held, with the index whose vectors it made, so a search that reads
    /// the generation under the index's read lock knows its query vector fits the vectors.
    let embedding: Mutex<(embedder: any Embedder, generation: Int)>
    let index: ReadWriteLocked<any VectorIndex>
    /// Serialises writes and trainings.
    let writer = Mutex(())
    /// The database's match log (shared by its collections).
    let matchLog: MatchLog
    /// How the match log names this collection's embedder: `hashed-v1`, `hashed-v2`, `external`,
    /// `external:<spaceId>`.
    package var embedderVersion: String {
        let config = embedder.config
        return config.spaceId.map { "\(config.kind):\($0)" } ?? config.kind
    }
    /// The tenants this node holds (nil: all).
    let shard: TenantShard?
    /// Tenants' feature frequencies, where the embedder weighs queries by them.
    let frequencyCache: FrequencyCache
    /// The change feed position as of which `embedding` and the index's quantizer are the
    /// database's: every re-embedding and training of the collection up to it is in them. Writes
    /// hand it to the store, which refuses them when another has committed since
    /// (PrecedentCollection+StaleState).
    let stateAsOf: Atomic<Int64>
    /// The owning instance, whose change feed a refused write follows.
    let feed: FeedLink

    init(
        spec: CollectionSpec, recordID: Int64, store: any CasebookStore, matchLog: MatchLog, index: any VectorIndex,
        shard: TenantShard? = nil, stateAsOf: Int64, feed: FeedLink
    ) throws(CasebookError) {
        self.createdSpec = spec
        self.stateAsOf = Atomic(stateAsOf)
        self.feed = feed
        self.shard = shard
        self.recordID = recordID
        self.store = store
        self.matchLog = matchLog
        embedding = Mutex((try EmbedderFactory.make(
            config: spec.embedder, dimension: spec.dimension, metric: spec.metric), 0))
        self.index = ReadWriteLocked(index)
        frequencyCache = FrequencyCache()
        frequencyCache.replaceAll(with: try storedFrequencies())
    }

    public var name: String { createdSpec.name }

    /// The current embedder.
    var embedder: any Embedder { embedding.withLock { $0.embedder } }

    var embedderGeneration: Int { embedding.withLock { $0.generation } }

    /// Name, dimension, metric, and the current embedder and index configurations.
    public var spec: CollectionSpec {
        var spec = createdSpec
        spec.index = index.read { $0.config }
        spec.embedder = embedder.config
        return spec
    }

    private var validation: PrecedentValidation { PrecedentValidation(embedder: embedder) }

    // MARK: Writing

    /// Refuses a request that names a vector space other than the collection's. Naming none is
    /// allowed (the dimension is still checked): the name is the caller's assertion, not a key.
    func checkSpace(_ named: String?) throws(CasebookError) {
        guard let named, named != spec.embedder.space else { return }
        throw .wrongSpace(named: named, collection: spec.embedder.space)
    }

    /// Adds a batch whole or not at all. Returns the ids in order (generated where absent). With
    /// `space`, the caller says which model's space its vectors are in, and a batch for another
    /// space is refused (``CasebookError/wrongSpace(named:collection:)``).
    /// - Throws: ``CasebookError/item(index:id:problem:)`` naming the first refused item.
    @discardableResult
    public func add(_ precedents: [Precedent], space: String? = nil) throws(CasebookError) -> [PrecedentID] {
        try add(try prepare(precedents, space: space))
    }

    /// Checks and embeds a batch without writing it: ``add(_:)-(PreparedBatch)`` writes it. An
    /// import prepares its next batch while the last one is written, keeping a second core busy.
    public func prepare(_ precedents: [Precedent], space: String? = nil) throws(CasebookError) -> PreparedBatch {
        try checkSpace(space)
        for (index, precedent) in precedents.enumerated() {
            do throws(CasebookError) {
                try checkShard(precedent.tenant)
            } catch {
                throw .item(index: index, id: precedent.id, problem: error)
            }
        }
        let generation = embedderGeneration
        let (items, frequencies) = try validation.prepare(precedents)
        return PreparedBatch(
            collection: ObjectIdentifier(self), precedents: precedents, items: items, frequencies: frequencies,
            generation: generation)
    }

    /// Writes a batch from ``prepare(_:space:)``, whole or not at all (see ``add(_:space:)``).
    @discardableResult
    public func add(_ batch: PreparedBatch) throws(CasebookError) -> [PrecedentID] {
        guard batch.collection == ObjectIdentifier(self) else {
            throw .unsupportedConfiguration("a batch prepared for another collection")
        }
        var (prepared, frequencies, generation) = (batch.items, batch.frequencies, batch.generation)
        try write { stateAsOf throws(CasebookError) in
            // Re-embedded meanwhile: embed again with the collection's new embedder.
            if embedderGeneration != generation {
                generation = embedderGeneration
                (prepared, frequencies) = try validation.prepare(batch.precedents)
            }
            // A trained IVF index files the rows by its quantizer; their lists are stored with them.
            let lists = index.read { $0.placements(for: prepared.map(\.vector)) }
            let keys = try store.insert(
                collection: recordID, prepared, lists: lists, frequencies: frequencies, stateAsOf: stateAsOf)
            let rows = zip(prepared, keys).map { item, key in Self.indexedRow(item, key: key) }
            index.write { $0.add(rows, placements: lists) }
            for (tenant, change) in frequencies { frequencyCache.apply(change, tenant: tenant) }
        }
        return prepared.map(\.id)
    }

    /// Replaces a stored precedent's fields, found by its tenant and id. A nil `vector` keeps the
    /// stored vector (external embedders) and a nil `createdAt` keeps the stored time. The new
    /// version is prepared (and embedded) before any lock is taken; concurrent updates of one
    /// precedent resolve as last writer wins.
    /// - Throws: ``CasebookError/precedentNotFound(_:)`` when the tenant has no such id.
    public func update(_ precedent: Precedent, space: String? = nil) throws(CasebookError) {
        try checkSpace(space)
        guard let id = precedent.id else { throw .invalidIdentifier("an update needs the precedent's id") }
        try checkShard(precedent.tenant)
        let current = try get(tenant: precedent.tenant, id: id)
        var merged = precedent
        if merged.createdAt == nil { merged.createdAt = current.createdAt }
        // A precedent read with `get` and sent back carries its stored vector; where vectors are
        // computed, that one is recomputed from the new fields (any other vector is refused).
        if embedder.config.isHybrid {
            // The external vector is kept unless a new one is given; the featurizer's is recomputed.
            if merged.vector == nil { merged.vector = current.vector }
        } else if embedder.computesVectors, merged.vector == current.vector {
            merged.vector = nil
        }
        var generation = embedderGeneration
        var item = try validation.prepare(merged, now: Date(), vector: current.vector)
        var rewrite = featureRewrite(replacingWith: item.precedent)
        try write { stateAsOf throws(CasebookError) in
            if embedderGeneration != generation {
                generation = embedderGeneration
                item = try validation.prepare(merged, now: Date(), vector: current.vector)
                rewrite = featureRewrite(replacingWith: item.precedent)
            }
            let list = index.read { $0.placements(for: [item.vector])?.first }
            let (key, change) = try store.replace(
                collection: recordID, item, list: list, features: rewrite, stateAsOf: stateAsOf)
            index.write { $0.update(Self.indexedRow(item, key: key), placement: list) }
            if let change { frequencyCache.apply(change, tenant: item.precedent.tenant) }
        }
    }

    /// Deletes one precedent.
    /// - Throws: ``CasebookError/precedentNotFound(_:)`` when the tenant has no such id.
    public func delete(tenant: TenantID, id: PrecedentID) throws(CasebookError) {
        try IdentifierRules.checkTenant(tenant)
        try checkShard(tenant)
        try write { stateAsOf throws(CasebookError) in
            // Made under the lock: the stored row's counts come off by the embedder that counted them.
            let rewrite = featureRewrite(replacingWith: nil)
            let (_, change) = try store.delete(
                collection: recordID, tenant: tenant, id: id, features: rewrite, stateAsOf: stateAsOf)
            index.write { _ = $0.remove(tenant: tenant, id: id) }
            if let change { frequencyCache.apply(change, tenant: tenant) }
        }
    }

    // MARK: Reading

    /// The stored precedent with its vector.
    /// - Throws: ``CasebookError/precedentNotFound(_:)``, for another tenant's id too.
    public func get(tenant: TenantID, id: PrecedentID) throws(CasebookError) -> Precedent {
        try IdentifierRules.checkTenant(tenant)
        try checkShard(tenant)
        guard let precedent = try store.fetch(
            collection: recordID, tenant: tenant, id: id, dimension: createdSpec.dimension)
        else { throw .precedentNotFound(id) }
        guard let hybrid = embedder as? HybridEmbedder, let stored = precedent.vector else { return precedent }
        // A hybrid collection's `vector` is the external model's, as the client gave it (unit length).
        var external = precedent
        external.vector = hybrid.modelVector(of: stored)
        return external
    }

    /// Whether the tenant holds a precedent with this id, answered from memory (an import
    /// resuming skips what is already stored by it).
    public func contains(tenant: TenantID, id: PrecedentID) -> Bool {
        index.read { $0.contains(tenant: tenant, id: id) }
    }

    /// Precedents of one tenant.
    public func count(tenant: TenantID) -> Int { index.read { $0.count(tenant: tenant) } }

    /// Precedents of all tenants (for operators; never shown to a tenant).
    public var count: Int { index.read { $0.count } }

    /// Tenants with at least one precedent (for operators).
    public var tenants: [TenantID] { index.read { $0.tenants } }

    /// Whether this instance holds `tenant`'s rows (every tenant, unsharded).
    func holds(_ tenant: TenantID) -> Bool { shard?.holds(tenant) ?? true }

    /// Refuses a tenant that another shard holds (a valid tenant only: other checks come first).
    func checkShard(_ tenant: TenantID) throws(CasebookError) {
        try shard?.check(tenant)
    }

    static func indexedRow(_ item: StoredPrecedent, key: Int64) -> IndexedRow {
        IndexedRow(
            tenant: item.precedent.tenant, id: item.id, key: key, vector: item.vector,
            texts: PrecedentField.filterableTexts.map { item.precedent[text: $0] }, tags: item.precedent.tags,
            wasSuccessful: item.precedent.wasSuccessful, createdAt: item.createdAt)
    }
}
