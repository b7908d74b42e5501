import Foundation
import Synchronization

/// The match log's writer. A search only appends its entry to an in-memory list (one lock, one
/// array append: no database work and no index lock on the search's path); a background flush
/// writes everything pending in one transaction, ``flushDelay`` after the first entry of a batch,
/// or at once when ``flushThreshold`` entries are waiting. A crash loses at most the entries not
/// yet flushed — never a precedent, which its own transaction wrote before `add` returned.
///
/// Thread safety: `pending` guards the list; `flushing` serialises flushes, so when ``flush()``
/// returns every entry appended before the call is in the database (a use recorded right after a
/// search finds its query).
package final class MatchLog: Sendable {
    private struct Pending {
        var entries: [LoggedSearch] = []
        /// Shown rows of `entries`: what their memory grows with (k can be 1,000).
        var rows = 0
        var scheduled = false
        /// Entries dropped because the database refused them and too many were waiting.
        var dropped = 0
    }

    private let store: any CasebookStore
    private let pending = Mutex(Pending())
    private let flushing = Mutex(())
    private let queue = DispatchQueue(label: "casebook.match-log", qos: .utility)

    /// How long a search may wait in memory. The writer commits ~40,000 searches a second in
    /// batches (benchmarks/RESULTS.md, match log); 200 ms bounds what a crash can lose while
    /// keeping batches large at any search rate that matters.
    static let flushDelay = DispatchTimeInterval.milliseconds(200)
    static let flushThreshold = 4_096
    /// Shown rows per transaction: at ~400,000 rows a second, about 20 ms of holding the writer.
    static let rowsPerTransaction = 8_192
    /// Entries, and their shown rows, that may wait (also for a retry when the database refuses
    /// them: disk full, read-only file); beyond either, entries are dropped and counted. Measured
    /// (SoakTests at 10x, debug build, 31,000 searches/s showing ~25 rows each): ~1.2 KB an
    /// entry, so these caps hold the buffer near 60 MB; an entry cap of 200,000 alone had let it
    /// grow by 215 MB. At a production rate of hundreds of searches a second, 50,000 is minutes
    /// of a database refusing writes.
    static let maxPending = Limits.matchLogPendingSearches
    static let maxPendingRows = Limits.matchLogPendingRows

    init(store: any CasebookStore) { self.store = store }

    deinit { try? flush() }

    package func append(_ entry: LoggedSearch) {
        let (delayed, immediate) = pending.withLock { p -> (Bool, Bool) in
            // Searches outpacing the writer by this much lose their entries rather than memory
            // or latency: a search never waits for the log.
            guard p.entries.count < Self.maxPending, p.rows + entry.ids.count <= Self.maxPendingRows else {
                p.dropped += 1
                return (false, false)
            }
            p.entries.append(entry)
            p.rows += entry.ids.count
            let delayed = !p.scheduled
            p.scheduled = true
            return (delayed, p.entries.count == Self.flushThreshold)
        }
        // Weak: a log whose database is gone flushed in deinit; the timer must not keep it alive.
        if delayed { queue.asyncAfter(deadline: .now() + Self.flushDelay) { [weak self] in self?.flushInBackground() } }
        if immediate { queue.async { [weak self] in self?.flushInBackground() } }
    }

    /// Writes every pending entry, in transactions of at most ``rowsPerTransaction`` shown rows so
    /// that precedent writes waiting for SQLite's one writer get it between them. On failure the
    /// entries not yet written stay pending (up to ``maxPending``) and the error is thrown.
    package func flush() throws(CasebookError) {
        try flushing.withLock { _ throws(CasebookError) in
            let entries = pending.withLock { p -> [LoggedSearch] in
                p.scheduled = false
                defer {
                    p.entries = []
                    p.rows = 0
                }
                return p.entries
            }
            var start = 0
            while start < entries.count {
                var end = start, rows = 0
                while end < entries.count, end == start || rows + entries[end].ids.count <= Self.rowsPerTransaction {
                    rows += entries[end].ids.count
                    end += 1
                }
                do throws(CasebookError) {
                    try store.insertSearches(entries[start..<end])
                } catch {
                    keep(entries[start...])
                    throw error
                }
                start = end
            }
        }
    }

    /// Puts unwritten entries back in front of any that arrived since, within ``maxPending`` and
    /// ``maxPendingRows`` (the oldest go first).
    private func keep(_ unwritten: ArraySlice<LoggedSearch>) {
        pending.withLock { p in
            p.entries.insert(contentsOf: unwritten, at: 0)
            p.rows += unwritten.reduce(0) { $0 + $1.ids.count }
            var excess = 0
            while excess < p.entries.count, p.entries.count - excess > Self.maxPending || p.rows > Self.maxPendingRows {
                p.rows -= p.entries[excess].ids.count
                excess += 1
            }
            if excess > 0 {
                p.entries.removeFirst(excess)
                p.dropped += excess
            }
        }
    }

    /// Entries lost since the database was opened: refused by the database while too many were
    /// waiting, or arriving while the buffer was full (``maxPending``, ``maxPendingRows``).
    var droppedEntries: Int { pending.withLock { $0.dropped } }

    /// Entries waiting to be written, and those lost (``droppedEntries``), read together.
    var status: MatchLogStatus { pending.withLock { MatchLogStatus(pending: $0.entries.count, dropped: $0.dropped) } }

    private func flushInBackground() {
        // A failure keeps the entries for the next flush; an explicit flush reports it.
        try? flush()
    }
}

/// The match log's queue, for monitoring (`GET /metrics`).
public struct MatchLogStatus: Sendable, Hashable {
    /// Logged searches not yet written to the database.
    public var pending: Int
    /// Logged searches lost since the database was opened (see ``Limits/matchLogPendingSearches``).
    public var dropped: Int
}
