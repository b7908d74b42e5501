/// What was written to a collection between two feed positions, for the long writes (a
/// re-embedding, an IVF training) that prepare without the writer lock and then take in what was
/// written meanwhile.
extension PrecedentCollection {
    /// The precedents written since a feed position, by tenant: ids and store keys (a deleted
    /// row's keys are those it had).
    struct WrittenRows {
        var ids: Set<PrecedentID> = []
        var keys: Set<Int64> = []

        /// Adds `other`'s rows to each tenant's in `rows`.
        static func merge(_ other: [TenantID: WrittenRows], into rows: inout [TenantID: WrittenRows]) {
            for (tenant, written) in other {
                rows[tenant, default: WrittenRows()].ids.formUnion(written.ids)
                rows[tenant, default: WrittenRows()].keys.formUnion(written.keys)
            }
        }
    }

    /// Every upsert and delete of this collection (of `tenants`, or any) committed after feed
    /// position `since` and at or before `upTo`, this process's and others', by tenant.
    func written(since: Int64, upTo: Int64, tenants: Set<TenantID>?) throws(CasebookError) -> [TenantID: WrittenRows] {
        var written: [TenantID: WrittenRows] = [:]
        var after = since
        while after < upTo {
            let changes = try store.changes(after: after, limit: Casebook.changesPerRead)
            guard let last = changes.last else { break }
            for change in changes where change.position <= upTo && change.collection == recordID
                && (change.kind == .upsert || change.kind == .delete)
            {
                guard let tenant = change.tenant, tenants?.contains(tenant) ?? true else { continue }
                written[tenant, default: WrittenRows()].ids.formUnion(change.ids)
                written[tenant, default: WrittenRows()].keys.formUnion(change.keys)
            }
            after = last.position
        }
        return written
    }
}
