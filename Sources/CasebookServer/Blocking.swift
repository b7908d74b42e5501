import Casebook
import Dispatch

/// Runs the library's synchronous work (SQLite, scans) on a Dispatch thread, so a slow write
/// never holds one of the few threads of Swift's cooperative pool that serve every connection.
enum Blocking {
    private static let queue = DispatchQueue(label: "casebook.server.work", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(CasebookError) -> T) async throws(APIError) -> T {
        let result: Result<T, CasebookError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(CasebookError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw APIError(error)
        }
    }
}
