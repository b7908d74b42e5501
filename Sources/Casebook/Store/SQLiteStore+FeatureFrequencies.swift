import Foundation
import GRDB
import GRDBSQLite

/// Feature frequencies, written in the transaction of the write that changes them. Each tenant
/// holding counts has a row of `feature_frequency_tenant` saying where they are: its `packed`
/// value (PackedFrequencies) while they are few, or, once they outgrow it (`packed` NULL), rows of
/// `feature_frequency`, one per (collection, tenant, feature) holding how many of the tenant's
/// precedents have the feature, feature 0 holding how many precedents were counted. A re-embedding
/// empties a tenant's counts to the empty packed value, then counts again.
extension SQLiteStore {
    func featureFrequencies(collection: Int64, tenant: TenantID) throws(CasebookError) -> FeatureFrequencies {
        try read { db in try Self.frequencies(db, collection: collection, tenant: tenant)[tenant] ?? FeatureFrequencies() }
    }

    func featureFrequencies(collection: Int64) throws(CasebookError) -> [TenantID: FeatureFrequencies] {
        try read { db in try Self.frequencies(db, collection: collection, tenant: nil) }
    }

    /// Packed values and rows of (tenant, feature, documents) gathered per tenant.
    private static func frequencies(_ db: Database, collection: Int64, tenant: TenantID?) throws
        -> [TenantID: FeatureFrequencies]
    {
        let oneTenant = tenant == nil ? "" : "AND tenant = ?"
        let arguments: StatementArguments = tenant.map { [collection, $0.rawValue] } ?? [collection]
        var gatherer = FeatureFrequencies.Gatherer()
        let packed = try Row.fetchCursor(
            db, sql: "SELECT tenant, packed FROM feature_frequency_tenant WHERE collection_id = ? \(oneTenant) AND packed IS NOT NULL",
            arguments: arguments)
        while let row = try packed.next() {
            let tenant = TenantID(rawValue: row[0])
            gatherer.add(tenant: tenant, try unpacked(row[1], collection: collection, tenant: tenant))
        }
        let rows = try Row.fetchCursor(
            db, sql: "SELECT tenant, feature, documents FROM feature_frequency WHERE collection_id = ? \(oneTenant) ORDER BY tenant, feature",
            arguments: arguments)
        while let row = try rows.next() { gatherer.add(tenant: TenantID(rawValue: row[0]), feature: row[1], documents: row[2]) }
        return gatherer.gathered()
    }

    private static func unpacked(_ value: Data, collection: Int64, tenant: TenantID) throws -> FeatureFrequencies {
        guard let frequencies = PackedFrequencies.decode(value) else {
            throw CasebookError.storage(
                code: SQLITE_CORRUPT,
                message: "the feature frequencies of tenant \(tenant.rawValue) in collection \(collection) are unreadable")
        }
        return frequencies
    }

    /// Adds a change to a tenant's stored counts, in the form they are in. Packed counts are
    /// rewritten whole, or moved to rows when they outgrow a packed value; rows stay rows.
    static func applyFrequencies(
        _ db: Database, collection: Int64, tenant: TenantID, _ change: FeatureFrequencies
    ) throws {
        guard !change.isEmpty else { return }
        let form = try Row.fetchOne(
            db, sql: "SELECT packed FROM feature_frequency_tenant WHERE collection_id = ? AND tenant = ?",
            arguments: [collection, tenant.rawValue])
        guard let form else { return try storeAnew(db, collection: collection, tenant: tenant, change) }
        guard let packed: Data = form[0] else { return try applyToRows(db, collection: collection, tenant: tenant, change) }
        try storeAnew(db, collection: collection, tenant: tenant, try unpacked(packed, collection: collection, tenant: tenant).adding(change))
    }

    /// Writes a tenant's whole counts, packed if they fit (rows otherwise), replacing its packed
    /// value if it had one. A tenant's row is kept when its counts empty (as PostgreSQL's, which
    /// writers lock).
    private static func storeAnew(_ db: Database, collection: Int64, tenant: TenantID, _ counts: FeatureFrequencies) throws {
        let packed = PackedFrequencies.encode(counts)
        try db.execute(
            sql: """
                INSERT INTO feature_frequency_tenant (collection_id, tenant, packed) VALUES (?, ?, ?)
                ON CONFLICT (collection_id, tenant) DO UPDATE SET packed = excluded.packed
                """,
            arguments: [collection, tenant.rawValue, packed.map { Data($0) }])
        if packed == nil { try applyToRows(db, collection: collection, tenant: tenant, counts) }
    }

    /// Adds a change to counts kept as rows; counts that reach 0 are deleted.
    private static func applyToRows(
        _ db: Database, collection: Int64, tenant: TenantID, _ change: FeatureFrequencies
    ) throws {
        let upsert = SQLiteBinding(statement: try db.cachedStatement(sql: """
            INSERT INTO feature_frequency (collection_id, tenant, feature, documents) VALUES (?, ?, ?, ?)
            ON CONFLICT (collection_id, tenant, feature) DO UPDATE SET documents = documents + excluded.documents
            """))
        let dropEmpty = SQLiteBinding(statement: try db.cachedStatement(sql: """
            DELETE FROM feature_frequency WHERE collection_id = ? AND tenant = ? AND feature = ? AND documents <= 0
            """))
        func add(_ feature: Int64, _ delta: Int) throws {
            guard delta != 0 else { return }
            upsert.reset()
            upsert.bind(1, collection)
            upsert.bind(2, tenant.rawValue)
            upsert.bind(3, feature)
            upsert.bind(4, Int64(delta))
            try upsert.step(db)
            guard delta < 0 else { return }
            dropEmpty.reset()
            dropEmpty.bind(1, collection)
            dropEmpty.bind(2, tenant.rawValue)
            dropEmpty.bind(3, feature)
            try dropEmpty.step(db)
        }
        try add(0, change.documents)
        // In key order, the b-tree's order: each insert lands next to the previous one.
        try change.forEachSorted { try add(Int64($0), Int($1)) }
    }

    /// The change a replace or delete makes, from the row as stored now, written before the row
    /// changes.
    static func rewriteFrequencies(
        _ db: Database, collection: Int64, tenant: TenantID, key: Int64, _ features: FeatureRewrite?
    ) throws -> FeatureFrequencies? {
        guard let features else { return nil }
        guard let row = try Row.fetchOne(
            db, sql: "SELECT \(PrecedentRow.columns) FROM precedent WHERE pk = ?", arguments: [key])
        else { return nil }
        let stored = PrecedentRow.decode(row, tags: try tags(db, of: [key])[key] ?? [])
        let change = features.change(replacing: stored)
        try applyFrequencies(db, collection: collection, tenant: tenant, change)
        return change
    }
}
