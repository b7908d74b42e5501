import Casebook
import Foundation

/// Deterministic synthetic data for benchmarks (the same seed gives the same data).
typealias BenchRandom = SplitMix64

extension SplitMix64 {
    mutating func vector(_ dimension: Int) -> [Float] { (0..<dimension).map { _ in unit() } }
}

enum BenchData {
    static let categories = ["ndr_resolution", "credit_override", "stock_allocation", "returns"]
    static let tags = ["cod", "prepaid", "metro", "rural", "repeat_customer", "high_value"]

    /// `count` precedents of one tenant with random vectors and a few filterable fields.
    static func precedents(count: Int, dimension: Int, tenant: TenantID, seed: UInt64) -> [Precedent] {
        var random = BenchRandom(seed: seed)
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        return (0..<count).map { i in
            Precedent(
                id: PrecedentID("p\(i)"), tenant: tenant,
                category: categories[i % categories.count],
                context: ["attempts": .number(Double(i % 4))],
                wasSuccessful: i % 3 == 0, tags: [tags[i % tags.count]],
                createdAt: start.addingTimeInterval(Double(i)), vector: random.vector(dimension))
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("casebook-bench-\(UUID().uuidString)-\(name).sqlite").path
    }

    static func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

extension BenchData {
    /// A progress line on standard error (benchmarks print results on standard output).
    static func log(_ message: String) {
        FileHandle.standardError.write(Data("bench: \(message)\n".utf8))
    }
}
