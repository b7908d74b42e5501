/// One committed write as the change feed records it: the nodes that follow a database apply it
/// to their indexes by reading the current state of the rows it names.
struct StoredChange: Sendable, Equatable {
    enum Kind: String, Sendable {
        /// A collection was created.
        case collection
        /// Rows were added or replaced (their keys).
        case upsert
        /// Rows were deleted (their keys).
        case delete
        /// A collection's IVF index was trained: its quantizer and every row's list changed.
        case training
        /// A decision's outcome was recorded (the match log's statistics read it from the store).
        case outcome
    }

    /// 1, 2, 3, … in commit order, without gaps.
    var position: Int64
    var collection: Int64
    var kind: Kind
    var tenant: TenantID?
    var keys: [Int64]
}
