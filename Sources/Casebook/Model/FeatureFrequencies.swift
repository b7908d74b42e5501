import Foundation

/// Document frequencies of one tenant's hashed features in one collection: how many of its
/// precedents hold each feature (a precedent counts a feature once, however often it occurs).
///
/// A feature is keyed as the featurizer keys it: its namespace's ordinal + 1 above the 32-bit
/// MurmurHash3 of `"<namespace>:<token>"`, so a key is never 0 and the count of the tenant's
/// embedded precedents is kept apart in ``documents``.
///
/// The same type carries a change (a batch's counts, negative for what a delete or an update
/// took away), so what is written to the store and what is applied in memory are one value.
public struct FeatureFrequencies: Sendable, Hashable {
    public private(set) var documents: Int
    public private(set) var counts: [UInt64: Int]

    public init(documents: Int = 0, counts: [UInt64: Int] = [:]) {
        self.documents = documents
        self.counts = counts
    }

    public var isEmpty: Bool { documents == 0 && counts.isEmpty }

    /// Counts one precedent's distinct features, with `sign` -1 for one taken away.
    public mutating func count(document keys: some Sequence<UInt64>, sign: Int = 1) {
        documents += sign
        for key in keys { add(key, sign) }
    }

    /// Adds a change; features whose count reaches 0 are forgotten.
    public mutating func apply(_ change: FeatureFrequencies) {
        documents += change.documents
        for (key, delta) in change.counts { add(key, delta) }
    }

    private mutating func add(_ key: UInt64, _ delta: Int) {
        guard delta != 0 else { return }
        let updated = counts[key, default: 0] + delta
        if updated == 0 { counts.removeValue(forKey: key) } else { counts[key] = updated }
    }

    /// Stored rows of (tenant, feature, documents) gathered per tenant; feature 0 is the count of
    /// documents (both stores keep them so).
    static func gathered(_ rows: some Sequence<(tenant: TenantID, feature: Int64, documents: Int)>)
        -> [TenantID: FeatureFrequencies]
    {
        var gathered: [TenantID: FeatureFrequencies] = [:]
        for row in rows {
            if row.feature == 0 {
                gathered[row.tenant, default: FeatureFrequencies()].documents = row.documents
            } else {
                gathered[row.tenant, default: FeatureFrequencies()].counts[UInt64(row.feature)] = row.documents
            }
        }
        return gathered
    }

    /// The documents holding a feature.
    public func frequency(of key: UInt64) -> Int { counts[key] ?? 0 }

    /// How much a query's feature counts, by how rare it is among the tenant's precedents: the
    /// smoothed inverse document frequency ln((1 + N) / (1 + df)) + 1, which is 1 for a feature
    /// every precedent holds and grows as it gets rarer. A feature no precedent holds gets 0: any
    /// score it adds could only come from another feature sharing its bucket (a hash collision).
    public func queryWeight(of key: UInt64) -> Double {
        let df = counts[key] ?? 0
        guard df > 0 else { return 0 }
        return Foundation.log(Double(1 + documents) / Double(1 + df)) + 1
    }
}

/// What a replace or a delete does to its tenant's feature frequencies, in a collection that
/// keeps them. The store featurizes nothing: it hands `old` the row as stored when the write
/// runs, inside the write's transaction, so two writers of one row cannot make the counts drift.
struct FeatureRewrite: Sendable {
    /// The new version's distinct features; nil for a delete.
    var new: [UInt64]?
    /// The distinct features of a stored precedent.
    var old: @Sendable (Precedent) -> [UInt64]

    /// The change from `stored` to the new version (nothing when they hold the same features).
    func change(replacing stored: Precedent) -> FeatureFrequencies {
        var change = FeatureFrequencies()
        change.count(document: old(stored), sign: -1)
        if let new { change.count(document: new) }
        return change
    }
}
