import Foundation
import NIOCore
import PostgresNIO

/// Opening a database on PostgreSQL: every row of the loaded collections, read in pages of
/// ascending keys inside one REPEATABLE READ transaction, so the rows and the change feed's
/// position come from one snapshot (the node then follows the feed from exactly there). The next
/// page is asked for before the current one is handed to the sink, so the server reads while the
/// indexes fill.
extension PostgresStore {
    static let rowsPerPage = 20_000

    func loadAll<Sink: StoredRowSink>(collections: [Int64]?, into sink: inout Sink) throws(CasebookError) -> Int64 {
        let subset = collections ?? []
        let restrict = collections == nil ? "" : "AND collection_id = ANY($2)"
        let filterColumns = PrecedentField.filterableTexts.map(\.column)
        let payloadTexts = PrecedentField.texts.map(\.column)
        let selected = ["pk", "collection_id", "tenant", "id", "was_successful", "created_at", "tags", "vector", "context"]
            + payloadTexts
        // Where each filterable field is among the text fields that end every row.
        let filterOffsets = filterColumns.map { column in payloadTexts.firstIndex(of: column)! }
        return try connections.transaction(isolation: "REPEATABLE READ READ ONLY") { session throws(CasebookError) -> Int64 in
            let position = try ChangeFeed.lastPosition(session)
            let sizes = try session.query(
                """
                SELECT collection_id, tenant, count(*) FROM casebook.precedent
                \(collections == nil ? "" : "WHERE collection_id = ANY($1)") GROUP BY collection_id, tenant
                """,
                collections == nil ? PostgresBindings() : PostgresBindings(subset))
            sink.reserve(sizes.compactMap { row in
                (try? row.decode((Int64, String, Int64).self)).map { (collection: $0.0, tenant: TenantID(rawValue: $0.1), rows: Int($0.2)) }
            })
            let pageSQL = """
                SELECT \(selected.joined(separator: ", ")) FROM casebook.precedent
                WHERE pk > $1 \(restrict) ORDER BY pk LIMIT \(Self.rowsPerPage)
                """
            func page(after key: Int64) -> EventLoopFuture<PostgresQueryResult> {
                let binds = collections == nil ? PostgresBindings(key) : PostgresBindings(key, subset)
                return session.connection.query(PostgresQuery(unsafeSQL: pageSQL, binds: binds), logger: session.logger)
            }
            var pending = page(after: 0)
            var texts: [String?] = []
            var cachedPayloads: [(Int64, PrecedentPayloads.Payload)] = []
            while true {
                let rows: PostgresQueryResult
                do { rows = try pending.wait() } catch { throw PostgresErrors.translate(error) }
                guard let last = rows.rows.last else { break }
                let lastKey = BinaryCell.int64(last.first?.bytes) ?? .max
                if rows.count == Self.rowsPerPage { pending = page(after: lastKey) }
                cachedPayloads.removeAll(keepingCapacity: true)
                for row in rows {
                    // Cells in column order, read straight from their binary values.
                    var cells = row.makeIterator()
                    let keyCell = cells.next()?.bytes, collectionCell = cells.next()?.bytes
                    let tenantCell = cells.next()?.bytes, idCell = cells.next()?.bytes
                    let successCell = cells.next()?.bytes, createdCell = cells.next()?.bytes
                    let tagsCell = cells.next()?.bytes, vectorCell = cells.next()?.bytes, contextCell = cells.next()?.bytes
                    guard let key = BinaryCell.int64(keyCell), let collection = BinaryCell.int64(collectionCell),
                        let tenantText = BinaryCell.text(tenantCell), let id = BinaryCell.text(idCell),
                        let createdAt = BinaryCell.double(createdCell), let tags = BinaryCell.texts(tagsCell),
                        let context = BinaryCell.text(contextCell)
                    else { throw PostgresStore.corrupt("a precedent row is unreadable") }
                    guard sink.accepts(collection: collection) else {
                        throw PostgresStore.corrupt("row \(key) names collection \(collection), which does not exist")
                    }
                    let tenant = TenantID(rawValue: tenantText)
                    guard sink.wants(tenant: tenant) else { continue }
                    let successful = BinaryCell.bool(successCell)
                    var fieldTexts: [String?] = []
                    fieldTexts.reserveCapacity(PrecedentField.texts.count)
                    while let cell = cells.next() { fieldTexts.append(BinaryCell.text(cell.bytes)) }
                    texts.removeAll(keepingCapacity: true)
                    for offset in filterOffsets { texts.append(fieldTexts[offset]) }
                    let stored = StoredRow(
                        collection: collection, key: key, tenant: tenant, id: PrecedentID(rawValue: id),
                        texts: texts, tags: tags, wasSuccessful: successful, createdAt: createdAt)
                    let accepted = vectorCell.map { bytes in
                        bytes.withUnsafeReadableBytes { sink.add(stored, vector: $0) }
                    } ?? false
                    guard accepted else {
                        let found = vectorCell.map { "\($0.readableBytes) bytes" } ?? "no vector"
                        throw PostgresStore.corrupt(
                            "row \(key) has \(found), not a stored vector of dimension \(sink.dimension(of: collection))")
                    }
                    cachedPayloads.append((key, PrecedentPayloads.Payload(
                        tenant: tenant, id: stored.id, texts: fieldTexts, context: context,
                        wasSuccessful: successful, createdAt: createdAt, tags: tags)))
                }
                payloads.put(cachedPayloads)
                if rows.count < Self.rowsPerPage { break }
            }
            return position
        }
    }
}
