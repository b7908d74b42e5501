import PostgresNIO

/// Feature frequencies as the SQLite store keeps them: per tenant a row of
/// `casebook.feature_frequency_tenant` with its packed value, or NULL when its counts are rows of
/// `casebook.feature_frequency` (feature 0: the documents counted). Written in the transaction of
/// the write that changes them; a writer first locks its tenant's row there, so that writers of
/// one tenant on any node change its counts one after another, in whichever form.
extension PostgresStore {
    func featureFrequencies(collection: Int64, tenant: TenantID) throws(CasebookError) -> FeatureFrequencies {
        try frequencies(collection: collection, tenant: tenant)[tenant] ?? FeatureFrequencies()
    }

    func featureFrequencies(collection: Int64) throws(CasebookError) -> [TenantID: FeatureFrequencies] {
        try frequencies(collection: collection, tenant: nil)
    }

    /// Packed values, then rows of (tenant, feature, documents), gathered per tenant and read in
    /// pages of ascending keys inside one snapshot. Not in one result: PostgresNIO gathers a
    /// result's rows by copying what it holds as each read arrives, so one of millions of rows (a
    /// thousand tenants' counts) took a minute and a half to read where pages take seconds.
    private func frequencies(collection: Int64, tenant: TenantID?) throws(CasebookError) -> [TenantID: FeatureFrequencies] {
        let oneTenant = tenant == nil ? "" : "AND tenant = $3"
        let packedSQL = """
            SELECT tenant, packed FROM casebook.feature_frequency_tenant
            WHERE collection_id = $1 \(oneTenant) AND packed IS NOT NULL AND tenant > $2
            ORDER BY tenant LIMIT \(Self.packedPerPage)
            """
        let rowsSQL = """
            SELECT tenant, feature, documents FROM casebook.feature_frequency
            WHERE collection_id = $1 \(tenant == nil ? "" : "AND tenant = $4") AND (tenant, feature) > ($2, $3)
            ORDER BY tenant, feature LIMIT \(Self.rowsPerPage)
            """
        return try connections.transaction(isolation: "REPEATABLE READ READ ONLY") { session throws(CasebookError) in
            var gatherer = FeatureFrequencies.Gatherer()
            // Tenant ids are never empty, so "" is below every tenant.
            var afterTenant = ""
            while true {
                let binds = tenant.map { PostgresBindings(collection, afterTenant, $0.rawValue) }
                    ?? PostgresBindings(collection, afterTenant)
                let rows = try session.query(packedSQL, binds)
                for row in rows {
                    guard let (name, bytes) = try? row.decode((String, ByteBuffer).self),
                        let counts = PackedFrequencies.decode(bytes.readableBytesView)
                    else { throw PostgresStore.corrupt("packed feature frequencies could not be read") }
                    gatherer.add(tenant: TenantID(rawValue: name), counts)
                    afterTenant = name
                }
                if rows.count < Self.packedPerPage { break }
            }
            var after = (tenant: "", feature: Int64.min)
            while true {
                let binds = tenant.map { PostgresBindings(collection, after.tenant, after.feature, $0.rawValue) }
                    ?? PostgresBindings(collection, after.tenant, after.feature)
                let rows = try session.query(rowsSQL, binds)
                for row in rows {
                    guard let (tenant, feature, count) = try? row.decode((String, Int64, Int64).self) else {
                        throw PostgresStore.corrupt("a feature frequency row could not be read")
                    }
                    gatherer.add(tenant: TenantID(rawValue: tenant), feature: feature, documents: Int(count))
                    after = (tenant, feature)
                }
                if rows.count < Self.rowsPerPage { break }
            }
            return gatherer.gathered()
        }
    }

    /// Packed values read a page at a time: each is up to some 35 KB.
    static let packedPerPage = 1_000

    /// Adds a change to a tenant's stored counts (see the batch's form below).
    static func applyFrequencies(
        _ session: PostgresSession, collection: Int64, tenant: TenantID, _ change: FeatureFrequencies
    ) throws(CasebookError) {
        try applyFrequencies(session, collection: collection, [tenant: change])
    }

    /// Adds a batch's changes to its tenants' stored counts, each in the form they are in, under
    /// their rows' locks (made, holding no counts, for tenants counted for the first time), taken
    /// in tenant order. Packed counts are rewritten whole, or moved to rows when they outgrow a
    /// packed value; rows stay rows. Three statements for the batch's packed tenants however many
    /// there are: one per tenant made adding to many small tenants a round trip per tenant.
    static func applyFrequencies(
        _ session: PostgresSession, collection: Int64, _ changes: [TenantID: FeatureFrequencies]
    ) throws(CasebookError) {
        let tenants = changes.filter { !$0.value.isEmpty }.keys.map(\.rawValue).sorted()
        guard !tenants.isEmpty else { return }
        try session.execute(
            """
            INSERT INTO casebook.feature_frequency_tenant (collection_id, tenant, packed)
            SELECT $1, t, $3 FROM unnest($2::text[]) AS u(t) ORDER BY t
            ON CONFLICT (collection_id, tenant) DO NOTHING
            """,
            PostgresBindings(collection, tenants, ByteBuffer(bytes: PackedFrequencies.empty)))
        let rows = try session.query(
            """
            SELECT tenant, packed FROM casebook.feature_frequency_tenant
            WHERE collection_id = $1 AND tenant = ANY($2) ORDER BY tenant FOR UPDATE
            """,
            PostgresBindings(collection, tenants))
        var forms: [String: ByteBuffer?] = [:]
        for row in rows {
            do {
                let (tenant, packed) = try row.decode((String, ByteBuffer?).self)
                forms[tenant] = packed
            } catch { throw PostgresStore.corrupt("packed feature frequencies could not be read") }
        }
        var rewritten: [String] = [], values: [ByteBuffer?] = []
        for tenant in tenants {
            guard let form = forms[tenant] else {
                throw PostgresStore.corrupt("the feature frequencies of tenant \(tenant) have no row")
            }
            let change = changes[TenantID(rawValue: tenant)]!
            guard let form else {
                try applyToRows(session, collection: collection, tenant: TenantID(rawValue: tenant), change)
                continue
            }
            guard let stored = PackedFrequencies.decode(form.readableBytesView) else {
                throw PostgresStore.corrupt("packed feature frequencies could not be read")
            }
            let counts = stored.adding(change)
            let packed = PackedFrequencies.encode(counts)
            rewritten.append(tenant)
            values.append(packed.map { ByteBuffer(bytes: $0) })
            if packed == nil { try applyToRows(session, collection: collection, tenant: TenantID(rawValue: tenant), counts) }
        }
        guard !rewritten.isEmpty else { return }
        var binds = PostgresBindings(collection, rewritten)
        do { try binds.append(NullableArray(values)) } catch { throw PostgresStore.corrupt("packed feature frequencies could not be sent") }
        try session.execute(
            """
            UPDATE casebook.feature_frequency_tenant AS f SET packed = u.packed
            FROM unnest($2::text[], $3::bytea[]) AS u(tenant, packed)
            WHERE f.collection_id = $1 AND f.tenant = u.tenant
            """,
            binds)
    }

    /// Adds a change to counts kept as rows in one statement, features in ascending order; counts
    /// that reach 0 are deleted.
    private static func applyToRows(
        _ session: PostgresSession, collection: Int64, tenant: TenantID, _ change: FeatureFrequencies
    ) throws(CasebookError) {
        // Document counts (feature 0) first, then the features ascending.
        var changed = change.documents == 0 ? [] : [(Int64(0), Int64(change.documents))]
        change.forEachSorted { changed.append((Int64($0), Int64($1))) }
        guard !changed.isEmpty else { return }
        try session.execute(
            """
            INSERT INTO casebook.feature_frequency (collection_id, tenant, feature, documents)
            SELECT $1, $2, f, d FROM unnest($3::bigint[], $4::bigint[]) AS u(f, d)
            ON CONFLICT (collection_id, tenant, feature)
            DO UPDATE SET documents = casebook.feature_frequency.documents + excluded.documents
            """,
            PostgresBindings(collection, tenant.rawValue, changed.map(\.0), changed.map(\.1)))
        let lowered = changed.filter { $0.1 < 0 }.map(\.0)
        guard !lowered.isEmpty else { return }
        try session.execute(
            """
            DELETE FROM casebook.feature_frequency
            WHERE collection_id = $1 AND tenant = $2 AND feature = ANY($3) AND documents <= 0
            """,
            PostgresBindings(collection, tenant.rawValue, lowered))
    }

    /// The change a replace or delete makes, from the row as stored now (locked until the
    /// transaction ends), written before the row changes. No row stored now is an error here,
    /// not left to the write's own statement: under READ COMMITTED that statement reads a newer
    /// snapshot, in which another node may have added the id again meanwhile (a delete and an
    /// add committed while this lock waited), and it would change that row without its counts.
    static func rewriteFrequencies(
        _ session: PostgresSession, collection: Int64, tenant: TenantID, id: PrecedentID, _ features: FeatureRewrite?
    ) throws(CasebookError) -> FeatureFrequencies? {
        guard let features else { return nil }
        let rows = try session.query(
            """
            SELECT \(PostgresPrecedentRow.columns) FROM casebook.precedent
            WHERE collection_id = $1 AND tenant = $2 AND id = $3 FOR UPDATE
            """,
            PostgresBindings(collection, tenant.rawValue, id.rawValue))
        guard let row = rows.first else { throw .precedentNotFound(id) }
        let stored = try PostgresPrecedentRow.payload(row.makeRandomAccess()).payload.precedent
        let change = features.change(replacing: stored)
        try applyFrequencies(session, collection: collection, tenant: tenant, change)
        return change
    }
}
