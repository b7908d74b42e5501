import Foundation
import GRDB
import Testing

@testable import Casebook

/// Shared pieces of the reliability harnesses (kills, soak, fuzzing, the tenant model).
enum Reliability {
    /// `CASEBOOK_RELIABILITY_SCALE=10 swift test` runs ten times the kill rounds, soak time and
    /// fuzz cases; the default keeps CI short (still at least 30 kills).
    static let scale = max(1, ProcessInfo.processInfo.environment["CASEBOOK_RELIABILITY_SCALE"].flatMap(Int.init) ?? 1)

    /// Resident memory of a process in KiB (`VmRSS` in /proc), nil when unreadable.
    static func residentKiB(pid: Int32? = nil) -> Int? {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Summary lines the closing note quotes (kills survived, inputs fuzzed, operations checked).
    static func report(_ line: String) {
        FileHandle.standardError.write(Data("reliability: \(line)\n".utf8))
    }
}

/// The file as SQL sees it, read without the library: integrity, and every stored row of a
/// collection with its vector decoded from the documented BLOB layout.
struct StoredFile {
    var integrity: String
    var rows: [ReferenceRow]

    init(path: String, collection: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        (integrity, rows) = try queue.read { db in
            let integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "?"
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT p.tenant, p.id, p.category, p.was_successful, p.created_at, v.data, c.dimension
                FROM precedent p JOIN collection c ON c.id = p.collection_id
                LEFT JOIN precedent_vector v ON v.precedent_pk = p.pk
                WHERE c.name = ? ORDER BY p.pk
                """, arguments: [collection])
            var rows: [ReferenceRow] = []
            while let row = try cursor.next() {
                let data: Data = row[5] ?? Data()
                // A BLOB of neither layout reads as no vector, which the comparisons then catch.
                let vector = StoredVectorBytes.decode(Array(data), dimension: row[6]) ?? []
                let success: Int? = row[3]
                rows.append(ReferenceRow(
                    tenant: TenantID(row[0] as String), id: PrecedentID(row[1] as String), vector: vector,
                    category: row[2], tags: [], wasSuccessful: success.map { $0 != 0 },
                    createdAt: Date(timeIntervalSince1970: row[4])))
            }
            return (integrity, rows)
        }
    }

    /// Rows per id prefix (the text before the last "-"): how much of each batch is present.
    func countsByBatch() -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in rows {
            let id = row.id.rawValue
            let batch = id.lastIndex(of: "-").map { String(id[..<$0]) } ?? id
            counts[batch, default: 0] += 1
        }
        return counts
    }

    /// The library's search, reopened from the file, equals brute force over the stored vectors
    /// for a few queries in every tenant.
    func expectIndexMatchesStoredVectors(path: String, collection: String, metric: Metric, dimension: Int, seed: UInt64) throws {
        let opened = try Casebook(path: path).collection(collection)
        #expect(opened.count == rows.count, "in-memory rows \(opened.count) vs stored \(rows.count)")
        var random = SeededRandom(seed: seed)
        for tenant in Set(rows.map(\.tenant)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for _ in 0..<3 {
                let query = random.vector(dimension: dimension)
                let found = try opened.search(SearchRequest(tenant: tenant, k: 10, vector: query, includePrecedents: false, exact: true, log: false))
                let tenantRows = rows.filter { $0.tenant == tenant }
                let reference = BruteForce.search(tenantRows, tenant: tenant, query: query, k: 10, metric: metric)
                let scores = Dictionary(uniqueKeysWithValues: tenantRows.map { ($0.id, BruteForce.score(query, $0.vector, metric)) })
                expectMatches(found.results, reference, allScores: scores)
            }
        }
    }
}
