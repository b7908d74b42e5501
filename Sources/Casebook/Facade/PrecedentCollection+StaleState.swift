import Synchronization

/// Writes never store what an older state made. A write's vectors, IVF lists and feature counts
/// come from this instance's embedder and quantizer; another process (a node on the same
/// PostgreSQL database, `casebook reembed` on the same file) may have re-embedded or trained the
/// collection since, and this instance follows that change a moment later. So each write hands
/// the store the feed position its state is as of (``PrecedentCollection/stateAsOf``), and the
/// store refuses it, nothing written, when a re-embedding or training of the collection — as a
/// whole, or of a tenant written — committed after that position. The write then follows the
/// feed, which brings the new state in, and is prepared and made again.
extension PrecedentCollection {
    /// Attempts after the first refusal; each follows the feed first, so a second refusal needs
    /// another re-embedding in the moment between.
    static let staleStateRetries = 3

    /// Runs `body` under the writer lock with the position the collection's state is as of; when
    /// the store refuses it as stale, follows the feed and runs it again. `body` re-prepares what
    /// depends on the state (it compares the embedder's generation with the one it prepared with;
    /// IVF lists are read from the index inside it).
    /// - Throws: ``CasebookError/staleState(_:)`` when every attempt was refused.
    func write<T>(_ body: (_ stateAsOf: Int64) throws(CasebookError) -> T) throws(CasebookError) -> T {
        try retryingWhenStale { () throws(CasebookError) -> T in
            try writer.withLock { _ throws(CasebookError) -> T in
                try body(stateAsOf.load(ordering: .acquiring))
            }
        }
    }

    /// What a long write (a re-embedding) prepares from, taken together under the writer lock: the
    /// state's feed position and the embedder of that state, and the feed's last position, after
    /// which the precedents it reads may change under it.
    struct StateSnapshot {
        var asOf: Int64
        var generation: Int
        var embedder: any Embedder
        var feedPosition: Int64
    }

    /// Runs `prepare` outside the writer lock, so that this instance's writes go on while it
    /// reads and embeds, then `commit` under the lock with what it prepared. `prepare` starts from
    /// a snapshot of the state; when the state moved before `commit` (this instance re-embedded,
    /// trained or followed another process's change), or the store refuses the commit as stale,
    /// both run again from the new state. `commit` takes in what was written meanwhile (the
    /// re-embedding's catch-up reads the feed from ``StateSnapshot/feedPosition``).
    /// - Throws: ``CasebookError/staleState(_:)`` when every attempt found the state moved.
    func write<Prepared: Sendable, T>(
        preparing prepare: (StateSnapshot) throws(CasebookError) -> Prepared,
        then commit: (Prepared, StateSnapshot) throws(CasebookError) -> T
    ) throws(CasebookError) -> T {
        try retryingWhenStale { () throws(CasebookError) -> T in
            // Under the lock, so that every write of this instance the feed position covers is in
            // the index too (a write applies to the index before releasing it).
            let snapshot = try writer.withLock { _ throws(CasebookError) in
                let state = embedding.withLock { $0 }
                return StateSnapshot(
                    asOf: stateAsOf.load(ordering: .acquiring), generation: state.generation,
                    embedder: state.embedder, feedPosition: try store.lastChangePosition())
            }
            let prepared = try prepare(snapshot)
            return try writer.withLock { _ throws(CasebookError) -> T in
                guard stateAsOf.load(ordering: .acquiring) == snapshot.asOf, embedderGeneration == snapshot.generation
                else { throw .staleState(name) }
                return try commit(prepared, snapshot)
            }
        }
    }

    /// Runs `attempt`; when it is refused as stale, follows the feed (outside the writer lock:
    /// following takes it to apply the change), which brings in the newer state, and runs it
    /// again, at most ``staleStateRetries`` more times.
    private func retryingWhenStale<T>(_ attempt: () throws(CasebookError) -> T) throws(CasebookError) -> T {
        var retries = 0
        while true {
            do {
                return try attempt()
            } catch .staleState where retries < Self.staleStateRetries {
                retries += 1
                if let applied = try feed.catchUp() {
                    advanceState(to: applied)
                } else {
                    try reloadStoredState()
                }
            } catch .staleState {
                throw .staleState(name)
            }
        }
    }

    /// The collection's stored state read anew — embedder, index and counts — when the instance
    /// it belongs to is gone (a collection kept after its ``Casebook`` was released cannot follow
    /// that instance's feed).
    private func reloadStoredState() throws(CasebookError) {
        try writer.withLock { _ throws(CasebookError) in
            // Read first: a re-embedding committed while the rest is read is then looked for again.
            let position = try store.lastChangePosition()
            guard let record = try store.collections().first(where: { $0.id == recordID }) else {
                throw .collectionNotFound(name)
            }
            let loaded = try Casebook.loadIndexes(store: store, records: [record], subset: [recordID], shard: shard)
            try adoptStored(record, index: loaded.indexes[recordID]!)
            advanceState(to: position)
        }
    }

    /// Records that the collection's state now includes every re-embedding and training up to
    /// feed position `position` (it never goes back).
    func advanceState(to position: Int64) {
        stateAsOf.max(position, ordering: .acquiringAndReleasing)
    }
}
