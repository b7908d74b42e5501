import Foundation
import Synchronization

/// How many threads the parallel parts of Casebook spread over, for the whole process: batched
/// searches, embedding large batches, and k-means assignment during IVF training. Single searches
/// always use the calling thread only, so that concurrent callers share the cores.
enum WorkerThreads {
    /// 0 (the default) means one per active core.
    static var limit: Int {
        get { storedLimit.load(ordering: .relaxed) }
        set { storedLimit.store(max(0, newValue), ordering: .relaxed) }
    }

    private static let storedLimit = Atomic<Int>(0)

    /// The threads parallel work uses now.
    static var count: Int {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let limit = limit
        return limit == 0 ? cores : limit
    }
}
