/// Every limit of the library in one place: input limits enforced on every write and search (so
/// one bad client cannot exhaust memory), and the bounds of what the library holds for itself.
/// The types they apply to repeat some under their own names (``SearchRequest/maxK``).
public enum Limits {
    /// Results of one search.
    public static let maxK = 1_000
    /// Queries in one batch search.
    public static let maxBatchQueries = 10_000
    /// A collection's vector dimension.
    public static let maxDimension = 16_384
    /// Lists of an IVF index.
    public static let maxLists = 65_536
    /// Logged searches the match log holds in memory while the database does not take them
    /// (see `MatchLog`); beyond it, or beyond ``matchLogPendingRows`` shown rows,
    /// searches are counted as dropped, never waited for.
    public static let matchLogPendingSearches = 50_000
    public static let matchLogPendingRows = 250_000

    /// Precedents in one `add` call.
    public static let maxBatch = 100_000
    /// Characters (Unicode scalars, as JSON Schema's `maxLength` counts them) of a tenant name.
    public static let maxTenantCharacters = 128
    /// Shards a deployment may split its tenants into (`--shard I/N`).
    public static let maxShards = 1_024
    /// Characters of a precedent id.
    public static let maxIDCharacters = 256
    /// Characters of `text` (and of a decision's `outcome`).
    public static let maxTextCharacters = 64 * 1024
    /// Nesting depth of `context` (an object inside the context object is depth 2).
    public static let maxContextDepth = 8
    /// Bytes of `context` as stored JSON text.
    public static let maxContextBytes = 1 << 20
    /// Characters of a caller's name: queryId, eventId, actor, decisionId, action.
    public static let maxNameCharacters = 256
    /// Tags on one precedent.
    public static let maxTags = 64
    /// Open IVF cells per collection: listed tenants × nlist. A tenant that would pass it keeps
    /// one slab and is searched exactly (reported as `tenantsOverCellLimit` in index info).
    public static let maxOpenCells = 1 << 20
}
