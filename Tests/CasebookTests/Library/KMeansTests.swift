import Foundation
import Testing

@testable import Casebook
import CasebookKernels

/// k-means against independent references: a brute-force nearest-centroid loop in Double, known
/// well-separated clusters, and Lloyd's guarantee that the objective never rises.
@Suite struct KMeansTests {
    static func gaussianClusters(centers: Int, perCenter: Int, dimension: Int, spread: Float, seed: UInt64)
        -> (vectors: [Float], labels: [Int], centers: [Float])
    {
        var random = SplitMix64(seed: seed)
        let centerValues = (0..<(centers * dimension)).map { _ in random.unit() * 10 }
        var vectors: [Float] = []
        var labels: [Int] = []
        for c in 0..<centers {
            for _ in 0..<perCenter {
                for j in 0..<dimension { vectors.append(centerValues[c * dimension + j] + random.unit() * spread) }
                labels.append(c)
            }
        }
        return (vectors, labels, centerValues)
    }

    static func train(_ vectors: [Float], dimension: Int, _ parameters: KMeans.Parameters) throws -> KMeans.Result {
        try vectors.withUnsafeBufferPointer { buffer throws(CasebookError) in
            try KMeans.train(buffer.baseAddress!, rowCount: vectors.count / dimension, dimension: dimension, parameters: parameters)
        }
    }

    @Test(arguments: [false, true])
    func assignmentEqualsBruteForce(spherical: Bool) {
        var random = SplitMix64(seed: 3)
        let n = 9_000, d = 24, k = 37  // more than two sgemm blocks, k not a power of two
        var rows = (0..<(n * d)).map { _ in random.unit() }
        var centroids = (0..<(k * d)).map { _ in random.unit() }
        if spherical {
            KMeans.normalizeRows(&rows, dimension: d)
            KMeans.normalizeRows(&centroids, dimension: d)
        }
        var assignment = [Int32](repeating: -1, count: n)
        let total = KMeans.assign(rows, rowCount: n, dimension: d, centroids: centroids, k: k, spherical: spherical, into: &assignment)
        var expectedTotal = 0.0
        for i in 0..<n {
            let distances = (0..<k).map { c in
                (0..<d).reduce(0.0) { sum, j in
                    let diff = Double(rows[i * d + j]) - Double(centroids[c * d + j])
                    return sum + diff * diff
                }
            }
            let best = distances.min()!
            expectedTotal += best
            // The chosen centroid is the nearest, or tied with it within float rounding.
            #expect(distances[Int(assignment[i])] <= best + 1e-4, "row \(i)")
        }
        #expect(abs(total - expectedTotal) <= 1e-3 * expectedTotal)
    }

    @Test func sameSeedSameCentroidsBitForBit() throws {
        let data = Self.gaussianClusters(centers: 12, perCenter: 400, dimension: 16, spread: 3, seed: 5)
        let parameters = KMeans.Parameters(
            clusters: 10, iterations: 8, sampleRowsPerCluster: 300, seedingRowsPerCluster: 100, spherical: false, seed: 42)
        let first = try Self.train(data.vectors, dimension: 16, parameters)
        let second = try Self.train(data.vectors, dimension: 16, parameters)
        #expect(first.centroids.map(\.bitPattern) == second.centroids.map(\.bitPattern))
        #expect(first.trainedRows == 3_000)
        var other = parameters
        other.seed = 43
        let reseeded = try Self.train(data.vectors, dimension: 16, other)
        #expect(reseeded.centroids != first.centroids)
        // The thread split does not matter.
        let saved = Casebook.workerThreads
        Casebook.workerThreads = 1
        defer { Casebook.workerThreads = saved }
        let oneThread = try Self.train(data.vectors, dimension: 16, parameters)
        #expect(oneThread.centroids.map(\.bitPattern) == first.centroids.map(\.bitPattern))
    }

    @Test(arguments: [false, true])
    func recoversSeparatedClustersAndNeverRaisesTheObjective(spherical: Bool) throws {
        let d = 8, centers = 6
        let data = Self.gaussianClusters(centers: centers, perCenter: 500, dimension: d, spread: 0.5, seed: 11)
        let result = try Self.train(data.vectors, dimension: d, KMeans.Parameters(clusters: centers, iterations: 15, spherical: spherical, seed: 7))
        for (before, after) in zip(result.objective, result.objective.dropFirst()) {
            #expect(after <= before * (1 + 1e-6) + 1e-9)
        }
        #expect(result.trainedRows == 256 * centers && result.clusterSizes.reduce(0, +) == result.trainedRows)
        // Every true cluster lands in a single trained cluster, and different ones in different ones.
        var rows = data.vectors
        if spherical { KMeans.normalizeRows(&rows, dimension: d) }
        var assignment = [Int32](repeating: 0, count: centers * 500)
        _ = KMeans.assign(rows, rowCount: centers * 500, dimension: d, centroids: result.centroids, k: centers, spherical: spherical, into: &assignment)
        var clusterOf: [Int: Int32] = [:]
        for (i, label) in data.labels.enumerated() {
            if let known = clusterOf[label] { #expect(known == assignment[i]) } else { clusterOf[label] = assignment[i] }
        }
        #expect(Set(clusterOf.values).count == centers)
    }

    @Test func emptyClusterTakesHalfOfTheLargest() {
        let d = 2
        let rows: [Float] = [0, 0, 0.1, 0, 0, 0.1, 5, 5]
        var centroids: [Float] = [0, 0, 9, 9, 5, 5]
        let assignment: [Int32] = [0, 0, 0, 2]  // cluster 1 is empty
        let counts = KMeans.update(rows, rowCount: 4, dimension: d, assignment: assignment, k: 3, spherical: false, centroids: &centroids)
        #expect(counts.allSatisfy { $0 > 0 })
        #expect(counts.reduce(0, +) == 4)
        // Cluster 1 now sits beside cluster 0's mean, cluster 2 at its only row.
        #expect(abs(centroids[2] - 0.0333) < 0.01 && abs(centroids[3] - 0.0333) < 0.01)
        #expect(centroids[2] != centroids[0] || centroids[3] != centroids[1])
        #expect(centroids[4] == 5 && centroids[5] == 5)
    }

    @Test func duplicatesAndTooFewRows() throws {
        // Three distinct points, many copies, four clusters: seeding and repair cope; no crash, no NaN.
        var vectors: [Float] = []
        for i in 0..<300 { vectors += [Float(i % 3), 1] }
        let result = try Self.train(vectors, dimension: 2, KMeans.Parameters(clusters: 4, iterations: 5, spherical: false))
        #expect(result.centroids.allSatisfy { $0.isFinite })
        #expect(throws: CasebookError.self) { try Self.train([1, 2, 3, 4], dimension: 2, KMeans.Parameters(clusters: 3, spherical: false)) }
        #expect(throws: CasebookError.self) { try Self.train([1, 2, 3, 4], dimension: 2, KMeans.Parameters(clusters: 0, spherical: false)) }
    }
}

/// The AVX2 argmin kernel against the plain loop, ties and tails included.
@Suite struct ArgminKernelTests {
    @Test func avx2ArgminEqualsTheLoop() {
        guard ScanKernel.hasAVX2 else { return }
        var random = SplitMix64(seed: 9)
        for k in [1, 3, 7, 8, 9, 16, 37, 1024] {
            for trial in 0..<50 {
                // Coarse values so that ties are common.
                let dots = (0..<k).map { _ in Float(Int(random.next() % 7)) - 3 }
                let bias = trial % 2 == 0 ? [Float](repeating: 0, count: k) : (0..<k).map { _ in Float(Int(random.next() % 5)) }
                let scale: Float = trial % 3 == 0 ? -1 : -2
                var value: Float = 0
                let got = Int(cb_argmin_affine_avx2(dots, bias, scale, k, &value))
                var best = 0
                for c in 1..<max(1, k) where bias[c] + scale * dots[c] < bias[best] + scale * dots[best] { best = c }
                #expect(got == best && value == bias[best] + scale * dots[best], "k \(k) trial \(trial)")
            }
        }
    }
}
