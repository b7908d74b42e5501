import Foundation
import GRDB
import Synchronization

/// The SQLite database: one file in WAL mode, read through a `DatabasePool` (concurrent readers,
/// one writer). Every multi-statement change runs inside one `write {}` transaction, so a batch is
/// stored whole or not at all.
final class SQLiteStore: CasebookStore {
    let pool: DatabasePool
    private let checkpointer: Checkpointer
    /// The change feed positions this instance committed.
    let localChanges = LocalChanges()
    /// Positions appended by the write transaction in progress (one at a time: the pool
    /// serialises writes), known as this instance's own once it commits.
    let uncommitted = Mutex<[Int64]>([])

    var isLocal: Bool { true }

    init(path: String) throws(CasebookError) {
        var configuration = Configuration()
        configuration.label = "casebook"
        // Waiting beats failing when another process briefly holds the write lock.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // 16 KiB pages take effect only when the file is created (a no-op afterwards): a
            // 384-d vector is 1.5 KiB, and on 4 KiB pages two of them fill a page with a quarter
            // wasted; ingest measured 40-50% faster with 16 KiB. FULL: every acknowledged write
            // is on disk, not only in the OS cache, before `add` returns.
            try db.execute(sql: "PRAGMA page_size = 16384; PRAGMA synchronous = FULL")
            // Checkpoints run on their own connection in the background (see Checkpointer),
            // not inside the commit that happens to cross the threshold.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try SQLiteStore.checkFormat(pool)
            try Migrations.migrator.migrate(pool)
            checkpointer = try Checkpointer(path: path)
        } catch let error as CasebookError {
            throw error
        } catch {
            throw SQLiteStore.translate(error)
        }
    }

    /// Refuses a file written by a newer format before any migration touches it.
    private static func checkFormat(_ pool: DatabasePool) throws {
        let found = try pool.read { db -> Int? in
            guard try db.tableExists("casebook_meta") else { return nil }
            return try String.fetchOne(
                db, sql: "SELECT value FROM casebook_meta WHERE key = 'format_version'"
            ).flatMap(Int.init)
        }
        if let found, found > Migrations.formatVersion {
            throw CasebookError.unsupportedFormat(found: found, supported: Migrations.formatVersion)
        }
    }

    /// Runs a read transaction, mapping database failures to ``CasebookError``.
    func read<T>(_ body: (Database) throws -> T) throws(CasebookError) -> T {
        do {
            return try pool.read(body)
        } catch let error as CasebookError {
            throw error
        } catch {
            throw SQLiteStore.translate(error)
        }
    }

    /// Runs a write transaction (rolled back if `body` throws). The change feed rows it appended
    /// are this instance's own once it commits.
    func write<T>(_ body: (Database) throws -> T) throws(CasebookError) -> T {
        do {
            let (result, appended) = try pool.write { db in
                uncommitted.withLock { $0.removeAll() }
                let result = try body(db)
                return (result, uncommitted.withLock { $0 })
            }
            localChanges.insert(appended)
            checkpointer.requestCheckpoint()
            return result
        } catch let error as CasebookError {
            throw error
        } catch {
            throw SQLiteStore.translate(error)
        }
    }

    /// Keeps the result code and SQLite's message, never the SQL arguments (they may hold
    /// precedent text).
    static func translate(_ error: any Error) -> CasebookError {
        if let error = error as? DatabaseError {
            return .storage(code: error.resultCode.rawValue, message: error.message ?? "\(error.resultCode)")
        }
        return .storage(code: -1, message: String(describing: type(of: error)))
    }
}
