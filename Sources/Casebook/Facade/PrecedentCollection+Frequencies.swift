/// Feature frequencies: what a collection whose embedder weighs queries by them keeps per tenant,
/// and how a query uses them.
extension PrecedentCollection {
    /// A tenant's feature frequencies as stored (empty for a tenant with no precedents, or where
    /// the embedder keeps none).
    public func featureFrequencies(tenant: TenantID) throws(CasebookError) -> FeatureFrequencies {
        try IdentifierRules.checkTenant(tenant)
        try checkShard(tenant)
        return frequencyCache.frequencies(of: tenant)
    }

    /// Every held tenant's frequencies as stored (opening, or reloading after a gap in the feed);
    /// empty where the embedder keeps none.
    func storedFrequencies() throws(CasebookError) -> [TenantID: FeatureFrequencies] {
        guard embedder.weighsByFrequency else { return [:] }
        return try store.featureFrequencies(collection: recordID).filter { shard?.holds($0.key) ?? true }
    }

    /// Reads these tenants' counts anew (another process changed them), under the writer lock so
    /// that no write of this instance applies its change to counts about to be replaced.
    func reloadFrequencies(of tenants: Set<TenantID>) throws(CasebookError) {
        guard embedder.weighsByFrequency else { return }
        try writer.withLock { _ throws(CasebookError) in
            for tenant in tenants where shard?.holds(tenant) ?? true {
                frequencyCache.replace(tenant: tenant, with: try store.featureFrequencies(collection: recordID, tenant: tenant))
            }
        }
    }

    /// The query's vector, weighed by the tenant's frequencies where the embedder does so; nil
    /// when nothing of the query occurs in the tenant's precedents.
    func queryVector(_ input: QueryInput, tenant: TenantID) throws(CasebookError) -> [Float]? {
        guard embedder.weighsByFrequency, input.hasFeatures else { return try embedder.queryVector(input) }
        return try embedder.queryVector(input, frequencies: frequencyCache.frequencies(of: tenant))
    }

    /// What a replace (with the new version) or a delete (nil) does to the frequencies, for the
    /// store to apply to the row it replaces; nil where the embedder keeps none.
    func featureRewrite(replacingWith new: Precedent?) -> FeatureRewrite? {
        guard embedder.weighsByFrequency else { return nil }
        let embedder = embedder
        return FeatureRewrite(new: new.map(embedder.featureKeys(of:)), old: { embedder.featureKeys(of: $0) })
    }
}
