import Casebook
import Foundation
import Synchronization

/// Single queries sent by `threads` client threads, each answering every threads-th query one at
/// a time: the latencies of all are pooled, and QPS is queries per wall-clock second. The same
/// scheme runs in the peer scripts (benchmarks/peers/common.py).
enum ConcurrentQueries {
    static func run(
        count: Int, threads: Int, _ search: @Sendable (Int) throws -> [Int32]
    ) throws -> (ids: [[Int32]], timing: AnnRun.Single) {
        for q in 0..<min(count, 10) { _ = try search(q) }  // warm-up
        let slots = Mutex<[(query: Int, ids: [Int32], seconds: Double)]>([])
        let failure = Mutex<(any Error)?>(nil)
        let wall = BenchData.seconds {
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                var local: [(query: Int, ids: [Int32], seconds: Double)] = []
                do {
                    for q in stride(from: worker, to: count, by: threads) {
                        var ids: [Int32] = []
                        let seconds = try BenchData.seconds { ids = try search(q) }
                        local.append((q, ids, seconds))
                    }
                } catch {
                    failure.withLock { $0 = error }
                }
                slots.withLock { $0 += local }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        let answers = slots.withLock { $0 }.sorted { $0.query < $1.query }
        let latencies = answers.map(\.seconds)
        return (answers.map(\.ids), AnnRun.Single(
            qps: Double(count) / wall, p50Ms: BenchData.median(latencies) * 1e3,
            p99Ms: BenchData.percentile(latencies, 0.99) * 1e3))
    }
}
