/// A batch of precedents checked and embedded for one collection
/// (``PrecedentCollection/prepare(_:space:)``), not yet written.
public struct PreparedBatch: Sendable {
    let collection: ObjectIdentifier
    /// As given, for embedding again when the collection is re-embedded before the write.
    let precedents: [Precedent]
    let items: [StoredPrecedent]
    let frequencies: [TenantID: FeatureFrequencies]
    /// The collection's embedder generation the items were embedded with.
    let generation: Int

    /// Precedents in the batch.
    public var count: Int { items.count }
}
