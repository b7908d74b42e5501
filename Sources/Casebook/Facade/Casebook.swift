import Foundation
import Synchronization

/// A Casebook database: the entry point for agents in-process, the socket server and the CLI.
///
/// Opening reads every collection's vectors into memory, so searches never touch the disk for
/// vectors. One process should own a database file; within it, share one `Casebook` between tasks.
///
/// ```swift
/// let casebook = try Casebook(path: "casebook.sqlite")
/// let ndr = try casebook.collection("ndr")
/// let response = try ndr.search(SearchRequest(tenant: "acme", k: 5, vector: v))
/// ```
public final class Casebook: Sendable {
    /// The SQLite file, or the PostgreSQL database's URL without its password.
    public let path: String
    let store: any CasebookStore
    package let matchLog: MatchLog
    let registry: Mutex<[String: PrecedentCollection]>
    /// The tenants this node holds (nil: all).
    public let shard: TenantShard?
    /// Where this instance is in the store's change feed (see Casebook+Following).
    let following: Mutex<Following>
    /// The thread that fits stale tenants, when started (see Casebook+Refitting).
    let refitting = Mutex<StaleTenantRefitter?>(nil)
    /// How this instance's collections reach it to follow the feed (a write refused as stale).
    let feedLink = FeedLink()

    /// Opens (creating if needed) the database at `path` and loads every collection's index, or
    /// only those named in `collections` (a one-shot command that needs one collection of a large
    /// file; the others are then not reachable through this instance).
    ///
    /// `path` is a SQLite file, or a PostgreSQL database given as a URL,
    /// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable|require]` (schema
    /// `casebook`, created on first use): many processes may then share it.
    /// - Throws: ``CasebookError/collectionNotFound(_:)`` for a named collection that does not exist;
    ///   ``CasebookError/storageUnavailable(_:)`` when PostgreSQL cannot be reached.
    ///
    /// `shard` (a node of several on one PostgreSQL database): only the tenants of that shard are
    /// loaded and served; a request for another tenant is refused with
    /// ``CasebookError/wrongShard(tenant:shard:of:)``.
    public init(path: String, collections names: Set<String>? = nil, shard: TenantShard? = nil) throws(CasebookError) {
        Casebook.configureBLAS
        let store: any CasebookStore
        if PostgresAddress.isURL(path) {
            let address = try PostgresAddress(url: path)
            self.path = address.redacted
            store = try PostgresStore(address: address)
        } else {
            self.path = path
            store = try SQLiteStore(path: path)
        }
        self.store = store
        matchLog = MatchLog(store: store)
        var records = try store.collections()
        if let names {
            if let missing = names.sorted().first(where: { name in !records.contains { $0.spec.name == name } }) {
                throw .collectionNotFound(missing)
            }
            records = records.filter { names.contains($0.spec.name) }
        }
        self.shard = shard
        let (indexes, position) = try Self.loadIndexes(
            store: store, records: records, subset: names == nil ? nil : records.map(\.id), shard: shard)
        records = try Self.reread(records, store: store)
        var loaded: [String: PrecedentCollection] = [:]
        for record in records {
            loaded[record.spec.name] = try PrecedentCollection(
                spec: record.spec, recordID: record.id, store: store, matchLog: matchLog, index: indexes[record.id]!,
                shard: shard, stateAsOf: position, feed: feedLink)
        }
        following = Mutex(Following(position: position, subset: names))
        registry = Mutex(loaded)
        feedLink.attach(self)
    }

    /// Creates a collection.
    /// - Throws: ``CasebookError/collectionExists(_:)``, or a validation error for the spec.
    @discardableResult
    public func createCollection(_ spec: CollectionSpec) throws(CasebookError) -> PrecedentCollection {
        try spec.validate()
        // Stored with every parameter spelled out, so a later change of defaults cannot change
        // how an existing collection embeds.
        var spec = spec
        if spec.index.isIVF, spec.index.ivf == nil { spec.index.ivf = IVFParameters() }
        spec.embedder = try EmbedderFactory.make(
            config: spec.embedder, dimension: spec.dimension, metric: spec.metric
        ).config
        return try registry.withLock { collections throws(CasebookError) in
            if collections[spec.name] != nil { throw .collectionExists(spec.name) }
            let id = try store.createCollection(spec)
            // New: nothing has re-embedded or trained it yet.
            let collection = try PrecedentCollection(
                spec: spec, recordID: id, store: store, matchLog: matchLog,
                index: makeIndex(for: spec, storedRows: StoreVectorReader(store: store)), shard: shard, stateAsOf: 0,
                feed: feedLink)
            collections[spec.name] = collection
            return collection
        }
    }

    /// Every stored row of the collections in `records` (all of them, or only `subset`) in
    /// indexes: flat, or IVF filed by the stored lists (no retraining). Returns the change feed's
    /// position the rows reflect.
    static func loadIndexes(
        store: any CasebookStore, records: [StoredCollection], subset: [Int64]?, shard: TenantShard?
    ) throws(CasebookError) -> (indexes: [Int64: any VectorIndex], position: Int64) {
        var specs: [Int64: CollectionSpec] = [:]
        var loader = IndexLoader(indexes: [:], shard: shard)
        for record in records {
            specs[record.id] = record.spec
            // An IVF index adopts the loaded slabs with their float32 rows; a flat one keeps large
            // slabs as codes, reading rows back from the store.
            loader.indexes[record.id] = FlatIndex(
                dimension: record.spec.dimension, metric: record.spec.metric,
                storedRows: record.spec.index.isIVF ? nil : StoreVectorReader(store: store))
        }
        let position = try store.loadAll(collections: subset, into: &loader)
        // Taken out of the loader, so each index is held once: a second reference would make the
        // first write copy its tenant's vectors, and keep flat rows alive while IVF refiles them.
        var flats = loader.indexes
        loader.indexes = [:]
        // IVF collections take over their loaded rows and file them by the stored lists: no
        // retraining on open.
        let ivfCollections = specs.filter { $0.value.index.isIVF }
        let trainings = ivfCollections.isEmpty ? [:] : try store.loadTrainings(dimensions: ivfCollections.mapValues(\.dimension))
        let assignments = trainings.isEmpty ? ListAssignments() : try store.loadAssignments()
        var indexes: [Int64: any VectorIndex] = [:]
        for (id, spec) in specs {
            let flat = flats.removeValue(forKey: id)!
            if let parameters = spec.index.ivf, spec.index.isIVF {
                let quantizer = try trainings[id].map { stored throws(CasebookError) in
                    try Self.quantizer(stored.quantizer, collection: id, spec: spec)
                }
                var ivf = IVFIndex(
                    adopting: flat, parameters: parameters, quantizer: quantizer,
                    lists: trainings[id] == nil ? nil : assignments)
                ivf.addedSinceTraining = trainings[id]?.addedSinceTraining ?? 0
                ivf.training = trainings[id]?.training
                indexes[id] = ivf
            } else {
                indexes[id] = flat
            }
        }
        return (indexes, position)
    }

    /// `records` as stored now, read after their rows were loaded from a snapshot at some feed
    /// position: a re-embedding committed in between is then in the embedder as well as after
    /// that position (following applies it again), never in the rows alone — an embedder older
    /// than its position would never be brought up to date.
    static func reread(_ records: [StoredCollection], store: any CasebookStore) throws(CasebookError) -> [StoredCollection] {
        let now = try store.collections()
        return records.map { record in now.first { $0.id == record.id } ?? record }
    }

    /// The named collection.
    /// - Throws: ``CasebookError/collectionNotFound(_:)``.
    public func collection(_ name: String) throws(CasebookError) -> PrecedentCollection {
        guard let collection = registry.withLock({ $0[name] }) else { throw .collectionNotFound(name) }
        return collection
    }

    /// Refuses a tenant that another shard holds (``CasebookError/wrongShard(tenant:shard:of:)``);
    /// every collection's reads and writes check it themselves.
    public func checkHolds(_ tenant: TenantID) throws(CasebookError) {
        try shard?.check(tenant)
    }

    /// All collections, by name.
    public var collections: [PrecedentCollection] {
        registry.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    /// A stored quantizer rebuilt; one that does not fit its collection is a corrupt file.
    private static func quantizer(_ state: QuantizerState, collection: Int64, spec: CollectionSpec) throws(CasebookError)
        -> IVFQuantizer
    {
        do {
            return try IVFQuantizer(state: state, dimension: spec.dimension, spherical: spec.metric != .l2)
        } catch {
            // 11: SQLite's SQLITE_CORRUPT, the code every unreadable stored structure reports.
            throw .storage(code: 11, message: "stored IVF index of collection \(collection): \(error)")
        }
    }

    /// Runs once per process: OpenBLAS single-threaded, because batched search parallelises over
    /// query chunks itself and on small machines BLAS threads would compete with Swift's pool.
    private static let configureBLAS: Void = GemmKernel.setThreads(1)
}

extension Casebook {
    /// Threads that batched searches, the embedding of large batches and IVF training spread
    /// over, for the whole process: 0 (the default) means one per active core. Single searches
    /// always use the calling thread only. Set it below the core count to leave cores to other
    /// work (a server, or a benchmark run at a fixed thread count).
    public static var workerThreads: Int {
        get { WorkerThreads.limit }
        set { WorkerThreads.limit = newValue }
    }

    @available(*, deprecated, renamed: "workerThreads")
    public static var batchSearchThreads: Int {
        get { workerThreads }
        set { workerThreads = newValue }
    }
}
