import GRDB

/// Feature frequencies in `feature_frequency`: one row per (collection, tenant, feature) holding
/// how many of the tenant's precedents have the feature, and feature 0 holding how many
/// precedents were counted. Written in the transaction of the write that changes them.
extension SQLiteStore {
    func featureFrequencies(collection: Int64, tenant: TenantID) throws(CasebookError) -> FeatureFrequencies {
        try read { db in
            try Self.frequencies(
                db, "SELECT tenant, feature, documents FROM feature_frequency WHERE collection_id = ? AND tenant = ? ORDER BY feature",
                [collection, tenant.rawValue])[tenant] ?? FeatureFrequencies()
        }
    }

    func featureFrequencies(collection: Int64) throws(CasebookError) -> [TenantID: FeatureFrequencies] {
        try read { db in
            try Self.frequencies(
                db, "SELECT tenant, feature, documents FROM feature_frequency WHERE collection_id = ? ORDER BY tenant, feature",
                [collection])
        }
    }

    /// Rows of (tenant, feature, documents) gathered per tenant.
    private static func frequencies(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws
        -> [TenantID: FeatureFrequencies]
    {
        var gatherer = FeatureFrequencies.Gatherer()
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() { gatherer.add(tenant: TenantID(rawValue: row[0]), feature: row[1], documents: row[2]) }
        return gatherer.gathered()
    }

    /// Adds a change to the stored counts; counts that reach 0 are deleted.
    static func applyFrequencies(
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
        for (feature, delta) in change.sortedCounts { try add(Int64(feature), delta) }
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
