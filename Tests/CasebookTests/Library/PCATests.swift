import Foundation
import Testing

@testable import Casebook

/// PCA (LAPACKE ssyevd) against a covariance computed by a plain Double loop and data with known
/// principal axes.
@Suite struct PCATests {
    static func fit(_ rows: [Float], dimension: Int, output: Int) throws -> PCA {
        try rows.withUnsafeBufferPointer { buffer throws(CasebookError) in
            try PCA.fit(buffer.baseAddress!, rowCount: rows.count / dimension, dimension: dimension, outputDimension: output)
        }
    }

    /// Rows spread 5 along u1 and 2 along u2 (orthonormal), noise 0.05 elsewhere, mean (1, 2, …).
    static func data(n: Int, d: Int, seed: UInt64) -> (rows: [Float], u1: [Double], u2: [Double]) {
        var random = SplitMix64(seed: seed)
        var u1 = (0..<d).map { _ in Double(random.unit()) }
        let n1 = u1.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u1 = u1.map { $0 / n1 }
        var u2 = (0..<d).map { _ in Double(random.unit()) }
        let projection = zip(u1, u2).reduce(0) { $0 + $1.0 * $1.1 }
        u2 = zip(u2, u1).map { $0 - projection * $1 }
        let n2 = u2.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u2 = u2.map { $0 / n2 }
        var rows: [Float] = []
        for _ in 0..<n {
            let a = Double(random.unit()) * 5 * 3.0.squareRoot(), b = Double(random.unit()) * 2 * 3.0.squareRoot()
            for j in 0..<d { rows.append(Float(Double(j + 1) + a * u1[j] + b * u2[j] + Double(random.unit()) * 0.05)) }
        }
        return (rows, u1, u2)
    }

    @Test func findsTheKnownAxesAndEigenpairsHold() throws {
        let d = 8, n = 4_000
        let data = Self.data(n: n, d: d, seed: 1)
        let pca = try Self.fit(data.rows, dimension: d, output: 3)
        func component(_ i: Int) -> [Double] { (0..<d).map { Double(pca.components[i * d + $0]) } }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(abs(abs(dot(component(0), data.u1)) - 1) < 1e-3)
        #expect(abs(abs(dot(component(1), data.u2)) - 1) < 1e-3)
        #expect(abs(pca.variances[0] - 25) < 2 && abs(pca.variances[1] - 4) < 0.5 && pca.variances[2] < 0.01)
        #expect(pca.explainedShare > 0.999)
        // Independent covariance, in Double; each component is an eigenvector with its variance.
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(data.rows[i * d + j]) / Double(n) } }
        var covariance = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            for a in 0..<d {
                for b in 0..<d {
                    covariance[a * d + b] += (Double(data.rows[i * d + a]) - mean[a]) * (Double(data.rows[i * d + b]) - mean[b]) / Double(n - 1)
                }
            }
        }
        for i in 0..<3 {
            let v = component(i)
            #expect(abs(dot(v, v) - 1) < 1e-4)
            for a in 0..<d {
                let cv = (0..<d).reduce(0.0) { $0 + covariance[a * d + $1] * v[$1] }
                #expect(abs(cv - pca.variances[i] * v[a]) < 1e-2 * max(1, pca.variances[i]))
            }
            for j in 0..<i { #expect(abs(dot(v, component(j))) < 1e-4) }
        }
        #expect(zip(pca.mean, mean).allSatisfy { abs(Double($0) - $1) < 1e-4 })
    }

    @Test func fullRankReconstructs() throws {
        let d = 6
        let rows = Self.data(n: 500, d: d, seed: 2).rows
        let pca = try Self.fit(rows, dimension: d, output: d)
        for i in stride(from: 0, to: 500, by: 37) {
            let x = Array(rows[(i * d)..<((i + 1) * d)])
            let y = pca.apply(x)
            for j in 0..<d {
                let back = Double(pca.mean[j]) + (0..<d).reduce(0.0) { $0 + Double(y[$1]) * Double(pca.components[$1 * d + j]) }
                #expect(abs(back - Double(x[j])) < 1e-3)
            }
        }
    }

    @Test func refusals() {
        #expect(throws: CasebookError.self) { try Self.fit([1, 2, 3, 4], dimension: 2, output: 0) }
        #expect(throws: CasebookError.self) { try Self.fit([1, 2, 3, 4], dimension: 2, output: 3) }
        #expect(throws: CasebookError.self) { try Self.fit([1, 2], dimension: 2, output: 1) }
    }
}
