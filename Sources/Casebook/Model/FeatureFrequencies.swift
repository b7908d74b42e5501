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
///
/// Held as two sorted arrays (12 bytes a feature), with the changes since they were last merged
/// in a dictionary beside them: a collection of many small tenants holds millions of counts, and a
/// dictionary of them took five times the memory. A lookup is a binary search plus that
/// dictionary's; the changes are merged once they number a quarter of the settled counts, so that
/// each change costs a few element moves on average.
public struct FeatureFrequencies: Sendable {
    public private(set) var documents: Int
    /// Settled features, ascending, and their counts (never 0).
    private var keys: [UInt64] = []
    private var values: [Int32] = []
    /// Changes not yet merged into ``keys``: a feature's count is its settled one plus this.
    private var pending: [UInt64: Int] = [:]

    public init(documents: Int = 0, counts: [UInt64: Int] = [:]) {
        self.documents = documents
        pending = counts
        settle()
    }

    /// Counts as a store decoded them: `keys` strictly ascending, `values` never 0.
    init(documents: Int, settledKeys keys: [UInt64], values: [Int32]) {
        self.documents = documents
        self.keys = keys
        self.values = values
    }

    /// Every feature's count, merged (a value to iterate or compare; lookups use
    /// ``frequency(of:)``).
    public var counts: [UInt64: Int] {
        var merged = [UInt64: Int](minimumCapacity: keys.count + pending.count)
        for (key, value) in zip(keys, values) { merged[key] = Int(value) }
        for (key, delta) in pending {
            let updated = merged[key, default: 0] + delta
            merged[key] = updated == 0 ? nil : updated
        }
        return merged
    }

    /// These counts with a change added, in one pass over both in key order (features whose count
    /// reaches 0 forgotten): for a store rewriting a small tenant's packed counts, where the
    /// pending dictionary that amortises ``apply(_:)`` would only be filled and sorted again.
    func adding(_ change: FeatureFrequencies) -> FeatureFrequencies {
        let (a, b) = (settled(), change.settled())
        var keys: [UInt64] = [], values: [Int32] = []
        keys.reserveCapacity(a.keys.count + b.keys.count)
        values.reserveCapacity(a.keys.count + b.keys.count)
        var i = 0, j = 0
        while i < a.keys.count || j < b.keys.count {
            let key: UInt64, value: Int
            if j == b.keys.count || (i < a.keys.count && a.keys[i] < b.keys[j]) {
                (key, value) = (a.keys[i], Int(a.values[i]))
                i += 1
            } else if i == a.keys.count || b.keys[j] < a.keys[i] {
                (key, value) = (b.keys[j], Int(b.values[j]))
                j += 1
            } else {
                (key, value) = (a.keys[i], Int(a.values[i]) + Int(b.values[j]))
                i += 1
                j += 1
            }
            guard value != 0 else { continue }
            keys.append(key)
            values.append(Int32(clamping: value))
        }
        return FeatureFrequencies(documents: documents + change.documents, settledKeys: keys, values: values)
    }

    /// Calls `body` with every feature and its count in ascending feature order, merged (the
    /// order both stores write them in).
    func forEachSorted(_ body: (UInt64, Int32) throws -> Void) rethrows {
        let settled = settled()
        for index in settled.keys.indices { try body(settled.keys[index], settled.values[index]) }
    }

    public var isEmpty: Bool { documents == 0 && keys.isEmpty && pending.allSatisfy { $0.value == 0 } }

    /// Counts one precedent's distinct features, with `sign` -1 for one taken away.
    public mutating func count(document keys: some Sequence<UInt64>, sign: Int = 1) {
        documents += sign
        for key in keys { pending[key, default: 0] += sign }
        settleIfLarge()
    }

    /// Adds a change; features whose count reaches 0 are forgotten.
    public mutating func apply(_ change: FeatureFrequencies) {
        documents += change.documents
        for (key, value) in zip(change.keys, change.values) { pending[key, default: 0] += Int(value) }
        for (key, delta) in change.pending { pending[key, default: 0] += delta }
        settleIfLarge()
    }

    private mutating func settleIfLarge() {
        if pending.count > max(1_024, keys.count / 4) { settle() }
    }

    /// Merges the pending changes into the sorted arrays.
    private mutating func settle() {
        guard !pending.isEmpty else { return }
        let changes = pending.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        pending = [:]
        var mergedKeys: [UInt64] = [], mergedValues: [Int32] = []
        mergedKeys.reserveCapacity(keys.count + changes.count)
        mergedValues.reserveCapacity(keys.count + changes.count)
        var i = 0, j = 0
        func append(_ key: UInt64, _ value: Int) {
            guard value != 0 else { return }
            mergedKeys.append(key)
            mergedValues.append(Int32(clamping: value))
        }
        while i < keys.count || j < changes.count {
            if j == changes.count || (i < keys.count && keys[i] < changes[j].key) {
                append(keys[i], Int(values[i]))
                i += 1
            } else if i == keys.count || changes[j].key < keys[i] {
                append(changes[j].key, changes[j].value)
                j += 1
            } else {
                append(keys[i], Int(values[i]) + changes[j].value)
                i += 1
                j += 1
            }
        }
        keys = mergedKeys
        values = mergedValues
    }

    /// This value with every change merged.
    private func settled() -> FeatureFrequencies {
        var copy = self
        copy.settle()
        return copy
    }

    /// Stored rows of (tenant, feature, documents) gathered per tenant as a store reads them;
    /// feature 0 is the count of documents (both stores keep them so). Rows in ascending feature
    /// order within a tenant (as both stores read them) are appended as they come; any other order
    /// is merged at the end.
    struct Gatherer {
        private(set) var tenants: [TenantID: FeatureFrequencies] = [:]

        mutating func add(tenant: TenantID, feature: Int64, documents: Int) {
            if feature == 0 {
                tenants[tenant, default: FeatureFrequencies()].documents = documents
            } else {
                tenants[tenant, default: FeatureFrequencies()].load(UInt64(feature), documents)
            }
        }

        /// A tenant's counts read whole (a store's packed value); none are no tenant.
        mutating func add(tenant: TenantID, _ frequencies: FeatureFrequencies) {
            if frequencies.isEmpty { return }
            if tenants[tenant] == nil {
                tenants[tenant] = frequencies
            } else {
                tenants[tenant]!.apply(frequencies)
            }
        }

        consuming func gathered() -> [TenantID: FeatureFrequencies] {
            for tenant in Array(tenants.keys) { tenants[tenant]!.settle() }
            return tenants
        }
    }

    /// One stored count, appended when it comes after every settled one.
    private mutating func load(_ key: UInt64, _ count: Int) {
        if keys.last.map({ $0 < key }) ?? true, count != 0 {
            keys.append(key)
            values.append(Int32(clamping: count))
        } else {
            pending[key, default: 0] += count
        }
    }

    /// The documents holding a feature.
    public func frequency(of key: UInt64) -> Int {
        (keys.positionInSorted(of: key).map { Int(values[$0]) } ?? 0) + (pending[key] ?? 0)
    }

    /// How much a query's feature counts, by how rare it is among the tenant's precedents: the
    /// smoothed inverse document frequency ln((1 + N) / (1 + df)) + 1, which is 1 for a feature
    /// every precedent holds and grows as it gets rarer. A feature no precedent holds gets 0: any
    /// score it adds could only come from another feature sharing its bucket (a hash collision).
    public func queryWeight(of key: UInt64) -> Double {
        let df = frequency(of: key)
        guard df > 0 else { return 0 }
        return Foundation.log(Double(1 + documents) / Double(1 + df)) + 1
    }
}

/// Equal when they count the same: whatever is still pending to merge.
extension FeatureFrequencies: Hashable {
    public static func == (a: FeatureFrequencies, b: FeatureFrequencies) -> Bool {
        guard a.documents == b.documents else { return false }
        let (a, b) = (a.settled(), b.settled())
        return a.keys == b.keys && a.values == b.values
    }

    public func hash(into hasher: inout Hasher) {
        let settled = settled()
        hasher.combine(documents)
        hasher.combine(settled.keys)
        hasher.combine(settled.values)
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
