import Dispatch

/// Runs a synchronous library call on a Dispatch thread and awaits it. The library blocks (a
/// write waits for its commit, the PostgreSQL store for the network): async callers such as the
/// socket server and the MCP tools use this so a wait never holds one of the few threads of
/// Swift's cooperative pool that serve every connection.
public enum Offloaded {
    private static let queue = DispatchQueue(label: "casebook.offloaded", attributes: .concurrent)

    public static func run<T: Sendable>(
        _ body: @escaping @Sendable () throws(CasebookError) -> T
    ) async throws(CasebookError) -> T {
        let result: Result<T, CasebookError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(CasebookError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
