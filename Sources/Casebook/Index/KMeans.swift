import CasebookKernels
import Foundation

/// k-means for the IVF coarse quantizer: k-means++ seeding on a sample, then Lloyd iterations
/// whose assignment step is a matrix product (`cblas_sgemm`, blocks of rows spread over the
/// cores), with empty clusters repaired by splitting the largest one.
///
/// Deterministic: the same vectors, parameters and seed give the same centroids bit for bit (the
/// random draws come from SplitMix64, assignments do not depend on the thread split, and centroid
/// sums run in Double in row order).
package struct KMeans {
    package struct Parameters: Sendable, Hashable {
        /// Centroids to train (nlist).
        package var clusters: Int
        /// Lloyd iterations after seeding.
        package var iterations = 20
        /// Rows trained on, per cluster: a seeded random sample when the data has more (FAISS
        /// caps at 256 per centroid).
        package var sampleRowsPerCluster = 256
        /// Rows k-means++ chooses its seeds among, per cluster (a prefix of the shuffled sample):
        /// seeding reads them once per centroid, so this is its cost.
        package var seedingRowsPerCluster = 8
        /// Cosine / inner product: points and centroids on the unit sphere, assignment by the
        /// largest dot product. Otherwise Euclidean.
        package var spherical: Bool
        package var seed: UInt64 = 1

        package init(
            clusters: Int, iterations: Int = 20, sampleRowsPerCluster: Int = 256, seedingRowsPerCluster: Int = 8,
            spherical: Bool, seed: UInt64 = 1
        ) {
            self.clusters = clusters
            self.iterations = iterations
            self.sampleRowsPerCluster = sampleRowsPerCluster
            self.seedingRowsPerCluster = seedingRowsPerCluster
            self.spherical = spherical
            self.seed = seed
        }
    }

    package struct Progress: Sendable {
        /// 1...iterations.
        package var iteration: Int
        package var iterations: Int
        /// Mean squared distance of the training rows to their centroid (spherical: 2 − 2·cos).
        package var meanSquaredDistance: Double
    }

    package struct Result: Sendable {
        /// clusters × dimension, row-major.
        package var centroids: [Float]
        package var dimension: Int
        /// Mean squared distance at each iteration's assignment (the first measures the seeds).
        package var objective: [Double]
        /// Training rows per centroid at the last assignment (after empty-cluster repair).
        package var clusterSizes: [Int]
        package var trainedRows: Int
    }

    /// Trains on `rowCount` rows of `dimension` floats at `vectors` (row-major).
    package static func train(
        _ vectors: UnsafePointer<Float>, rowCount: Int, dimension: Int, parameters: Parameters,
        progress: (Progress) -> Void = { _ in }
    ) throws(CasebookError) -> Result {
        let k = parameters.clusters
        guard k >= 1 else { throw .training("k-means needs at least one cluster") }
        guard rowCount >= k else {
            throw .training("k-means needs at least as many vectors (\(rowCount)) as clusters (\(k))")
        }
        var random = SplitMix64(seed: parameters.seed)
        var sample = Self.sample(
            vectors, rowCount: rowCount, dimension: dimension, size: max(k, parameters.sampleRowsPerCluster * k),
            random: &random)
        let n = sample.count / dimension
        if parameters.spherical { Self.normalizeRows(&sample, dimension: dimension) }

        var centroids = Self.seedPlusPlus(
            sample, rowCount: min(n, max(1, parameters.seedingRowsPerCluster) * k), dimension: dimension, k: k,
            random: &random)
        var assignment = [Int32](repeating: 0, count: n)
        var objective: [Double] = []
        var sizes = [Int](repeating: 0, count: k)
        // Each iteration assigns (one matrix product over the sample) and moves the centroids,
        // as FAISS counts them; the objective is measured at each assignment.
        for iteration in 1...max(1, parameters.iterations) {
            let total = Self.assign(
                sample, rowCount: n, dimension: dimension, centroids: centroids, k: k,
                spherical: parameters.spherical, into: &assignment)
            objective.append(total / Double(n))
            progress(Progress(iteration: iteration, iterations: parameters.iterations, meanSquaredDistance: total / Double(n)))
            sizes = Self.update(
                sample, rowCount: n, dimension: dimension, assignment: assignment, k: k,
                spherical: parameters.spherical, centroids: &centroids)
        }
        return Result(centroids: centroids, dimension: dimension, objective: objective, clusterSizes: sizes, trainedRows: n)
    }

    // MARK: Sampling and seeding

    /// The rows to train on: all of them, or `size` distinct rows drawn without replacement and
    /// kept in storage order.
    static func sample(
        _ vectors: UnsafePointer<Float>, rowCount: Int, dimension: Int, size: Int, random: inout SplitMix64
    ) -> [Float] {
        var rows = Array(0..<rowCount)
        if rowCount > size {
            // Partial Fisher-Yates: the first `size` slots become a uniform sample.
            for i in 0..<size {
                let j = i + Self.below(rowCount - i, &random)
                rows.swapAt(i, j)
            }
            rows = Array(rows[..<size])
        }
        // A shuffled order, so that a prefix (the seeding sample) is itself random.
        for i in stride(from: rows.count - 1, to: 0, by: -1) {
            rows.swapAt(i, Self.below(i + 1, &random))
        }
        var out = [Float](repeating: 0, count: rows.count * dimension)
        out.withUnsafeMutableBufferPointer { out in
            for (position, row) in rows.enumerated() {
                (out.baseAddress! + position * dimension).update(from: vectors + row * dimension, count: dimension)
            }
        }
        return out
    }

    /// k-means++: the first seed uniformly, each next one with probability proportional to its
    /// squared distance from the nearest seed so far.
    static func seedPlusPlus(
        _ rows: [Float], rowCount n: Int, dimension d: Int, k: Int, random: inout SplitMix64
    ) -> [Float] {
        var centroids = [Float](repeating: 0, count: k * d)
        var nearest = [Double](repeating: .infinity, count: n)
        var distances = [Float](repeating: 0, count: n)
        rows.withUnsafeBufferPointer { rows in
            centroids.withUnsafeMutableBufferPointer { centroids in
                var chosen = Self.below(n, &random)
                for c in 0..<k {
                    let seed = rows.baseAddress! + chosen * d
                    (centroids.baseAddress! + c * d).update(from: seed, count: d)
                    Self.squaredDistances(from: seed, to: rows.baseAddress!, count: n, dimension: d, into: &distances)
                    var total = 0.0
                    for i in 0..<n {
                        let distance = Double(distances[i])
                        if distance < nearest[i] { nearest[i] = distance }
                        total += nearest[i]
                    }
                    guard c + 1 < k else { break }
                    if total <= 0 {
                        // Every row sits on a seed already (duplicates): any row will do; the
                        // empty-cluster repair spreads them later.
                        chosen = Self.below(n, &random)
                        continue
                    }
                    var target = Self.unitInterval(&random) * total
                    chosen = n - 1
                    for i in 0..<n {
                        target -= nearest[i]
                        if target < 0 {
                            chosen = i
                            break
                        }
                    }
                }
            }
        }
        return centroids
    }

    // MARK: Lloyd iterations

    /// Rows per matrix-product block of the assignment step.
    static let blockRows = 4096

    /// Assigns each row to its nearest centroid (blocks of rows × centroids by sgemm, the blocks
    /// spread over the cores). Returns the sum of squared distances.
    static func assign(
        _ rows: [Float], rowCount n: Int, dimension d: Int, centroids: [Float], k: Int, spherical: Bool,
        into assignment: inout [Int32]
    ) -> Double {
        // Score to minimise per centroid: bias + scale · x·c, i.e. |c|² − 2 x·c (Euclidean; |x|²
        // is the same for every c) or −x·c (spherical).
        var norms = [Float](repeating: 0, count: k)
        centroids.withUnsafeBufferPointer { centroids in
            for c in 0..<k { norms[c] = ScanKernel.squaredNorm(centroids.baseAddress! + c * d, dimension: d) }
        }
        let bias = spherical ? [Float](repeating: 0, count: k) : norms
        let blocks = (n + blockRows - 1) / blockRows
        // Each block's distance sum in its own slot, added in block order afterwards (deterministic).
        let partial = WorkerSlots(count: blocks, initial: 0.0)
        let workers = min(blocks, WorkerThreads.count)
        rows.withUnsafeBufferPointer { rows in
            centroids.withUnsafeBufferPointer { centroids in
                norms.withUnsafeBufferPointer { norms in
                  bias.withUnsafeBufferPointer { bias in
                    assignment.withUnsafeMutableBufferPointer { assignment in
                        let shared = AssignmentInputs(
                            rows: rows.baseAddress!, centroids: centroids.baseAddress!, norms: norms.baseAddress!,
                            bias: bias.baseAddress!, assignment: assignment.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: workers) { worker in
                            let dots = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * k)
                            defer { dots.deallocate() }
                            for block in stride(from: worker, to: blocks, by: workers) {
                                let first = block * blockRows
                                let count = min(blockRows, n - first)
                                partial.store(block, assignBlock(
                                    shared, first: first, count: count, dimension: d, k: k, spherical: spherical,
                                    dots: dots))
                            }
                        }
                    }
                  }
                }
            }
        }
        return partial.values.reduce(0, +)
    }

    /// One block: its dot products with every centroid by sgemm, then the best centroid per row.
    private static func assignBlock(
        _ shared: AssignmentInputs, first: Int, count: Int, dimension d: Int, k: Int, spherical: Bool,
        dots: UnsafeMutablePointer<Float>
    ) -> Double {
        GemmKernel.similarities(
            queries: shared.rows + first * d, queryCount: count, rows: shared.centroids, rowCount: k, dimension: d,
            alpha: 1, into: dots)
        var total = 0.0
        let scale: Float = spherical ? -1 : -2
        for r in 0..<count {
            let row = dots + r * k
            var best = 0
            var bestScore = Float.infinity
            if ScanKernel.hasAVX2 {
                best = Int(cb_argmin_affine_avx2(row, shared.bias, scale, k, &bestScore))
            } else {
                for c in 0..<k {
                    let score = shared.bias[c] + scale * row[c]
                    if score < bestScore {
                        bestScore = score
                        best = c
                    }
                }
            }
            shared.assignment[first + r] = Int32(best)
            let selfNorm = ScanKernel.squaredNorm(shared.rows + (first + r) * d, dimension: d)
            // |x − c|² = |x|² + |c|² − 2 x·c in both cases.
            let distance = spherical ? selfNorm + shared.norms[best] + 2 * bestScore : selfNorm + bestScore
            total += Double(max(0, distance))
        }
        return total
    }

    /// New centroids: the mean of their rows (spherical: normalised), sums in Double in row order.
    /// An empty cluster takes half of the largest one: both move a little apart from its centroid.
    static func update(
        _ rows: [Float], rowCount n: Int, dimension d: Int, assignment: [Int32], k: Int, spherical: Bool,
        centroids: inout [Float]
    ) -> [Int] {
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<n {
            let c = Int(assignment[i])
            counts[c] += 1
            for j in 0..<d { sums[c * d + j] += Double(rows[i * d + j]) }
        }
        for c in 0..<k where counts[c] > 0 {
            for j in 0..<d { centroids[c * d + j] = Float(sums[c * d + j] / Double(counts[c])) }
        }
        for c in 0..<k where counts[c] == 0 {
            let largest = counts.indices.max { counts[$0] < counts[$1] }!
            // A symmetric nudge, as FAISS does: the next assignment divides the big cluster.
            let epsilon: Float = 1 / 1024
            for j in 0..<d {
                let value = centroids[largest * d + j]
                let sign: Float = j % 2 == 0 ? 1 : -1
                centroids[c * d + j] = value * (1 + sign * epsilon)
                centroids[largest * d + j] = value * (1 - sign * epsilon)
            }
            counts[c] = counts[largest] / 2
            counts[largest] -= counts[c]
        }
        if spherical { normalizeRows(&centroids, dimension: d) }
        return counts
    }

    // MARK: Helpers

    static func normalizeRows(_ values: inout [Float], dimension d: Int) {
        let rows = values.count / d
        for r in 0..<rows {
            var sum = 0.0
            for j in 0..<d { sum += Double(values[r * d + j]) * Double(values[r * d + j]) }
            guard sum > 0 else { continue }
            let scale = 1 / sum.squareRoot()
            for j in 0..<d { values[r * d + j] = Float(Double(values[r * d + j]) * scale) }
        }
    }

    /// ‖point − row‖² for `count` rows, by the flat index's scan kernels.
    static func squaredDistances(
        from point: UnsafePointer<Float>, to rows: UnsafePointer<Float>, count: Int, dimension d: Int,
        into out: inout [Float]
    ) {
        out.withUnsafeMutableBufferPointer { out in
            if ScanKernel.hasAVX2 {
                ScanKernel.scanAVX2(query: point, rows: rows, count: count, dimension: d, negativeL2: true, into: out.baseAddress!)
                for i in 0..<count { out[i] = -out[i] }
            } else {
                for i in 0..<count { out[i] = ScanKernel.squaredL2(point, rows + i * d, dimension: d) }
            }
        }
    }

    /// Uniform in 0..<bound by a 128-bit multiply: the same on every platform and Swift version
    /// (`Int.random(in:using:)` does not promise its algorithm).
    @inline(__always)
    static func below(_ bound: Int, _ random: inout SplitMix64) -> Int {
        Int(UInt64(bound).multipliedFullWidth(by: random.next()).high)
    }

    /// Uniform in [0, 1) from 53 random bits.
    @inline(__always)
    static func unitInterval(_ random: inout SplitMix64) -> Double {
        Double(random.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// What the assignment workers share: inputs they only read, and the assignment array, each
/// worker writing only its own blocks' rows.
private struct AssignmentInputs: @unchecked Sendable {
    let rows: UnsafePointer<Float>
    let centroids: UnsafePointer<Float>
    let norms: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let assignment: UnsafeMutablePointer<Int32>
}
