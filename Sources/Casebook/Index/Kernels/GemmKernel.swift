import COpenBLAS

/// Matrix products through OpenBLAS: the compute-bound path of batched search.
package enum GemmKernel {
    /// `out (m × n) = alpha · queries (m × d) · rows (n × d)ᵀ`, all row-major.
    package static func similarities(
        queries: UnsafePointer<Float>, queryCount m: Int, rows: UnsafePointer<Float>, rowCount n: Int,
        dimension d: Int, alpha: Float, into out: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(d), alpha,
            queries, Int32(d), rows, Int32(d), 0, out, Int32(n))
    }

    /// OpenBLAS's own worker threads. Casebook sets 1: it parallelises batches over query chunks
    /// itself, and on 2 cores BLAS threads would otherwise compete with Swift's pool.
    package static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }
}
