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
/// while one runs are coalesced into a single follow-up.
final class Checkpointer: Sendable {
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "casebook.checkpoint")
    private let pending = Mutex(false)

    init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "casebook.checkpoint"
        configuration.busyMode = .timeout(5)
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    func requestCheckpoint() {
        let alreadyPending = pending.withLock { flag in
            defer { flag = true }
            return flag
        }
        guard !alreadyPending else { return }
        queue.async { [self] in
            pending.withLock { $0 = false }
            // A failed checkpoint loses nothing: the pages stay in the WAL for the next one.
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
    }

    deinit {
        // Flush what remains when the database is closed.
        queue.sync {}
        _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }
}
