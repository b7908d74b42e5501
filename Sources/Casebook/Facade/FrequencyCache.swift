import Synchronization

/// A collection's feature frequencies per tenant, held in memory like its index: read from the
/// store when the collection is opened, changed by this instance's writes (each applies the change
/// it committed) and read anew for a tenant when another process's change to it is applied.
/// Searches only read it, so a search never waits on the database (the server answers searches
/// on its event loops).
final class FrequencyCache: Sendable {
    private let tenants: Mutex<[TenantID: FeatureFrequencies]>

    init(_ loaded: [TenantID: FeatureFrequencies] = [:]) { tenants = Mutex(loaded) }

    /// A tenant's counts; empty for a tenant with no precedents.
    func frequencies(of tenant: TenantID) -> FeatureFrequencies {
        tenants.withLock { $0[tenant] } ?? FeatureFrequencies()
    }

    func apply(_ change: FeatureFrequencies, tenant: TenantID) {
        tenants.withLock { cache in
            cache[tenant, default: FeatureFrequencies()].apply(change)
            if cache[tenant]!.isEmpty { cache[tenant] = nil }
        }
    }

    func replace(tenant: TenantID, with frequencies: FeatureFrequencies) {
        tenants.withLock { $0[tenant] = frequencies.isEmpty ? nil : frequencies }
    }

    func replaceAll(with loaded: [TenantID: FeatureFrequencies]) { tenants.withLock { $0 = loaded } }
}
