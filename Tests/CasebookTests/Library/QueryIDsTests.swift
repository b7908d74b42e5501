import Foundation
import Testing

@testable import Casebook

@Suite struct QueryIDsTests {
    /// Ids are version-4 UUID strings that Foundation parses back to themselves, and none repeats,
    /// also when made from several threads at once.
    @Test func idsAreUniqueVersion4UUIDs() {
        let perThread = 20_000, threads = 4
        let made = Mutexed<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let ids = (0..<perThread).map { _ in QueryIDs.next() }
            made.withLock { $0 += ids }
        }
        let ids = made.withLock { $0 }
        #expect(ids.count == perThread * threads)
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(1_000) {
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
            let characters = Array(id)
            #expect(characters[14] == "4" && "89ab".contains(characters[19]), "\(id)")
        }
    }
}

/// A value behind a lock, for collecting results from concurrent test workers.
private final class Mutexed<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
