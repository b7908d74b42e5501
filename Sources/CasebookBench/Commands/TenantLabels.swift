import Casebook
import CommandLineSupport

/// The (tenant, category) of every row of a multi-tenant benchmark dataset, and the exact
/// neighbours within a query's tenant (and category).
struct TenantLabels {
    var tenants: [Int32]
    var categories: [Int32]

    var matrix: Int32Matrix {
        Int32Matrix(rowCount: tenants.count, dimension: 2, values: zip(tenants, categories).flatMap { [$0, $1] })
    }

    init(tenants: [Int32], categories: [Int32]) {
        self.tenants = tenants
        self.categories = categories
    }

    /// Reads labels.ivecs / query_labels.ivecs (two columns: tenant, category).
    init(_ matrix: Int32Matrix, path: String) throws {
        guard matrix.dimension == 2 else { throw CLIError("\(path): expected 2 columns (tenant, category), found \(matrix.dimension)") }
        tenants = stride(from: 0, to: matrix.values.count, by: 2).map { matrix.values[$0] }
        categories = stride(from: 1, to: matrix.values.count, by: 2).map { matrix.values[$0] }
    }

    /// Tenant t with probability ∝ 1/(t+1), category uniform.
    static func draw(rows: Int, tenants: Int, categories: Int, seed: UInt64) -> TenantLabels {
        var random = SplitMix64(seed: seed)
        let weights = (0..<tenants).map { 1 / Double($0 + 1) }
        let total = weights.reduce(0, +)
        var cumulative: [Double] = []
        var sum = 0.0
        for weight in weights {
            sum += weight / total
            cumulative.append(sum)
        }
        var tenantOf = [Int32](), categoryOf = [Int32]()
        tenantOf.reserveCapacity(rows)
        categoryOf.reserveCapacity(rows)
        for _ in 0..<rows {
            let u = Double(random.next() >> 11) / 9_007_199_254_740_992
            let tenant = cumulative.firstIndex { u < $0 } ?? tenants - 1
            tenantOf.append(Int32(tenant))
            categoryOf.append(Int32(random.next() % UInt64(categories)))
        }
        return TenantLabels(tenants: tenantOf, categories: categoryOf)
    }

    /// Exact top-k of each query among the base rows of its tenant (and category), as global row ids.
    static func truth(
        base: FloatMatrix, queries: FloatMatrix, labels: TenantLabels, queryLabels: TenantLabels, k: Int,
        metric: Metric, byCategory: Bool
    ) -> Int32Matrix {
        func key(_ labels: TenantLabels, _ i: Int) -> Int64 {
            Int64(labels.tenants[i]) << 32 | Int64(byCategory ? labels.categories[i] : 0)
        }
        var rowsOf: [Int64: [Int]] = [:]
        for i in 0..<base.rowCount { rowsOf[key(labels, i), default: []].append(i) }
        var queriesOf: [Int64: [Int]] = [:]
        for q in 0..<queries.rowCount { queriesOf[key(queryLabels, q), default: []].append(q) }
        var out = [Int32](repeating: -1, count: queries.rowCount * k)
        for (group, queryRows) in queriesOf {
            guard let rows = rowsOf[group] else { continue }
            let groupTruth = ExactNeighbors.compute(
                base: gather(base, rows), queries: gather(queries, queryRows), k: k, metric: metric)
            for (position, q) in queryRows.enumerated() {
                for (rank, local) in groupTruth.row(position).enumerated() where local >= 0 {
                    out[q * k + rank] = Int32(rows[Int(local)])
                }
            }
        }
        return Int32Matrix(rowCount: queries.rowCount, dimension: k, values: out)
    }

    static func gather(_ matrix: FloatMatrix, _ rows: [Int]) -> FloatMatrix {
        var values = [Float]()
        values.reserveCapacity(rows.count * matrix.dimension)
        for row in rows { values.append(contentsOf: matrix.row(row)) }
        return FloatMatrix(rowCount: rows.count, dimension: matrix.dimension, values: values)
    }
}
