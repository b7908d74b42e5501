/// Which tenants a node holds when tenants are spread over several nodes (`--shard I/N`): those
/// whose stable hash modulo `count` is `index`. The hash is FNV-1a (64-bit) of the tenant's
/// UTF-8 bytes: fixed by its definition, the same on every machine, version and process (Swift's
/// own `Hasher` is seeded per process).
public struct TenantShard: Sendable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(CasebookError) {
        guard count >= 1, count <= Limits.maxShards, (0..<count).contains(index) else {
            throw .invalidParameter(
                "shard must be I/N with 1 <= N <= \(Limits.maxShards) and 0 <= I < N, got \(index)/\(count)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `I/N`.
    public init(_ text: String) throws(CasebookError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .invalidParameter("shard must be written I/N (for instance 0/3), got \"\(text)\"")
        }
        try self.init(index: index, count: count)
    }

    /// The shard, of `count`, that holds `tenant`.
    public static func shard(of tenant: TenantID, count: Int) -> Int {
        Int(fnv1a(tenant.rawValue) % UInt64(count))
    }

    public func holds(_ tenant: TenantID) -> Bool { Self.shard(of: tenant, count: count) == index }

    public var description: String { "\(index)/\(count)" }

    /// Refuses a tenant this shard does not hold, naming the shard that does (an empty tenant is
    /// left to the tenant checks).
    func check(_ tenant: TenantID) throws(CasebookError) {
        guard !tenant.rawValue.isEmpty, !holds(tenant) else { return }
        throw .wrongShard(tenant: tenant, shard: Self.shard(of: tenant, count: count), of: count)
    }

    /// FNV-1a, 64-bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
