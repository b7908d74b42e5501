import CasebookKernels

/// The coarse quantizer of an IVF index: its centroids (and, optionally, the PCA that reduces
/// vectors before they meet the centroids). It decides which list a row lives in and which lists a
/// query probes; the lists themselves keep full vectors.
///
/// A query ranks the centroids from their int8 codes first (``CodedCentroids``): every centroid
/// whose code score, within its error bound, could reach the nprobe-th best is then scored in
/// float32, and the lists are chosen from those float32 scores, as if every centroid had been.
struct IVFQuantizer: Sendable, Hashable {
    /// nlist × centroidDimension, row-major.
    let centroids: [Float]
    private let coded: CodedCentroids
    let nlist: Int
    /// The vectors' dimension (before PCA).
    let dimension: Int
    /// Cosine and inner product: nearest = largest dot product. L2: smallest distance.
    let spherical: Bool
    let pca: PCA?
    /// ‖c‖² per centroid (L2 scores).
    private let centroidNorms: [Float]

    init(centroids: [Float], nlist: Int, dimension: Int, spherical: Bool, pca: PCA?) throws(CasebookError) {
        let width = pca?.outputDimension ?? dimension
        guard nlist >= 1, centroids.count == nlist * width else {
            throw .training("expected \(nlist) centroids of dimension \(width), got \(centroids.count) values")
        }
        guard centroids.allSatisfy({ $0.isFinite }) else { throw .training("centroids hold a non-finite value") }
        if let pca, pca.inputDimension != dimension {
            throw .training("PCA reduces \(pca.inputDimension) dimensions, the index has \(dimension)")
        }
        self.centroids = centroids
        coded = CodedCentroids(centroids: centroids, count: nlist, dimension: width)
        self.nlist = nlist
        self.dimension = dimension
        self.spherical = spherical
        self.pca = pca
        centroidNorms = centroids.withUnsafeBufferPointer { c in
            (0..<nlist).map { ScanKernel.squaredNorm(c.baseAddress! + $0 * width, dimension: width) }
        }
    }

    /// Rebuilds a stored quantizer.
    /// - Throws: ``CasebookError/training(_:)`` when the matrices do not fit together.
    init(state: QuantizerState, dimension: Int, spherical: Bool) throws(CasebookError) {
        var pca: PCA?
        if let mean = state.pcaMean, let components = state.pcaComponents {
            guard mean.count == dimension, components.count == state.centroidDimension * dimension else {
                throw .training("PCA matrices have the wrong size")
            }
            pca = PCA(
                inputDimension: dimension, outputDimension: state.centroidDimension, mean: mean, components: components,
                variances: [], explainedShare: 0)
        } else if state.centroidDimension != dimension {
            throw .training("centroids of dimension \(state.centroidDimension) without a PCA, the index has \(dimension)")
        }
        try self.init(centroids: state.centroids, nlist: state.nlist, dimension: dimension, spherical: spherical, pca: pca)
    }

    /// What a store keeps of this quantizer.
    var state: QuantizerState {
        QuantizerState(
            nlist: nlist, centroidDimension: centroidDimension, centroids: centroids, pcaMean: pca?.mean,
            pcaComponents: pca?.components)
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

    /// Whether queries rank centroids from their codes (the integer kernel runs on this CPU).
    static let ranksFromCodes = cb_i8_avx2_available()

    /// Similarity of a vector (in the centroids' space) to centroid `c`, larger is nearer: the dot
    /// product (spherical) or 2·x·c − ‖c‖² (−‖x − c‖² up to ‖x‖², the same for every centroid).
    func similarity(_ vector: UnsafePointer<Float>, to c: Int) -> Float {
        let width = centroidDimension
        var dot: Float = 0
        centroids.withUnsafeBufferPointer { centroids in
            let row = centroids.baseAddress! + c * width
            if ScanKernel.hasAVX2 {
                ScanKernel.scanAVX2(query: vector, rows: row, count: 1, dimension: width, negativeL2: false, into: &dot)
            } else {
                dot = ScanKernel.dot(vector, row, dimension: width)
            }
        }
        return spherical ? dot : 2 * dot - centroidNorms[c]
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

    /// The `count` nearest lists, nearest first (ties by list number).
    func nearestLists(_ vector: UnsafePointer<Float>, count: Int) -> [Int] {
        guard let pca else { return rankedLists(vector, count: count) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: pca.outputDimension) { reduced in
            pca.apply(rows: vector, rowCount: 1, into: reduced.baseAddress!)
            return rankedLists(reduced.baseAddress!, count: count)
        }
    }

    func nearestList(_ vector: UnsafePointer<Float>) -> Int { nearestLists(vector, count: 1)[0] }

    /// The `count` best centroids by float32 similarity, scoring in float32 only those whose code
    /// score's bounds leave them a chance: a centroid whose upper bound is below the count-th best
    /// lower bound has at least `count` centroids surely ahead of it.
    /// `fromCodes` false scores every centroid in float32 (tests compare the two).
    func rankedLists(_ vector: UnsafePointer<Float>, count: Int, fromCodes: Bool = ranksFromCodes) -> [Int] {
        let wanted = min(count, nlist)
        var top = TopK(k: wanted)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * nlist) { buffer in
            let scores = buffer.baseAddress!, bounds = buffer.baseAddress! + nlist
            guard fromCodes, coded.isUsable, coded.approximate(vector, into: scores, bounds: bounds) else {
                for c in 0..<nlist {
                    let score = similarity(vector, to: c)
                    if score > top.threshold { top.push(score, row: Int32(c)) }
                }
                return
            }
            if !spherical {
                // 2·x·c − ‖c‖²: twice the bound, plus the two float roundings of the subtraction.
                for c in 0..<nlist {
                    let dot = scores[c]
                    scores[c] = 2 * dot - centroidNorms[c]
                    bounds[c] = 2 * bounds[c] + 0x1p-22 * (2 * abs(dot) + 2 * bounds[c] + centroidNorms[c])
                }
            }
            var lower = TopK(k: wanted)
            for c in 0..<nlist where scores[c] - bounds[c] > lower.threshold {
                lower.push(scores[c] - bounds[c], row: Int32(c))
            }
            let floor = lower.threshold
            for c in 0..<nlist where scores[c] + bounds[c] >= floor {
                let score = similarity(vector, to: c)
                if score > top.threshold { top.push(score, row: Int32(c)) }
            }
        }
        return top.sortedDescending().map { Int($0.row) }
    }

    /// The `count` best of `nlist` centroid scores, best first.
    func nearestLists(scores: UnsafePointer<Float>, count: Int) -> [Int] {
        var top = TopK(k: min(count, nlist))
        for list in 0..<nlist where scores[list] > top.threshold { top.push(scores[list], row: Int32(list)) }
        return top.sortedDescending().map { Int($0.row) }
    }
}
