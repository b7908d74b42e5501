import Foundation
import NIOCore
import PostgresNIO
import Synchronization

/// What a node needs to follow the database: the feed's changes, the current rows they name,
/// and a wake-up when another node commits (LISTEN on ``ChangeFeed/channel``).
extension PostgresStore {
    func changes(after position: Int64, limit: Int) throws(CasebookError) -> [StoredChange] {
        var changes = try connections.withSession { session throws(CasebookError) in
            try ChangeFeed.changes(session, after: position, limit: limit)
        }
        for index in changes.indices {
            changes[index].local = connections.localChanges.claim(changes[index].position)
            // Another node's delete: the rows' stored fields are no longer needed here.
            if !changes[index].local, changes[index].kind == .delete { payloads.remove(changes[index].keys) }
        }
        return changes
    }

    func currentRows(collection: Int64, tenant: TenantID, ids: [PrecedentID]?, dimension: Int) throws(CasebookError)
        -> [CurrentRow]
    {
        try currentRows(collection: collection, tenant: tenant, ids: ids, dimension: dimension, pageSize: Self.rowsPerPage)
    }

    /// The rows of these ids, in one statement; or, with nil ids, every row of the tenant (a
    /// follower's refit), in pages of ascending id inside one snapshot, since PostgresNIO is slow
    /// to gather one result of many rows (see ``featureFrequencies(collection:)``).
    func currentRows(collection: Int64, tenant: TenantID, ids: [PrecedentID]?, dimension: Int, pageSize: Int)
        throws(CasebookError) -> [CurrentRow]
    {
        guard ids?.isEmpty != true else { return [] }
        let select = """
            SELECT \(PostgresPrecedentRow.columns), vector, ivf_list FROM casebook.precedent
            WHERE collection_id = $1 AND tenant = $2
            """
        var current: [CurrentRow] = []
        var fresh: [(Int64, PrecedentPayloads.Payload)] = []
        func take(_ rows: PostgresQueryResult) throws(CasebookError) -> String? {
            var lastID: String?
            for row in rows {
                let cells = row.makeRandomAccess()
                let (key, payload) = try PostgresPrecedentRow.payload(cells)
                guard let bytes = cells[PostgresPrecedentRow.columnCount].bytes,
                    let vector = VectorBlob.decodeStored(Data(buffer: bytes), dimension: dimension)
                else { throw PostgresStore.corrupt("row \(key) has a vector of the wrong length") }
                let filterTexts = PrecedentField.filterableTexts.map { field in
                    payload.texts[PrecedentField.texts.firstIndex(of: field)!]
                }
                current.append(CurrentRow(
                    key: key, tenant: payload.tenant, id: payload.id, vector: vector, texts: filterTexts, tags: payload.tags,
                    wasSuccessful: payload.wasSuccessful, createdAt: payload.createdAt,
                    list: (try? cells[PostgresPrecedentRow.columnCount + 1].decode(Int32?.self)) ?? nil))
                fresh.append((key, payload))
                lastID = payload.id.rawValue
            }
            return lastID
        }
        if let ids {
            let rows = try connections.withSession { session throws(CasebookError) in
                try session.query(select + " AND id = ANY($3)", PostgresBindings(collection, tenant.rawValue, ids.map(\.rawValue)))
            }
            _ = try take(rows)
        } else {
            try connections.transaction(isolation: "REPEATABLE READ READ ONLY") { session throws(CasebookError) in
                // Ids are never empty, so "" is below every one.
                var after = ""
                while true {
                    let rows = try session.query(
                        select + " AND id > $3 ORDER BY id LIMIT \(pageSize)", PostgresBindings(collection, tenant.rawValue, after))
                    guard let last = try take(rows), rows.count == pageSize else { return }
                    after = last
                }
            }
        }
        payloads.put(fresh)
        return current
    }

    func pruneChanges(before date: Date) throws(CasebookError) -> Int {
        try connections.transaction { session throws(CasebookError) in
            try session.execute(
                """
                DELETE FROM casebook.change
                WHERE committed_at < $1 AND position < (SELECT max(position) FROM casebook.change)
                """,
                PostgresBindings(date.timeIntervalSince1970))
        }
    }

    func waitForChanges(after position: Int64, timeout: Duration) {
        listener.wait(after: position, timeout: timeout)
    }
}

/// A connection of its own that LISTENs for the feed's notifications. Opened on first use and
/// again after it is lost; while it is down, waits simply time out (the follower then polls).
final class ChangeListener: Sendable {
    private let connections: PostgresConnections
    private struct State {
        var connection: PostgresConnection?
        /// The highest position a notification announced.
        var notified: Int64 = 0
    }
    private let state = Mutex(State())
    private let condition = NSCondition()

    init(connections: PostgresConnections) {
        self.connections = connections
    }

    deinit {
        if let connection = state.withLock({ $0.connection }) { PostgresConnections.close(connection) }
    }

    func wait(after position: Int64, timeout: Duration) {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        ensureListening()
        condition.lock()
        defer { condition.unlock() }
        while state.withLock({ $0.notified }) <= position {
            if !condition.wait(until: deadline) { return }
        }
    }

    private func ensureListening() {
        let current = state.withLock { $0.connection }
        if let current, !current.isClosed { return }
        guard let connection = try? connections.open() else { return }
        connection.addListener(channel: ChangeFeed.channel) { [weak self] _, notification in
            guard let self, let position = Int64(notification.payload) else { return }
            self.condition.lock()
            self.state.withLock { $0.notified = max($0.notified, position) }
            self.condition.broadcast()
            self.condition.unlock()
        }
        let session = PostgresSession(connection: connection, logger: connections.logger)
        guard (try? session.execute("LISTEN \(ChangeFeed.channel)")) != nil else {
            PostgresConnections.close(connection)
            return
        }
        let previous = state.withLock { state in
            defer { state.connection = connection }
            return state.connection
        }
        if let previous { PostgresConnections.close(previous) }
    }
}
