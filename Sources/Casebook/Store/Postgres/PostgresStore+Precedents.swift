import Foundation
import NIOCore
import PostgresNIO

/// Precedent reads and writes in `casebook.precedent`. As in the SQLite store, every statement
/// names the collection and the tenant.
extension PostgresStore {
    func insert(
        collection: Int64, _ items: [StoredPrecedent], lists: [Int32]?, frequencies: [TenantID: FeatureFrequencies],
        stateAsOf: Int64
    ) throws(CasebookError) -> [Int64] {
        guard !items.isEmpty else { return [] }
        let now = Date().timeIntervalSince1970
        let keys = try connections.transaction { session throws(CasebookError) -> [Int64] in
            // Keys come from the sequence inside the INSERT, and RETURNING gives them in the
            // order unnest yields the rows (an INSERT inserts row by row, in order). DO NOTHING:
            // a (tenant, id) already stored, or committed meanwhile by another node, is missing
            // from RETURNING instead of aborting with no name; the rows returned then tell which.
            var keys: [Int64] = []
            keys.reserveCapacity(items.count)
            for start in stride(from: 0, to: items.count, by: PostgresPrecedentRow.rowsPerInsert) {
                let range = start..<min(items.count, start + PostgresPrecedentRow.rowsPerInsert)
                let rows = try session.query(
                    PostgresPrecedentRow.bulkInsertSQL,
                    try PostgresPrecedentRow.bulkInsertBinds(
                        collection: collection, items[range], lists: lists?[range], now: now))
                let returned = rows.compactMap { BinaryCell.int64($0.first?.bytes) }
                guard returned.count == range.count else {
                    throw try Self.refusedItem(session, returned, items, offset: start)
                }
                keys += returned
            }
            if lists != nil {
                try session.execute(
                    "UPDATE casebook.ivf_index SET added_since_training = added_since_training + $1 WHERE collection_id = $2",
                    PostgresBindings(Int64(items.count), collection))
            }
            try Self.applyFrequencies(session, collection: collection, frequencies)
            try ChangeFeed.append(session, collection: collection, kind: .upsert, items, keys: keys, stateAsOf: stateAsOf)
            return keys
        }
        payloads.put(zip(keys, items.lazy.map(PrecedentPayloads.Payload.init)))
        return keys
    }

    /// The first item of a batch that the database did not take (its id already stored).
    private static func refusedItem(
        _ session: PostgresSession, _ inserted: [Int64], _ items: [StoredPrecedent], offset: Int
    ) throws(CasebookError) -> CasebookError {
        let rows = try session.query(
            "SELECT tenant, id FROM casebook.precedent WHERE pk = ANY($1)", PostgresBindings(inserted))
        let taken = Set(rows.compactMap { row in (try? row.decode((String, String).self)).map { "\($0.0)\u{0}\($0.1)" } })
        let index = items.indices.dropFirst(offset).first { index in
            !taken.contains("\(items[index].precedent.tenant.rawValue)\u{0}\(items[index].id.rawValue)")
        } ?? offset
        return .item(index: index, id: items[index].id, problem: .duplicateID(items[index].id))
    }

    func replace(collection: Int64, _ item: StoredPrecedent, list: Int32?, features: FeatureRewrite?, stateAsOf: Int64)
        throws(CasebookError) -> (key: Int64, frequencies: FeatureFrequencies?)
    {
        let (key, change) = try connections.transaction { session throws(CasebookError) -> (Int64, FeatureFrequencies?) in
            let change = try Self.rewriteFrequencies(
                session, collection: collection, tenant: item.precedent.tenant, id: item.id, features)
            var binds = PostgresBindings()
            PostgresPrecedentRow.bindUpdate(&binds, item, list: list, now: Date().timeIntervalSince1970)
            binds.append(collection)
            binds.append(item.precedent.tenant.rawValue)
            binds.append(item.id.rawValue)
            let rows = try session.query(PostgresPrecedentRow.updateSQL, binds)
            guard let key = rows.first.flatMap({ try? $0.decode(Int64.self) }) else {
                throw .precedentNotFound(item.id)
            }
            try ChangeFeed.append(
                session, collection: collection, kind: .upsert, tenant: item.precedent.tenant, ids: [item.id], keys: [key],
                stateAsOf: stateAsOf)
            return (key, change)
        }
        payloads.put([(key, PrecedentPayloads.Payload(item))])
        return (key, change)
    }

    func delete(collection: Int64, tenant: TenantID, id: PrecedentID, features: FeatureRewrite?, stateAsOf: Int64)
        throws(CasebookError) -> (key: Int64, frequencies: FeatureFrequencies?)
    {
        let (key, change) = try connections.transaction { session throws(CasebookError) -> (Int64, FeatureFrequencies?) in
            let change = try Self.rewriteFrequencies(session, collection: collection, tenant: tenant, id: id, features)
            let rows = try session.query(
                "DELETE FROM casebook.precedent WHERE collection_id = $1 AND tenant = $2 AND id = $3 RETURNING pk",
                PostgresBindings(collection, tenant.rawValue, id.rawValue))
            guard let key = rows.first.flatMap({ try? $0.decode(Int64.self) }) else { throw .precedentNotFound(id) }
            try ChangeFeed.append(
                session, collection: collection, kind: .delete, tenant: tenant, ids: [id], keys: [key], stateAsOf: stateAsOf)
            return (key, change)
        }
        payloads.remove([key])
        return (key, change)
    }

    func fetch(collection: Int64, tenant: TenantID, id: PrecedentID, dimension: Int) throws(CasebookError) -> Precedent? {
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                "SELECT \(PostgresPrecedentRow.columns), vector FROM casebook.precedent WHERE collection_id = $1 AND tenant = $2 AND id = $3",
                PostgresBindings(collection, tenant.rawValue, id.rawValue))
        }
        guard let row = rows.first else { return nil }
        let cells = row.makeRandomAccess()
        var precedent = try PostgresPrecedentRow.payload(cells).payload.precedent
        guard let bytes = cells[PostgresPrecedentRow.columnCount].bytes,
            let vector = VectorBlob.decodeStored(Data(buffer: bytes), dimension: dimension)
        else { throw PostgresStore.corrupt("the vector of a precedent has the wrong length") }
        precedent.vector = vector
        return precedent
    }

    func fetch(keys: [Int64], tenant: TenantID) throws(CasebookError) -> [Int64: Precedent] {
        guard !keys.isEmpty else { return [:] }
        var (found, missing) = payloads.lookup(keys, tenant: tenant)
        guard !missing.isEmpty else { return found }
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                "SELECT \(PostgresPrecedentRow.columns) FROM casebook.precedent WHERE pk = ANY($1) AND tenant = $2",
                PostgresBindings(missing, tenant.rawValue))
        }
        for row in rows {
            let (key, payload) = try PostgresPrecedentRow.payload(row.makeRandomAccess())
            found[key] = payload.precedent
        }
        return found
    }

    func forEachVector(keys: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws(CasebookError) {
        guard !keys.isEmpty else { return }
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query("SELECT pk, vector FROM casebook.precedent WHERE pk = ANY($1)", PostgresBindings(keys))
        }
        for row in rows {
            let cells = row.makeRandomAccess()
            guard let key = try? cells[0].decode(Int64.self) else { throw PostgresStore.corrupt("a precedent key is unreadable") }
            guard let bytes = cells[1].bytes else {
                body(key, UnsafeRawBufferPointer(start: nil, count: 0))
                continue
            }
            bytes.withUnsafeReadableBytes { body(key, $0) }
        }
    }

    func precedentIDs(collection: Int64, tenant: TenantID, decisionEventId: String) throws(CasebookError) -> [PrecedentID] {
        let rows = try connections.withSession { session throws(CasebookError) in
            try session.query(
                """
                SELECT id FROM casebook.precedent
                WHERE collection_id = $1 AND tenant = $2 AND decision_event_id = $3 ORDER BY pk
                """,
                PostgresBindings(collection, tenant.rawValue, decisionEventId))
        }
        return rows.compactMap { row in (try? row.decode(String.self)).map(PrecedentID.init(rawValue:)) }
    }
}

/// The `casebook.precedent` columns, derived from ``PrecedentField`` like the SQLite store's.
enum PostgresPrecedentRow {
    static let textColumns = PrecedentField.texts.map(\.column)

    /// What ``payload(_:)`` reads, in order.
    private static let columnNames = ["pk", "tenant", "id"] + textColumns + ["context", "was_successful", "created_at", "tags"]
    static let columns = columnNames.joined(separator: ", ")
    /// Position of the first column after ``columns``.
    static let columnCount = columnNames.count

    static func payload(_ cells: PostgresRandomAccessRow) throws(CasebookError) -> (key: Int64, payload: PrecedentPayloads.Payload) {
        do {
            let after = 3 + PrecedentField.texts.count
            let payload = PrecedentPayloads.Payload(
                tenant: TenantID(rawValue: try cells[1].decode(String.self)),
                id: PrecedentID(rawValue: try cells[2].decode(String.self)),
                texts: try (0..<PrecedentField.texts.count).map { try cells[3 + $0].decode(String?.self) },
                context: try cells[after].decode(String.self), wasSuccessful: try cells[after + 1].decode(Bool?.self),
                createdAt: try cells[after + 2].decode(Double.self), tags: try cells[after + 3].decode([String].self))
            return (try cells[0].decode(Int64.self), payload)
        } catch {
            throw PostgresStore.corrupt("a precedent row is unreadable: \(error)")
        }
    }

    /// Rows per bulk INSERT: bounds one statement's message (a 16,384-d vector is 64 KiB).
    static let rowsPerInsert = 5_000

    /// One INSERT of many rows: each column arrives as one array (``bulkInsertBinds``), the
    /// tags as one JSON array per row.
    static let bulkInsertSQL: String = {
        let texts = textColumns.enumerated().map { (offset: $0.offset, column: $0.element) }
        let arrays = ["$2::text[]", "$3::text[]"] + texts.map { "$\(4 + $0.offset)::text[]" }
            + (0..<6).map { "$\(4 + texts.count + $0)::" + ["text[]", "bool[]", "float8[]", "text[]", "bytea[]", "int[]"][$0] }
        let names = ["tenant", "id"] + textColumns + ["context", "was_successful", "created_at", "tags", "vector", "ivf_list"]
        let now = "$\(4 + texts.count + 6)"
        let columns = ["pk", "collection_id", "tenant", "id"] + textColumns
            + ["context", "was_successful", "created_at", "updated_at", "tags", "vector", "ivf_list"]
        let values = ["nextval('casebook.precedent_pk')", "$1", "u.tenant", "u.id"] + textColumns.map { "u.\($0)" }
            + ["u.context", "u.was_successful", "u.created_at", now,
               "ARRAY(SELECT jsonb_array_elements_text(u.tags::jsonb))", "u.vector", "u.ivf_list"]
        return """
            INSERT INTO casebook.precedent (\(columns.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", "))
            FROM unnest(\(arrays.joined(separator: ", "))) AS u(\(names.joined(separator: ", ")))
            ON CONFLICT (collection_id, tenant, id) DO NOTHING RETURNING pk
            """
    }()

    static func bulkInsertBinds(
        collection: Int64, _ items: ArraySlice<StoredPrecedent>, lists: ArraySlice<Int32>?, now: Double
    ) throws(CasebookError) -> PostgresBindings {
        do {
            return try bulkInsertBinds(collection: collection, items, lists: lists, now: now, throwing: ())
        } catch {
            throw .storage(code: -1, message: "a batch could not be encoded for PostgreSQL")
        }
    }

    private static func bulkInsertBinds(
        collection: Int64, _ items: ArraySlice<StoredPrecedent>, lists: ArraySlice<Int32>?, now: Double, throwing: Void
    ) throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 11 + textColumns.count)
        binds.append(collection)
        binds.append(items.map(\.precedent.tenant.rawValue))
        binds.append(items.map(\.id.rawValue))
        for field in PrecedentField.texts { try binds.append(NullableArray(items.map { $0.precedent[text: field] })) }
        binds.append(items.map(\.contextJSON))
        try binds.append(NullableArray(items.map(\.precedent.wasSuccessful)))
        binds.append(items.map(\.createdAt))
        binds.append(items.map { JSONWriter.string(.array($0.precedent.tags.map(JSONValue.string))) })
        binds.append(items.map { storedVectorBytes($0.vector) })
        try binds.append(NullableArray(lists.map { $0.map(Optional.some) } ?? Array(repeating: nil, count: items.count)))
        binds.append(now)
        return binds
    }

    /// The text fields through the vector, as an update sets them.
    private static func bindFields(_ binds: inout PostgresBindings, _ item: StoredPrecedent, now: Double) {
        for field in PrecedentField.texts { binds.append(item.precedent[text: field]) }
        binds.append(item.contextJSON)
        binds.append(item.precedent.wasSuccessful)
        binds.append(item.createdAt)
        binds.append(now)
        binds.append(item.precedent.tags)
        binds.append(storedVectorBytes(item.vector))
    }

    /// `UPDATE` of every stored field of the row found by collection, tenant and id (binds: the
    /// fields as ``bindUpdate`` appends them, then those three); returns its pk. A nil list keeps
    /// the row's list (an index that does not file rows).
    static let updateSQL: String = {
        let names = textColumns + ["context", "was_successful", "created_at", "updated_at", "tags", "vector"]
        let sets = names.enumerated().map { "\($1) = $\($0 + 1)" } + ["ivf_list = coalesce($\(names.count + 1), ivf_list)"]
        let base = names.count + 1
        return """
            UPDATE casebook.precedent SET \(sets.joined(separator: ", "))
            WHERE collection_id = $\(base + 1) AND tenant = $\(base + 2) AND id = $\(base + 3) RETURNING pk
            """
    }()

    static func bindUpdate(_ binds: inout PostgresBindings, _ item: StoredPrecedent, list: Int32?, now: Double) {
        bindFields(&binds, item, now: now)
        binds.append(list)
    }

    /// ``VectorBlob``'s dense layout as a `bytea` value (IVF state).
    static func vectorBytes(_ vector: [Float]) -> ByteBuffer {
        ByteBuffer(data: VectorBlob.encode(vector))
    }

    /// A precedent's vector in the shorter of ``VectorBlob``'s layouts, as a `bytea` value.
    static func storedVectorBytes(_ vector: [Float]) -> ByteBuffer {
        VectorBlob.withStoredBytes(vector) { ByteBuffer(bytes: $0) }
    }
}
