import Foundation

/// A collection as stored: its store id and spec.
struct StoredCollection: Sendable {
    var id: Int64
    var spec: CollectionSpec
}

/// Everything the facade and the match recorder need from storage: the seam a store implements
/// (``SQLiteStore`` today). Above it nothing knows which database is used.
///
/// Contract for every implementation:
/// - Each method that writes is one transaction: whole or absent, never half.
/// - A write that fails throws ``CasebookError/storage(code:message:)`` (or the named error the
///   method documents) and changes nothing.
/// - Reads see committed data only; calls may come from many threads at once.
/// - Errors never carry precedent text or query arguments.
protocol CasebookStore: Sendable {
    /// Whether the database is a file on this machine (SQLite) rather than a server across a network.
    var isLocal: Bool { get }

    // MARK: Collections

    /// Adds a collection; a taken name is ``CasebookError/collectionExists(_:)``. Returns its id.
    func createCollection(_ spec: CollectionSpec) throws(CasebookError) -> Int64
    /// Every collection, by id.
    func collections() throws(CasebookError) -> [StoredCollection]

    // MARK: Precedents and vectors

    /// Adds a batch (with each row's IVF list when the collection is trained) and, in the same
    /// transaction, each tenant's feature frequencies of the batch; returns the rows' keys in
    /// order. A taken (tenant, id) is ``CasebookError/duplicateID(_:)``.
    ///
    /// Writes of precedents carry `stateAsOf`, the change feed position as of which the writer's
    /// embedder and IVF quantizer are the collection's. A re-embedding or training of the
    /// collection (as a whole, or of a tenant written) committed after it refuses the write with
    /// ``CasebookError/staleState(_:)``, nothing written: its vectors, lists and counts were made
    /// with a state the database no longer has.
    func insert(
        collection: Int64, _ items: [StoredPrecedent], lists: [Int32]?, frequencies: [TenantID: FeatureFrequencies],
        stateAsOf: Int64
    ) throws(CasebookError) -> [Int64]
    /// Replaces a stored precedent found by tenant and id; returns its key and, with `features`,
    /// the change it made to the tenant's frequencies (written in the same transaction).
    func replace(collection: Int64, _ item: StoredPrecedent, list: Int32?, features: FeatureRewrite?, stateAsOf: Int64)
        throws(CasebookError) -> (key: Int64, frequencies: FeatureFrequencies?)
    /// Deletes a precedent with its vector, tags and list; returns its key and, with `features`,
    /// the change it made to the tenant's frequencies.
    func delete(collection: Int64, tenant: TenantID, id: PrecedentID, features: FeatureRewrite?, stateAsOf: Int64)
        throws(CasebookError) -> (key: Int64, frequencies: FeatureFrequencies?)
    /// One tenant's feature frequencies in a collection (empty when it has none).
    func featureFrequencies(collection: Int64, tenant: TenantID) throws(CasebookError) -> FeatureFrequencies
    /// Every tenant's feature frequencies in a collection.
    func featureFrequencies(collection: Int64) throws(CasebookError) -> [TenantID: FeatureFrequencies]
    /// A collection's precedents (of every tenant, or of `tenant` only; without vectors) with their
    /// keys, keys ascending, up to `limit` after `key`: re-embedding reads them page by page.
    func precedents(collection: Int64, tenant: TenantID?, after key: Int64, limit: Int) throws(CasebookError)
        -> [KeyedPrecedent]
    /// The precedents of these keys of one tenant (without vectors) as the database holds them now,
    /// never from a cache: a re-embedding takes in what other processes wrote while it ran. A key
    /// not returned is deleted (or another tenant's).
    func precedents(collection: Int64, tenant: TenantID, keys: [Int64]) throws(CasebookError)
        -> [KeyedPrecedent]
    /// The change feed's last committed position (0 for an empty feed).
    func lastChangePosition() throws(CasebookError) -> Int64
    /// Re-embedding's switch, in one transaction: the collection's embedder, every listed row's
    /// vector (in its stored layout, ``VectorBlob/encodeStored(_:)``) and IVF list, and the feature frequencies of every tenant (`tenants` nil) or of
    /// `tenants` replaced by `frequencies`; a `training` change tells other processes to reload
    /// the collection (with `tenants`, one per tenant: to read that tenant's rows and counts anew).
    /// Throws, writing nothing, ``CasebookError/staleState(_:)`` when a training or re-embedding
    /// of the collection committed after `stateAsOf` (the state the new one was made from), and
    /// ``CasebookError/changedDuringReembedding(_:)`` when another process committed after feed
    /// position `unchangedSince` an upsert or delete in the collection (of `tenants`, when given).
    /// Returns the position of its (last) change.
    @discardableResult
    func rewriteVectors(
        collection: Int64, name: String, embedder: EmbedderConfig, vectors: [(key: Int64, stored: Data)], lists: [Int32]?,
        frequencies: [TenantID: FeatureFrequencies], tenants: Set<TenantID>?, unchangedSince: Int64, stateAsOf: Int64
    ) throws(CasebookError) -> Int64
    /// One precedent with its vector, or nil (another tenant's id is nil too).
    func fetch(collection: Int64, tenant: TenantID, id: PrecedentID, dimension: Int) throws(CasebookError) -> Precedent?
    /// Calls `body` once for each of `keys` still stored (any collection and tenant: keys are the
    /// store's own), in any order, with its vector's bytes in either of ``VectorBlob``'s layouts,
    /// valid only during the call. Flat indexes read back the rows they keep only as codes.
    func forEachVector(keys: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws(CasebookError)
    /// Precedents by key, without vectors, only those of `tenant`.
    func fetch(keys: [Int64], tenant: TenantID) throws(CasebookError) -> [Int64: Precedent]
    /// Streams every stored row of every collection (nil), or of the listed ones, into `sink`
    /// (opening a database), from one snapshot. Returns the change feed's position that snapshot
    /// reflects: following the feed from there misses nothing and repeats nothing.
    func loadAll<Sink: StoredRowSink>(collections: [Int64]?, into sink: inout Sink) throws(CasebookError) -> Int64

    // MARK: Change feed

    /// Changes committed after `position`, oldest first, at most `limit`; those this instance
    /// committed itself are marked ``StoredChange/local``.
    func changes(after position: Int64, limit: Int) throws(CasebookError) -> [StoredChange]
    /// The stored rows of these ids of one tenant (nil: all its rows), now (an id not returned is
    /// deleted).
    func currentRows(collection: Int64, tenant: TenantID, ids: [PrecedentID]?, dimension: Int) throws(CasebookError)
        -> [CurrentRow]
    /// Deletes feed rows committed before `date`, always keeping the last (positions go on from
    /// it). Returns how many were deleted.
    func pruneChanges(before date: Date) throws(CasebookError) -> Int
    /// Returns when a change after `position` may have been committed, or after `timeout`; the
    /// caller then reads ``changes(after:limit:)`` either way.
    func waitForChanges(after position: Int64, timeout: Duration)

    // MARK: IVF state

    /// Replaces a collection's index: configuration, quantizer and every row's list, at once.
    /// Returns the position of its change. ``CasebookError/staleState(_:)``, nothing written, when
    /// a training or re-embedding of the collection committed after `stateAsOf`: the index was
    /// trained on vectors the database no longer has.
    @discardableResult
    func saveTraining(
        collection: Int64, name: String, config: IndexConfig, quantizer: QuantizerState,
        assignments: [(key: Int64, list: Int32)], training: IndexTrainingReport, stateAsOf: Int64
    ) throws(CasebookError) -> Int64
    /// The stored training of every trained collection named in `dimensions` (id → dimension).
    func loadTrainings(dimensions: [Int64: Int]) throws(CasebookError) -> [Int64: StoredTraining]
    /// Every stored row's list, keys ascending.
    func loadAssignments() throws(CasebookError) -> ListAssignments
    /// Runs `body` holding the database-wide lock on training `collection` (`name` for the
    /// refusal): ``CasebookError/trainingInProgress(_:)`` when another process holds it.
    func withTrainingLock<T>(collection: Int64, name: String, _ body: () throws(CasebookError) -> T) throws(CasebookError) -> T

    // MARK: Match log

    /// Writes logged searches with what they showed.
    func insertSearches(_ entries: ArraySlice<LoggedSearch>) throws(CasebookError)
    /// Records a use of a shown precedent (see ``Casebook/recordUse(_:)`` for the refusals).
    func recordUse(_ event: UseEvent, now: Date) throws(CasebookError) -> UseReceipt
    /// Records (or replaces) a decision's outcome.
    func recordOutcome(_ outcome: DecisionOutcome, now: Date) throws(CasebookError)
    /// The ids of a tenant's precedents recording a decision.
    func precedentIDs(collection: Int64, tenant: TenantID, decisionEventId: String) throws(CasebookError) -> [PrecedentID]
    /// Deletes searches (with their rows and uses) and outcomes older than `date`.
    func pruneMatches(before date: Date) throws(CasebookError) -> (searches: Int, outcomes: Int)
    /// Calls `body` with each logged search of the selection in time order, from one snapshot.
    func forEachMatch(
        _ request: MatchExportRequest, collectionID: Int64?, _ body: (MatchRecord) throws -> Void
    ) throws(CasebookError)
    /// The usefulness statistics of one tenant's searches of a collection in a window.
    func statistics(collection: Int64, name: String, request: MatchStatisticsRequest) throws(CasebookError)
        -> MatchStatistics
    /// Shown and used counts of some precedents over the tenant's whole log of a collection.
    func usefulness(collection: Int64, tenant: TenantID, ids: [PrecedentID]) throws(CasebookError)
        -> [PrecedentID: PrecedentUsefulness]
}
