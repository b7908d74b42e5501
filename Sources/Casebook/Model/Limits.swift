/// Input limits enforced on every write and search, so one bad client cannot exhaust memory.
public enum Limits {
    /// Precedents in one `add` call.
    public static let maxBatch = 100_000
    /// Bytes of a tenant name.
    public static let maxTenantBytes = 128
    /// Bytes of a precedent id.
    public static let maxIDBytes = 256
    /// Bytes of `text`.
    public static let maxTextBytes = 64 * 1024
    /// Nesting depth of `context` (an object inside the context object is depth 2).
    public static let maxContextDepth = 8
    /// Bytes of `context` as stored JSON text.
    public static let maxContextBytes = 1 << 20
    /// Bytes of a caller's name: queryId, eventId, actor, decisionId.
    public static let maxNameBytes = 256
    /// Tags on one precedent.
    public static let maxTags = 64
    /// Open IVF cells per collection: listed tenants × nlist. A tenant that would pass it keeps
    /// one slab and is searched exactly (reported as `tenantsOverCellLimit` in index info).
    public static let maxOpenCells = 1 << 20
}
