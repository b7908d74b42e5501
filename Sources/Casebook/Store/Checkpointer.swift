import Dispatch
import Foundation
import GRDB
import Synchronization

/// Copies the WAL back into the database file on a background connection.
///
/// SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, so a writer
/// pays for copying every earlier writer's pages too. Here the writer connection has
/// `wal_autocheckpoint = 0`, and after commits a PASSIVE checkpoint (it never blocks readers or
/// the writer) runs on this connection while the next batch is being prepared. Requests made
/// while one runs are coalesced into a single follow-up. Measured: ingest of 100,000 x 384 went
/// from about 55,000 to 75,000 precedents/s.
final class Checkpointer: Sendable {
    /// What the background blocks use. They capture only this, never the `Checkpointer`, so the
    /// checkpointer's `deinit` (which waits for them) never runs on its own queue.
    private final class Worker: Sendable {
        let connection: DatabaseQueue
        let pending = Mutex(false)

        init(connection: DatabaseQueue) { self.connection = connection }

        func checkpoint() {
            pending.withLock { $0 = false }
            // A failed checkpoint loses nothing: the pages stay in the WAL for the next one.
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
    }

    private let worker: Worker
    private let queue = DispatchQueue(label: "casebook.checkpoint")

    init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "casebook.checkpoint"
        configuration.busyMode = .timeout(5)
        worker = Worker(connection: try DatabaseQueue(path: path, configuration: configuration))
    }

    func requestCheckpoint() {
        let alreadyPending = worker.pending.withLock { flag in
            defer { flag = true }
            return flag
        }
        guard !alreadyPending else { return }
        queue.async { [worker] in worker.checkpoint() }
    }

    deinit {
        // Let a running checkpoint finish, then flush what remains.
        queue.sync {}
        worker.checkpoint()
    }
}
