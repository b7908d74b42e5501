import Foundation
import Testing

@testable import Casebook

/// `policyVersion`, the field added through ``PrecedentField``: stored, returned in every JSON
/// form, filterable (flat, trained IVF, after a reopen), never embedded, and kept per tenant.
/// Over the socket and the command line: `PolicyVersionAPITests`.
@Suite struct PolicyVersionTests {
    static let versions = ["ndr-2026-01", "ndr-2026-03", nil]

    /// 3 x 120 rows per tenant, the policy version cycling with the row.
    static func rows(tenant: String, dimension: Int, seed: UInt64) -> [Precedent] {
        var random = SplitMix64(seed: seed)
        return (0..<360).map { i in
            Precedent(
                id: PrecedentID("p\(i)"), tenant: TenantID(tenant), category: i % 2 == 0 ? "ndr" : "credit",
                policyVersion: versions[i % 3], vector: (0..<dimension).map { _ in random.unit() })
        }
    }

    /// The top k of `rows` passing `keep` by cosine, brute force.
    static func bruteForce(_ rows: [Precedent], _ query: [Float], k: Int, keep: (Precedent) -> Bool) -> [String] {
        func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let scored = rows.filter(keep).map { row -> (String, Float) in
            let v = row.vector!
            return (row.id!.rawValue, zip(v, query).reduce(0) { $0 + $1.0 * $1.1 } / (norm(v) * norm(query)))
        }
        return scored.sorted { $0.1 > $1.1 }.prefix(k).map(\.0)
    }

    @Test(arguments: [false, true])
    func filterEqualsBruteForceFlatIVFAndAfterReopen(trained: Bool) throws {
        let database = TemporaryDatabase()
        let dimension = 16
        var spec = CollectionSpec(name: "c", dimension: dimension, metric: .cosine)
        if trained { spec.index = .ivf(IVFParameters(nlist: 4, nprobe: 4, flatThreshold: 32)) }
        var collection = try Casebook(path: database.path).createCollection(spec)
        let acme = Self.rows(tenant: "acme", dimension: dimension, seed: 1)
        // The other tenant uses the same versions and ids: its rows must never appear.
        try collection.add(acme + Self.rows(tenant: "globex", dimension: dimension, seed: 2))
        if trained { try collection.trainIndex() }
        var random = SplitMix64(seed: 3)
        for reopen in [false, true] {
            if reopen { collection = try Casebook(path: database.path).collection("c") }
            for _ in 0..<10 {
                let query = (0..<dimension).map { _ in random.unit() }
                for version in ["ndr-2026-03", "ndr-2026-01"] {
                    let filter = SearchFilter(category: "ndr", policyVersion: version)
                    let found = try collection.search(SearchRequest(tenant: "acme", k: 7, vector: query, filter: filter))
                    let expected = Self.bruteForce(acme, query, k: 7) { $0.policyVersion == version && $0.category == "ndr" }
                    #expect(found.exact && found.results.map(\.id.rawValue) == expected)
                    #expect(found.results.allSatisfy { $0.precedent?.policyVersion == version && $0.precedent?.tenant == "acme" })
                }
                let none = try collection.search(
                    SearchRequest(tenant: "acme", k: 5, vector: query, filter: SearchFilter(policyVersion: "never-used")))
                #expect(none.results.isEmpty)
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func storedReturnedAndNeverEmbedded(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let hashed = try casebook.createCollection(CollectionSpec(name: "h", dimension: 256, embedder: .hashedV1()))
        let plain = Precedent(
            id: "a", tenant: "t", category: "ndr", text: "customer not answering", tags: ["cod"],
            createdAt: Date(timeIntervalSince1970: 1_780_000_000))
        var versioned = plain
        versioned.id = "b"
        versioned.policyVersion = "ndr-2026-03"
        try hashed.add([plain, versioned])
        #expect(try hashed.get(tenant: "t", id: "a").vector == hashed.get(tenant: "t", id: "b").vector)
        #expect(try hashed.get(tenant: "t", id: "b").policyVersion == "ndr-2026-03")
        #expect(try hashed.get(tenant: "t", id: "a").policyVersion == nil)

        // Every JSON form carries it: Codable, the JSONL reader, the socket's byte writer.
        let stored = try hashed.get(tenant: "t", id: "b")
        let encoded = String(decoding: try JSONEncoder().encode(stored), as: UTF8.self)
        #expect(encoded.contains(#""policyVersion":"ndr-2026-03""#))
        #expect(try JSONDecoder().decode(Precedent.self, from: Data(encoded.utf8)) == stored)
        #expect(try Precedent(jsonText: encoded) == stored)
        let response = try hashed.search(SearchRequest(tenant: "t", k: 2, text: "customer", log: false))
        let written = try JSONDecoder().decode(SearchResponse.self, from: Data(response.jsonBytes))
        #expect(written == response)
        #expect(written.results.compactMap(\.precedent?.policyVersion) == ["ndr-2026-03"])
    }

    @Test(arguments: StoreKind.allCases) func badValuesAreRefusedWithNothingWritten(store: StoreKind) throws {
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: #"{"tenant":"t","policyVersion":3}"#) }
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: #"{"tenant":"t","policyversion":"x"}"#) }
        let database = TemporaryDatabase(store)
        let collection = try Casebook(path: database.path).createCollection(CollectionSpec(name: "c", dimension: 2))
        let good = Precedent(id: "ok", tenant: "t", policyVersion: "v1", vector: [1, 0])
        let bad = Precedent(id: "nul", tenant: "t", policyVersion: "v\u{0}2", vector: [0, 1])
        #expect(throws: CasebookError.self) { try collection.add([good, bad]) }
        #expect(collection.count == 0)
    }
}
