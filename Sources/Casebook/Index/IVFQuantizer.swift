import CasebookKernels

/// The coarse quantizer of an IVF index: its centroids (and, optionally, the PCA that reduces
/// vectors before they meet the centroids). It decides which list a row lives in and which lists a
/// query probes; the lists themselves keep full vectors.
///
/// Centroids are rounded to half-precision values when it is built, and queries rank them from a
/// half-precision copy (half the bytes to read per query; see CasebookKernels/half_avx2.c). Rows
/// are assigned with the same rounded values, so a query and a row agree on what is nearest.
struct IVFQuantizer: Sendable, Hashable {
    /// nlist × centroidDimension, row-major (each value half-representable).
    let centroids: [Float]
    /// The same values as IEEE half-precision bits.
    private let halfCentroids: [UInt16]
    let nlist: Int
    /// The vectors' dimension (before PCA).
    let dimension: Int
    /// Cosine and inner product: nearest = largest dot product. L2: smallest distance.
    let spherical: Bool
    let pca: PCA?
    /// ‖c‖² per centroid (L2 scores of batched queries).
    private let centroidNorms: [Float]

    init(centroids: [Float], nlist: Int, dimension: Int, spherical: Bool, pca: PCA?) throws(CasebookError) {
        let width = pca?.outputDimension ?? dimension
        guard nlist >= 1, centroids.count == nlist * width else {
            throw .invalidArgument("expected \(nlist) centroids of dimension \(width), got \(centroids.count) values")
        }
        guard centroids.allSatisfy({ $0.isFinite }) else { throw .invalidArgument("centroids hold a non-finite value") }
        if let pca, pca.inputDimension != dimension {
            throw .invalidArgument("PCA reduces \(pca.inputDimension) dimensions, the index has \(dimension)")
        }
        var halves = [UInt16](repeating: 0, count: centroids.count)
        var rounded = [Float](repeating: 0, count: centroids.count)
        cb_round_to_half(centroids, centroids.count, &halves, &rounded)
        guard rounded.allSatisfy({ $0.isFinite }) else {
            throw .invalidArgument("centroids exceed the half-precision range")
        }
        self.centroids = rounded
        halfCentroids = halves
        self.nlist = nlist
        self.dimension = dimension
        self.spherical = spherical
        self.pca = pca
        centroidNorms = rounded.withUnsafeBufferPointer { c in
            (0..<nlist).map { ScanKernel.squaredNorm(c.baseAddress! + $0 * width, dimension: width) }
        }
    }

    /// Width of the centroids: the PCA's output, or the vectors' dimension.
    var centroidDimension: Int { pca?.outputDimension ?? dimension }

    /// Each row's nearest list (rows row-major, `dimension` wide), by blocks of matrix products.
    func assign(_ rows: [Float]) -> [Int32] {
        let n = rows.count / dimension
        guard n > 0 else { return [] }
        var assignment = [Int32](repeating: 0, count: n)
        let reduced = project(rows, count: n)
        _ = KMeans.assign(
            reduced, rowCount: n, dimension: centroidDimension, centroids: centroids, k: nlist,
            spherical: spherical, into: &assignment)
        return assignment
    }

    /// Rows in the centroids' space (the rows themselves without PCA).
    func project(_ rows: [Float], count n: Int) -> [Float] {
        guard let pca else { return rows }
        var out = [Float](repeating: 0, count: n * pca.outputDimension)
        rows.withUnsafeBufferPointer { rows in
            out.withUnsafeMutableBufferPointer { pca.apply(rows: rows.baseAddress!, rowCount: n, into: $0.baseAddress!) }
        }
        return out
    }

    /// Similarity of one vector to every centroid, larger is nearer: the dot product (spherical)
    /// or 2·x·c − ‖c‖² (−‖x − c‖² up to ‖x‖², the same for every centroid).
    func similarities(_ vector: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        if let pca {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: pca.outputDimension) { reduced in
                pca.apply(rows: vector, rowCount: 1, into: reduced.baseAddress!)
                rawSimilarities(reduced.baseAddress!, into: out)
            }
        } else {
            rawSimilarities(vector, into: out)
        }
    }

    /// Whether the half-precision kernel runs on this CPU (checked once).
    static let hasHalfKernel = cb_half_avx2_available()

    /// Same scores as the batched path: the dot product, or 2·x·c − ‖c‖² for L2.
    private func rawSimilarities(_ vector: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let width = centroidDimension
        if IVFQuantizer.hasHalfKernel {
            halfCentroids.withUnsafeBufferPointer { cb_scan_dot_half_avx2(vector, $0.baseAddress!, nlist, width, out) }
        } else {
            centroids.withUnsafeBufferPointer { centroids in
                for c in 0..<nlist { out[c] = ScanKernel.dot(vector, centroids.baseAddress! + c * width, dimension: width) }
            }
        }
        guard !spherical else { return }
        centroidNorms.withUnsafeBufferPointer { norms in
            for c in 0..<nlist { out[c] = 2 * out[c] - norms[c] }
        }
    }

    /// Scores of `m` queries (row-major) against every centroid by one matrix product, into
    /// `out` (m × nlist): the dot product (spherical) or 2·x·c − ‖c‖², which orders centroids as
    /// −‖x − c‖² does.
    func similarities(batch queries: UnsafePointer<Float>, count m: Int, into out: UnsafeMutablePointer<Float>) {
        guard m > 0 else { return }
        let width = centroidDimension
        func product(_ rows: UnsafePointer<Float>) {
            centroids.withUnsafeBufferPointer { c in
                GemmKernel.similarities(
                    queries: rows, queryCount: m, rows: c.baseAddress!, rowCount: nlist, dimension: width,
                    alpha: spherical ? 1 : 2, into: out)
            }
        }
        if let pca {
            let reduced = UnsafeMutablePointer<Float>.allocate(capacity: m * width)
            defer { reduced.deallocate() }
            pca.apply(rows: queries, rowCount: m, into: reduced)
            product(reduced)
        } else {
            product(queries)
        }
        guard !spherical else { return }
        centroidNorms.withUnsafeBufferPointer { norms in
            for i in 0..<m {
                let row = out + i * nlist
                for c in 0..<nlist { row[c] -= norms[c] }
            }
        }
    }

    /// The `count` nearest lists, nearest first (ties by list number): a bounded heap over the
    /// centroid scores, not a sort of all of them.
    func nearestLists(_ vector: UnsafePointer<Float>, count: Int) -> [Int] {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: nlist) { scores in
            similarities(vector, into: scores.baseAddress!)
            return nearestLists(scores: UnsafePointer(scores.baseAddress!), count: count)
        }
    }

    /// The `count` best of `nlist` centroid scores, best first.
    func nearestLists(scores: UnsafePointer<Float>, count: Int) -> [Int] {
        var top = TopK(k: min(count, nlist))
        for list in 0..<nlist where scores[list] > top.threshold { top.push(scores[list], row: Int32(list)) }
        return top.sortedDescending().map { Int($0.row) }
    }

    func nearestList(_ vector: UnsafePointer<Float>) -> Int {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: nlist) { scores in
            similarities(vector, into: scores.baseAddress!)
            var best = 0
            for c in 1..<nlist where scores[c] > scores[best] { best = c }
            return best
        }
    }
}
