import Foundation
import Synchronization

extension Casebook {
    /// Threads a batched search spreads its queries over, for the whole process: 0 (the default)
    /// means one per active core. Single searches always use the calling thread only, so that
    /// concurrent callers share the cores; set this below the core count when batches should
    /// leave cores to other work (a server, or a benchmark run at a fixed thread count).
    public static var batchSearchThreads: Int {
        get { batchThreadLimit.load(ordering: .relaxed) }
        set { batchThreadLimit.store(max(0, newValue), ordering: .relaxed) }
    }

    private static let batchThreadLimit = Atomic<Int>(0)

    /// The threads a batch uses now.
    static var effectiveBatchThreads: Int {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let limit = batchSearchThreads
        return limit == 0 ? cores : limit
    }
}
