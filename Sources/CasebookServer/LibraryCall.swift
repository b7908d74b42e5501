import Casebook

/// How handlers call the synchronous library. Reads and searches run in the handler's task:
/// they are CPU-bound for milliseconds, and a hop to another thread and back measured ~0.4 ms of
/// added latency per search (two thread wake-ups on a 2-core machine). Writes go to a Dispatch
/// thread, so a commit waiting on the disk (`synchronous = FULL`) never holds one of the few
/// threads of Swift's cooperative pool that serve every connection.
enum LibraryCall {
    /// A read or a search, in the calling task.
    static func inTask<T: Sendable>(_ body: @Sendable () throws(CasebookError) -> T) throws(APIError) -> T {
        do throws(CasebookError) {
            return try body()
        } catch {
            throw APIError(error)
        }
    }

    /// A write, on a Dispatch thread.
    static func onWriteQueue<T: Sendable>(_ body: @escaping @Sendable () throws(CasebookError) -> T) async throws(APIError) -> T {
        do throws(CasebookError) {
            return try await Offloaded.run(body)
        } catch {
            throw APIError(error)
        }
    }
}
