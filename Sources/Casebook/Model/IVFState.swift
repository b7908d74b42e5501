/// A trained IVF quantizer as stored: plain matrices, so that a store keeps it without knowing the
/// index, and the index (`IVFQuantizer(state:)`) rebuilds from it.
struct QuantizerState: Sendable, Hashable {
    var nlist: Int
    /// Width of a centroid: the collection's dimension, or the PCA's output.
    var centroidDimension: Int
    /// nlist × centroidDimension, row-major.
    var centroids: [Float]
    /// The PCA's mean (the collection's dimension) and components (centroidDimension × dimension,
    /// row-major), both or neither.
    var pcaMean: [Float]?
    var pcaComponents: [Float]?
}

/// A collection's stored IVF training: the quantizer, how it was trained, and the drift since.
struct StoredTraining: Sendable {
    var quantizer: QuantizerState
    var addedSinceTraining: Int
    var training: IndexTrainingReport
}

/// Each stored row's list (by store key), read from the database: keys ascending.
struct ListAssignments: Sendable {
    var keys: [Int64] = []
    var lists: [Int32] = []

    func list(of key: Int64) -> Int32? { keys.positionInSorted(of: key).map { lists[$0] } }
}
